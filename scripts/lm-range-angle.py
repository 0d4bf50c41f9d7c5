#!/usr/bin/env python3
"""The angle between the residuals r and the range of their Jacobian J, ||Q^T r|| / ||r|| (the square
root of the relative fall a Gauss-Newton step offers), against MINPACK's gtol measure, the largest
cosine between r and one column of J: at the point where job = train's lm with jac_scaling = 0.5
ended NIST's MGH17 start 1 CONVERGED unsolved (session 23), and at scipy trf's ends from every NIST
problem's second start. Evidence for docs/curve-fitting.md ("The scaling, session 23").

    python3 scripts/lm-range-angle.py
"""
import importlib.util
import os
import warnings

import numpy as np
from scipy.optimize import least_squares

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("nist_scipy", os.path.join(HERE, "nist-scipy.py"))
ns = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ns)
EPS = np.finfo(float).eps


def measures(fun, jac, x):
    r, J = fun(x), jac(x)
    q, _ = np.linalg.qr(J)
    cos = np.abs(J.T @ r) / (np.linalg.norm(J, axis=0) * np.linalg.norm(r))
    return np.linalg.norm(q.T @ r) / np.linalg.norm(r), cos.max(), len(r)


def main():
    warnings.simplefilter("ignore")
    cols, _, _, cert, _ = ns.load("MGH17")
    fun, jac = ns.residual_functions(ns.models()["MGH17"], cols, 5)
    x = np.array([0.3822394396191622, 99.82325125751538, -99.35715061240879, 0.016623765625771773, 0.01677350011740561])
    a, c, _ = measures(fun, jac, x)
    print("MGH17 start 1, train lm q = 0.5 end: angle %.3e, largest column cosine %.3e, cond(J) %.1e"
          % (a, c, np.linalg.cond(jac(x))))
    for name, expr in ns.models().items():
        cols, _, s2, cert, _ = ns.load(name)
        fun, jac = ns.residual_functions(expr, cols, len(cert))
        r = least_squares(fun, np.asarray(s2, float), jac=jac, method="trf", ftol=1e-15, xtol=1e-15, gtol=1e-15,
                          max_nfev=10000)
        a, c, n = measures(fun, jac, r.x)
        print("%-9s n %3d  trf end (start 2): angle %.2e, column cosine %.2e, sqrt(n eps) %.1e"
              % (name, n, a, c, np.sqrt(n * EPS)))


if __name__ == "__main__":
    main()
