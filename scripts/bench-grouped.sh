#!/usr/bin/env bash
# The grouped train's speed (issue 21) against scipy's L-BFGS-B per group with a numpy gradient (the
# compute of PySpark's applyInPandas pattern), measured in the same run; figures go to BENCHMARKS.md.
#
#   scripts/bench-grouped.sh                       # 100,000 groups x 200 rows x 5 features, local[2]
#   NGROUPS=10000 ROWS=200 scripts/bench-grouped.sh
#   KINDS="linear" OPTIMIZERS="lbfgs" SAMPLE=500 scripts/bench-grouped.sh
#   SKIP_BUILD=1 DATA=/tmp/groups NGROUPS=100000 ROWS=200 OPTIMIZERS="lbfgs newton" scripts/bench-grouped.sh
#
# SKIP_BUILD=1 uses the jar as built; DATA=dir keeps the generated data there and reuses it when the
# same size is asked again (generation is never part of a timed run either way). KEEP_OUT=dir keeps each
# run's output rows, sorted, to compare two jars' bits (cmp).
#
# For each loss (least squares, logistic) and optimizer: the data is generated once (Parquet, rows in
# random order; GenerateGroups), then
#   1. ./submit.sh with group.by under /usr/bin/time: the whole run's wall time (JVM start to exit,
#      everything included) and peak resident memory; the run record's groups.task_seconds.solve (the
#      tasks' time in the solver, summed) and .sort (their wait for fetched and sorted rows);
#   2. scipy on the first SAMPLE groups (one process, one core): seconds per group, compute only;
#   3. the ratios, per group per core: scipy / (solve seconds / groups), and scipy / (2 x wall / groups);
#      and the largest difference between tapeline's and scipy's parameters on the sample groups;
#   4. the run's parts from Spark's event log (scripts/grouped-load-parts.py: scan, shuffle write,
#      fetch, sort, reading into columns, solve, write; the JVM's and Spark's start; peak memory;
#      the whole wall from start to exit as a timeline that adds up: start, jobs, the driver's gaps,
#      after the last job, stop and exit), printed after the table.
# Take figures only on a quiet machine: the load is printed with them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
groups="${NGROUPS:-100000}"
rows="${ROWS:-200}"
features=5
sample="${SAMPLE:-1000}"
kinds="${KINDS:-linear logistic}"
optimizers="${OPTIMIZERS:-lbfgs}"
[ "$sample" -le "$groups" ] || sample="$groups"
work="$(mktemp -d /tmp/tapeline-bench-groups.XXXXXX)"
trap 'rm -rf "$work"' EXIT

[ -n "${SKIP_BUILD:-}" ] || mvn -q -B -DskipTests package >&2
opens="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' pom.xml)"
cp="job/target/tapeline-job_2.12-0.1.0-SNAPSHOT.jar:job/target/lib/*"  # the default Spark line (docs/spark-lines.md)
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# submit.sh keeps a class-data-sharing archive for embedded runs (docs/class-data-sharing.md) and makes
# it in the first run that finds none current, a run ~15 s slower: one untimed seed sweep first, so no
# timed run is that one (it only uses the archive when it is current). TAPELINE_CDS=0 times runs without.
if [ "${TAPELINE_CDS:-1}" != 0 ]; then
  echo "== class-data-sharing archive: made or checked by an untimed ./submit.sh conf/seed-sweep.properties" >&2
  ./submit.sh conf/seed-sweep.properties "output.path=$work/cds-warm-up" spark.ui.showConsoleProgress=false >/dev/null 2>"$work/cds-warm-up.log" \
    || { cat "$work/cds-warm-up.log" >&2; exit 1; }
fi

printf '%-9s %-6s %8s %6s %10s %10s %10s %12s %12s %9s %9s %10s %8s\n' loss opt groups rows wall_s solve_s sort_s \
  solve_us/g scipy_us/g solve_x whole_x max_dparam rss_mb > "$work/table.txt"
