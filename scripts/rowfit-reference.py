#!/usr/bin/env python3
"""Writes engine/src/test/resources/rowfit/{exp3,logistic}.txt: rows generated exactly as
scripts/bench-rowfit.py generates them (the same seed, the first ROWS of its stream), with scipy's
answer per row, for RowFitTest (trust, newton and lm must end every row CONVERGED at that answer).

    python3 scripts/rowfit-reference.py [EXP3_ROWS [LOGISTIC_ROWS]]    # default 250 and 24

exp3:     residuals = y - (a exp(-b x) + c), x = linspace(0, 4, 50); scipy least_squares (trf, exact
          Jacobian, ftol = xtol = gtol = 1e-15), then polished by Gauss-Newton steps until they stop
          changing x (the answer to the last bits the data allow).
logistic: cost = sum(softplus(m) - y m), m = b + w1 x1 + ... + w5 x5, 200 points; scipy minimize
          trust-exact with the exact gradient and Hessian (gtol 1e-13), then Newton-polished the same way.
Each row's data are written with repr (all the digits: the test fits the same numbers scipy did).
Format, one row a line: id | answer (comma-separated) | then per column `name=v1,v2,...` separated by ' | '.
"""
import importlib.util
import json
import os
import sys
import warnings

import numpy as np
from scipy.optimize import least_squares, minimize

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_rowfit", os.path.join(HERE, "bench-rowfit.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
OUT = os.path.join(HERE, "..", "engine", "src", "test", "resources", "rowfit")


def exp3_fit(x, y):
    def res(p):
        return y - (p[0] * np.exp(-p[1] * x) + p[2])

    def jac(p):
        e = np.exp(-p[1] * x)
        return np.column_stack((-e, p[0] * x * e, -np.ones_like(x)))

    p = least_squares(res, [1.0, 0.5, 0.0], jac=jac, method="trf", ftol=1e-15, xtol=1e-15, gtol=1e-15).x
    for _ in range(5):  # Gauss-Newton polish
        p = p + np.linalg.lstsq(jac(p), -res(p), rcond=None)[0]
    return p


def logistic_fit(X, y):
    A = np.column_stack((np.ones(len(y)), X))

    def f(p):
        m = A @ p
        return (np.logaddexp(0, m) - y * m).sum()

    def g(p):
        return A.T @ (1 / (1 + np.exp(-(A @ p))) - y)

    def h(p):
        s = 1 / (1 + np.exp(-(A @ p)))
        return A.T @ (A * (s * (1 - s))[:, None])

    p = minimize(f, np.zeros(6), jac=g, hess=h, method="trust-exact", options={"gtol": 1e-13}).x
    for _ in range(5):  # Newton polish
        p = p - np.linalg.solve(h(p), g(p))
    return p


def main():
    warnings.simplefilter("ignore")
    n_exp3 = int(sys.argv[1]) if len(sys.argv) > 1 else 250
    n_log = int(sys.argv[2]) if len(sys.argv) > 2 else 24
    os.makedirs(OUT, exist_ok=True)
    for kind, rows in (("exp3", n_exp3), ("logistic", n_log)):
        tmp = os.path.join(OUT, kind + ".jsonl.tmp")
        bench.gen(kind, rows, tmp)
        recs = [json.loads(l) for l in open(tmp)]
        os.remove(tmp)
        with open(os.path.join(OUT, kind + ".txt"), "w") as fh:
            fh.write("# written by scripts/rowfit-reference.py: id | scipy's answer | columns\n")
            for r in recs:
                if kind == "exp3":
                    cols = ["x", "y"]
                    p = exp3_fit(np.array(r["x"]), np.array(r["y"]))
                else:
                    cols = ["x1", "x2", "x3", "x4", "x5", "y"]
                    X = np.column_stack([np.array(r[c]) for c in cols[:5]])
                    p = logistic_fit(X, np.array(r["y"]))
                fh.write("%d | %s | %s\n" % (r["id"], ",".join(repr(float(v)) for v in p),
                                            " | ".join("%s=%s" % (c, ",".join(repr(float(v)) for v in r[c]))
                                                       for c in cols)))


if __name__ == "__main__":
    main()
