#!/usr/bin/env python3
"""Evidence for MghCorpusTest's stationarity check on Jennrich-Sampson (m = 10) from 10x its start:
where the sum of squares 259.58 that lm ends at comes from, the scale-free first-order measure
(lmder's gtol cosine: max_k |J_k'r| / (||J_k|| ||r||)) along the valley x1 -> -inf, and where scipy's
least_squares (trf, lm) end from the same starts.

    python3 scripts/mgh-stationary.py
"""
import numpy as np
from scipy.optimize import least_squares, minimize_scalar

i = np.arange(1, 11)


def r(x):
    return 2 + 2 * i - (np.exp(i * x[0]) + np.exp(i * x[1]))


def jac(x):
    return np.stack([-i * np.exp(i * x[0]), -i * np.exp(i * x[1])], 1)


def cosines(x):
    rr, jj = r(x), jac(x)
    norms = np.linalg.norm(jj, axis=0)
    return np.abs(jj.T @ rr) / np.where(norms > 0, norms, np.inf) / np.linalg.norm(rr)


one = minimize_scalar(lambda t: np.sum((2 + 2 * i - np.exp(i * t)) ** 2), bounds=(0, 1), method="bounded",
                      options={"xatol": 1e-12})
print("one exponential (x1 -> -inf): t = %.9f, sum of squares %.6f" % (one.x, one.fun))
for x1 in (-5, -10, -20, -40, -2.128e7):
    x = np.array([x1, one.x])
    print("x1 = %-10g sum of squares %.6f  cosines %s" % (x1, np.sum(r(x) ** 2), cosines(x)))
for f in (1, 10):
    for m in ("trf", "lm"):
        s = least_squares(r, np.array([0.3, 0.4]) * f, jac=jac, method=m)
        print("%3dx %-3s status %d  x %s  sum of squares %.6f" % (f, m, s.status, s.x, 2 * s.cost))
