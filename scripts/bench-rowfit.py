#!/usr/bin/env python3
"""Per-row curve fits (issue 23's speed): the datasets and scipy's side of scripts/bench-rowfit.sh.

    bench-rowfit.py gen exp3|logistic ROWS OUT.jsonl        # the rows, one JSON object per line
    bench-rowfit.py scipy exp3|logistic IN.jsonl SAMPLE OUT.csv
    bench-rowfit.py compare exp3|logistic SWEEP_OUT_DIR PEER.csv   # tapeline's csv output vs a peer's
    bench-rowfit.py compare-peer A.csv B.csv                       # two peers' parameters

Problems (fixed seeds, so every run fits the same rows):
  exp3      y = a exp(-b x) + c + noise, 50 points, x in [0, 4]; residuals = y - (a * exp(-b * x) + c),
            start a = 1, b = 0.5, c = 0.
  logistic  y in {0, 1} from a logistic model with b and w1..w5, 200 points, x1..x5 standard normal;
            cost = sum(softplus(m) - y m), m = b + w1 x1 + ... + w5 x5, start 0 (strictly convex).

`scipy` fits the first SAMPLE rows one after another in this process (one core), timing only the
solver calls: exp3 by least_squares (trf and lm, exact Jacobian in numpy) and by minimize L-BFGS-B on
the sum of squares (numpy gradient); logistic by minimize L-BFGS-B with a numpy gradient. Prints
`scipy_<method>_seconds_per_row <s>` lines and writes each row's parameters (of the first method)
to OUT.csv for the comparison.
"""
import csv
import glob
import json
import sys
import os
# One core, as the bench says: numpy's BLAS would otherwise start a thread a core, and on a small busy machine
# those threads contend (session 26: 5.6 ms a fit with one thread, 68.6 ms with the default, at load 6).
# Set before numpy is imported; a value in the environment wins.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
import time
import warnings

import numpy as np
from scipy.optimize import least_squares, minimize

EXP3 = ["a", "b", "c"]
LOGISTIC = ["b", "w1", "w2", "w3", "w4", "w5"]


def gen(kind, rows, out):
    rng = np.random.default_rng(23)
    with open(out, "w") as fh:
        for i in range(rows):
            if kind == "exp3":
                x = np.linspace(0.0, 4.0, 50)
                a, b, c = rng.uniform(1, 5), rng.uniform(0.2, 2.0), rng.uniform(-1, 1)
                y = a * np.exp(-b * x) + c + 0.01 * rng.standard_normal(50)
                rec = {"id": i, "x": x.tolist(), "y": y.tolist()}
            else:
                X = rng.standard_normal((200, 5))
                theta = rng.uniform(-1, 1, 6)
                p = 1 / (1 + np.exp(-(theta[0] + X @ theta[1:])))
                y = (rng.uniform(size=200) < p).astype(float)
                rec = {"id": i, "y": y.tolist()}
                for j in range(5):
                    rec["x%d" % (j + 1)] = X[:, j].tolist()
            fh.write(json.dumps(rec) + "\n")


def load(path, limit=None):
    out = []
    with open(path) as fh:
        for line in fh:
            out.append(json.loads(line))
            if limit is not None and len(out) >= limit:
                break
    return out


def scipy_bench(kind, path, sample, out):
    warnings.simplefilter("ignore")
    rows = load(path, sample)
    results = {}
    if kind == "exp3":
        def res(p, x, y):
            return y - (p[0] * np.exp(-p[1] * x) + p[2])

        def jac(p, x, y):
            e = np.exp(-p[1] * x)
            return np.column_stack((-e, p[0] * x * e, -np.ones_like(x)))

        def sse(p, x, y):
            r = res(p, x, y)
            J = jac(p, x, y)
            return r @ r, 2 * (J.T @ r)

        x0 = np.array([1.0, 0.5, 0.0])
        methods = {
            "least_squares_trf": lambda x, y: least_squares(res, x0, jac=jac, args=(x, y), method="trf",
                                                            ftol=1e-12, xtol=1e-12, gtol=1e-12).x,
            "least_squares_lm": lambda x, y: least_squares(res, x0, jac=jac, args=(x, y), method="lm",
                                                           ftol=1e-12, xtol=1e-12, gtol=1e-12).x,
            "lbfgsb": lambda x, y: minimize(sse, x0, args=(x, y), jac=True, method="L-BFGS-B",
                                            options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 2000}).x,
        }
        data = [(np.array(r["x"]), np.array(r["y"])) for r in rows]
    else:
        def nll(p, X, y):
            m = p[0] + X @ p[1:]
            d = 1 / (1 + np.exp(-m)) - y
            return (np.logaddexp(0, m) - y * m).sum(), np.concatenate(([d.sum()], X.T @ d))

        x0 = np.zeros(6)
        methods = {
            "lbfgsb": lambda X, y: minimize(nll, x0, args=(X, y), jac=True, method="L-BFGS-B",
                                            options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": 1000}).x,
        }
        data = [(np.column_stack([np.array(r["x%d" % (j + 1)]) for j in range(5)]), np.array(r["y"])) for r in rows]
    first = None
    for name, fit in methods.items():
        t0, c0 = time.perf_counter(), time.process_time()
        params = [fit(a, b) for a, b in data]
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        print("scipy_%s_seconds_per_row %.9f" % (name, seconds / len(data)))
        # CPU seconds too: on a shared machine the wall figure measures the neighbours as well.
        print("scipy_%s_cpu_seconds_per_row %.9f" % (name, cpu / len(data)))
        if first is None:
            first = params
    names = EXP3 if kind == "exp3" else LOGISTIC
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id"] + names)
        for r, p in zip(rows, first):
            w.writerow([r["id"]] + ["%.17g" % v for v in p])


def compare(kind, sweep_dir, peer):
    """Largest |tapeline - peer| / max(1, |peer|) over the peer's rows, and tapeline's statuses."""
    names = EXP3 if kind == "exp3" else LOGISTIC
    tl, statuses = {}, {}
    csv.field_size_limit(1 << 30)
    for p in glob.glob(sweep_dir + "/part-*.csv"):
        for r in csv.DictReader(open(p)):
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            if r["status"] in ("CONVERGED", "MAX_STEPS"):
                tl[r["id"]] = [float(r[n]) for n in names]
    worst, missing = 0.0, 0
    for r in csv.DictReader(open(peer)):
        if r["id"] not in tl:
            missing += 1
            continue
        for n, t in zip(names, tl[r["id"]]):
            v = float(r[n])
            worst = max(worst, abs(t - v) / max(1.0, abs(v)))
    print("%.1e %s%s" % (worst, ",".join("%s=%d" % kv for kv in sorted(statuses.items())),
                         "" if not missing else " (%d sample rows not solved)" % missing))


def compare_peer(a, b):
    """Largest relative difference between two peers' parameters (same ids, same columns)."""
    rb = {r["id"]: r for r in csv.DictReader(open(b))}
    worst = 0.0
    for r in csv.DictReader(open(a)):
        for k, v in r.items():
            if k != "id":
                w = float(rb[r["id"]][k])
                worst = max(worst, abs(float(v) - w) / max(1.0, abs(w)))
    print("%.1e" % worst)


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "scipy":
        scipy_bench(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "compare-peer":
        compare_peer(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: bench-rowfit.py gen|scipy|compare ...")


if __name__ == "__main__":
    main()
