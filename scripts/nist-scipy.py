#!/usr/bin/env python3
"""scipy's least_squares (trf, lm) on NIST StRD nonlinear regression, from both published starts.

The oracle for engine/src/test/java/tapeline/engine/solve/NistStrdTest.java: reads the problems
and the models (as tapeline residual expressions) from engine/src/test/resources/nist/, gives
scipy the exact Jacobian (sympy differentiates the same expression), tight tolerances (1e-15),
and writes, per problem and start, the correct digits (NIST's LRE: the lowest over the
parameters) each method reached, to engine/src/test/resources/nist/scipy-solved.txt.

    python3 scripts/nist-scipy.py            # rewrites the file, prints the counts
"""
import math
import os
import re
import sys

import numpy as np
import sympy as sp
from scipy.optimize import least_squares

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine", "src", "test", "resources", "nist")


def models():
    out = {}
    for line in open(os.path.join(ROOT, "models.txt")):
        if not line.strip() or line.startswith("#"):
            continue
        name, expr = line.split("=", 1)
        out[name.strip()] = expr.strip()
    return out


def load(name):
    lines = open(os.path.join(ROOT, name + ".dat")).read().splitlines()
    params, header, data = [], None, None
    for i, l in enumerate(lines):
        m = re.match(r"\s*b(\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", l)
        if m and data is None:
            params.append([float(m.group(k)) for k in range(2, 6)])
        if re.match(r"Data:\s+y\s+x", l):
            header = l[5:].split()
            data = i + 1
    rows = np.array([[float(v) for v in l.split()] for l in lines[data:] if l.strip()])
    cols = {h: rows[:, j] for j, h in enumerate(header)}
    p = np.array(params)
    return cols, p[:, 0], p[:, 1], p[:, 2], p[:, 3]


def digits(got, want):
    worst = 15.0
    for g, w in zip(got, want):
        rel = abs(g - w) / abs(w)
        lre = 15.0 if rel == 0 else -math.log10(rel)
        if not lre >= 0:
            lre = 0.0
        worst = min(worst, lre)
    return worst


def residual_functions(expr, cols, nparams):
    b = sp.symbols(" ".join("b%d" % (k + 1) for k in range(nparams)))
    if nparams == 1:
        b = (b,)
    names = {c: sp.Symbol(c) for c in cols}
    e = sp.sympify(expr.replace("^", "**"), locals={**{str(s): s for s in b}, **names})
    args = list(b) + [names[c] for c in cols]
    f = sp.lambdify(args, e, "numpy")
    jac = [sp.lambdify(args, sp.diff(e, s), "numpy") for s in b]
    data = [cols[c] for c in cols]
    n = len(data[0])

    def fun(x):
        return np.broadcast_to(f(*x, *data), (n,)).astype(float)

    def jfun(x):
        return np.column_stack([np.broadcast_to(j(*x, *data), (n,)).astype(float) for j in jac])

    return fun, jfun


def main():
    out = ["# problem start trf_digits lm_digits  (scripts/nist-scipy.py; scipy %s, exact Jacobian, tolerances 1e-15)" % __import__("scipy").__version__]
    solved = {"trf": 0, "lm": 0}
    for name, expr in models().items():
        cols, s1, s2, cert, _ = load(name)
        fun, jac = residual_functions(expr, cols, len(cert))
        for k, start in enumerate((s1, s2)):
            d = {}
            for method in ("trf", "lm"):
                with np.errstate(all="ignore"):
                    try:
                        r = least_squares(fun, start, jac=jac, method=method, ftol=1e-15, xtol=1e-15, gtol=1e-15,
                                          max_nfev=10000)
                        d[method] = digits(r.x, cert)
                    except Exception:  # a start where scipy itself fails counts as unsolved
                        d[method] = 0.0
                if d[method] >= 6:
                    solved[method] += 1
            out.append("%-9s %d %.2f %.2f" % (name, k + 1, d["trf"], d["lm"]))
    open(os.path.join(ROOT, "scipy-solved.txt"), "w").write("\n".join(out) + "\n")
    print("solved to 6 digits of %d starts: trf %d, lm %d" % (2 * len(models()), solved["trf"], solved["lm"]))


if __name__ == "__main__":
    sys.exit(main())
