#!/usr/bin/env bash
# Where the JIT's time goes in one job: runs ./submit.sh with every JIT compilation recorded (JFR,
# jdk.Compilation at a 0 ms threshold, jdk.Deoptimization) and -XX:+CITime, then prints the job
# JVM's CPU seconds (/usr/bin/time), the JIT's totals, and the compile time by owner (tapeline's
# engine, job and generated classes, Spark's generated code, Spark, Parquet, Hadoop, Scala, the JDK),
# the top methods and the deoptimisations (scripts/jit-profile.py).
#
#   scripts/jit-profile.sh conf/bench-grouped.properties input.path=/tmp/load/data/linear-100000-200-300/data \
#       output.path=/tmp/x/out optimizer=newton spark.master='local[2]' tolerance.grad=1e-9
#
# OUT=dir keeps the recording, the job's stdout/stderr and the table there (default: a new /tmp dir);
# TOP=n methods (default 25); TAPELINE_JAVA_OPTS is passed on (a flag to compare, e.g. -XX:+UseParallelGC).
# JFR's durations are per compilation and wall-clock: on a loaded machine they grow with the load;
# the counts, code sizes and shares are the robust part. Label figures with the load printed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$(mktemp -d /tmp/tapeline-jit-profile.XXXXXX)}"
mkdir -p "$out"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
# The JDK's default settings with every compilation recorded (the default keeps those over 1 s).
sed '/<event name="jdk.Compilation">/,/<\/event>/ s/<setting name="threshold"[^>]*>[^<]*</<setting name="threshold">0 ms</' \
    "$java_home/lib/jfr/default.jfc" > "$out/compilations.jfc"
echo "load before: $(cat /proc/loadavg)" | tee "$out/table.txt"
TAPELINE_JAVA_OPTS="${TAPELINE_JAVA_OPTS:-} -XX:+CITime -XX:StartFlightRecording=filename=$out/run.jfr,settings=$out/compilations.jfc" \
  /usr/bin/time -f '%e %U %S' -o "$out/time.txt" "$here/submit.sh" "$@" > "$out/stdout.txt" 2> "$out/stderr.txt" \
  || { tail -20 "$out/stderr.txt" >&2; exit 1; }
read -r wall user sys < "$out/time.txt"
{
  echo "load after: $(cat /proc/loadavg)"
  echo "wall $wall s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') s (user $user + sys $sys)"
  grep -E "Total compilation time|C[12] \{speed" "$out/stdout.txt" | sed 's/ nmethods_size.*//; s/^ *//'
  python3 "$here/scripts/jit-profile.py" "$out/run.jfr" "${TOP:-25}"
} | tee -a "$out/table.txt"
echo "(kept in $out)"
