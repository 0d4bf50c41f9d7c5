#!/usr/bin/env bash
# The grouped train's reduce side, A/B: a base checkout's jar (BASE, e.g. main's) against this
# worktree's, runs interleaved (base, new, base, new, ..), the same data and config. Per run: the
# machine's load before it, the whole run's wall, the map stages' and the result stage's CPU seconds
# summed over their tasks and the shuffle's bytes (Spark's event log), and the run record's groups.task_seconds parts (sort, sort_cpu, read, read_cpu,
# order, solve_cpu). Then whether every run's output is the same bits (the sorted CSV lines' digest).
#
#   BASE=/work/main RUNS=3 scripts/bench-grouped-order.sh
#   SKIP_BUILD=1 BASE=/path/to/other/checkout scripts/bench-grouped-order.sh
#
# BASE_ARGS / NEW_ARGS: more config or spark.* keys for the base's / this worktree's runs only, e.g.
#   SKIP_BUILD=1 BASE=/work/main NEW_ARGS="spark.shuffle.compress=false" scripts/bench-grouped-order.sh
# (the shuffle's codec on and off: BASE the same checkout as this one to time one jar both ways).
# DATA (default /tmp/load/data/linear-100000-200-300: a directory with data/ in it), OPTIMIZER (newton),
# WORK (/tmp/bench-grouped-order). Both checkouts' jars must be built (mvn -DskipTests package -pl job -am);
# without SKIP_BUILD=1 this worktree's is built first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${BASE:?BASE=<a checkout whose job jar is built, e.g. /work/main>}"
runs="${RUNS:-3}"
data="${DATA:-/tmp/load/data/linear-100000-200-300}"
opt="${OPTIMIZER:-newton}"
work="${WORK:-/tmp/bench-grouped-order}"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then (cd "$here" && mvn -q -B -DskipTests package -pl job -am); fi
rm -rf "$work" && mkdir -p "$work"

one() { # label dir i [more keys]
  local label="$1" dir="$2" i="$3" out="$work/out-$1-$3" ev="$work/ev-$1-$3"
  shift 3
  mkdir -p "$ev"
  local load; load="$(cut -d' ' -f1-3 /proc/loadavg)"
  local t0; t0=$(date +%s.%N)
  (cd "$dir" && ./submit.sh "$here/conf/bench-grouped.properties" "input.path=$data/data" "output.path=$out" \
     "optimizer=$opt" "spark.master=local[2]" tolerance.grad=1e-9 spark.eventLog.enabled=true \
     "spark.eventLog.dir=file://$ev" "$@") > "$work/log-$label-$i.txt" 2>&1
  local t1; t1=$(date +%s.%N)
  python3 - "$label" "$i" "$load" "$(echo "$t1 - $t0" | bc)" "$out" "$(ls "$ev"/* | head -1)" <<'PY'
import hashlib, json, sys, glob
label, i, load, wall, out, log = sys.argv[1:]
cpu = {}
shuffled = 0
for line in open(log):
    e = json.loads(line)
    if e["Event"] == "SparkListenerTaskEnd" and e.get("Task Metrics"):
        cpu[e["Stage ID"]] = cpu.get(e["Stage ID"], 0) + e["Task Metrics"]["Executor CPU Time"] / 1e9
        shuffled += e["Task Metrics"]["Shuffle Write Metrics"]["Shuffle Bytes Written"]
result_stage = max(cpu)  # the last stage: fetch, sort, read into columns, solve, write
map_cpu = sum(v for s, v in cpu.items() if s != result_stage)  # the read, the map side's packing, the shuffle's write
t = json.load(open(out + "/_tapeline.json"))["groups"]["task_seconds"]
lines = sorted(l for f in glob.glob(out + "/part-*.csv") for l in open(f))
digest = hashlib.sha256("".join(lines).encode()).hexdigest()[:12] if lines else "-"
print("%-5s %2s  load %-15s wall %6.1f  map_cpu %5.2f  shuffle_mb %5.0f  result_cpu %5.2f  sort %5.2f (cpu %4.2f)  read %5.2f (cpu %4.2f)  order %5.2f  solve_cpu %4.2f  out %s"
      % (label, i, load, float(wall), map_cpu, shuffled / 1e6, cpu[result_stage], t["sort"], t["sort_cpu"], t["read"], t["read_cpu"],
         t["order"], t["solve_cpu"], digest))
PY
}
for i in $(seq 1 "$runs"); do
  # shellcheck disable=SC2086 # BASE_ARGS and NEW_ARGS are lists of keys
  one base "$base" "$i" ${BASE_ARGS:-}
  # shellcheck disable=SC2086
  one new "$here" "$i" ${NEW_ARGS:-}
done | tee "$work/summary.txt"
echo "outputs: $(awk '{print $NF}' "$work/summary.txt" | sort -u | wc -l) distinct digest(s) over $((2 * runs)) runs (1: the same bits)"
