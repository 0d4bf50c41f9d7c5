#!/usr/bin/env bash
# The sweep job's throughput against the engine's, measured in the same run (BENCHMARKS.md).
#
#   scripts/bench-sweep.sh            # 1,000,000 random quadratics x 1000 Adam steps, float64, local[2]
#   ROWS=200000 scripts/bench-sweep.sh
#   STEPS=10000 scripts/bench-sweep.sh   # more steps per row: the job's fixed cost per row weighs less;
#                                        # the engine is then measured at 10,000 steps too (engineLongRun)
#
# 1. JMH: the engine's single-thread rate on the same problem (SweepBenchmark.engine, config-steps/s),
#    and the hand-written loop's (SweepBenchmark.handWritten); then the engine on two threads at once
#    (-t 2), which is what two cores actually give (on the development machine, not twice one thread).
# 2. The sweep job through submit.sh on embedded Spark local[2] (read Parquet, sweep, write Parquet),
#    under /usr/bin/time for the JVM's peak resident memory; the job prints config-steps/s.
# 3. The same job warm (SweepBench: the sweep run 2 + 5 times in one JVM, as JMH warms the engine),
#    and warm into Spark's noop sink (no Parquet encoding, no commit) to show what the writing costs.
# 4. The ratios: job rate / (2 x engine single-thread rate), cold and warm. Then the same sweep once
#    more in one partition with a 512 MiB heap: memory is bounded by block.size, not by the partition.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rows="${ROWS:-1000000}"
steps="${STEPS:-1000}"  # the job's steps per row
# The engine's JMH rate at the same steps per row where there is a benchmark for them (1000 and 10,000).
bench=engine
[ "$steps" = 10000 ] && bench=engineLongRun
work="$(mktemp -d /tmp/tapeline-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

mvn -q -B -DskipTests package >&2
cp_file="$work/test-classpath"
# The job module's test class path, for SweepBench (a test-scope tool, like TrainBench).
mvn -q -B -pl engine,job -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2
opens="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' pom.xml)"
cp="job/target/tapeline-job_2.12-0.1.0-SNAPSHOT.jar:job/target/lib/*"  # the default Spark line (docs/spark-lines.md)

export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
echo "== generating $rows quadratics" >&2
# shellcheck disable=SC2086
java $opens -Dlog4j2.configurationFile=conf/log4j2.properties -Dspark.master='local[2]' -cp "$cp" \
  tapeline.job.tools.GenerateQuadratics "$work/in.parquet" "$rows" 42 >&2

echo "== JMH: engine and hand-written loop, one thread" >&2
java -jar bench/target/benchmarks.jar "SweepBenchmark.($bench|handWritten)\$" -f 1 -wi 3 -w 2 -i 5 -r 2 -rf csv -rff "$work/jmh.csv" >&2
engine=$(awk -F, "/SweepBenchmark.$bench\"/ {print \$5}" "$work/jmh.csv")
hand=$(awk -F, '/SweepBenchmark.handWritten"/ {print $5}' "$work/jmh.csv")
java -jar bench/target/benchmarks.jar "SweepBenchmark.$bench\$" -p optimizer=adam -t 2 -f 1 -wi 3 -w 2 -i 5 -r 2 \
  -rf csv -rff "$work/jmh2.csv" >&2
engine2=$(awk -F, "/SweepBenchmark.$bench\"/ {print \$5}" "$work/jmh2.csv")

# submit.sh keeps a class-data-sharing archive for embedded runs (docs/class-data-sharing.md) and makes
# it in the first run that finds none current, a run ~15 s slower: one untimed seed sweep first, so no
# timed run is that one (it only uses the archive when it is current). TAPELINE_CDS=0 times runs without.
if [ "${TAPELINE_CDS:-1}" != 0 ]; then
  echo "== class-data-sharing archive: made or checked by an untimed ./submit.sh conf/seed-sweep.properties" >&2
  ./submit.sh conf/seed-sweep.properties "output.path=$work/cds-warm-up" spark.ui.showConsoleProgress=false >/dev/null 2>"$work/cds-warm-up.log" \
    || { cat "$work/cds-warm-up.log" >&2; exit 1; }
fi
echo "== sweep job, local[2]" >&2
/usr/bin/time -v -o "$work/time.txt" ./submit.sh conf/bench-sweep.properties "input.path=$work/in.parquet" \
  "output.path=$work/out" spark.master='local[2]' "steps=$steps" > "$work/job.txt"
cat "$work/job.txt" >&2
job=$(sed -n 's/.*(\([0-9,]*\) config-steps\/s).*/\1/p' "$work/job.txt" | tr -d ,)
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")

echo "== sweep job, warm: 2 warm-up runs, 5 measured, local[2]" >&2
# shellcheck disable=SC2086
java $opens -Dlog4j2.configurationFile=conf/log4j2.properties \
  -cp "job/target/test-classes:job/target/classes:engine/target/classes:$(cat "$cp_file")" \
  tapeline.job.bench.SweepBench conf/bench-sweep.properties "$work/in.parquet" "$work/warm" 2 5 "steps=$steps" | tee "$work/warm.txt" >&2
warm=$(sed -n 's/^warm sweep job.*: \([0-9.e+]*\) config-steps\/s$/\1/p' "$work/warm.txt")
noop=$(sed -n 's/^warm sweep, noop sink, median: \([0-9.]*\) s$/\1/p' "$work/warm.txt")

echo "== sweep job, one partition, -Xmx512m, block.size 1024" >&2
TAPELINE_JAVA_OPTS="-Xmx512m" /usr/bin/time -v -o "$work/time1.txt" ./submit.sh conf/bench-sweep.properties \
  "input.path=$work/in.parquet" "output.path=$work/out1" spark.master='local[1]' "steps=$steps" \
  spark.sql.files.maxPartitionBytes=1073741824 > "$work/job1.txt"
rss1=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time1.txt")

awk -v b="$bench" -v e="$engine" -v e2="$engine2" -v h="$hand" -v j="$job" -v w="$warm" -v z="$noop" -v r="$rss" -v r1="$rss1" -v n="$rows" -v st="$steps" 'BEGIN {
  printf "rows                               %d x %d steps\n", n, st
  printf "engine, 1 thread (JMH, %s)  %.3g config-steps/s\n", b, e
  if (b == "engine") printf "hand-written loop, 1 thread (JMH)  %.3g config-steps/s   engine/hand = %.2f (hand/engine time ratio %.2f)\n", h, e / h, h / e
  else printf "hand-written loop, 1 thread (JMH)  %.3g config-steps/s   at 1000 steps: not comparable with %s (Interleaved sweep compares them)\n", h, b
  printf "engine, 2 threads at once (JMH)    %.3g config-steps/s   = %.2f x one thread\n", e2, e2 / e
  printf "sweep job, local[2], cold JVM      %.3g config-steps/s   / (2 x engine) = %.2f   / engine on 2 threads = %.2f\n", j, j / (2 * e), j / e2
  printf "sweep job, local[2], warm JVM      %.3g config-steps/s   / (2 x engine) = %.2f   / engine on 2 threads = %.2f\n", w, w / (2 * e), w / e2
  printf "  the same into a noop sink        %.3g config-steps/s   / (2 x engine) = %.2f   / engine on 2 threads = %.2f  (%.2f s)\n", n * st / z, n * st / z / (2 * e), n * st / z / e2, z
  printf "peak RSS, local[2]                 %d MiB\n", r / 1024
  printf "peak RSS, 1 partition, -Xmx512m    %d MiB\n", r1 / 1024
}'
