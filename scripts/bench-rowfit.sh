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
# scipy per row on the first SAMPLE rows, one fit after another in one Python process (no Spark):
# least_squares trf and lm with the exact Jacobian, minimize L-BFGS-B with a numpy gradient. And
# commons-math3's LevenbergMarquardtOptimizer per row (exp3 only: it fits least squares), the same
# model, exact Jacobian and tolerances (bench/rowfit/RowFitPeer.java), twice:
#   "commons-math3 LM"            warm, one thread, no Spark: best of 5 passes over the SAMPLE rows after
#                                 3 for the JIT (compare with "tapeline <opt> warm").
#   "commons-math3 LM in a job"   what a Java user runs: a Spark UDF that fits each row, in a Spark job on
#                                 the same Parquet (all ROWS rows), local[2], written as CSV, with the
#                                 sweep's embedded Spark settings (no web UI, LocalFiles). Timed as the
#                                 sweep is: the UDF times each fit (wall and thread CPU; not the copy of
#                                 the row's arrays) into accumulators summed over the tasks, so us/row/core
#                                 = fit seconds / rows; task_cpu/row from Spark's task metrics (CPU);
#                                 whole = 2 x the JVM's wall / rows and whole_cpu the JVM's CPU by
#                                 /usr/bin/time. It runs as java -cp <the job's class path>:<RowFitPeer
#                                 compiled> (not spark-submit: the sweep also runs embedded, from
#                                 submit.sh, so both JVMs start the same way; submit.sh's class-data-
#                                 sharing archive is used too, where the JVM accepts it). Its statuses:
#                                 CONVERGED, or FAILED (commons-math3 threw, or a parameter not finite).
#                                 Compare with "tapeline <opt>" (in the job): both pay the JIT's warm-up.
# "tapeline <opt> warm" is the engine alone on all the rows (BlockSolver in blocks of 1024, the
# job's settings), one thread, timed the same way: a row's cost once a JVM's fixed costs are paid.
# CPU columns (the same measures in thread or process CPU seconds, which a shared machine disturbs
# far less than wall): cpu_us/row the engine's (tapeline: the tasks' engine CPU / rows; peers: their
# own), task_cpu/row the task threads' whole CPU / rows (reading rows, engine, Spark's scan and writer),
# whole_cpu/row the job JVM's CPU / rows (JVM start, Spark, the JIT and GC included).
# Ratios are the peer's time per row over tapeline's, on wall and on CPU, every pair, then the like-for-
# like pairs alone (in a job against in a job, warm against warm); dparam is the largest
# |tapeline - peer| / max(1, |peer|) over the sample rows (scipy's trf rows), for commons-math3 too.
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
# submit.sh keeps a class-data-sharing archive for embedded runs (docs/class-data-sharing.md) and makes
# it in the first run that finds none current, a run ~15 s slower: one untimed seed sweep first, so no
# timed run is that one (it only uses the archive when it is current). TAPELINE_CDS=0 times runs without.
if [ "${TAPELINE_CDS:-1}" != 0 ] && [ -z "${ENGINE_ONLY:-}" ]; then
  echo "== class-data-sharing archive: made or checked by an untimed ./submit.sh conf/seed-sweep.properties" >&2
  ./submit.sh conf/seed-sweep.properties "output.path=$work/cds-warm-up" spark.ui.showConsoleProgress=false >/dev/null 2>"$work/cds-warm-up.log" \
    || { cat "$work/cds-warm-up.log" >&2; exit 1; }
fi

# RowFitPeer compiled, for the commons-math3 job: Spark's tasks load the UDF's class by name, which the
# single-file source launcher's in-memory classes do not allow.
if [ -z "${ENGINE_ONLY:-}" ] && [[ " $problems " == *" exp3 "* ]]; then
  javac -nowarn -d "$work/classes" -cp "$cp" bench/rowfit/RowFitPeer.java
