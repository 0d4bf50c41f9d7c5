#!/usr/bin/env python3
"""scipy on the Moré-Garbow-Hillstrom corpus (engine/src/test/resources/mgh/problems.txt), from the
textbook start, 10x and 100x it (MINPACK's test driver's starts): least_squares (trf, lm) and
minimize (BFGS, trust-exact) on the sum of squares, exact derivatives (sympy), tight tolerances.
A start is solved when the final sum of squares is a published optimal value (relative 1e-5, or
1e-10 absolute): the criterion of MghCorpusTest. Prints the counts; tapeline's come from
MghCorpusTest (scripts/bench-curvefit.sh runs both).
"""
import os
import warnings
# One core, as the bench says: numpy's BLAS would otherwise start a thread a core, and on a small busy machine
# those threads contend (session 26: 5.6 ms a fit with one thread, 68.6 ms with the default, at load 6).
# Set before numpy is imported; a value in the environment wins.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np
import sympy as sp
from scipy.optimize import least_squares, minimize

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine", "src", "test", "resources", "mgh",
                    "problems.txt")


def split_top(text):
    out, depth, start = [], 0, 0
    for i, c in enumerate(text + ","):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth <= 0:
            out.append(text[start:i].strip())
            start = i + 1
    return out


def problems():
    for line in open(ROOT):
        if not line.strip() or line.startswith("#"):
            continue
        name, n, x0, fstars, res = [f.strip() for f in line.split("|")]
        yield name, int(n), np.array([float(v) for v in x0.split(",")]), [float(v) for v in fstars.split(",")], split_top(res)


def start(x0, factor):
    if factor == 1:
        return x0.copy()
    return np.full_like(x0, factor) if np.all(x0 == 0) else factor * x0


def main():
    warnings.simplefilter("ignore")
    methods = ["ls-trf", "ls-lm", "BFGS", "trust-exact"]
    solved = dict.fromkeys(methods, 0)
    total = 0
    for name, n, x0, fstars, res in problems():
        xs = sp.symbols(" ".join("x%d" % (k + 1) for k in range(n)), real=True)
        if n == 1:
            xs = (xs,)
        loc = {str(s): s for s in xs}
        loc["select"] = lambda c, a, b: sp.Piecewise((a, c > 0), (b, True))  # tapeline's select(c, a, b)
        r = [sp.sympify(e.replace("^", "**"), locals=loc) for e in res]
        f = sp.lambdify([xs], r, "numpy")
        jac = sp.lambdify([xs], [[sp.diff(e, s) for s in xs] for e in r], "numpy")
        cost = sum(e ** 2 for e in r)
        grad = sp.lambdify([xs], [sp.diff(cost, s) for s in xs], "numpy")
        hess = sp.lambdify([xs], sp.hessian(cost, xs), "numpy")
        F = lambda x: np.array(f(x), dtype=float)
        J = lambda x: np.array(jac(x), dtype=float).reshape(len(r), n)
        C = lambda x: float(np.sum(F(x) ** 2))
        G = lambda x: np.array(grad(x), dtype=float)
        H = lambda x: np.array(hess(x), dtype=float)
        for factor in (1, 10, 100):
            total += 1
            x = start(x0, factor)
            row = []
            for m in methods:
                try:
                    with np.errstate(all="ignore"):
                        if m.startswith("ls-"):
                            out = least_squares(F, x, jac=J, method=m[3:], ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=20000)
                            fx = 2 * out.cost
                        else:
                            out = minimize(C, x, jac=G, hess=H if m == "trust-exact" else None, method=m,
                                           options={"maxiter": 5000, "gtol": 1e-12})
                            fx = out.fun
                except Exception:
                    fx = float("nan")
                ok = any(abs(fx - fs) <= 1e-5 * fs + 1e-10 for fs in fstars)
                solved[m] += ok
                row.append("%s %.3e" % ("ok" if ok else "--", fx))
            print("%-20s %4dx  %s" % (name, factor, "  ".join(row)))
    print("solved of %d starts: %s" % (total, ", ".join("%s %d" % (m, solved[m]) for m in methods)))


if __name__ == "__main__":
    main()
