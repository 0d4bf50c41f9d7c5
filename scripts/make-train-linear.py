#!/usr/bin/env python3
"""Writes data/train_linear.csv: 2,000 rows of y = 0.5 + w.x + noise, w = (2, -1, 0.5, 3, -2), noise sd 0.01.

Deterministic (seeded); rerun to regenerate. conf/train-linear.properties fits it.
"""
import random

rng = random.Random(20240605)
b, w = 0.5, [2.0, -1.0, 0.5, 3.0, -2.0]
with open("data/train_linear.csv", "w") as f:
    f.write("y," + ",".join(f"x{i}" for i in range(len(w))) + "\n")
    for _ in range(2000):
        x = [round(rng.gauss(0, 1), 4) for _ in w]
        y = b + sum(wi * xi for wi, xi in zip(w, x)) + rng.gauss(0, 0.01)
        f.write(f"{y:.6f}," + ",".join(f"{v:.4f}" for v in x) + "\n")
