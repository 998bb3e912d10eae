#!/usr/bin/env bash
# Push fan-out benchmark: Skewgate's SSE event stream against the seed design (a Node.js `ws` WebSocketServer whose
# POST /internal/notify-deploy loops over its clients), with the same client harness (bench/push/harness.js) and
# the same client counts, one server at a time, a fresh server per count.
#
# For each count N: warm-up (100 clients, 2 broadcasts, closed), memory with 0 clients, 2 triggers with 0 clients,
# N idle clients, memory with N clients (Skewgate: live heap from jcmd GC.class_histogram after a full GC; RSS from
# /proc), then --broadcasts triggers (later ones repeated when other processes disturbed them) and one extra with small
# GETs to the same server meanwhile; the time from sending the trigger until the last client has the event, and the
# server's on-CPU time for each (sum of /proc/<pid>/task/*/schedstat).
#
# usage: bench/push-fanout.sh [--jar PATH] [--counts "1000 10000 19000"] [--broadcasts 4] [--headers browser|minimal]
#                             [--jvm-opts "-Xmx2g ..."] [--only sse|ws] [--label NAME] [--on-idle 'SHELL CMD']
# --on-idle runs a command while the N clients are connected and idle, with $SERVER_PID set (e.g.
#   --on-idle 'jcmd $SERVER_PID GC.heap_dump /tmp/sg.hprof', then python3 bench/push/hprof-owners.py /tmp/sg.hprof N);
# --after-broadcasts likewise runs after the last broadcast, clients still connected (e.g. JFR.dump).
# --pin runs the server on CPU 0 and the harness on CPU 1 (taskset): per-core server cost without the harness
#   competing (the JVM then sees one processor: one edge event loop).
# --wait-quiet S: before starting, wait up to S seconds (default 60) for the machine to be idle (< 10% busy).
# Without --jar the gateway is built from `git archive HEAD` in a temporary folder (the working tree may be in the
# middle of someone's edit) and copied to bench/out/push/skewgate.jar.
# Results: bench/out/push/run-<time>/ (logs, one JSON per server and count, summary.md).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT=$HERE/out/push
JAR=""
COUNTS="1000 10000 19000"
BROADCASTS=4
HEADERS=browser
JVM_OPTS="-Xmx2g -XX:NativeMemoryTracking=summary"
ONLY=""
LABEL=""
ON_IDLE=""
AFTER=""
PIN=""
WAIT_QUIET=60
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --counts) COUNTS=$2; shift 2 ;;
    --broadcasts) BROADCASTS=$2; shift 2 ;;
    --headers) HEADERS=$2; shift 2 ;;
    --jvm-opts) JVM_OPTS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --label) LABEL=$2; shift 2 ;;
    --on-idle) ON_IDLE=$2; shift 2 ;;
    --after-broadcasts) AFTER=$2; shift 2 ;;
    --pin) PIN=1; shift ;;
    --wait-quiet) WAIT_QUIET=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

mkdir -p "$OUT"
RUN_DIR=$OUT/run-$(date +%Y%m%d-%H%M%S)${LABEL:+-$LABEL}
mkdir -p "$RUN_DIR"
TMP=$(mktemp -d /tmp/skewgate-bench-push.XXXXXX)
SERVER_PID=""
HARNESS_PID=""

cleanup() {
  set +e
  if [ -n "$HARNESS_PID" ]; then kill "$HARNESS_PID" 2>/dev/null; wait "$HARNESS_PID" 2>/dev/null; fi
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "== $*" | tee -a "$RUN_DIR/run.log"; }

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---- build / tools --------------------------------------------------------------------------------------------
COMMIT=$(git -C "$ROOT" rev-parse HEAD)
if [ -z "$JAR" ]; then
  log "building the gateway from git ${COMMIT:0:7} (HEAD) in $TMP/src"
  mkdir -p "$TMP/src"
  git -C "$ROOT" archive "$COMMIT" | tar -x -C "$TMP/src"
  (cd "$TMP/src" && { mvn -B -q -o -DskipTests package >/dev/null 2>&1 || mvn -B -q -DskipTests package >/dev/null; })
  cp "$TMP/src/target/skewgate.jar" "$OUT/skewgate.jar"
  JAR=$OUT/skewgate.jar
  JAR_FROM="built from ${COMMIT:0:7}"
