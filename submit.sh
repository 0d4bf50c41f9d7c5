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
# Spark lines: tapeline builds for Spark 3.5 (Scala 2.12, the default build) and Spark 4 (Scala 2.13,
# mvn -Pspark-4 package); docs/spark-lines.md. An embedded run uses the default line, or the one named by
# TAPELINE_SPARK_LINE=3.5|4; a cluster run uses the line of $SPARK_HOME's Spark (jars/spark-core_*.jar).
# Builds the default line first (mvn -q -B -DskipTests package) when its jar is missing or older than
# the sources; a line that was never built is an error that gives its build command.
# Exit codes: 0 the job ran; 2 usage or configuration error (nothing written); 1 failure while running;
# 3 the data-quality gate (max.invalid) failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The Spark lines tapeline builds for (docs/spark-lines.md), each its own jar and lib/ directory:
#   3.5 (the default build: mvn package)   job/target/tapeline-job_2.12-*.jar,          job/target/lib
#   4   (mvn -Pspark-4 package)            job/target/spark-4/tapeline-job_2.13-*.jar,  job/target/spark-4/lib
# An embedded run takes the default line, or TAPELINE_SPARK_LINE=3.5|4. A cluster run takes the line
# of the Spark in $SPARK_HOME (below).
default_line=3.5
version=0.1.0-SNAPSHOT
line_dir() { case "$1" in 3.5) echo "$here/job/target" ;; 4) echo "$here/job/target/spark-4" ;; esac; }
line_scala() { case "$1" in 3.5) echo 2.12 ;; 4) echo 2.13 ;; esac; }
line_build() { case "$1" in 3.5) echo "mvn -q -B -Dstyle.color=never -DskipTests package" ;; 4) echo "mvn -q -B -Dstyle.color=never -Pspark-4 -DskipTests package" ;; esac; }
check_line() {
  case "$1" in
    3.5|4) ;;
    *) echo "tapeline: TAPELINE_SPARK_LINE='$1': expected 3.5 or 4 (the Spark lines tapeline builds for)" >&2; exit 2 ;;
  esac
}

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

