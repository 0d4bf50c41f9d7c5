#!/usr/bin/env python3
"""scipy's L-BFGS-B per group with a numpy gradient, on the data GroupSolveDriver wrote (issue 21).

    bench-group-engine.py PREFIX LOSS ROWS_PER_GROUP K [GROUPS_TO_TIME=1000]

Reads PREFIX.data (little-endian doubles, row-major: y, x[0..K)) and PREFIX.fit (tapeline's
coefficients per group: b, w[0..K)), fits the first GROUPS_TO_TIME groups one by one with
scipy.optimize.minimize(method="L-BFGS-B", jac=True) at a tight tolerance, prints scipy's time per
group and the largest relative difference of the coefficients from tapeline's. One thread
(OPENBLAS/OMP/MKL threads = 1) so the figure is per core.
"""
import os
for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import sys
import time

import numpy as np
from scipy.optimize import minimize


def objective(loss, X, y):
    if loss == "ls":
        def f(theta):
            r = y - X @ theta
            return 0.5 * r @ r, -(X.T @ r)
    else:
        s = 2 * y - 1
        def f(theta):
            z = -s * (X @ theta)
            val = np.logaddexp(0, z).sum()
            p = 1 / (1 + np.exp(-z))  # sigmoid(z): d softplus(z) / dz
            return val, X.T @ (-s * p)
    return f


def main():
    prefix, loss, rows, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    timed = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    data = np.fromfile(prefix + ".data", dtype="<f8").reshape(-1, k + 1)
    fit = np.fromfile(prefix + ".fit", dtype="<f8").reshape(-1, k + 1)
    groups = min(timed, fit.shape[0])
    worst = 0.0
    t0 = time.perf_counter()
    coefs = []
    for g in range(groups):
        block = data[g * rows:(g + 1) * rows]
        y = block[:, 0]
        X = np.hstack([np.ones((rows, 1)), block[:, 1:]])
        res = minimize(objective(loss, X, y), np.zeros(k + 1), jac=True, method="L-BFGS-B",
                       options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-10})
        coefs.append(res.x)
    seconds = time.perf_counter() - t0
    for g in range(groups):
        ref = coefs[g]
        rel = np.max(np.abs(fit[g] - ref) / np.maximum(1.0, np.abs(ref)))
        worst = max(worst, rel)
    print(f"scipy L-BFGS-B {loss} rows={rows} k={k}: {1e3 * seconds / groups:.4f} ms/group over {groups} groups;"
          f" max |tapeline - scipy| / max(1, |scipy|) = {worst:.2e}")


if __name__ == "__main__":
    main()
