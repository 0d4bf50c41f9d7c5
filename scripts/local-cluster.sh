#!/usr/bin/env bash
# A Spark standalone cluster on this machine, as separate JVMs: one master, two workers (1 core,
# 1 GiB each), all on 127.0.0.1, with spark.authenticate=true and a secret made fresh at every start.
#
#   scripts/local-cluster.sh up       # build the Spark home if needed, start, wait until both workers registered
#   scripts/local-cluster.sh up --spark 4   # the same on Spark 4 (Scala 2.13) instead of the default 3.5
#   scripts/local-cluster.sh status   # what runs, and the master's view of it
#   scripts/local-cluster.sh env      # the exports submit.sh needs: eval "$(scripts/local-cluster.sh env)"
#   scripts/local-cluster.sh down     # stop everything it started, by recorded PID, and wait
#
#   eval "$(scripts/local-cluster.sh env)"
#   ./submit.sh conf/seed-sweep.properties --master spark://127.0.0.1:7077
#
# No Spark download: the Spark home is built under the state dir from the project's own
# Maven-resolved jars (job/target/lib, which the build fills; job/target/spark-4/lib for Spark 4), plus a
# small bin/spark-submit. submit.sh then picks the job jar of that line from the home's spark-core jar.
# The secret is kept in <state dir>/secret (mode 0600) and given to the daemons in their environment
# (_SPARK_AUTH_SECRET, which Spark's SecurityManager reads), never on a command line.
#
# Settings (environment), for running a second cluster next to this one (the tests do):
#   TAPELINE_CLUSTER_DIR       state dir                                 default <repo>/.cluster
#   TAPELINE_MASTER_PORT       master RPC port                           default 7077
#   TAPELINE_MASTER_UI_PORT    master web UI port (its /json/ is polled) default 8080
#   TAPELINE_WORKER_UI_PORT    first worker's web UI port; the second takes the next one   default 8081
#   TAPELINE_CLUSTER_TIMEOUT   seconds to wait for the master and the workers              default 90
#   TAPELINE_SPARK_LINE        the Spark line, 3.5 or 4 (what 'up --spark LINE' sets)      default 3.5
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TAPELINE_CLUSTER_DIR:-$repo/.cluster}"
master_port="${TAPELINE_MASTER_PORT:-7077}"
master_ui="${TAPELINE_MASTER_UI_PORT:-8080}"
worker_ui="${TAPELINE_WORKER_UI_PORT:-8081}"
timeout_s="${TAPELINE_CLUSTER_TIMEOUT:-90}"
workers=2
home="$state/spark-home"
spark_line="${TAPELINE_SPARK_LINE:-3.5}"
if [[ "${1:-}" == up && "${2:-}" == --spark ]]; then
  [[ $# -eq 3 ]] || { echo "usage: scripts/local-cluster.sh up [--spark 3.5|4]" >&2; exit 2; }
  spark_line="$3"
  set -- up
fi
case "$spark_line" in
  3.5) lib="$repo/job/target/lib"; scala=2.12; build_cmd="mvn -q -B -DskipTests package" ;;
  4) lib="$repo/job/target/spark-4/lib"; scala=2.13; build_cmd="mvn -q -B -Pspark-4 -DskipTests package" ;;
  *) echo "local-cluster: Spark line '$spark_line': expected 3.5 or 4" >&2; exit 2 ;;
esac
master_url="spark://127.0.0.1:$master_port"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

say() { echo "local-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  echo "usage: scripts/local-cluster.sh up [--spark 3.5|4] | down | status | env" >&2
  exit 2
}

# ---- the Spark home ----------------------------------------------------------------------------

