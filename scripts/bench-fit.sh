#!/usr/bin/env bash
# Issue 16: the wall time of a whole fit, tapeline lbfgs/owlqn vs Spark MLlib 3.5 (LinearRegression,
# LogisticRegression) on the same cached rows, local[2], and the gradient passes each took. Figures
# go to BENCHMARKS.md by hand.
#
#   scripts/bench-fit.sh [rows=2000000] [features=20] [problems=ls,logistic,enet]
#
# Same build and JVM as bench-train.sh (BENCH_HEAP, default 6g).
BENCH_MAIN=tapeline.job.bench.FitBench exec "$(dirname "${BASH_SOURCE[0]}")/bench-train.sh" "$@"
