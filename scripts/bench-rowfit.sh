#!/usr/bin/env bash
# Per-row curve fits against scipy per row and commons-math3 per row (issue 23's speed), in one run:
#
#   scripts/bench-rowfit.sh                          # 2,000 rows of each problem, local[2]
#   SKIP_BUILD=1 scripts/bench-rowfit.sh             # against the jar already built (e.g. from main)
#   ROWS=2000 SAMPLE=200 PROBLEMS="exp3" OPTIMIZERS="lm trust" scripts/bench-rowfit.sh
#   INTERPRETED=1 SKIP_BUILD=1 scripts/bench-rowfit.sh  # also "tapeline <opt> warm interp": the engine with
#                                                      # engine.codegen = false in the same run
#   ENGINE_ONLY=1 ...                                # only the warm engine lines (no Spark job, no scipy)
#
# Problems (scripts/bench-rowfit.py says exactly what they are; data under /tmp, never committed):
#   exp3      residuals = y - (a * exp(-b * x) + c), 50 points per row (array columns x, y)
#   logistic  cost = sum(softplus(m) - y * m), m = b + w1 * x1 + ... + w5 * x5, 200 points per row
# Both as Parquet (array columns), ROWS rows in 4 files. For each optimizer (lm only where the cost is
# residuals) the sweep runs through ./submit.sh on local[2]; its tasks' log lines give the seconds spent
# in the engine, summed over tasks: per-row per-core time = engine seconds / rows (solve only), and
# whole = 2 x wall / rows (JVM start, reading, writing included). In the same run, one core each:
# scipy per row on the first SAMPLE rows (least_squares trf and lm with the exact Jacobian, minimize
# L-BFGS-B with a numpy gradient) and commons-math3's LevenbergMarquardtOptimizer per row (exp3 only:
# it fits least squares), bench/rowfit/RowFitPeer.java, timed warm (best of 5 passes after 3 for the
# JIT). "tapeline <opt> warm" is the engine alone on all the rows (BlockSolver in blocks of 1024, the
# job's settings), one thread, timed the same way: a row's cost once a JVM's fixed costs are paid.
# Ratios are the peer's time per row over tapeline's; dparam is the largest
# |tapeline - peer| / max(1, |peer|) over the sample rows.
# Take figures only on a quiet machine: the load is printed with them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rows="${ROWS:-2000}"
sample="${SAMPLE:-200}"
problems="${PROBLEMS:-exp3 logistic}"
optimizers="${OPTIMIZERS:-newton lm trust}"
steps="${STEPS:-200}"
work="$(mktemp -d /tmp/tapeline-bench-rowfit.XXXXXX)"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

[ -n "${SKIP_BUILD:-}" ] || ${SLOT:-} mvn -q -B -DskipTests package >&2
opens="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' pom.xml)"
cp="job/target/tapeline-job_2.12-0.1.0-SNAPSHOT.jar:job/target/lib/*"  # the default Spark line (docs/spark-lines.md)
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

table="$work/table.txt"
printf '%-8s %-22s %6s %8s %8s %12s %12s %10s %s\n' problem method rows wall_s solve_s us/row/core whole_us/row \
  load1 "dparam vs scipy, statuses" > "$table"
for problem in $problems; do
  echo "== generating $rows rows ($problem)" >&2
  python3 scripts/bench-rowfit.py gen "$problem" "$rows" "$work/$problem.jsonl"
  if [ -z "${ENGINE_ONLY:-}" ]; then
  # shellcheck disable=SC2086
  java $opens -Dlog4j2.configurationFile=conf/log4j2.properties -cp "$cp" bench/rowfit/RowFitPeer.java parquet \
    "$work/$problem.jsonl" "$work/$problem.parquet" 4 >&2
  echo "== scipy on $sample rows ($problem); load: $(cat /proc/loadavg)" >&2
  python3 scripts/bench-rowfit.py scipy "$problem" "$work/$problem.jsonl" "$sample" "$work/scipy-$problem.csv" > "$work/scipy-$problem.txt"
  while read -r key secs; do
    m="${key#scipy_}"; m="scipy ${m%_seconds_per_row}"
    printf '%-8s %-22s %6d %8s %8s %12.1f %12s %10s\n' "$problem" "$m" "$sample" - - "$(awk -v s="$secs" 'BEGIN{print s*1e6}')" - \
      "$(cut -d' ' -f1 /proc/loadavg)" >> "$table"
  done < "$work/scipy-$problem.txt"
  if [ "$problem" = exp3 ]; then
    echo "== commons-math3 LevenbergMarquardtOptimizer on $sample rows; load: $(cat /proc/loadavg)" >&2
    # shellcheck disable=SC2086
    java $opens -cp "$cp" bench/rowfit/RowFitPeer.java cm3 "$work/$problem.jsonl" "$sample" "$work/cm3.csv" > "$work/cm3.txt"
    cm3=$(awk '/cm3_lm_seconds_per_row/ {print $2}' "$work/cm3.txt")
    printf '%-8s %-22s %6d %8s %8s %12.1f %12s %10s %s\n' "$problem" "commons-math3 LM" "$sample" - - \
      "$(awk -v s="$cm3" 'BEGIN{print s*1e6}')" - "$(cut -d' ' -f1 /proc/loadavg)" \
      "$(python3 scripts/bench-rowfit.py compare-peer "$work/cm3.csv" "$work/scipy-$problem.csv" 2>/dev/null || echo -)" >> "$table"
  fi
  fi
  if [ "$problem" = exp3 ]; then
    fit='residuals = y - (a * exp(-b * x) + c)'; vars='a, b, c'; init=(init.a=1 init.b=0.5 init.c=0)
  else
    m='(b + w1 * x1 + w2 * x2 + w3 * x3 + w4 * x4 + w5 * x5)'
    fit="cost = sum(softplus($m) - y * $m)"; vars='b, w1, w2, w3, w4, w5'; init=()
  fi
  for opt in $optimizers; do
    if [ "$opt" = lm ] && [ "$problem" != exp3 ]; then continue; fi  # lm needs residuals
    out="$work/out-$problem-$opt"
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "== tapeline sweep ($problem, $opt), local[2]; load: $(cat /proc/loadavg)" >&2
    cat > "$work/$problem-$opt.properties" <<CONF