else
  JAR_FROM=$JAR
  cp "$JAR" "$TMP/skewgate.jar"   # others may rebuild target/ while this runs
  JAR=$TMP/skewgate.jar
fi
if [ ! -d "$HERE/node_modules/ws" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund >/dev/null)
fi

{
  echo "date:      $(date -Is)"
  echo "jar:       $JAR_FROM (sha256 $(sha256sum "$JAR" | cut -c1-12)); git HEAD ${COMMIT:0:7}"
  echo "nproc:     $(nproc)"
  echo "cpu:       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory:    $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel:    $(uname -r)"
  echo "java:      $(java -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "jvm opts:  $JVM_OPTS"
  echo "node:      $(node -v), ws $(node -p 'require("'"$HERE"'/node_modules/ws/package.json").version')"
  echo "nofile:    soft $(ulimit -Sn), hard $(ulimit -Hn)"
  echo "ports:     $(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' '-'), somaxconn $(cat /proc/sys/net/core/somaxconn)"
  echo "counts:    $COUNTS; broadcasts per count: $BROADCASTS; request headers: $HEADERS${PIN:+; pinned: server CPU 0, harness CPU 1}"
  echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "busy processes at start (%CPU > 5):"
  ps -eo pid,pcpu,rss,args --sort=-pcpu | awk 'NR==1 || $2 > 5' | cut -c1-150 | head -8
} | tee "$RUN_DIR/environment.txt"

mkdist() {
  mkdir -p "$1/assets"
  printf '<!doctype html><html><head><title>shop %s</title><script type="module" src="/assets/index-%s.js"></script></head><body></body></html>\n' "$2" "$2" >"$1/index.html"
  printf 'console.log("build %s");\n' "$2" >"$1/assets/index-$2.js"
}
mkdist "$TMP/dist-a" a1b2c3d4
mkdist "$TMP/dist-b" e5f6a7b8

# Every run uses its own block of source addresses (127.<block>.<worker>.<1..200>): no TIME_WAIT left by one run
# can take the ephemeral ports of the next.
BLOCK=20
next_block() { BLOCK=$((BLOCK + 1)); }

SERVER_CPU=()
HARNESS_CPU=()
if [ -n "$PIN" ]; then
  SERVER_CPU=(taskset -c 0)
  HARNESS_CPU=(taskset -c 1)
fi

machine_busy_pct() { # busy share of all CPUs over one second
  local a b busy total
  read -ra a < /proc/stat
  sleep 1
  read -ra b < /proc/stat
  busy=$(( (b[1]+b[2]+b[3]+b[6]+b[7]+b[8]) - (a[1]+a[2]+a[3]+a[6]+a[7]+a[8]) ))
  total=$(( busy + (b[4]-a[4]) + (b[5]-a[5]) ))
  echo $(( total > 0 ? 100 * busy / total : 0 ))
}

wait_quiet() {
  local waited=0 pct
  while :; do
    pct=$(machine_busy_pct)
    if [ "$pct" -lt 10 ] || [ "$waited" -ge "$WAIT_QUIET" ]; then break; fi
    waited=$((waited + 1))
  done
  log "machine busy ${pct}% (waited ${waited} s for < 10%)"
}

harness() {
  "${HARNESS_CPU[@]}" node "$HERE/push/harness.js" "$@" > >(tee -a "$RUN_DIR/run.log") 2>&1 &
  HARNESS_PID=$!
  wait "$HARNESS_PID"
  HARNESS_PID=""
}

