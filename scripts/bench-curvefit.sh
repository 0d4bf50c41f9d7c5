#!/usr/bin/env bash
# How many Moré-Garbow-Hillstrom starts (textbook, 10x, 100x) each optimizer solves: tapeline's lm
# and trust (MghCorpusTest) against scipy's least_squares (trf, lm) and minimize (BFGS, trust-exact) on the same
# corpus and starts (scripts/bench-curvefit.py). Counts, not times: nothing here depends on the load.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/bench-curvefit.py | tail -1
${SLOT:-/work/bin/slot} mvn -B -q -pl engine test -Dtest=MghCorpusTest >/dev/null 2>&1 || true
grep -h "solved" engine/target/surefire-reports/tapeline.engine.solve.MghCorpusTest-output.txt | grep -v "^\S* *[0-9]*x:" | sed 's/^/tapeline /'
