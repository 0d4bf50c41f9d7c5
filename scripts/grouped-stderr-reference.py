#!/usr/bin/env python3
"""Reference values for the grouped train's standard errors (job test GroupedStderrTest).

Writes job/src/test/resources/grouped/stderr-reference.txt: groups of a linear regression
(y = b + w . x + noise, 3 features; groups of 12, 25 and 60 rows, each its own true parameters) and of
a logistic regression (t in {0, 1}, 2 features; groups of 80 and 50 rows), every value rounded to
6 decimals as the CSV the test writes holds it; per group statsmodels' OLS params / bse / cov_params
and Logit params / bse / cov_params, fitted to those rounded values. The OLS values are checked here
against the normal equations in numpy (printed; the file holds statsmodels' values).

Run:  /usr/bin/python3 scripts/grouped-stderr-reference.py   (needs numpy and statsmodels)
"""
import os
import numpy as np
import statsmodels.api as sm

rng = np.random.default_rng(2026120721)
lines = ["# written by scripts/grouped-stderr-reference.py with statsmodels " + sm.__version__]

lines.append("# ols_row group y x0 x1 x2; ols_params/ols_bse group values; ols_cov group row-major p x p")
for g, n in (("ols1", 12), ("ols2", 25), ("ols3", 60)):
    beta = rng.normal(size=4)
    X = np.round(rng.normal(size=(n, 3)), 4)
    y = np.round(beta[0] + X @ beta[1:] + rng.normal(scale=0.5, size=n), 6)
    A = np.column_stack([np.ones(n), X])
    fit = sm.OLS(y, A).fit()
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ coef
    cov_ne = res @ res / (n - 4) * np.linalg.inv(A.T @ A)
    print(g, "bse statsmodels", np.asarray(fit.bse), "\n      normal eq. ", np.sqrt(np.diag(cov_ne)))
    assert np.allclose(np.asarray(fit.bse), np.sqrt(np.diag(cov_ne)), rtol=1e-10)
    for i in range(n):
        lines.append("ols_row %s %r %r %r %r" % (g, float(y[i]), *(float(v) for v in X[i])))
    lines.append("ols_params %s %s" % (g, " ".join(repr(float(v)) for v in np.asarray(fit.params))))
    lines.append("ols_bse %s %s" % (g, " ".join(repr(float(v)) for v in np.asarray(fit.bse))))
    lines.append("ols_cov %s %s" % (g, " ".join(repr(float(v)) for v in np.asarray(fit.cov_params()).ravel())))

lines.append("# logit_row group t z0 z1; logit_params/logit_bse group values; logit_cov group row-major p x p")
for g, n in (("logit1", 80), ("logit2", 50)):
    beta = np.array([-0.3, 1.2, -0.8]) + rng.normal(scale=0.3, size=3)
    Z = np.round(rng.normal(size=(n, 2)), 4)
    eta = beta[0] + Z @ beta[1:]
    t = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    B = np.column_stack([np.ones(n), Z])
    fit = sm.Logit(t, B).fit(disp=0, tol=1e-14, maxiter=100)
    for i in range(n):
        lines.append("logit_row %s %r %r %r" % (g, float(t[i]), *(float(v) for v in Z[i])))
    lines.append("logit_params %s %s" % (g, " ".join(repr(float(v)) for v in np.asarray(fit.params))))
    lines.append("logit_bse %s %s" % (g, " ".join(repr(float(v)) for v in np.asarray(fit.bse))))
    lines.append("logit_cov %s %s" % (g, " ".join(repr(float(v)) for v in np.asarray(fit.cov_params()).ravel())))

out = os.path.join(os.path.dirname(__file__), "..", "job", "src", "test", "resources", "grouped", "stderr-reference.txt")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote", os.path.normpath(out))