fi
# submit.sh's class-data-sharing archive (made by the run above), for the commons-math3 job's JVM too: the
# sweep's JVM starts from it. The JVM takes it only where the class path starts as it did at the dump
# (same absolute paths); -Xshare:auto otherwise starts without it, as the cds line in the job's log says.
cds=()
if [ "${TAPELINE_CDS:-1}" != 0 ]; then
  a="$(ls -t job/target/cds/tapeline-jdk*.jsa 2>/dev/null | head -n 1 || true)"
  [ -z "$a" ] || cds=("-XX:SharedArchiveFile=$a" -Xshare:auto "-Xlog:cds=info:file=$work/cds-cm3job.log")
fi
# The commons-math3 job's JVM compiles as submit.sh's embedded sweep does (docs/jit.md): C1 alone with
# TAPELINE_JIT=c1, else the JVM's own (auto keeps it for a sweep); TAPELINE_JAVA_OPTS reach both.
jit=()
[ "${TAPELINE_JIT:-auto}" != c1 ] || jit=(-XX:TieredStopAtLevel=1)

# A key's seconds in microseconds, from a peer's "key seconds" lines (defined here: ENGINE_ONLY needs it too).
us() { awk -v k="$1" '$1 == k {printf "%.1f", $2 * 1e6}' "$2"; }
table="$work/table.txt"
fmt='%-8s %-26s %6s %8s %8s %12s %10s %10s %12s %12s %10s %s\n'
# shellcheck disable=SC2059
printf "$fmt" problem method rows wall_s solve_s us/row/core cpu_us/row task_cpu/row whole_us/row whole_cpu/row \
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
    case "$key" in *_cpu_seconds_per_row) continue ;; esac
    m="${key#scipy_}"; m="${m%_seconds_per_row}"
    # shellcheck disable=SC2059
    printf "$fmt" "$problem" "scipy $m" "$sample" - - "$(us "$key" "$work/scipy-$problem.txt")" \
      "$(us "scipy_${m}_cpu_seconds_per_row" "$work/scipy-$problem.txt")" - - - "$(cut -d' ' -f1 /proc/loadavg)" >> "$table"
  done < "$work/scipy-$problem.txt"
  if [ "$problem" = exp3 ]; then
    echo "== commons-math3 LevenbergMarquardtOptimizer on $sample rows; load: $(cat /proc/loadavg)" >&2
    # shellcheck disable=SC2086
    java $opens -cp "$cp" bench/rowfit/RowFitPeer.java cm3 "$work/$problem.jsonl" "$sample" "$work/cm3.csv" > "$work/cm3.txt"
    # shellcheck disable=SC2059
    printf "$fmt" "$problem" "commons-math3 LM" "$sample" - - "$(us cm3_lm_seconds_per_row "$work/cm3.txt")" \
      "$(us cm3_lm_cpu_seconds_per_row "$work/cm3.txt")" - - - "$(cut -d' ' -f1 /proc/loadavg)" \
      "$(python3 scripts/bench-rowfit.py compare-peer "$work/cm3.csv" "$work/scipy-$problem.csv" 2>/dev/null || echo -)" >> "$table"
    echo "== commons-math3 LevenbergMarquardtOptimizer in a Spark UDF, $rows rows, local[2]; load: $(cat /proc/loadavg)" >&2
    load=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S' -o "$work/time-cm3job.txt" \
      java $opens ${cds[@]+"${cds[@]}"} ${jit[@]+"${jit[@]}"} ${TAPELINE_JAVA_OPTS:-} -Dlog4j2.configurationFile=conf/log4j2.properties \
        -cp "$PWD/job/target/tapeline-job_2.12-0.1.0-SNAPSHOT.jar:$PWD/job/target/lib/*:$work/classes" \
        RowFitPeer cm3job "$work/$problem.parquet" "$work/out-cm3job" "local[2]" > "$work/cm3job.txt" 2> "$work/log-cm3job.txt" \
      || { cat "$work/log-cm3job.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    cat "$work/cm3job.txt" >&2
    if [ ${#cds[@]} -gt 0 ] && { ! grep -q "Mapped dynamic region" "$work/cds-cm3job.log" 2>/dev/null \
        || grep -qi "mismatch" "$work/cds-cm3job.log"; }; then
      echo "   (the commons-math3 job's JVM started without submit.sh's class-data-sharing archive)" >&2
    fi
    # (the fits' CSV against scipy's, as the sweep's; the failed rows are counted in the statuses)
    d=$(python3 scripts/bench-rowfit.py compare "$problem" "$work/out-cm3job" "$work/scipy-$problem.csv")
    v() { awk -v k="$1" '$1 == k {print $2}' "$work/cm3job.txt"; }
    awk -v p="$problem" -v o="commons-math3 LM in a job" -v n="$(v cm3job_rows)" -v t0="$t0" -v t1="$t1" \
        -v s="$(v cm3job_fit_seconds)" -v e="$(v cm3job_fit_cpu_seconds)" -v t="$(v cm3job_task_cpu_seconds)" \
        -v j="$(awk 'END {print $1 + $2}' "$work/time-cm3job.txt")" -v l="$load" -v d="$d" -v fmt="$fmt" 'BEGIN {
      w = t1 - t0
      printf fmt, p, o, n, sprintf("%.1f", w), sprintf("%.2f", s), sprintf("%.1f", s / n * 1e6),
        sprintf("%.1f", e / n * 1e6), sprintf("%.1f", t / n * 1e6),
        sprintf("%.1f", 2 * w / n * 1e6), sprintf("%.1f", j / n * 1e6), l, d }' >> "$table"
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
    # /usr/bin/time: the job JVM's CPU seconds (user + system), JVM start, Spark, JIT and GC included.
    /usr/bin/time -f '%U %S' -o "$work/time-$problem-$opt.txt" \
      ./submit.sh "$work/$problem-$opt.properties" "${init[@]}" > "$work/job-$problem-$opt.txt" 2> "$work/log-$problem-$opt.txt" \
      || { cat "$work/log-$problem-$opt.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    grep -E "partition [0-9]+: .* in the engine" "$work/log-$problem-$opt.txt" >&2 || true
    solve=$(sed -n 's/.* s (\([0-9.]*\) s of it in the engine.*/\1/p' "$work/log-$problem-$opt.txt" | awk '{s += $1} END {print s}')
    n=$(sed -n 's/.*partition [0-9]*: \([0-9]*\) rows, .* in the engine.*/\1/p' "$work/log-$problem-$opt.txt" | awk '{s += $1} END {print s}')
    # The tasks' CPU seconds (the task log's "CPU: engine E s, ... of T s in the task"; a jar from before
    # that log line gives "-"): the engine's, and the task thread's whole (reading, engine, Spark's scan and writer).
    ecpu=$(sed -n 's/.*CPU: engine \([0-9.]*\) s.*/\1/p' "$work/log-$problem-$opt.txt" | awk '{s += $1} END {if (NR) print s}')
    tcpu=$(sed -n 's/.* of \([0-9.]*\) s in the task.*/\1/p' "$work/log-$problem-$opt.txt" | awk '{s += $1} END {if (NR) print s}')
    jcpu=$(awk 'END {print $1 + $2}' "$work/time-$problem-$opt.txt")
    d=$(python3 scripts/bench-rowfit.py compare "$problem" "$out" "$work/scipy-$problem.csv")
    awk -v p="$problem" -v o="tapeline $opt" -v n="$n" -v t0="$t0" -v t1="$t1" -v s="$solve" -v l="$load" -v d="$d" \
        -v e="${ecpu:--}" -v t="${tcpu:--}" -v j="$jcpu" -v fmt="$fmt" 'BEGIN {
      w = t1 - t0
      printf fmt, p, o, n, sprintf("%.1f", w), sprintf("%.2f", s), sprintf("%.1f", s / n * 1e6),
        e == "-" ? "-" : sprintf("%.1f", e / n * 1e6), t == "-" ? "-" : sprintf("%.1f", t / n * 1e6),
        sprintf("%.1f", 2 * w / n * 1e6), sprintf("%.1f", j / n * 1e6), l, d }' >> "$table"
    fi
    # The engine alone on the same rows, one thread, warm (as commons-math3 is measured): what a row costs
    # once the JVM's fixed costs (start, JIT) are paid, which a job of 2,000 rows does not amortise.
    # shellcheck disable=SC2086
    java $opens -cp "$cp" bench/rowfit/RowFitPeer.java engine "$problem" "$work/$problem.jsonl" "$rows" "$opt" > "$work/engine.txt"
    # shellcheck disable=SC2059
    printf "$fmt" "$problem" "tapeline $opt warm" "$rows" - - "$(us "engine_${opt}_seconds_per_row" "$work/engine.txt")" \
      "$(us "cpu_per_row_engine_${opt}" "$work/engine.txt")" - - - "$(cut -d' ' -f1 /proc/loadavg)" >> "$table"
    if [ -n "${INTERPRETED:-}" ]; then
      # shellcheck disable=SC2086
      java $opens -cp "$cp" bench/rowfit/RowFitPeer.java engine "$problem" "$work/$problem.jsonl" "$rows" "$opt" interpreted > "$work/engine.txt"
      # shellcheck disable=SC2059
      printf "$fmt" "$problem" "tapeline $opt warm interp" "$rows" - - "$(us "engine_${opt}_seconds_per_row" "$work/engine.txt")" \
        "$(us "cpu_per_row_engine_${opt}" "$work/engine.txt")" - - - "$(cut -d' ' -f1 /proc/loadavg)" >> "$table"
    fi
  done