# A key's value as the job will see it, for submit.sh's own choices: the last key=value argument, else the
# config file's last line for the key (key = value or key: value, as java.util.Properties reads them).
conf_value() {
  local a v="" found=""
  for a in ${args[@]+"${args[@]}"}; do
    if [[ "$a" == "$1="* ]]; then v="${a#"$1"=}"; found=1; fi
  done
  [[ -n "$found" ]] || v="$(sed -n "s/^[[:space:]]*${1//./\\.}[[:space:]]*[=:][[:space:]]*//p" "$conf" | tail -n 1)"
  v="${v#"${v%%[![:space:]]*}"}"
  printf '%s' "${v%"${v##*[![:space:]]}"}"
}
# The config file may name the master too (spark.master=... arguments were taken above).
[[ -n "$master" ]] || master="$(conf_value spark.master)"

# Picks the jar of a line: builds it when it is missing (the default line only: another line not built
# is an error that says how to build it) or when a source or pom is newer than it.
use_line() {
  local line="$1" dir
  dir="$(line_dir "$line")"
  jar="$dir/tapeline-job_$(line_scala "$line")-$version.jar"
  lib="$dir/lib"
  if [[ ! -f "$jar" || ! -d "$lib" ]] && [[ "$line" != "$default_line" ]]; then
    echo "tapeline: $2 needs the Spark $line build of tapeline (Scala $(line_scala "$line")), which is not built:" >&2
    echo "  $jar is missing. Build it with:  $(line_build "$line" | sed 's/-q //; s/-Dstyle.color=never //')" >&2
    exit 2
  fi
  # (target/ is the build's own; src/test/ is not in the jar; hidden files are tools' state, e.g. a test
  # library's database)
  if [[ ! -f "$jar" || ! -d "$lib" || -n "$(find "$here/pom.xml" "$here/engine" "$here/job" \
          \( -path '*/target' -o -path '*/src/test' -o -name '.*' \) -prune -o -type f -newer "$jar" -print 2>/dev/null | head -n 1)" ]]; then
    echo "tapeline: building the Spark $line job jar ($(line_build "$line")) ..." >&2
    (cd "$here" && $(line_build "$line") >&2) || { echo "tapeline: the build failed" >&2; exit 1; }
  fi
}

# The Java 17 flags Spark needs, from the one place they are kept: the parent pom's java17.opens.
java_flags="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$here/pom.xml")"
log_conf="$here/conf/log4j2.properties"

# Class-data sharing for embedded runs (docs/class-data-sharing.md): the driver's first use of
# Spark's classes (looked up in ~250 MB of jars, verified, linked) costs seconds per run; a dynamic CDS
# archive of them, one per Spark line and Java runtime, kept in <line dir>/cds/, takes most of that off.
# A run that finds no current archive makes one at its exit (-XX:ArchiveClassesAtExit, ~15 s once per
# build) under a temporary name; the archive is checked (-Xshare:on) and renamed into place only then,
# so no run ever maps a half-written file (JDK 17 dies of SIGBUS on a truncated one). Current = newer
# than the job jar and every file of lib/ (the JVM also refuses an archive whose jars changed, silently
# here); another Java runtime has its own file name. CDS messages never reach stdout (-Xlog:cds*=off).
# TAPELINE_CDS=0: none; TAPELINE_CDS_DIR: where the archives are kept. Sets cds_flags and cds_dump.
cds_flags=()
cds_dump=""
cds_archive=""
cds_setup() {
  [[ "${TAPELINE_CDS:-1}" != 0 ]] || return 0
  # The user's own CDS flags win.
  case " ${TAPELINE_JAVA_OPTS:-} " in *-Xshare:*|*SharedArchiveFile*|*ArchiveClassesAtExit*|*AutoCreateSharedArchive*) return 0 ;; esac
  local real id dir a
  # The runtime, by its libjvm (each build of the JVM has its own; the JVM refuses another's archive).
  real="$(readlink -f "$(command -v "$java" || true)" 2>/dev/null || true)"
  [[ -n "$real" && -f "${real%/bin/java}/lib/server/libjvm.so" ]] || return 0
  id="$(printf '%s %s\n' "$real" "$(stat -L -c '%s %Y' "${real%/bin/java}/lib/server/libjvm.so")" | cksum | cut -d ' ' -f 1)"
  dir="${TAPELINE_CDS_DIR:-$(dirname "$jar")/cds}"
  cds_archive="$dir/tapeline-jdk$id.jsa"
  if [[ -f "$cds_archive" && ! "$jar" -nt "$cds_archive" && -z "$(find "$lib" -newer "$cds_archive" -print -quit 2>/dev/null)" ]]; then
    cds_flags=("-XX:SharedArchiveFile=$cds_archive" -Xshare:auto "-Xlog:cds*=off")
    return 0
  fi
  # A --check run loads too few of the job's classes to be worth archiving.
  for a in ${args[@]+"${args[@]}"}; do [[ "$a" != --check ]] || return 0; done
  mkdir -p "$dir" 2>/dev/null && [[ -w "$dir" ]] || return 0
  # (what a JVM killed while dumping left behind)
  find "$dir" -maxdepth 1 -name '.tapeline-jdk*.jsa' -mmin +120 -delete 2>/dev/null || true
  echo "tapeline: this run also writes the class-data-sharing archive that later runs start from (once per build," >&2
  echo "  some seconds at its end; TAPELINE_CDS=0 for none; docs/class-data-sharing.md)" >&2
  cds_dump="$dir/.tapeline-jdk$id.$$.jsa"
  cds_flags=("-XX:ArchiveClassesAtExit=$cds_dump" "-Xlog:cds*=off")
  trap 'rm -f "$cds_dump"' EXIT
}
# After a dumping run that succeeded: the archive goes into place if a JVM can map it with these flags.
cds_keep() {
  [[ -n "$cds_dump" ]] || return 0
  local o opts=()
  # The run's options but its -Xlog ones (a log file of the user's is not this check's to overwrite).
  # shellcheck disable=SC2086 # TAPELINE_JAVA_OPTS is a list of options
  for o in ${TAPELINE_JAVA_OPTS:-}; do [[ "$o" == -Xlog* ]] || opts+=("$o"); done
  # shellcheck disable=SC2086 # java_flags is a list of flags
  if [[ "$1" == 0 && -s "$cds_dump" ]] && "$java" $java_flags ${opts[@]+"${opts[@]}"} "-XX:SharedArchiveFile=$cds_dump" \
       -Xshare:on "-Xlog:cds*=off" -cp "$jar:$lib/*" -version >/dev/null 2>&1; then
    mv -f "$cds_dump" "$cds_archive" 2>/dev/null || true
  fi
  rm -f "$cds_dump"
}

