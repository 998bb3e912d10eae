#!/usr/bin/env bash
# Multi-node on PostgreSQL (issue 14's benchmark): three gateways on one throwaway PostgreSQL cluster.
#  1. Propagation: ACTIVATIONS activations through node 1, alternating two deployments; each answer says how long
#     until every live node served it (`nodes.waitedMs`, the gateway's own report-back), and the script checks
#     independently, right after each answer, that nodes 2 and 3 serve the new version. Prints p50/p99/max.
#  2. Edge req/s of one node on PostgreSQL vs one on SQLite (the request path never touches either store: they
#     should be equal), wrk -t1 -c64 on a small static page, ROUNDS alternating runs of DURATION s.
# Environment knobs: SKEWGATE_JAR [bench/out/skewgate.jar, copied from target/ if missing], ACTIVATIONS [50],
#   ROUNDS [3], DURATION [5], BASE_PORT [18700] (uses BASE_PORT..BASE_PORT+9).
# Needs: java 17+, wrk, curl, python3, PostgreSQL server binaries (Debian's postgresql; no cluster or service is
# used: the script runs initdb in a temp dir as the postgres user). Everything it starts is stopped on exit.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ACTIVATIONS="${ACTIVATIONS:-50}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
BASE="${BASE_PORT:-18700}"
HOST_HDR="shop.localhost"

for tool in java wrk curl python3 runuser; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -x "$PGBIN/initdb" ]] || { echo "no PostgreSQL server binaries: apt-get install -y postgresql" >&2; exit 1; }
JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    mkdir -p "$(dirname "$JAR")"; cp "$ROOT/target/skewgate.jar" "$JAR"; rm -f "$JAR.commit"
fi

WORK="$(mktemp -d /tmp/skewgate-bench-multi.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    [[ -d "$WORK/pg" ]] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== Skewgate multi-node on PostgreSQL =="
echo "date:  $(date -u '+%Y-%m-%d %H:%M:%S UTC')   load: $(cut -d' ' -f1-3 /proc/loadavg)   nproc: $(nproc)"
echo "jar:   $JAR (commit $(cat "$JAR.commit" 2>/dev/null || echo unknown))   postgres: $("$PGBIN/postgres" --version)"

# ---- PostgreSQL: a throwaway cluster (fsync on: the defaults a user runs) -----------------------------------------
PGPORT=$BASE
mkdir -p "$WORK/pg" && chown postgres "$WORK/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -U skewgate --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
    -o "-p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U skewgate skewgate
STORE="postgresql://skewgate@127.0.0.1:$PGPORT/skewgate"

serve() { # name edge admin [store]
    local dir="$WORK/$1"; mkdir -p "$dir"
    [[ "$1" != n1 && -f "$WORK/n1/secret-key" && -n "${4:-}" ]] && cp "$WORK/n1/secret-key" "$dir/"
    java -jar "$JAR" serve --port "$2" --admin-port "$3" --data-dir "$dir" ${4:+--store "$4"} > "$dir.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 150); do
        [[ -f "$dir/admin-token" ]] && curl -s -o /dev/null -H "Authorization: Bearer $(cat "$dir/admin-token")" \
            "http://127.0.0.1:$3/v1/health" && return 0
        sleep 0.2
    done
    echo "node $1 did not start:"; tail -20 "$dir.log"; exit 1
}
cli() { java -jar "$JAR" "$@"; }

serve n1 $((BASE + 1)) $((BASE + 2)) "$STORE"
serve n2 $((BASE + 3)) $((BASE + 4)) "$STORE"
serve n3 $((BASE + 5)) $((BASE + 6)) "$STORE"
serve solo $((BASE + 7)) $((BASE + 8))
A1="http://127.0.0.1:$((BASE + 2))"
mkdir -p "$WORK/v1" "$WORK/v2"
echo '<!doctype html><title>v1</title><p>one</p>' > "$WORK/v1/index.html"
echo '<!doctype html><title>v2</title><p>two</p>' > "$WORK/v2/index.html"
for pair in "n1 $A1" "solo http://127.0.0.1:$((BASE + 8))"; do
    set -- $pair
    cli site create shop --host "$HOST_HDR" --admin-url "$2" --data-dir "$WORK/$1" > /dev/null
