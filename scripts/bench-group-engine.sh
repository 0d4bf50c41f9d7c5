#!/usr/bin/env bash
# The engine's group solve speed (issue 21): tapeline's BatchedGroupSolver per group (one thread)
# against scipy's L-BFGS-B per group with a numpy gradient (one thread), on the same data, and the
# coefficients compared. Figures go to BENCHMARKS.md by hand; take them on an idle machine and
# quote /proc/loadavg with them. (The end-to-end Spark bench is scripts/bench-group.sh, the job's.)
#
#   scripts/bench-group-engine.sh [groups=20000] [scipy groups=1000]
#   SKIP_BUILD=1 scripts/bench-group-engine.sh ...     # the classes as they are (built before, e.g. from main)
#   ROWS="200" LOSSES="logistic" OPTS="newton" ...     # a subset
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
groups="${1:-20000}"
scipy_groups="${2:-1000}"
cp_file="$(mktemp)"
tmp="$(mktemp -d)"
trap 'rm -rf "$cp_file" "$tmp"' EXIT
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  mvn -q -B -o -pl bench dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
else
  mvn -q -B -o -pl engine,bench -am compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
fi
cp="engine/target/classes:bench/target/classes:$(cat "$cp_file")"
echo "load: $(cat /proc/loadavg)"
# rows per group, and fewer groups for the big ones so that a run takes seconds, not hours
for rows in ${ROWS:-200 10 10000}; do
  g=$groups; [ "$rows" -ge 10000 ] && g=$((groups / 100 > 0 ? groups / 100 : 1))
  for loss in ${LOSSES:-ls logistic}; do
    for opt in ${OPTS:-lbfgs newton}; do
      java -Xmx6g -cp "$cp" tapeline.bench.GroupSolveDriver "$loss" "$opt" "$g" "$rows" 5 batched "$tmp/d" 3 | grep -v '^pass:'
      sg=$scipy_groups; [ "$rows" -ge 10000 ] && sg=$((scipy_groups / 10 > 0 ? scipy_groups / 10 : 1))
      python3 scripts/bench-group-engine.py "$tmp/d" "$loss" "$rows" 5 "$sg"
    done
  done
done
echo "load: $(cat /proc/loadavg)"
