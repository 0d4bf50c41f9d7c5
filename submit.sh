#!/usr/bin/env bash
# Runs a tapeline job.
#
#   ./submit.sh CONF [--check] [key=value ...] [--master URL]
#
# --check: check the config alone and against the input's schema, run nothing, write nothing (exit 0 or 2).
# Without a master (or with spark.master=local[...]) the job runs on embedded Spark, local[*], from
# the job jar and job/target/lib: no Spark installation needed. With a cluster master
# (--master spark://host:7077, or spark.master=... in CONF or on the command line) it goes through
# $SPARK_HOME/bin/spark-submit with the job jar, which does not bundle Spark.
#
# A cluster that runs with spark.authenticate=true (scripts/local-cluster.sh does) needs its secret:
# give it in the environment, TAPELINE_SPARK_SECRET=... or TAPELINE_SPARK_SECRET_FILE=path. It reaches
# spark-submit through a temporary properties file readable by this user only, never a command line.
#
# Builds first (mvn -q -B -DskipTests package) when the jar is missing or older than the sources.
# Exit codes: 0 the job ran; 2 usage or configuration error (nothing written); 1 failure while running;
# 3 the data-quality gate (max.invalid) failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/job/target/tapeline-job-0.1.0-SNAPSHOT.jar"
lib="$here/job/target/lib"

usage() {
  echo "usage: ./submit.sh CONF [--check] [key=value ...] [--master URL]" >&2
  echo "  e.g. ./submit.sh conf/seed-sweep.properties steps=100 output.path=out/try" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
case "$1" in -h|--help) usage ;; esac
conf="$1"
shift
[[ -f "$conf" ]] || { echo "tapeline: config file $conf: no such file" >&2; exit 2; }

args=()
master=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --master) [[ $# -ge 2 ]] || usage; master="$2"; shift 2 ;;
    --master=*) master="${1#--master=}"; shift ;;
    spark.master=*) master="${1#spark.master=}"; shift ;;
    spark.authenticate.secret=*)
      echo "tapeline: spark.authenticate.secret on the command line would be visible to every user (ps);" >&2
      echo "  give it in the environment instead: TAPELINE_SPARK_SECRET or TAPELINE_SPARK_SECRET_FILE" >&2
      exit 2 ;;
    --check) args+=("$1"); shift ;;
    *=*) args+=("$1"); shift ;;
    *) echo "tapeline: argument '$1': expected key=value, --check or --master URL" >&2; usage ;;
  esac
done
if [[ -z "$master" ]]; then
  # The config file may name the master too (the last such line wins, as in java.util.Properties).
  master="$(sed -n 's/^[[:space:]]*spark\.master[[:space:]]*[=:][[:space:]]*//p' "$conf" | tail -n 1 | sed 's/[[:space:]]*$//')"
fi

# Build when the jar is missing or any source or pom is newer than it.
if [[ ! -f "$jar" || ! -d "$lib" || -n "$(find "$here/pom.xml" "$here/engine" "$here/job" \
        -path '*/target' -prune -o -type f -newer "$jar" -print 2>/dev/null | head -n 1)" ]]; then
  echo "tapeline: building the job jar (mvn -q -B -DskipTests package) ..." >&2
  (cd "$here" && mvn -q -B -DskipTests package >&2) || { echo "tapeline: the build failed" >&2; exit 1; }
fi

# The Java 17 flags Spark needs, from the one place they are kept: the parent pom's java17.opens.
java_flags="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$here/pom.xml")"
log_conf="$here/conf/log4j2.properties"

# local and local[N] run embedded; anything else (spark://, yarn, k8s://, local-cluster[...]) needs spark-submit.
if [[ -z "$master" || "$master" == local || "$master" == local\[* ]]; then
  java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  [[ -n "$master" ]] && args+=("spark.master=$master")
  # Loopback unless told otherwise: an embedded run needs no network.
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  set +e
  # shellcheck disable=SC2086 # java_flags is a list of flags
  "$java" $java_flags ${TAPELINE_JAVA_OPTS:-} -Dlog4j2.configurationFile="$log_conf" \
    -cp "$jar:$lib/*" tapeline.job.Main "$conf" ${args[@]+"${args[@]}"}
  exit $?
fi

# A master on the loopback interface (scripts/local-cluster.sh): the driver binds there too, so the
# executors reach it whatever the machine's network looks like. Any other master: Spark's own choice.
case "$master" in
  spark://127.0.0.1:*|spark://localhost:*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;;
esac

if [[ -z "${SPARK_HOME:-}" ]]; then
  echo "tapeline: master '$master' is a cluster, so the job goes through \$SPARK_HOME/bin/spark-submit," >&2
  echo "  but SPARK_HOME is not set. Set it to a Spark 3.5 (Scala 2.12) installation, or drop the master" >&2
  echo "  to run on embedded Spark (local[*]). No Spark at hand: scripts/local-cluster.sh builds one (README: On a cluster)." >&2
  exit 2
fi
# spark.* keys go to spark-submit as --conf too, so launch-time ones (spark.driver.memory, ...) apply:
# first those of the file (simple "key = value" lines), then the command line's, which win.
conf_args=()
while IFS= read -r kv; do
  # (the secret never: a file that holds it is read by the job itself, not put on a command line)
  [[ -n "$kv" && "$kv" != spark.master=* && "$kv" != spark.authenticate.secret=* ]] && conf_args+=(--conf "$kv")
done < <(sed -n 's/^[[:space:]]*\(spark\.[^=:[:space:]]*\)[[:space:]]*[=:][[:space:]]*\(.*[^[:space:]]\)[[:space:]]*$/\1=\2/p' "$conf")
for kv in ${args[@]+"${args[@]}"}; do
  if [[ "$kv" == spark.* ]]; then conf_args+=(--conf "$kv"); fi
done

# The secret: Spark reads spark.authenticate.secret from its conf only (for a standalone master the
# driver refuses to start without it there), so it goes into a properties file of our own, mode 0600,
# removed when this script ends. A properties file replaces spark-defaults.conf, so that is copied in.
secret_args=()
if [[ -n "${TAPELINE_SPARK_SECRET_FILE:-}" && -z "${TAPELINE_SPARK_SECRET:-}" ]]; then
  [[ -r "$TAPELINE_SPARK_SECRET_FILE" ]] || { echo "tapeline: TAPELINE_SPARK_SECRET_FILE: cannot read $TAPELINE_SPARK_SECRET_FILE" >&2; exit 2; }
  TAPELINE_SPARK_SECRET="$(cat "$TAPELINE_SPARK_SECRET_FILE")"
fi
if [[ -n "${TAPELINE_SPARK_SECRET:-}" ]]; then
  props="$(umask 077 && mktemp "${TMPDIR:-/tmp}/tapeline-submit.XXXXXX")"
  trap 'rm -f "$props"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  defaults="${SPARK_CONF_DIR:-$SPARK_HOME/conf}/spark-defaults.conf"
  if [[ -f "$defaults" ]]; then cat "$defaults" >>"$props"; fi
  printf '\nspark.authenticate=true\nspark.authenticate.secret=%s\n' "$TAPELINE_SPARK_SECRET" >>"$props"
  secret_args=(--properties-file "$props")
fi

set +e
"$SPARK_HOME/bin/spark-submit" --class tapeline.job.Main --master "$master" \
  --driver-java-options "-Dlog4j2.configurationFile=$log_conf" ${secret_args[@]+"${secret_args[@]}"} \
  ${conf_args[@]+"${conf_args[@]}"} "$jar" "$conf" ${args[@]+"${args[@]}"}
exit $?
