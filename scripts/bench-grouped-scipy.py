#!/usr/bin/env python3
"""The peer of the grouped train's benchmark: scipy's L-BFGS-B per group with a numpy gradient (the
compute of PySpark's applyInPandas pattern), on a sample of the groups, in one process (one core).

    bench-grouped-scipy.py SAMPLE_CSV_DIR linear|logistic FEATURES PARAMS_OUT_CSV

Prints 'scipy_seconds_per_group <s>' (compute only: the minimize calls, not the CSV read) and writes
each group's optimum (g, b, w_0..) for the comparison with tapeline's. The sample is solved REPEATS
times (environment, default 5) and the median time is printed: one pass over a few hundred groups takes
0.2-0.4 s, and on this machine such a pass varied from 700 to 1,200 us a group between runs. The objective is the job's:
the mean over the group's rows of (y - (b + w.x))^2, or of log(1 + exp(m)) - y m with m = b + w.x.
"""
import csv
import os
import glob
import sys
# One core, as the bench says: numpy's BLAS would otherwise start a thread a core, and on a small busy machine
# those threads contend (session 26: 5.6 ms a fit with one thread, 68.6 ms with the default, at load 6).
# Set before numpy is imported; a value in the environment wins.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
import time

import numpy as np
from scipy.optimize import minimize


def main():
    sample_dir, kind, features, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    parts = sorted(glob.glob(sample_dir + "/part-*.csv"))
    data = np.concatenate([np.loadtxt(p, delimiter=",", skiprows=1, ndmin=2) for p in parts])
    g = data[:, 0].astype(np.int64)
    order = np.argsort(g, kind="stable")
    data, g = data[order], g[order]
    bounds = np.flatnonzero(np.diff(g)) + 1
    groups = np.split(data, bounds)

    def linear(theta, X, y):
        r = y - (theta[0] + X @ theta[1:])
        n = len(y)
        return (r @ r) / n, np.concatenate(([-2 * r.sum()], -2 * (X.T @ r))) / n

    def logistic(theta, X, y):
        m = theta[0] + X @ theta[1:]
        n = len(y)
        loss = (np.logaddexp(0, m) - y * m).sum() / n
        d = 1 / (1 + np.exp(-m)) - y
        return loss, np.concatenate(([d.sum()], X.T @ d)) / n

    f = linear if kind == "linear" else logistic
    def solve_all():
        out = []
        for rows in groups:
            X, y = rows[:, 2:2 + features], rows[:, 1]
            r = minimize(f, np.zeros(features + 1), args=(X, y), jac=True, method="L-BFGS-B",
                         options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": 1000})
            out.append((int(rows[0, 0]), r.x))
        return out

    times = []
    for _ in range(max(1, int(os.environ.get("REPEATS", "5")))):
        t0 = time.perf_counter()
        results = solve_all()
        times.append(time.perf_counter() - t0)
    seconds = float(np.median(times))
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["g", "b"] + ["w_%d" % j for j in range(features)])
        for key, x in results:
            w.writerow([key] + ["%.17g" % v for v in x])
    print("scipy_groups %d" % len(groups))
    print("scipy_repeats %d (seconds a pass: %s)" % (len(times), " ".join("%.3f" % t for t in times)))
    print("scipy_seconds_per_group %.9f" % (seconds / len(groups)))


if __name__ == "__main__":
    main()
