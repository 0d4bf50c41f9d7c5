#!/usr/bin/env python3
"""Reference values for tapeline.ml.GroupedPipelineTest (a VectorAssembler + grouped Trainer Pipeline).

Writes job/src/test/resources/ml/grouped-pipeline-train.csv (store, y, x0, x1, x2: four stores of
unequal sizes, y = b_g + w_g . x + noise, the values printed with 9 digits so that the file is the
data), grouped-pipeline-held.csv (id, store, x0, x1, x2: rows of the four stores and of one the fit
never saw) and grouped-pipeline-expected.csv: each store's least-squares coefficients b, w0, w1, w2,
solved by numpy.linalg.lstsq on the numbers as written in the train file (the minimiser of the mean
squared residual, what the Trainer's loss (y - (b + dot(w, features)))^2 with reduce = mean reaches),
printed with repr (17 significant digits).

Run:  python3 scripts/grouped-pipeline-reference.py
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "job", "src", "test", "resources", "ml")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261207)
truth = {"north": (0.5, [1.0, -2.0, 0.25]), "south": (-1.0, [0.3, 0.7, -1.5]),
         "east": (2.0, [-0.5, 0.0, 1.0]), "west": (0.0, [2.5, 1.5, -0.75])}
sizes = {"north": 40, "south": 25, "east": 33, "west": 18}

train = []
for store, (b, w) in truth.items():
    for _ in range(sizes[store]):
        x = rng.normal(size=3)
        y = b + np.dot(w, x) + rng.normal(scale=0.2)
        train.append((store, float("%.9f" % y), *[float("%.9f" % v) for v in x]))
order = rng.permutation(len(train))  # stores interleaved, as real rows come
train = [train[i] for i in order]
with open(os.path.join(out, "grouped-pipeline-train.csv"), "w") as f:
    f.write("store,y,x0,x1,x2\n")
    for r in train:
        f.write("%s,%.9f,%.9f,%.9f,%.9f\n" % r)

with open(os.path.join(out, "grouped-pipeline-held.csv"), "w") as f:
    f.write("id,store,x0,x1,x2\n")
    stores = list(truth) + ["nowhere"]
    for i in range(30):
        x = rng.normal(size=3)
        f.write("%d,%s,%.6f,%.6f,%.6f\n" % (i, stores[i % len(stores)], *x))

with open(os.path.join(out, "grouped-pipeline-expected.csv"), "w") as f:
    f.write("store,b,w0,w1,w2\n")
    for store in truth:
        rows = np.array([r[1:] for r in train if r[0] == store])
        A = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
        beta, *_ = np.linalg.lstsq(A, rows[:, 0], rcond=None)
        f.write("%s,%s\n" % (store, ",".join(repr(float(v)) for v in beta)))
        print(store, len(rows), beta)