job = sweep
${fit}
variables = ${vars}
optimizer = ${opt}
steps = ${steps}
tolerance.grad = 1e-9
tolerance.step = 1e-12
tolerance.cost = 1e-12
input.path = $work/$problem.parquet
output.path = $out
output.format = csv
show.rows = 0
spark.master = local[2]
app.name = tapeline rowfit bench
CONF
    if [ "$opt" = lm ]; then sed -i 's/^tolerance.grad = .*/tolerance.grad = 1e-12/' "$work/$problem-$opt.properties"; fi
    if [ "$opt" != lm ]; then sed -i "/^tolerance.cost/d; s/^tolerance.step = .*/tolerance.step = 0/" "$work/$problem-$opt.properties"; fi
    if [ -z "${ENGINE_ONLY:-}" ]; then
    t0=$(date +%s.%N)
    ./submit.sh "$work/$problem-$opt.properties" "${init[@]}" > "$work/job-$problem-$opt.txt" 2> "$work/log-$problem-$opt.txt" \
      || { cat "$work/log-$problem-$opt.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    grep -E "partition [0-9]+: .* in the engine" "$work/log-$problem-$opt.txt" >&2 || true
    solve=$(sed -n 's/.* s (\([0-9.]*\) s of it in the engine.*/\1/p' "$work/log-$problem-$opt.txt" | awk '{s += $1} END {print s}')
    n=$(sed -n 's/.*partition [0-9]*: \([0-9]*\) rows, .* in the engine.*/\1/p' "$work/log-$problem-$opt.txt" | awk '{s += $1} END {print s}')
    d=$(python3 scripts/bench-rowfit.py compare "$problem" "$out" "$work/scipy-$problem.csv")
    awk -v p="$problem" -v o="tapeline $opt" -v n="$n" -v t0="$t0" -v t1="$t1" -v s="$solve" -v l="$load" -v d="$d" 'BEGIN {
      w = t1 - t0; printf "%-8s %-22s %6d %8.1f %8.2f %12.1f %12.1f %10s %s\n", p, o, n, w, s, s / n * 1e6, 2 * w / n * 1e6, l, d }' >> "$table"
    fi
    # The engine alone on the same rows, one thread, warm (as commons-math3 is measured): what a row costs
    # once the JVM's fixed costs (start, JIT) are paid, which a job of 2,000 rows does not amortise.
    # shellcheck disable=SC2086
    java $opens -cp "$cp" bench/rowfit/RowFitPeer.java engine "$problem" "$work/$problem.jsonl" "$rows" "$opt" > "$work/engine.txt"
    warm=$(awk '/engine_.*_seconds_per_row/ {print $2}' "$work/engine.txt")
    printf '%-8s %-22s %6d %8s %8s %12.1f %12s %10s\n' "$problem" "tapeline $opt warm" "$rows" - - \
      "$(awk -v s="$warm" 'BEGIN{print s*1e6}')" - "$(cut -d' ' -f1 /proc/loadavg)" >> "$table"
    if [ -n "${INTERPRETED:-}" ]; then
      # shellcheck disable=SC2086
      java $opens -cp "$cp" bench/rowfit/RowFitPeer.java engine "$problem" "$work/$problem.jsonl" "$rows" "$opt" interpreted > "$work/engine.txt"
      warm=$(awk '/engine_.*_seconds_per_row/ {print $2}' "$work/engine.txt")
      printf '%-8s %-22s %6d %8s %8s %12.1f %12s %10s\n' "$problem" "tapeline $opt warm interp" "$rows" - - \
        "$(awk -v s="$warm" 'BEGIN{print s*1e6}')" - "$(cut -d' ' -f1 /proc/loadavg)" >> "$table"
    fi
  done
done
echo
cat "$table"
echo
# Same-run ratios: each peer's time per row over each tapeline optimizer's (solve only, per core).
python3 - "$table" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:] if l.strip()]
by = {}
for r in rows:
    problem = r[0]
    # method names have spaces: the fields after them are fixed in number from the 'rows' column on
    i = next(k for k in range(2, len(r)) if r[k].isdigit())
    method, us = " ".join(r[1:i]), float(r[i + 3])
    by.setdefault(problem, []).append((method, us))
for problem, ms in by.items():
    peers = [(m, us) for m, us in ms if not m.startswith("tapeline")]
    for m, us in ms:
        if m.startswith("tapeline"):
            print("%-8s %-16s " % (problem, m) + "  ".join("%s %.2fx" % (pm, pus / us) for pm, pus in peers))
    # compiled element tape against the interpreter, same run (INTERPRETED=1)
    d = dict(ms)
    for m, us in ms:
        if m.endswith(" warm interp") and m[:-len(" interp")] in d:
            print("%-8s %-16s compiled is %.2fx faster than interpreted" % (problem, m[:-len(" interp")], us / d[m[:-len(" interp")]]))
PY
echo "load at the end: $(cat /proc/loadavg)"