: > "$work/parts.txt"
for kind in $kinds; do
  data="$work/$kind"
  if [ -n "${DATA:-}" ]; then data="$DATA/$kind-$groups-$rows-$sample"; fi
  if [ -f "$data/data/_SUCCESS" ] && [ -d "$data/sample.csv" ]; then
    echo "== reusing $data" >&2
  else
    rm -rf "$data"
    echo "== generating $groups groups x $rows rows x $features features ($kind)" >&2
    # shellcheck disable=SC2086
    java $opens -Dlog4j2.configurationFile=conf/log4j2.properties -Dspark.master='local[2]' -cp "$cp" \
      tapeline.job.tools.GenerateGroups "$data" "$groups" "$rows" "$features" "$kind" "$sample" >&2
  fi
  if [ "$kind" = linear ]; then loss='(y - (b + dot(w, x)))^2'; else loss='softplus(b + dot(w, x)) - y * (b + dot(w, x))'; fi
  echo "== scipy L-BFGS-B on $sample groups ($kind)" >&2
  python3 scripts/bench-grouped-scipy.py "$data/sample.csv" "$kind" "$features" "$work/scipy-$kind.csv" > "$work/scipy-$kind.txt"
  scipy=$(awk '/scipy_seconds_per_group/ {print $2}' "$work/scipy-$kind.txt")
  grep scipy_repeats "$work/scipy-$kind.txt" >&2 || true
  for opt in $optimizers; do
    out="$work/out-$kind-$opt"
    events="$work/events-$kind-$opt"
    mkdir -p "$events"
    load="$(cat /proc/loadavg)"
    echo "== tapeline grouped train ($kind, $opt), local[2]; load: $load" >&2
    started=$(date +%s%3N)
    /usr/bin/time -v -o "$work/time.txt" ./submit.sh conf/bench-grouped.properties "input.path=$data/data" \
      "output.path=$out" "loss=$loss" "optimizer=$opt" spark.master='local[2]' \
      tolerance.grad=1e-9 spark.eventLog.enabled=true "spark.eventLog.dir=file://$events" \
      spark.eventLog.logStageExecutorMetrics=true > "$work/job.txt"
    ended=$(date +%s%3N)
    cat "$work/job.txt" >&2
    # KEEP_OUT=dir: each run's output rows, sorted, kept as dir/<kind>-<opt>-<groups>-<rows>.csv (to compare two
    # jars' bits: the same rows, byte for byte, mean the same bits, the CSV writing each double's shortest exact form)
    if [ -n "${KEEP_OUT:-}" ]; then
      mkdir -p "$KEEP_OUT"
      cat "$out"/part-* | grep -v '^g,' | LC_ALL=C sort > "$KEEP_OUT/$kind-$opt-$groups-$rows.csv"
    fi
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt" | awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$work/time.txt")
    read -r solve sort n < <(python3 - "$out/_tapeline.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
g = r["groups"]
print(g["task_seconds"]["solve"], g["task_seconds"]["sort"], g["count"])
PY
)
    dparam=$(python3 - "$out" "$work/scipy-$kind.csv" <<'PY'
import csv, glob, sys
tl = {}
for p in glob.glob(sys.argv[1] + "/part-*.csv"):
    for r in csv.DictReader(open(p)):
        if r["status"] in ("CONVERGED", "MAX_STEPS"):
            tl[r["g"]] = [float(r["b"])] + [float(r["w_%d" % j]) for j in range(5)]
worst = 0.0
for r in csv.DictReader(open(sys.argv[2])):
    if r["g"] in tl:
        sp = [float(r["b"])] + [float(r["w_%d" % j]) for j in range(5)]
        worst = max(worst, max(abs(a - b) for a, b in zip(tl[r["g"]], sp)))
print("%.2e" % worst)
PY
)
    { echo "== $kind $opt, $groups groups x $rows rows (load before: $load)"
      python3 scripts/grouped-load-parts.py "$(ls "$events"/* | head -1)" "$started" "$ended"
      python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["seconds"]; print("  the run record'"'"'s phases (driver wall s): " + ", ".join("%s %.2f" % kv for kv in s.items()))' "$out/_tapeline.json"
      echo "  peak RSS of the whole JVM (driver + both task slots): $rss MB"; echo; } >> "$work/parts.txt"
    awk -v k="$kind" -v o="$opt" -v n="$n" -v rows="$rows" -v wall="$wall" -v solve="$solve" -v sort="$sort" \
        -v scipy="$scipy" -v d="$dparam" -v rss="$rss" 'BEGIN {
      per = solve / n; whole = 2 * wall / n;
      printf "%-9s %-6s %8d %6d %10.1f %10.1f %10.1f %12.1f %12.1f %9.1f %9.1f %10s %8d\n", k, o, n, rows, wall, solve, sort,
        per * 1e6, scipy * 1e6, scipy / per, scipy / whole, d, rss }' >> "$work/table.txt"
  done
done
echo "load after: $(cat /proc/loadavg); class-data-sharing archive (submit.sh): $([ "${TAPELINE_CDS:-1}" = 0 ] && echo off || echo on)"
cat "$work/parts.txt"
cat "$work/table.txt"
