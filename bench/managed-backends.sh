#!/usr/bin/env bash
# Managed backends (issue 11), in one run:
#   1. deploy-to-serving of a managed Node (Express) backend: `skewgate deploy --backend-dir --activate` until the
#      site's API answers from the new version; first deploy (everything uploaded, node_modules included) and an
#      incremental one (one file of the backend changed: only it is uploaded);
#   2. cold start after idle-stop: a previous version with --idle-stop 10s falls asleep; the time of its next pinned
#      request (start, readiness, answer);
#   3. proxy req/s and latency through Skewgate to the managed backend vs through Skewgate to the same app started by
#      hand (`PORT=... node server.js`, --default-backend), with wrk straight to the hand-started app as the limit.
#      Both are 1 Node process; the ratio managed / by hand is what the supervision costs on the request path.
#
# The app is bench/managed-app (Express 4 from the npm registry, package-lock.json; `npm ci` into a temp dir).
#
# Environment knobs (defaults in brackets):
#   SKEWGATE_JAR  jar to run [bench/out/skewgate.jar; copied from target/skewgate.jar if missing]
#   DURATION      seconds per measured wrk run [10]      ROUNDS  measured runs per target, alternating [3]
#   CONNS         wrk connections [64]                   WARMUP  seconds of warm-up per target [5]
#   COLD_ROUNDS   idle-stop / wake cycles [3]
#   SG_PORT/SG_ADMIN_PORT/HAND_PORT  [18520/18521/18523]
# Only 127.0.0.1 is used. Everything it starts is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-64}"
WARMUP="${WARMUP:-5}"
COLD_ROUNDS="${COLD_ROUNDS:-3}"
SG_PORT="${SG_PORT:-18520}"
SG_ADMIN_PORT="${SG_ADMIN_PORT:-18521}"
HAND_PORT="${HAND_PORT:-18523}"

for tool in java wrk node npm curl python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y wrk nodejs npm curl python3)" >&2; exit 1; }
done

JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    [[ -f "$ROOT/target/skewgate.jar" ]] || { echo "no jar: see bench/README.md (build from git archive HEAD)" >&2; exit 1; }
    mkdir -p "$(dirname "$JAR")"
    cp "$ROOT/target/skewgate.jar" "$JAR"   # never run target/ directly: others rebuild it
    rm -f "$JAR.commit"
fi
JAR_COMMIT="$(cat "$JAR.commit" 2>/dev/null || echo "unknown (copied from target/)")"

