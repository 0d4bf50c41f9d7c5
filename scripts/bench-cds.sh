#!/usr/bin/env bash
# What submit.sh's class-data-sharing archive (docs/class-data-sharing.md) saves: embedded runs without
# it (TAPELINE_CDS=0) and with it, interleaved, REPS times each, under /usr/bin/time (wall, CPU = user +
# system of the whole JVM, peak RSS) with the run record's start and schema_check phases:
#
#   SKIP_BUILD=1 scripts/bench-cds.sh                 # seed sweep, per-row fit, grouped, 3 repetitions
#   SKIP_BUILD=1 REPS=5 JOBS="seed rowfit" scripts/bench-cds.sh
#
# Jobs: seed (conf/seed-sweep.properties, the README's first command); rowfit (bench-rowfit's exp3 job:
# ROWFIT_ROWS=20000 rows x 50 points, lm, local[2]); grouped (conf/bench-grouped.properties on
# GROUPED_DATA, default /tmp/load/data/linear-100000-200-300/data, newton, local[2]; skipped when absent).
# The archive is made first, in a directory of this run's own (TAPELINE_CDS_DIR), by an untimed seed
# sweep: the archive the README's first command leaves; the dumping run's own time is printed too.
# Take figures only on a quiet machine: the load is printed with each run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reps="${REPS:-3}"
jobs="${JOBS:-seed rowfit grouped}"
grouped_data="${GROUPED_DATA:-/tmp/load/data/linear-100000-200-300/data}"
work="$(mktemp -d /tmp/tapeline-bench-cds.XXXXXX)"
trap 'rm -rf "$work"' EXIT
[ -n "${SKIP_BUILD:-}" ] || ${SLOT:-} mvn -q -B -DskipTests package >&2
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
cds="$work/cds"

# One timed run: label, archive (on/off), then submit.sh's arguments; prints one line of the table.
timed() {
  local label="$1" mode="$2" load rc secs; shift 2
  rm -rf "$work/out"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  if [ "$mode" = off ]; then export TAPELINE_CDS=0; else export TAPELINE_CDS=1; fi
  TAPELINE_CDS_DIR="$cds" /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" ./submit.sh "$@" "output.path=$work/out" \
    spark.ui.showConsoleProgress=false > "$work/job.out" 2> "$work/job.err" && rc=0 || rc=$?
  [ "$rc" = 0 ] || { cat "$work/job.err" >&2; exit 1; }
  secs="$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["seconds"]; print("%.2f %.2f" % (s.get("start", 0), s.get("schema_check", 0)))' "$work/out/_tapeline.json")"
  read -r wall user sys rss < "$work/time.txt"
  awk -v l="$label" -v m="$mode" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v p="$secs" -v ld="$load" \
    'BEGIN { split(p, a, " "); printf "%-8s %-8s %8.1f %8.1f %8.2f %8.2f %8d %6s\n", l, m, w, u + s, a[1], a[2], r / 1024, ld }'
}

printf '%-8s %-8s %8s %8s %8s %8s %8s %6s\n' job archive wall_s cpu_s start_s schema_s rss_mb load1
timed seed dumping conf/seed-sweep.properties  # (no archive yet: this run makes it)
ls "$cds"/tapeline-jdk*.jsa > /dev/null || { echo "no archive was made in $cds" >&2; exit 1; }

rowfit=()
if [[ " $jobs " == *" rowfit "* ]]; then
  rows="${ROWFIT_ROWS:-20000}"
  opens="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' pom.xml)"
  python3 scripts/bench-rowfit.py gen exp3 "$rows" "$work/exp3.jsonl"
  # shellcheck disable=SC2086
  java $opens -Dlog4j2.configurationFile=conf/log4j2.properties -cp "job/target/tapeline-job_2.12-0.1.0-SNAPSHOT.jar:job/target/lib/*" \
    bench/rowfit/RowFitPeer.java parquet "$work/exp3.jsonl" "$work/exp3.parquet" 4 >&2
  cat > "$work/exp3-lm.properties" <<CONF
job = sweep
residuals = y - (a * exp(-b * x) + c)
variables = a, b, c
optimizer = lm
steps = 200
tolerance.grad = 1e-12
tolerance.step = 1e-12
tolerance.cost = 1e-12
input.path = $work/exp3.parquet
output.format = csv
show.rows = 0
spark.master = local[2]
app.name = tapeline rowfit bench
CONF
  rowfit=("$work/exp3-lm.properties" init.a=1 init.b=0.5 init.c=0)
fi
grouped=(conf/bench-grouped.properties "input.path=$grouped_data" optimizer=newton spark.master='local[2]' tolerance.grad=1e-9)

for _ in $(seq 1 "$reps"); do
  for job in $jobs; do
    for mode in off on; do
      case "$job" in
        seed) timed seed "$mode" conf/seed-sweep.properties ;;
        rowfit) timed rowfit "$mode" "${rowfit[@]}" ;;
        grouped) if [ -d "$grouped_data" ]; then timed grouped "$mode" "${grouped[@]}"; else echo "(no $grouped_data: grouped skipped)" >&2; fi ;;
      esac
    done
  done
done
echo "archive: $(du -h "$cds"/tapeline-jdk*.jsa | cut -f1) (made by the seed sweep above); load at the end: $(cat /proc/loadavg)"