# local and local[N] run embedded; anything else (spark://, yarn, k8s://, local-cluster[...]) needs spark-submit.
if [[ -z "$master" || "$master" == local || "$master" == local\[* ]]; then
  line="${TAPELINE_SPARK_LINE:-$default_line}"
  check_line "$line"
  use_line "$line" "an embedded run on Spark $line (TAPELINE_SPARK_LINE)"
  java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  [[ -n "$master" ]] && args+=("spark.master=$master")
  # Loopback unless told otherwise: an embedded run needs no network.
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  # The JIT (docs/jit.md): a grouped fit (job = train with group.by) on a machine of up to 4 cores starts
  # with C1 alone (auto, the default), which compiles the JDK's, Spark's and tapeline's hot code once,
  # quickly, where C2's thread would take a core from the tasks for most of the run; c1: any run;
  # default: the JVM's own tiered compilation. A compiler flag of the user's own in TAPELINE_JAVA_OPTS
  # wins over auto.
  jit="${TAPELINE_JIT:-auto}"
  jit_flags=()
  case "$jit" in
    c1) jit_flags=(-XX:TieredStopAtLevel=1) ;;
    auto)
      case " ${TAPELINE_JAVA_OPTS:-} " in
        *TieredStopAtLevel*|*TieredCompilation*|*CompilerDirectivesFile*|*-Xint*|*-Xcomp*|*CompileThresholdScaling*) ;;
        *) if [[ "$(conf_value job)" == train && -n "$(conf_value group.by)" && "$(nproc 2>/dev/null || echo 1)" -le 4 ]]; then
             jit_flags=(-XX:TieredStopAtLevel=1)
           fi ;;
      esac ;;
    default) ;;
    *) echo "tapeline: TAPELINE_JIT='$TAPELINE_JIT': expected auto, c1 or default (docs/jit.md)" >&2; exit 2 ;;
  esac
  cds_setup
  set +e
  # (the archive's flags before the user's, so that an -Xlog:cds of theirs is heard)
  # shellcheck disable=SC2086 # java_flags is a list of flags
  "$java" $java_flags ${cds_flags[@]+"${cds_flags[@]}"} "-Dtapeline.jit=$jit" ${jit_flags[@]+"${jit_flags[@]}"} ${TAPELINE_JAVA_OPTS:-} \
    -Dlog4j2.configurationFile="$log_conf" \
    -cp "$jar:$lib/*" tapeline.job.Main "$conf" ${args[@]+"${args[@]}"}
  rc=$?
  cds_keep "$rc"
  exit "$rc"
fi

# A master on the loopback interface (scripts/local-cluster.sh): the driver binds there too, so the
# executors reach it whatever the machine's network looks like. Any other master: Spark's own choice.
case "$master" in
  spark://127.0.0.1:*|spark://localhost:*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;;
esac

if [[ -z "${SPARK_HOME:-}" ]]; then
  echo "tapeline: master '$master' is a cluster, so the job goes through \$SPARK_HOME/bin/spark-submit," >&2
  echo "  but SPARK_HOME is not set. Set it to a Spark 3.5 (Scala 2.12) or Spark 4 (Scala 2.13) installation, or drop" >&2
  echo "  the master to run on embedded Spark (local[*]). No Spark at hand: scripts/local-cluster.sh builds one (README: On a cluster)." >&2
  exit 2
fi

# The cluster's Spark picks the jar: the version in the name of its jars/spark-core_<scala>-<version>.jar,
# else what its spark-submit --version prints.
spark_version=""
core="$(compgen -G "$SPARK_HOME/jars/spark-core_*.jar" | head -n 1 || true)"
if [[ -n "$core" ]]; then
  spark_version="$(basename "$core" .jar | sed -n 's/^spark-core_[0-9.]*-\([0-9][0-9.]*\).*/\1/p')"
elif [[ -x "$SPARK_HOME/bin/spark-submit" ]]; then
  spark_version="$("$SPARK_HOME/bin/spark-submit" --version 2>&1 | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p' | head -n 1 || true)"
fi
case "$spark_version" in
  3.5.*) line=3.5 ;;
  4.*) line=4 ;;
  "") echo "tapeline: cannot tell the Spark version of SPARK_HOME=$SPARK_HOME (no jars/spark-core_*.jar, and" >&2
      echo "  bin/spark-submit --version said none): expected a Spark 3.5 or 4 installation" >&2
      exit 2 ;;
  *) echo "tapeline: SPARK_HOME=$SPARK_HOME is Spark $spark_version; tapeline builds for Spark 3.5 (Scala 2.12)" >&2
     echo "  and Spark 4 (Scala 2.13) only (docs/spark-lines.md)" >&2
     exit 2 ;;
esac
if [[ -n "${TAPELINE_SPARK_LINE:-}" && "$TAPELINE_SPARK_LINE" != "$line" ]]; then
  echo "tapeline: TAPELINE_SPARK_LINE=$TAPELINE_SPARK_LINE, but SPARK_HOME=$SPARK_HOME is Spark $spark_version" >&2
  echo "  (the cluster's Spark picks the jar: unset TAPELINE_SPARK_LINE or point SPARK_HOME at a Spark $TAPELINE_SPARK_LINE)" >&2
  exit 2
fi
use_line "$line" "SPARK_HOME=$SPARK_HOME (Spark $spark_version)"
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
