#!/usr/bin/env bash
# Activation at scale: how long a switch takes, from the admin API call until the edge serves the new version, on a
# gateway holding SITES sites x DEPLOYS retained deployments of FILES files each (defaults 50 x 10 x 2,000 = 1M
# files). Anchor in the same run: nginx serving the same releases from folders, switched the way people do it
# without Skewgate: rewrite the site's include (root + version header) and `nginx -s reload`; and, as a lower
# bound, swapping the site's `current` symlink (no reload).
#
# Steps:
#   1. build the jar (mvn -B -q -DskipTests package) and copy it into the temp dir (others may rebuild target/)
#   2. start `skewgate serve` with a temp data dir; populate through the admin API (bench/activation-at-scale.mjs,
#      Node, no npm packages): per site a Vite-like dist (index.html, assets/*-<hash>.js/.css, images, fonts; mostly
#      0.2-20 KB, a few of 40-600 KB), each next build changing CHANGE_PCT % of the files (new content, new hashed
#      name) plus the entry chunk and index.html; each deployment finalized and activated once, in order, so every
#      site ends with 1 active + DEPLOYS-1 previous (keepPrevious = DEPLOYS, skew window 30d: nothing is retired).
#      The same releases are written as folders for nginx (unchanged files hard-linked, cp -al).
#   3. start nginx (own prefix, current user): per site one server block including sites/<site>.conf and one on
#      releases/<site>/current
#   4. ROUNDS rounds; each does, in random order, one Skewgate switch (activate a random retained deployment, or
#      roll back: alternating), one nginx reload switch and one symlink switch, each on a random site. Each switch is
#      timed twice: the command (Skewgate's API call returns after the snapshot swap; `nginx -s reload` returns after
#      signalling the master) and until a GET on a fresh connection for that site's host first returns the new
#      version (X-Skewgate-Deployment; nginx: X-Version), polled back to back from the moment the switch starts.
#
# Environment knobs (defaults in brackets):
#   SKEWGATE_JAR   run this jar instead of building one [build with mvn, copy target/skewgate.jar]
#   SITES DEPLOYS FILES   [50 10 2000]      CHANGE_PCT  files changed between consecutive builds [10]
#   ROUNDS         measured switches of each kind [30]
#   POP_BUDGET     seconds: no further build round of the population once it would end after this; the run then
#                  measures with the deployments it has (at least 2 per site) and says so [360]
#   MEASURE_BUDGET seconds: no further measured round once it would end after this (at least 3 rounds) [150]
#   SYNTHETIC      1 = the sites keep the default synthetic checks before a switch, 0 = checks.synthetic false [1]
#   SITE_PAR BLOB_PAR  sites deployed at once / blob PUTs in flight per site during population [4 4]
#   JAVA_OPTS      extra JVM flags for `skewgate serve` []     VERBOSE=1  print every switch
#   SG_PORT/SG_ADMIN_PORT/NGX_PORT  [18500/18501/18502]
# Only 127.0.0.1 is targeted. Everything it starts is stopped and the temp dir deleted on exit (also on Ctrl-C).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export SITES="${SITES:-50}" DEPLOYS="${DEPLOYS:-10}" FILES="${FILES:-2000}" CHANGE_PCT="${CHANGE_PCT:-10}"
export ROUNDS="${ROUNDS:-30}" SYNTHETIC="${SYNTHETIC:-1}" SITE_PAR="${SITE_PAR:-4}" BLOB_PAR="${BLOB_PAR:-4}"
export SG_PORT="${SG_PORT:-18500}" SG_ADMIN_PORT="${SG_ADMIN_PORT:-18501}" NGX_PORT="${NGX_PORT:-18502}"
JAVA_OPTS="${JAVA_OPTS:-}"

