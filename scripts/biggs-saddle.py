#!/usr/bin/env python3
"""Biggs EXP6 (MGH 18, m = 13): the published local value 5.65565e-3 is a saddle, not a minimum.

The point is the fit with the two exponentials x1 and x5 merged (x1 = x5, x3 = x6): a 5-parameter
least-squares fit, then split back. Its Hessian (central differences of the exact gradient) has
eigenvalues of both signs: smallest / largest -8.7e-4 (-2.0e-3 in the variables scaled to unit
diagonal). tapeline's newton stops there with ||g|| ~ 1e-13 (MghCorpusTest, Biggs 1x and 10x) and,
since session 22, ends MAX_STEPS rather than CONVERGED (solve/Stationarity.java).
"""
import numpy as np
from scipy.optimize import least_squares

t = 0.1 * np.arange(1, 14)
y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)


def r(x):
    return x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - y


def jac(x):
    e0, e1, e4 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
    return np.stack([-t * x[2] * e0, t * x[3] * e1, e0, -e1, -t * x[5] * e4, e4], 1)


def grad(x):
    return 2 * jac(x).T @ r(x)


z = least_squares(lambda z: r(np.array([z[0], z[1], z[2], z[3], z[0], 0.0])), [1.7, 17.7, 2.3, 5.2],
                  method='lm', xtol=1e-15, ftol=1e-15, gtol=1e-15).x
x = np.array([z[0], z[1], z[2] / 2, z[3], z[0], z[2] / 2])
H = np.zeros((6, 6))
for i in range(6):
    e = np.zeros(6)
    e[i] = 1e-6 * max(1, abs(x[i]))
    H[i] = (grad(x + e) - grad(x - e)) / (2 * e[i])
H = (H + H.T) / 2
d = np.sqrt(np.abs(np.diag(H)))
w, ws = np.linalg.eigvalsh(H), np.linalg.eigvalsh(H / np.outer(d, d))
print("cost %.9e  ||g|| %.1e  x %s" % (np.sum(r(x) ** 2), np.linalg.norm(grad(x)), x))
print("smallest / largest eigenvalue %.3e, scaled %.3e" % (w[0] / w[-1], ws[0] / ws[-1]))
