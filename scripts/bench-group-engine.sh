#!/usr/bin/env bash
# The engine's group solve speed (issue 21): tapeline's BatchedGroupSolver per group (one thread)
# against scipy's L-BFGS-B per group with a numpy gradient (one thread), on the same data, and the
# coefficients compared. Figures go to BENCHMARKS.md by hand; take them on an idle machine and
# quote /proc/loadavg with them. (The end-to-end Spark bench is scripts/bench-group.sh, the job's.)
#
#   scripts/bench-group-engine.sh [groups=20000] [scipy groups=1000]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
groups="${1:-20000}"
scipy_groups="${2:-1000}"
cp_file="$(mktemp)"
tmp="$(mktemp -d)"
trap 'rm -rf "$cp_file" "$tmp"' EXIT
mvn -q -B -o -pl engine,bench -am compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
cp="engine/target/classes:bench/target/classes:$(cat "$cp_file")"
echo "load: $(cat /proc/loadavg)"
# rows per group, and fewer groups for the big ones so that a run takes seconds, not hours
for spec in "200 $groups" "10 $groups" "10000 $((groups / 100 > 0 ? groups / 100 : 1))"; do
  set -- $spec
  rows=$1; g=$2
  for loss in ls logistic; do
    for opt in lbfgs newton; do
      java -Xmx6g -cp "$cp" tapeline.bench.GroupSolveDriver "$loss" "$opt" "$g" "$rows" 5 batched "$tmp/d" 3 | grep -v '^pass:'
      sg=$scipy_groups; [ "$rows" -ge 10000 ] && sg=$((scipy_groups / 10 > 0 ? scipy_groups / 10 : 1))
      python3 scripts/bench-group-engine.py "$tmp/d" "$loss" "$rows" 5 "$sg"
    done
  done
done
echo "load: $(cat /proc/loadavg)"
