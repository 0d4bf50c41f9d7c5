#!/usr/bin/env bash
# The grouped train's map side (read, pack into chunks, shuffle write): CPU seconds of the map stage
# (Spark's executor CPU time summed over its tasks, from the event log: scripts/grouped-load-parts.py),
# for several jars, run interleaved (A B A B ...) so that a change of the machine's load touches each alike.
# Every run also hashes its output (the rows, sorted): the jars must give the same bits.
#
#   SKIP_BUILD=1 JARS="main=/work/main/job/target new=job/target" ROUNDS=3 scripts/bench-grouped-mapside.sh
#
# JARS: label=dir pairs, each dir a job/target holding tapeline-job_2.12-*.jar and lib/ (default: this
# worktree's job/target alone, built first unless SKIP_BUILD=1). A label may carry JVM flags after a
# colon: "g1=job/target:-XX:+UseG1GC". DATA: the Parquet input (default: the issue's size,
# 100,000 groups x 200 rows, as scripts/bench-grouped.sh leaves it with DATA=/tmp/load/data). OPTIMIZER
# (newton), MASTER (local[2]), WORK (scratch, /tmp/bench-grouped-mapside). Prints one line a run and, per
# label, the median map-stage CPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
jars="${JARS:-new=$here/job/target}"
rounds="${ROUNDS:-3}"
data="${DATA:-/tmp/load/data/linear-100000-200-300/data}"
optimizer="${OPTIMIZER:-newton}"
master="${MASTER:-local[2]}"
work="${WORK:-/tmp/bench-grouped-mapside}"
if [ -z "${SKIP_BUILD:-}" ]; then mvn -q -B -DskipTests package -pl job -am; fi
[ -f "$data/_SUCCESS" ] || { echo "no data at $data (scripts/bench-grouped.sh with DATA=... makes it)" >&2; exit 2; }
flags="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$here/pom.xml")"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
mkdir -p "$work"
results="$work/results.txt"
: > "$results"
printf '%-10s %5s %8s %8s %8s %8s %8s  %-16s %s\n' label round map_cpu map_run map_wall scan_s all_cpu output load >&2
for round in $(seq 1 "$rounds"); do
  for spec in $jars; do
    label="${spec%%=*}"; rest="${spec#*=}"; dir="${rest%%:*}"; opts=""
    [[ "$rest" == *:* ]] && opts="${rest#*:}"
    jar="$(ls "$dir"/tapeline-job_2.12-*.jar | grep -v original | head -1)"
    w="$work/$label-$round"; rm -rf "$w"; mkdir -p "$w/events"
    load="$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
    started=$(date +%s%3N)
    # shellcheck disable=SC2086
    java $flags $opts -Dlog4j2.configurationFile="$here/conf/log4j2.properties" -cp "$jar:$dir/lib/*" tapeline.job.Main \
      "$here/conf/bench-grouped.properties" "input.path=$data" "output.path=$w/out" "optimizer=$optimizer" \
      "spark.master=$master" tolerance.grad=1e-9 spark.eventLog.enabled=true "spark.eventLog.dir=file://$w/events" \
      spark.eventLog.logStageExecutorMetrics=true > "$w/job.txt" 2> "$w/err.txt" || { echo "run $label $round failed: $w/err.txt" >&2; exit 1; }
    python3 scripts/grouped-load-parts.py "$(ls "$w"/events/* | head -1)" "$started" > "$w/parts.txt"
    out="$(cat "$w"/out/part-* | sort | sha256sum | cut -c1-16)"
    python3 - "$w/parts.txt" "$label" "$round" "$out" "$load" <<'PY' | tee -a "$results" >&2
import re, sys
parts, label, rnd, out, load = sys.argv[1:]
mapline = scan = None; cpu_all = 0.0
for line in open(parts):
    f = line.split()
    if re.match(r"^\d+\s", line) and len(f) >= 6:
        cpu_all += float(f[-3])
        if "GroupedTrainJob" in line and mapline is None: mapline = f
    if "scan (Parquet read" in line: scan = float(f[-1])
print("%-10s %5s %8.2f %8.2f %8.2f %8.2f %8.2f  %-16s %s" % (label, rnd, float(mapline[-3]), float(mapline[-4]),
      float(mapline[-5]), scan or 0.0, cpu_all, out, load))
PY
  done
done
echo "load after: $(cat /proc/loadavg)" >&2
python3 - "$results" <<'PY'
import collections, statistics, sys
runs = collections.OrderedDict()
outs = collections.defaultdict(set)
for line in open(sys.argv[1]):
    f = line.split()
    runs.setdefault(f[0], []).append(float(f[2])); outs[f[0]].add(f[7])
print("%-10s %6s %12s %s" % ("label", "runs", "map_cpu_med", "all map-stage CPU s"))
for k, v in runs.items():
    print("%-10s %6d %12.2f %s" % (k, len(v), statistics.median(v), " ".join("%.2f" % x for x in v)))
allouts = set().union(*outs.values())
print("outputs: " + ("the same bits in every run (" + allouts.pop() + ")" if len(allouts) == 1 else "DIFFER: " + str(dict(outs))))
PY