WORK="$(mktemp -d /tmp/skewgate-bench-managed.XXXXXX)"
chmod 755 "$WORK"
SG_PID=""
HAND_PID=""
cleanup() {
    set +e
    [[ -n "$HAND_PID" ]] && kill "$HAND_PID" 2>/dev/null && wait "$HAND_PID" 2>/dev/null
    # SIGTERM: the gateway stops the backends it runs, then itself
    [[ -n "$SG_PID" ]] && kill "$SG_PID" 2>/dev/null && wait "$SG_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ms() { date +%s%3N; }
ADMIN="http://127.0.0.1:$SG_ADMIN_PORT"
EDGE="http://127.0.0.1:$SG_PORT"
cli() { java -jar "$JAR" "$@" --admin-url "$ADMIN" --data-dir "$WORK/sgdata"; }
token() { cat "$WORK/sgdata/admin-token"; }
api() { curl -s -H "Host: shop.localhost" "$@"; }
# the backendState of a deployment in the site's status
backend_state() {
    curl -s -H "Authorization: Bearer $(token)" "$ADMIN/v1/sites/$1/status" | python3 -c '
import json, sys
for d in json.load(sys.stdin)["deployments"]:
    if d["id"] == sys.argv[1]:
        print(d.get("backendState", "")); break' "$2"
}
# waits until the site's API answers {"v": $1}; prints nothing
await_version() {
    for _ in $(seq 600); do
        [[ "$(api "$EDGE/api/x" 2>/dev/null)" == *"\"v\":\"$1\""* ]] && return 0
        sleep 0.01
    done
    echo "the API never answered version $1" >&2; exit 1
}

# ---- the app: Express from the registry, exactly as the lockfile says ------------------------------------------------
APP="$WORK/app"
mkdir -p "$APP"
cp "$HERE/managed-app/package.json" "$HERE/managed-app/package-lock.json" "$HERE/managed-app/server.js" "$APP/"
echo '{"v": "1"}' > "$APP/version.json"
(cd "$APP" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
APP_FILES="$(find "$APP" -type f | wc -l)"
APP_BYTES="$(du -sb "$APP" | cut -f1)"
DIST="$WORK/dist"
mkdir -p "$DIST"
echo '<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body><p>bench</p></body></html>' > "$DIST/index.html"

# ---- Skewgate ------------------------------------------------------------------------------------------------------
java -jar "$JAR" serve --port "$SG_PORT" --admin-port "$SG_ADMIN_PORT" --data-dir "$WORK/sgdata" > "$WORK/skewgate.log" 2>&1 &
SG_PID=$!
for _ in $(seq 150); do
    curl -s -o /dev/null "$ADMIN/v1/health" && break
    kill -0 "$SG_PID" 2>/dev/null || { cat "$WORK/skewgate.log" >&2; exit 1; }
    sleep 0.2
done
cli site create shop --host shop.localhost > /dev/null
cli site update shop --run "node server.js" --health /api/health > /dev/null

deploy() { # version instances [more flags] -> prints "ms uploaded-line id"
    local v="$1" n="$2"; shift 2
    echo "{\"v\": \"$v\"}" > "$APP/version.json"
    local t0 t1 out
    t0="$(ms)"
    out="$(cli deploy "$DIST" --site shop --backend-dir "$APP" --instances "$n" --activate --message "v$v" "$@")"
    await_version "$v"
    t1="$(ms)"
    echo "$((t1 - t0))|$(grep -m1 'to upload' <<<"$out" | sed 's/^deployment [^:]*: //')|$(tail -n 1 <<<"$out")"
}

echo "== Skewgate managed backends: $(date -u +%FT%TZ), jar $JAR_COMMIT, $(nproc) CPUs, node $(node --version)"
echo "   app: Express (bench/managed-app, npm ci): $APP_FILES files, $((APP_BYTES / 1024)) KiB incl. node_modules"
echo "   site checks at their defaults: 3 readiness probes per instance, synthetic host checks through the edge"
echo
IFS='|' read -r FIRST_MS FIRST_UP V1 <<<"$(deploy 1 2)"
IFS='|' read -r INCR_MS INCR_UP V2 <<<"$(deploy 2 2 --idle-stop 10s)"
echo "1. deploy-to-serving (deploy --backend-dir --instances 2 --activate, until the API answers the new version)"
printf "   first        %6d ms   %s\n" "$FIRST_MS" "$FIRST_UP"
printf "   incremental  %6d ms   %s   (version.json changed)\n" "$INCR_MS" "$INCR_UP"

# v3 (1 instance) goes live: v2 becomes previous, with --idle-stop 10s
IFS='|' read -r _ _ V3 <<<"$(deploy 3 1)"
echo
echo "2. cold start after idle-stop (previous version $V2, --idle-stop 10s, 2 instances; a pinned GET wakes it)"
COLD=()
for r in $(seq "$COLD_ROUNDS"); do
    for _ in $(seq 600); do
        [[ "$(backend_state shop "$V2")" == sleeping ]] && break
        sleep 0.1
    done
    [[ "$(backend_state shop "$V2")" == sleeping ]] || { echo "v2 never fell asleep" >&2; exit 1; }
    t0="$(ms)"
    body="$(api -H "X-Skewgate-Deployment: $V2" "$EDGE/api/x")"
    t1="$(ms)"
    [[ "$body" == *'"v":"2"'* ]] || { echo "the woken request got: $body" >&2; exit 1; }
    COLD+=("$((t1 - t0))")
    printf "   round %d: %5d ms (request to answer, the instances started and probed)\n" "$r" "$((t1 - t0))"
done

# ---- the same app by hand, as the anchor ------------------------------------------------------------------------------
HAND="$WORK/hand"
cp -r "$APP" "$HAND"
(cd "$HAND" && APP_VERSION=hand PORT="$HAND_PORT" exec node server.js) > "$WORK/hand.log" 2>&1 &
HAND_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$HAND_PORT/api/health" && break; sleep 0.1; done
cli site create hand --host hand.localhost --default-backend "http://127.0.0.1:$HAND_PORT" --default-health /api/health > /dev/null
cli deploy "$DIST" --site hand --activate > /dev/null

run_wrk() { # host url -> "req/s p50 p99"
    wrk -t1 -c"$CONNS" -d"${2}s" --latency -H "Host: $1" "$3" | awk '
        /Requests\/sec/ {rps=$2}
        /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
        /Non-2xx/ {bad=$NF}
        END {printf "%s %s %s %s\n", rps, p50, p99, (bad == "" ? 0 : bad)}'
}
echo
echo "3. proxy to 1 Node process: wrk -t1 -c$CONNS -d${DURATION}s GET /api/x, $ROUNDS rounds alternating"
for t in direct hand managed; do
    case $t in
        direct) run_wrk hand.localhost "$WARMUP" "http://127.0.0.1:$HAND_PORT/api/x" > /dev/null ;;
        hand) run_wrk hand.localhost "$((2 * WARMUP))" "$EDGE/api/x" > /dev/null ;;
        managed) run_wrk shop.localhost "$((2 * WARMUP))" "$EDGE/api/x" > /dev/null ;;
    esac
done
declare -A SUM
for r in $(seq "$ROUNDS"); do
    for t in direct hand managed; do
        case $t in
            direct) res="$(run_wrk hand.localhost "$DURATION" "http://127.0.0.1:$HAND_PORT/api/x")" ;;
            hand) res="$(run_wrk hand.localhost "$DURATION" "$EDGE/api/x")" ;;
            managed) res="$(run_wrk shop.localhost "$DURATION" "$EDGE/api/x")" ;;
        esac
        read -r rps p50 p99 bad <<<"$res"
        printf "   round %d %-8s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n" "$r" "$t" "$rps" "$p50" "$p99" "$bad"
        SUM[$t]="${SUM[$t]:-} $rps"
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
D="$(median <<<"${SUM[direct]}")"; H="$(median <<<"${SUM[hand]}")"; M="$(median <<<"${SUM[managed]}")"
COLD_MED="$(printf '%s\n' "${COLD[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo
echo "== summary"
printf "   deploy-to-serving: first %d ms, incremental %d ms; cold start after idle-stop (median of %d): %d ms\n" \
    "$FIRST_MS" "$INCR_MS" "$COLD_ROUNDS" "$COLD_MED"
printf "   req/s medians: direct %s, Skewgate -> by hand %s, Skewgate -> managed %s\n" "$D" "$H" "$M"
python3 -c "import sys; d,h,m=map(float,sys.argv[1:]); print(f'   ratio managed / by hand: {m/h:.2f}x   (by hand / direct: {h/d:.2f}x)')" "$D" "$H" "$M"