run_skewgate() {
  local n=$1 data=$TMP/sg-data-$1 port admin token a b
  port=$(free_port)
  admin=$(free_port)
  log "Skewgate, $n clients (edge :$port, admin :$admin)"
  # The default caps (15,000 connections, 12,000 event streams) would refuse part of the largest count with 503.
  # shellcheck disable=SC2086
  "${SERVER_CPU[@]}" java $JVM_OPTS -jar "$JAR" serve --host 127.0.0.1 --port "$port" --admin-port "$admin" --data-dir "$data" \
    --max-connections $((n + 1000)) --max-event-streams $((n + 1000)) \
    >"$RUN_DIR/skewgate-$n.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 150); do
    if [ -s "$data/admin-token" ] && curl -fs -o /dev/null -H "Authorization: Bearer $(cat "$data/admin-token")" \
        "http://127.0.0.1:$admin/v1/health"; then break; fi
    sleep 0.2
  done
  token=$(cat "$data/admin-token")
  local cli=(--admin-url "http://127.0.0.1:$admin" --data-dir "$data")
  java -jar "$JAR" site create shop --host shop.localhost "${cli[@]}" >>"$RUN_DIR/cli.log" 2>&1
  a=$(java -jar "$JAR" deploy "$TMP/dist-a" --site shop --activate "${cli[@]}" 2>>"$RUN_DIR/cli.log" | tail -1)
  b=$(java -jar "$JAR" deploy "$TMP/dist-b" --site shop --activate "${cli[@]}" 2>>"$RUN_DIR/cli.log" | tail -1)
  echo "site shop: $a, $b (active)" >>"$RUN_DIR/cli.log"
  next_block
  harness --label skewgate --mode sse --target "127.0.0.1:$port" --host-header shop.localhost \
    --path "/_skewgate/events?deployment=$b" --n "$n" --broadcasts "$BROADCASTS" --headers "$HEADERS" \
    --admin "http://127.0.0.1:$admin" --token "$token" --site shop --deployments "$a,$b" \
    --probe-url "http://127.0.0.1:$port/_skewgate/version.json" \
    --server-pid "$SERVER_PID" --jvm --ip-prefix "127.$BLOCK." --out "$RUN_DIR/sse-$n.json" \
    ${ON_IDLE:+--on-idle "$ON_IDLE"} ${AFTER:+--after-broadcasts "$AFTER"}
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

run_node() {
  local n=$1 port
  port=$(free_port)
  log "Node ws seed design, $n clients (:$port)"
  "${SERVER_CPU[@]}" node --expose-gc "$HERE/push/node-ws-server.js" --port "$port" >"$RUN_DIR/node-ws-$n.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/internal/stats"; then break; fi
    sleep 0.1
  done
  next_block
  harness --label node-ws --mode ws --target "127.0.0.1:$port" --host-header shop.localhost --path / \
    --n "$n" --broadcasts "$BROADCASTS" --headers "$HEADERS" --notify "http://127.0.0.1:$port/internal/notify-deploy" \
    --probe-url "http://127.0.0.1:$port/internal/ping" \
    --server-pid "$SERVER_PID" --ip-prefix "127.$BLOCK." --out "$RUN_DIR/ws-$n.json" \
    ${ON_IDLE:+--on-idle "$ON_IDLE"} ${AFTER:+--after-broadcasts "$AFTER"}
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

START=$(date +%s)
wait_quiet
for n in $COUNTS; do
  [ "$ONLY" = ws ] || run_skewgate "$n"
  [ "$ONLY" = sse ] || run_node "$n"
done

{
  echo
  echo "## Results ($(basename "$RUN_DIR"), $(($(date +%s) - START)) s)"
  echo
  node "$HERE/push/table.js" "$RUN_DIR"
} | tee "$RUN_DIR/summary.md"
log "results in $RUN_DIR"