done
echo
cat "$table"
cat <<'LEGEND'
(scipy: per fit, one after another in one Python process, no Spark, the first SAMPLE rows. commons-math3 LM:
 warm, one thread, no Spark, the SAMPLE rows. commons-math3 LM in a job: a Spark UDF per row, local[2], all
 rows, the UDF's fit time summed over tasks / rows. tapeline <opt>: the sweep job, local[2], all rows, the
 engine's time summed over tasks / rows. tapeline <opt> warm: the engine alone, one thread, no Spark.)
LEGEND
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
    cpu = float(r[i + 4]) if r[i + 4] != "-" else None
    by.setdefault(problem, []).append((method, us, cpu))
for col, name in ((1, "wall"), (2, "cpu")):
    print("ratios on %s seconds per row (%s):" % (name, "us/row/core" if col == 1 else "cpu_us/row"))
    for problem, ms in by.items():
        peers = [(m[0], m[col]) for m in ms if not m[0].startswith("tapeline") and m[col]]
        for m in ms:
            if m[0].startswith("tapeline") and m[col]:
                print("%-8s %-20s " % (problem, m[0]) + "  ".join("%s %.2fx" % (pm, pus / m[col]) for pm, pus in peers))
        # like for like: a job against a job (both pay Spark and the JIT's warm-up), warm against warm
        d = {m[0]: m[col] for m in ms}
        for m in ms:
            if not m[0].startswith("tapeline") or not m[col] or m[0].endswith(" interp"):
                continue
            peer = "commons-math3 LM" + ("" if m[0].endswith(" warm") else " in a job")
            if d.get(peer):
                print("%-8s %-20s %s %.2fx   (like for like)" % (problem, m[0], peer, d[peer] / m[col]))
        # compiled element tape against the interpreter, same run (INTERPRETED=1)
        for m in ms:
            base = m[0][:-len(" interp")]
            if m[0].endswith(" warm interp") and d.get(base) and m[col]:
                print("%-8s %-20s compiled is %.2fx faster than interpreted" % (problem, base, m[col] / d[base]))
PY
echo "load at the end: $(cat /proc/loadavg); class-data-sharing archive (submit.sh): $([ "${TAPELINE_CDS:-1}" = 0 ] && echo off || echo on)"