for tool in java node nginx curl cp; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y nginx curl; JDK 17+, node 18+)" >&2; exit 1; }
done
(( DEPLOYS >= 2 )) || { echo "DEPLOYS must be at least 2 (rollback needs a previous deployment)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/skewgate-bench-activation.XXXXXX)"
chmod 755 "$WORK"   # nginx workers may run as another user and must read the releases
export WORK NGX_DIR="$WORK/nginx" TOKEN_FILE="$WORK/sgdata/admin-token"
SG_PID=""
NGX_PID=""
cleanup() {
    set +e
    [[ -n "$SG_PID" ]] && kill "$SG_PID" 2>/dev/null && wait "$SG_PID" 2>/dev/null
    [[ -n "$NGX_PID" ]] && kill -QUIT "$NGX_PID" 2>/dev/null && wait "$NGX_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # runs the EXIT trap

# ---- the jar ---------------------------------------------------------------------------------------------------
if [[ -n "${SKEWGATE_JAR:-}" ]]; then
    cp "$SKEWGATE_JAR" "$WORK/skewgate.jar"
    JAR_NOTE="$SKEWGATE_JAR"
else
    (cd "$ROOT" && mvn -B -q -DskipTests package > "$WORK/mvn.log" 2>&1) || { cat "$WORK/mvn.log" >&2; exit 1; }
    cp "$ROOT/target/skewgate.jar" "$WORK/skewgate.jar"
    dirty=""; [[ -n "$(git -C "$ROOT" status --porcelain -- src pom.xml 2>/dev/null)" ]] && dirty=" + uncommitted changes in src/"
    JAR_NOTE="built from $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$dirty"
fi
JAR="$WORK/skewgate.jar"

echo "== activation at scale: Skewgate switch vs nginx reload =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc:   $(nproc)"
echo "cpu:     $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
echo "kernel:  $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "memory:  $(awk '/MemTotal/{printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "java:    $(java -version 2>&1 | head -n 1) / $(java -version 2>&1 | sed -n 3p)"
echo "nginx:   $(nginx -v 2>&1)"
echo "node:    $(node --version)"
echo "jar:     $JAR_NOTE ($(java -jar "$JAR" --version 2>/dev/null), sha256 $(sha256sum "$JAR" | cut -c1-12))"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
echo "scale:   $SITES sites x $DEPLOYS retained deployments x $FILES files (the goal; the population may stop earlier, see"
echo "         POP_BUDGET), $CHANGE_PCT % of the files changed per build;"
echo "         synthetic checks before a switch: $([[ $SYNTHETIC == 1 ]] && echo "on (the default)" || echo off)"
echo

# ---- Skewgate --------------------------------------------------------------------------------------------------
ADMIN="http://127.0.0.1:$SG_ADMIN_PORT"
# shellcheck disable=SC2086
java $JAVA_OPTS -jar "$JAR" serve --host 127.0.0.1 --port "$SG_PORT" --admin-port "$SG_ADMIN_PORT" \
    --data-dir "$WORK/sgdata" > "$WORK/skewgate.log" 2>&1 &
SG_PID=$!
for _ in $(seq 150); do
    curl -s -o /dev/null "$ADMIN/v1/health" && break
    kill -0 "$SG_PID" 2>/dev/null || { cat "$WORK/skewgate.log" >&2; exit 1; }
    sleep 0.2
done
[[ -s "$TOKEN_FILE" ]] || { echo "no admin token at $TOKEN_FILE" >&2; exit 1; }

echo "populating (Skewgate through its admin API; the same releases as folders for nginx):"
failed() { echo "FAILED: $1; the gateway's log ends with:" >&2; tail -n 20 "$WORK/skewgate.log" >&2; exit 1; }
heap() { jcmd "$SG_PID" GC.heap_info 2>/dev/null | awk '/garbage-first heap|def new generation/{print; exit}' | sed 's/^ *//; s/ \[.*//'; }
node "$HERE/activation-at-scale.mjs" populate || failed "population"
echo "Skewgate heap after population: $(heap)"
echo

# ---- nginx (own prefix + config; not the system service) -------------------------------------------------------
nginx -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf" -t -q
nginx -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf" -g 'daemon off;' &
NGX_PID=$!
for _ in $(seq 50); do
    curl -s -o /dev/null -H "Host: s00.localhost" "http://127.0.0.1:$NGX_PORT/" && break
    sleep 0.1
done
echo "nginx:   $(grep -c 'server {' "$NGX_DIR/nginx.conf") server blocks, worker_processes auto ($(nproc)); switching by reload: rewrite"
echo "         sites/<site>.conf (root + add_header X-Version, write + rename), then 'nginx -s reload'"
echo

busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
jvm() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$SG_PID/stat"; }
b0=$(busy); j0=$(jvm); w0=$SECONDS
node "$HERE/activation-at-scale.mjs" measure || failed "measuring"
b1=$(busy); j1=$(jvm); w1=$SECONDS
echo "during the measured switches: machine CPU busy $(( 100 * (b1 - b0) / $(getconf CLK_TCK) / $(nproc) / (w1 - w0 > 0 ? w1 - w0 : 1) )) % of"\
" $(nproc) cores, Skewgate's JVM $(( 100 * (j1 - j0) / $(getconf CLK_TCK) / (w1 - w0 > 0 ? w1 - w0 : 1) )) % of one core"
echo "Skewgate heap after measuring: $(heap)"
echo
echo "script time ${SECONDS} s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