done
D1="$(cli deploy "$WORK/v1" --site shop --admin-url "$A1" --data-dir "$WORK/n1" | tail -n 1)"
D2="$(cli deploy "$WORK/v2" --site shop --admin-url "$A1" --data-dir "$WORK/n1" | tail -n 1)"
cli deploy "$WORK/v1" --site shop --activate --admin-url "http://127.0.0.1:$((BASE + 8))" --data-dir "$WORK/solo" > /dev/null
TOKEN="$(cat "$WORK/n1/admin-token")"

# ---- 1. propagation ------------------------------------------------------------------------------------------------
echo
echo "propagation: $ACTIVATIONS activations through node 1 (alternating $D1 / $D2)"
: > "$WORK/waited"
behind=0
for i in $(seq "$ACTIVATIONS"); do
    target=$([[ $((i % 2)) == 1 ]] && echo "$D1" || echo "$D2")
    curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"deployment\":\"$target\"}" "$A1/v1/sites/shop/activate" > "$WORK/answer"
    python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["nodes"]; assert not n["lagging"], n; print(n["waitedMs"])' \
        "$WORK/answer" >> "$WORK/waited"
    for port in $((BASE + 3)) $((BASE + 5)); do
        got="$(curl -s -o /dev/null -w '%header{x-skewgate-deployment}' -H "Host: $HOST_HDR" "http://127.0.0.1:$port/")"
        [[ "$got" == "$target" ]] || behind=$((behind + 1))
    done
done
python3 - "$WORK/waited" "$behind" <<'PY'
import sys
w = sorted(int(x) for x in open(sys.argv[1]))
q = lambda p: w[min(len(w) - 1, int(round(p * (len(w) - 1))))]
print(f"  served by all 3 nodes after: p50 {q(0.5)} ms, p99 {q(0.99)} ms, max {w[-1]} ms (the answer polls every 10 ms)")
print(f"  nodes 2/3 checked right after each answer: {sys.argv[2]} of {2 * len(w)} still served the old version")
PY

# ---- 2. edge req/s, PostgreSQL node vs SQLite node -----------------------------------------------------------------
echo
echo "edge req/s: wrk -t1 -c64 -d${DURATION}s GET / (Host $HOST_HDR), node 1 on PostgreSQL vs a node on SQLite"
for port in $((BASE + 1)) $((BASE + 7)); do wrk -t1 -c64 -d3s -H "Host: $HOST_HDR" "http://127.0.0.1:$port/" > /dev/null; done
declare -a PG SQ
for r in $(seq "$ROUNDS"); do
    PG+=("$(wrk -t1 -c64 -d"${DURATION}"s -H "Host: $HOST_HDR" "http://127.0.0.1:$((BASE + 1))/" | awk '/Requests\/sec/ {print $2}')")
    SQ+=("$(wrk -t1 -c64 -d"${DURATION}"s -H "Host: $HOST_HDR" "http://127.0.0.1:$((BASE + 7))/" | awk '/Requests\/sec/ {print $2}')")
    echo "  round $r: postgresql ${PG[-1]} req/s, sqlite ${SQ[-1]} req/s"
done
python3 - "${PG[*]}" "${SQ[*]}" <<'PY'
import statistics, sys
pg = statistics.median(float(x) for x in sys.argv[1].split())
sq = statistics.median(float(x) for x in sys.argv[2].split())
print(f"  medians: postgresql {pg:.0f}, sqlite {sq:.0f} req/s; ratio postgresql/sqlite {pg / sq:.2f}x (expected ~1.0)")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
