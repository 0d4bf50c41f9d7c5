#!/usr/bin/env bash
# The train job's speed comparison (issue 5): tapeline's gradient pass vs Spark MLlib 3.5's
# LinearRegression pass on the same cached data, local[2]. Figures go to BENCHMARKS.md by hand.
#
#   scripts/bench-train.sh [rows=2000000] [features=20] [passes=10] [block.size=4096] [partitions=0: balanced]
#
# Needs about 6 GB of heap for 2,000,000 x 20 (both caches at once); set BENCH_HEAP to change it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
cp_file="$(mktemp)"
# One reactor run: compiles, and writes the job module's test class path (the engine as its classes dir).
mvn -q -B -o -pl engine,job -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2
java_flags="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' pom.xml)"
# shellcheck disable=SC2086
SPARK_LOCAL_IP=127.0.0.1 java $java_flags -Xmx"${BENCH_HEAP:-6g}" \
  -cp "job/target/test-classes:job/target/classes:$(cat "$cp_file")" \
  "${BENCH_MAIN:-tapeline.job.bench.TrainBench}" "$@"
rm -f "$cp_file"