# jars/: exactly the jars of the line's lib/ (Spark, Scala, Hadoop client: the job's provided
# dependencies, resolved by Maven). Copied rather than linked, so a `mvn clean` under a running
# cluster does not pull its class path away.
build_home() {
  if [[ ! -d "$lib" ]] || ! compgen -G "$lib/spark-core_*.jar" >/dev/null; then
    say "${lib#"$repo/"} is missing: building the Spark $spark_line line ($build_cmd) ..."
    (cd "$repo" && $build_cmd >&2) || die "the build failed"
  fi
  mkdir -p "$home/jars" "$home/conf" "$home/bin"
  local j name
  for j in "$lib"/*.jar; do
    name="$(basename "$j")"
    [[ -f "$home/jars/$name" && ! "$j" -nt "$home/jars/$name" ]] || cp -p "$j" "$home/jars/$name"
  done
  for j in "$home/jars"/*.jar; do
    [[ -f "$lib/$(basename "$j")" ]] || rm -f "$j"     # a jar the build no longer has
  done

  # Daemon and executor logging: Spark at WARN, but the executor's start (with its PID) and task
  # lines at INFO, so an executor's stderr (in the worker's work dir) shows which tasks it ran. Executors read this file
  # because $SPARK_HOME/conf is on their class path.
  cat >"$home/conf/log4j2.properties" <<'EOF'
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
logger.executor.name = org.apache.spark.executor.Executor
logger.executor.level = info
logger.backend.name = org.apache.spark.executor.CoarseGrainedExecutorBackend
logger.backend.level = info
logger.master.name = org.apache.spark.deploy.master.Master
logger.master.level = info
logger.worker.name = org.apache.spark.deploy.worker.Worker
logger.worker.level = info
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
EOF

  # bin/spark-class and bin/spark-submit: what Spark's own scripts do, minus the parts this home
  # does not have. org.apache.spark.launcher.Main builds the real command (driver memory,
  # --driver-java-options, extra class path, the Java 17 --add-opens it knows) and prints it.
  cat >"$home/bin/spark-class" <<'EOF'
#!/usr/bin/env bash
# Generated by scripts/local-cluster.sh: Spark's bin/spark-class for a home that holds only jars/ and conf/.
set -euo pipefail
export SPARK_HOME="${SPARK_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# The launcher cannot tell the Scala version from a home without build directories.
export SPARK_SCALA_VERSION=@SCALA@
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# The launcher prints lines of its own, then a NUL and a newline, then the command's arguments each
# ended by NUL; its exit code is appended (as Spark's spark-class reads it).
cmd=()
delim=$'\n'
started=false
while IFS= read -d "$delim" -r arg; do
  if [[ "$started" == true ]]; then
    cmd+=("$arg")
  elif [[ -z "$arg" ]]; then
    delim=''                                 # the NUL line (bash drops the NUL): the command follows
    started=true
  else
    echo "$arg"
  fi
done < <("$java" -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@"; printf '%d\0' $?)
[[ "$started" == true && ${#cmd[@]} -gt 0 ]] || { echo "spark-class: the Spark launcher failed" >&2; exit 1; }
code="${cmd[${#cmd[@]}-1]}"
[[ "$code" == 0 ]] || exit "$code"
exec "${cmd[@]:0:${#cmd[@]}-1}"
EOF
  cat >"$home/bin/spark-submit" <<'EOF'
#!/usr/bin/env bash
# Generated by scripts/local-cluster.sh.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/spark-class" org.apache.spark.deploy.SparkSubmit "$@"
EOF
  sed -i "s/@SCALA@/$scala/" "$home/bin/spark-class"
  chmod +x "$home/bin/spark-class" "$home/bin/spark-submit"
}

# ---- processes -----------------------------------------------------------------------------------

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# A recorded PID is ours only while its command line still names our class and state dir (a PID
# can be reused by an unrelated process after ours died).
ours() {
  local pid="$1" class="$2"
  alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$class" \
    && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$home"
}

daemons() { echo master; for ((i = 1; i <= workers; i++)); do echo "worker-$i"; done; }
class_of() { [[ "$1" == master ]] && echo org.apache.spark.deploy.master.Master || echo org.apache.spark.deploy.worker.Worker; }
pid_of() { cat "$state/pids/$1.pid" 2>/dev/null || true; }

# Child PIDs of a process (a worker's executors), from /proc: no procps needed.
children_of() {
  # Field 4 of /proc/PID/stat is the parent PID (field 2, the command name of a JVM, has no spaces).
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$1" '$4 == p { print $1 }' || true
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_get() {
  if command -v curl >/dev/null; then
    curl -fsS --max-time 3 "$1" 2>/dev/null
  else # bash alone: HTTP/1.0 over /dev/tcp
    local rest="${1#http://}" hostport path
    hostport="${rest%%/*}"; path="/${rest#*/}"
    (exec 4<>"/dev/tcp/${hostport%:*}/${hostport#*:}" &&
      printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&4 &&
      timeout 3 sed '1,/^\r$/d' <&4) 2>/dev/null
  fi
}

# The number after "aliveworkers" in the master's JSON, or nothing when it does not answer.
alive_workers() {
  http_get "http://127.0.0.1:$master_ui/json/" | tr -d ' \n' | sed -n 's/.*"aliveworkers":\([0-9]*\).*/\1/p'
}

start_daemon() {
  local name="$1"; shift
  local flags
  flags="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$repo/pom.xml")"
  # The secret travels in the environment only: Master and Worker read _SPARK_AUTH_SECRET, and a
  # worker hands it to the executors it launches the same way.
  # shellcheck disable=SC2086 # flags is a list of JVM flags
  _SPARK_AUTH_SECRET="$(cat "$state/secret")" SPARK_HOME="$home" SPARK_SCALA_VERSION="$scala" \
    SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR="$state/logs" \
    nohup "$java" $flags -Xmx512m -Dlog4j2.configurationFile="$home/conf/log4j2.properties" \
    -cp "$home/conf:$home/jars/*" "$@" --properties-file "$state/daemon.conf" \
    >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name.pid"
}

