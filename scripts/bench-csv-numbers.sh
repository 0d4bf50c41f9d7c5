#!/usr/bin/env bash
# CSV output of doubles: Spark's own writer (JDK 17 Double.toString), a cast to string, and Schubfach in a
# UDF (tapeline's CsvNumbers), interleaved in one JVM, local[1]; CPU per written double. Needs only the jar's
# class path (Spark, jackson-core), so it runs against any build:
#   SKIP_BUILD=1 ROWS=2000000 COLUMNS=8 ROUNDS=3 scripts/bench-csv-numbers.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -n "${SKIP_BUILD:-}" ] || mvn -q -B -DskipTests -pl job -am package >&2
opens="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' pom.xml)"
work="$(mktemp -d /tmp/tapeline-bench-csv.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "load: $(cat /proc/loadavg)"
# shellcheck disable=SC2086
java $opens -Xmx2g -Dlog4j2.configurationFile=conf/log4j2.properties -cp "job/target/lib/*" \
  scripts/bench-csv-numbers.java "${ROWS:-2000000}" "${COLUMNS:-8}" "${ROUNDS:-3}" "$work"
echo "load: $(cat /proc/loadavg)"
