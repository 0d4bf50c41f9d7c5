#!/usr/bin/env python3
"""MINPACK's own lmder (scipy.optimize.leastsq with Dfun: lmder, mode 1 = diag from the Jacobian's
column norms; mode 2 with diag = 1 for the unscaled variant) on the Moré-Garbow-Hillstrom corpus
(engine/src/test/resources/mgh/problems.txt) from the textbook start, 10x and 100x it, with the
tolerances MghCorpusTest gives tapeline's lm (ftol = xtol = gtol = 1e-15), exact Jacobians (sympy).
A start is solved when the final sum of squares is a published optimal value (relative 1e-5, or
1e-10 absolute), MghCorpusTest's criterion. One line per start, then the counts.

    python3 scripts/mgh-minpack.py            # both modes
    python3 scripts/mgh-minpack.py --trace gaussian 100 [--unscaled]
                                              # every function call of one start: x, ||r||

The trace shows each trial point lmder evaluates; the accepted ones are those followed by a
Jacobian evaluation (marked J).
"""
import sys
import warnings

import numpy as np
from scipy.optimize import leastsq

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from importlib import import_module

corpus = import_module("bench-curvefit")  # problems(), start(): the same parsing as the scipy bench
import sympy as sp


def compile_problem(n, res):
    xs = sp.symbols(" ".join("x%d" % (k + 1) for k in range(n)), real=True)
    if n == 1:
        xs = (xs,)
    loc = {str(s): s for s in xs}
    loc["select"] = lambda c, a, b: sp.Piecewise((a, c > 0), (b, True))
    r = [sp.sympify(e.replace("^", "**"), locals=loc) for e in res]
    f = sp.lambdify([xs], r, "numpy")
    jac = sp.lambdify([xs], [[sp.diff(e, s) for s in xs] for e in r], "numpy")
    F = lambda x: np.array(f(x), dtype=float)
    J = lambda x: np.array(jac(x), dtype=float).reshape(len(r), n)
    return F, J


def run(F, J, x, unscaled, log=None):
    def Fl(x):
        v = F(x)
        if log is not None:
            log.append(("F", x.copy(), float(np.sqrt(np.sum(v * v)))))
        return v

    def Jl(x):
        if log is not None:
            log.append(("J", x.copy(), None))
        return J(x)

    kw = dict(diag=np.ones_like(x)) if unscaled else {}
    with np.errstate(all="ignore"):
        out = leastsq(Fl, x, Dfun=Jl, full_output=True, ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=40000, **kw)
    xf, info = out[0], out[4]
    fv = F(xf)
    return xf, float(np.sum(fv * fv)), info, out[2]["nfev"], out[2].get("njev", 0)


def main():
    warnings.simplefilter("ignore")
    args = sys.argv[1:]
    if args and args[0] == "--trace":
        name, factor, unscaled = args[1], float(args[2]), "--unscaled" in args
        for pname, n, x0, fstars, res in corpus.problems():
            if pname != name:
                continue
            F, J = compile_problem(n, res)
            log = []
            xf, cost, info, nfev, njev = run(F, J, corpus.start(x0, factor), unscaled, log)
            for kind, x, rn in log:
                print("%s %s %s" % (kind, " ".join("%.17g" % v for v in x), "" if rn is None else "%.17g" % rn))
            print("end cost %.17g info %d nfev %d njev %d" % (cost, info, nfev, njev))
        return
    solved = {False: 0, True: 0}
    total = 0
    for name, n, x0, fstars, res in corpus.problems():
        F, J = compile_problem(n, res)
        for factor in (1, 10, 100):
            total += 1
            row = []
            for unscaled in (False, True):
                try:
                    xf, cost, info, nfev, njev = run(F, J, corpus.start(x0, factor), unscaled)
                except Exception:
                    cost, info, nfev, njev = float("nan"), -1, 0, 0
                ok = any(abs(cost - fs) <= 1e-5 * fs + 1e-10 for fs in fstars)
                solved[unscaled] += ok
                row.append("%-2s %.6e info %d nfev %5d njev %5d" % ("ok" if ok else "--", cost, info, nfev, njev))
            print("%-20s %4dx  scaled %s | unscaled %s" % (name, factor, row[0], row[1]))
    print("MINPACK lmder solved of %d starts: scaled (mode 1) %d, unscaled (mode 2, diag 1) %d"
          % (total, solved[False], solved[True]))


if __name__ == "__main__":
    main()