# Waits for a condition, with a bounded timeout; on timeout names what did not come up.
wait_for() {
  local what="$1" test="$2" deadline=$((SECONDS + timeout_s)) d
  until eval "$test"; do
    for d in $(daemons); do
      if [[ -f "$state/pids/$d.pid" ]] && ! alive "$(pid_of "$d")"; then
        say "$d exited while waiting for $what; the end of its log ($state/logs/$d.log):"
        tail -n 20 "$state/logs/$d.log" >&2 || true
        return 1
      fi
    done
    if ((SECONDS >= deadline)); then
      say "$what did not happen within ${timeout_s}s (logs: $state/logs/)"
      return 1
    fi
    sleep 0.5
  done
}

abort_up() {
  say "start failed; stopping what was started"
  down || true
  exit 1
}

up() {
  local d p
  for d in $(daemons); do
    if ours "$(pid_of "$d")" "$(class_of "$d")"; then
      die "already up ($d is pid $(pid_of "$d")); run 'scripts/local-cluster.sh down' first"
    fi
  done
  for p in "$master_port" "$master_ui" "$worker_ui" $((worker_ui + 1)); do
    port_busy "$p" && die "port $p on 127.0.0.1 is taken by another process; choose others (TAPELINE_MASTER_PORT, ...)"
  done
  build_home
  mkdir -p "$state/pids" "$state/logs" "$state/work"
  rm -f "$state/pids"/*.pid

  # A new secret for every start: 32 random bytes, hex, readable by this user only.
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$state/secret")
  chmod 600 "$state/secret"
  # What the daemons share (nothing secret): authentication on, loopback, explicit UI ports.
  cat >"$state/daemon.conf" <<EOF
spark.authenticate=true
spark.master.rest.enabled=false
spark.ui.showConsoleProgress=false
EOF

  # From here on, a failure stops whatever was started before exiting.
  start_daemon master org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$master_port" --webui-port "$master_ui"
  wait_for "the master answering on http://127.0.0.1:$master_ui/json/" '[[ -n "$(alive_workers)" ]]' || abort_up
  for ((i = 1; i <= workers; i++)); do
    mkdir -p "$state/work/worker-$i"
    start_daemon "worker-$i" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory 1g --webui-port $((worker_ui + i - 1)) \
      --work-dir "$state/work/worker-$i" "$master_url"
  done
  wait_for "registration of $workers workers with the master at $master_url" \
    '[[ "$(alive_workers)" == "$workers" ]]' || abort_up

  say "up: Spark $spark_line (Scala $scala), master $master_url (UI http://127.0.0.1:$master_ui), $workers workers (1 core, 1 GiB each)"
  say "submit with:  eval \"\$(scripts/local-cluster.sh env)\"; ./submit.sh CONF --master $master_url"
}

# Stops by recorded PID: workers first (their shutdown kills their executors), then the master.
# TERM, up to 20 s, then KILL. Executors a killed worker left behind are found as its children.
down() {
  local d pid children=() waited
  for d in $(daemons | sort -r); do          # worker-2, worker-1, master
    pid="$(pid_of "$d")"
    if ours "$pid" "$(class_of "$d")"; then
      children+=($(children_of "$pid"))
      kill -TERM "$pid" 2>/dev/null || true
      for ((waited = 0; waited < 40; waited++)); do alive "$pid" || break; sleep 0.5; done
      if alive "$pid"; then
        say "$d (pid $pid) did not stop within 20 s of TERM: KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
      fi
      say "stopped $d (pid $pid)"
    fi
    rm -f "$state/pids/$d.pid"
  done
  for pid in ${children[@]+"${children[@]}"}; do
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; say "killed executor pid $pid"; fi
  done
  rm -f "$state/secret"                      # a secret is good for one start only
}

status() {
  local d pid json any=0
  for d in $(daemons); do
    pid="$(pid_of "$d")"
    if ours "$pid" "$(class_of "$d")"; then
      echo "$d: running, pid $pid"; any=1
      for c in $(children_of "$pid"); do echo "  executor: pid $c"; done
    elif [[ -n "$pid" ]]; then
      echo "$d: not running (stale pid $pid)"
    else
      echo "$d: not running"
    fi
  done
  if ((any)) && json="$(http_get "http://127.0.0.1:$master_ui/json/")"; then
    echo "master $master_url: $(echo "$json" | tr -d '\n' | sed -n 's/.*"aliveworkers" *: *\([0-9]*\).*/\1/p') alive workers," \
      "$(echo "$json" | grep -c '"app-' || true) apps known; UI http://127.0.0.1:$master_ui"
  fi
  ((any))
}

env_exports() {
  [[ -f "$state/secret" ]] || die "not up: no secret at $state/secret"
  echo "export SPARK_HOME='$home'"
  echo "export TAPELINE_SPARK_SECRET_FILE='$state/secret'"
}

[[ $# -eq 1 ]] || usage
case "$1" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_exports ;;
  *) usage ;;
esac
