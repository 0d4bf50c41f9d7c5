#!/usr/bin/env python3
"""Reference values for the train job's standard errors (engine test TrainLmTest / TrainStderrTest).

Writes engine/src/test/resources/train/stderr-reference.txt: a small linear-regression data set
(y = 1.5 - 2 x0 + 0.5 x1 + 3 x2 + noise, 40 rows) and a logistic-regression one (y in {0, 1}, 60 rows),
with statsmodels' OLS params / bse / cov_params and Logit params / bse / cov_params, and the same by
the normal equations in numpy (printed side by side as a check; the file holds statsmodels' values).

Run:  python3 scripts/train-stderr-reference.py   (with statsmodels; Debian: apt-get install python3-statsmodels, /usr/bin/python3)
"""
import os
import numpy as np

rng = np.random.default_rng(20261207)
n = 40
X = rng.normal(size=(n, 3))
y = 1.5 + X @ np.array([-2.0, 0.5, 3.0]) + rng.normal(scale=0.7, size=n)

m = 60
Z = rng.normal(size=(m, 2))
eta = -0.3 + Z @ np.array([1.2, -0.8])
t = (rng.uniform(size=m) < 1 / (1 + np.exp(-eta))).astype(float)

A = np.column_stack([np.ones(n), X])
beta, *_ = np.linalg.lstsq(A, y, rcond=None)
res = y - A @ beta
s2 = res @ res / (n - A.shape[1])
cov_ne = s2 * np.linalg.inv(A.T @ A)

try:
    import statsmodels.api as sm
    ols = sm.OLS(y, A).fit()
    ols_params, ols_cov = np.asarray(ols.params), np.asarray(ols.cov_params())
    B = np.column_stack([np.ones(m), Z])
    logit = sm.Logit(t, B).fit(disp=0, tol=1e-14, maxiter=100)
    logit_params, logit_cov = np.asarray(logit.params), np.asarray(logit.cov_params())
    source = "statsmodels " + sm.__version__
except ImportError:
    raise SystemExit("statsmodels is needed (apt-get install python3-statsmodels)")

print("OLS params  statsmodels", ols_params, "\n            normal eq. ", beta)
print("OLS bse     statsmodels", np.sqrt(np.diag(ols_cov)), "\n            normal eq. ", np.sqrt(np.diag(cov_ne)))

out = os.path.join(os.path.dirname(__file__), "..", "engine", "src", "test", "resources", "train", "stderr-reference.txt")
with open(out, "w") as f:
    f.write("# written by scripts/train-stderr-reference.py with " + source + "\n")
    f.write("# ols rows: y x0 x1 x2\n")
    for i in range(n):
        f.write("ols_row " + " ".join(repr(float(v)) for v in (y[i], *X[i])) + "\n")
    f.write("ols_params " + " ".join(repr(float(v)) for v in ols_params) + "\n")
    f.write("ols_bse " + " ".join(repr(float(v)) for v in np.sqrt(np.diag(ols_cov))) + "\n")
    for r in ols_cov:
        f.write("ols_cov " + " ".join(repr(float(v)) for v in r) + "\n")
    f.write("# logit rows: y z0 z1\n")
    for i in range(m):
        f.write("logit_row " + " ".join(repr(float(v)) for v in (t[i], *Z[i])) + "\n")
    f.write("logit_params " + " ".join(repr(float(v)) for v in logit_params) + "\n")
    f.write("logit_bse " + " ".join(repr(float(v)) for v in np.sqrt(np.diag(logit_cov))) + "\n")
    for r in logit_cov:
        f.write("logit_cov " + " ".join(repr(float(v)) for v in r) + "\n")
print("wrote", os.path.normpath(out))
