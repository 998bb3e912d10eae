#!/usr/bin/env bash
# Startup (issue 13, target 5): `skewgate serve` to its first served response with 100 sites and 1,000 deployments
# (30 files each: an index.html of its own and 29 shared assets) in the store. Fills a data dir once through the
# admin API, then restarts the gateway RUNS times and prints, per run, the wall time from exec to the first 200 of
# a site's entry point, to the moment every one of the 100 sites answers 200, and to readiness (/_skewgate/readyz
# 200: every servable deployment compiled). Target: first response <= 1 s.
# The anchor is the same JVM's start to its first line of output (java -version), which no change of ours can
# speed up. The CPU time the gateway used until its first response (all threads, from /proc) is printed too: it
# varies less than wall time on a machine shared with other work.
#
# Knobs: SKEWGATE_JAR [bench/out/skewgate.jar]  SITES [100]  DEPLOYS [10 per site]  RUNS [5]
#        SG_PORT/SG_ADMIN [18580/18581]  JAVA_OPTS []  KEEP_DATA [unset: a dir to fill once and keep, for profiling]
#        SERVE_CDS [0; 1: record a class-data-sharing archive for this jar with its app.ServeTraining, as
#                   `mvn package` does for target/skewgate.jar, and start with it, as `bin/skewgate serve` does;
#                   a JDK 17 archive serves only the jar at the path it was made for, so it is made here; and with
#                   bin/serve.jvmopts, as bin/skewgate serve starts]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SITES="${SITES:-100}"
DEPLOYS="${DEPLOYS:-10}"
RUNS="${RUNS:-5}"
SG_PORT="${SG_PORT:-18580}"
SG_ADMIN="${SG_ADMIN:-18581}"
for tool in java python3 curl; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    [[ -f "$ROOT/target/skewgate.jar" ]] || { echo "no jar: see bench/README.md" >&2; exit 1; }
    mkdir -p "$(dirname "$JAR")" && cp "$ROOT/target/skewgate.jar" "$JAR" && rm -f "$JAR.commit"
fi
JAR_COMMIT="$(cat "$JAR.commit" 2>/dev/null || echo "unknown (copied from target/)")"
WORK="$(mktemp -d /tmp/skewgate-bench-startup.XXXXXX)"
PID=""
cleanup() { set +e; [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

DATA="${KEEP_DATA:-$WORK/data}"
SERVE_OPTS=()
if [[ "${SERVE_CDS:-0}" == 1 ]]; then
    java -XX:ArchiveClassesAtExit="$WORK/serve.jsa" -cp "$JAR" dev.skewgate.app.ServeTraining > "$WORK/training.log" 2>&1 \
        && [[ -f "$WORK/serve.jsa" ]] || { echo "SERVE_CDS: no archive from $JAR (a jar without app.ServeTraining?)" >&2; exit 1; }
    SERVE_OPTS=("@$ROOT/bin/serve.jvmopts" -XX:SharedArchiveFile="$WORK/serve.jsa")
fi
start() { java ${JAVA_OPTS:-} "${SERVE_OPTS[@]}" -jar "$JAR" serve --port "$SG_PORT" --admin-port "$SG_ADMIN" --data-dir "$DATA" \
    > "$WORK/serve.log" 2>&1 & PID=$!; }
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

echo "== startup with $SITES sites x $DEPLOYS deployments, jar $JAR_COMMIT${SERVE_OPTS:+ with its serve archive}, $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ! -f "$DATA/admin-token" ]]; then
start
for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$SG_ADMIN/v1/health" && break; sleep 0.1; done
t0=$(date +%s)
python3 - "$SG_ADMIN" "$DATA/admin-token" "$SITES" "$DEPLOYS" <<'PY'
import hashlib, json, sys, urllib.request
port, token_file, sites, deploys = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
token = open(token_file).read().strip()
def call(method, path, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if raw is None and data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")
shared = {"assets/chunk-%02d-%s.js" % (i, hashlib.sha1(b"%d" % i).hexdigest()[:8]):
          ("export const v%d = %s;\n" % (i, "1" * 200)).encode() for i in range(29)}
for s in range(sites):
    call("POST", "/v1/sites", {"name": "site%d" % s, "hosts": ["site%d.localhost" % s]})
    for d in range(deploys):
        files = dict(shared)
        files["index.html"] = ("<!doctype html><title>site %d build %d</title><p>site %d build %d</p>" % (s, d, s, d)).encode()
        manifest = [{"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for p, b in files.items()]
        by_sha = {hashlib.sha256(b).hexdigest(): b for b in files.values()}
        created = call("POST", "/v1/sites/site%d/deployments" % s, {"files": manifest, "message": "bench"})
        dep = created["deployment"]["id"]
        for sha in created.get("missing", []):
            call("PUT", "/v1/deployments/%s/blobs/%s" % (dep, sha), raw=by_sha[sha])
        call("POST", "/v1/deployments/%s/finalize" % dep, {})
        if d == deploys - 1:
            call("POST", "/v1/sites/site%d/activate" % s, {"deployment": dep})
PY
echo "   filled in $(( $(date +%s) - t0 )) s: $(curl -s -H "Authorization: Bearer $(cat "$DATA/admin-token")" \
    "http://127.0.0.1:$SG_ADMIN/v1/sites" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sites"]), "sites")')"
stop
fi

now_ms() { date +%s%3N; }
first_ok() {  # $1 = host: ms until it answers 200
    local begin="$1" host="$2"
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" -H 'Accept: text/html' "http://127.0.0.1:$SG_PORT/")" == 200 ]]; do
        sleep 0.005
    done
    echo $(( $(now_ms) - begin ))
}
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$PID/stat"; }
jvm=()
firsts=()
alls=()
cpus=()
readys=()
for r in $(seq 1 "$RUNS"); do
    b=$(now_ms); java ${JAVA_OPTS:-} -version >/dev/null 2>&1; jvm+=($(( $(now_ms) - b )))
    b=$(now_ms); start
    f=$(first_ok "$b" "site$((SITES - 1)).localhost")
    c=$(cpu_ms)
    for s in $(seq 0 $((SITES - 1))); do first_ok "$b" "site$s.localhost" >/dev/null; done
    a=$(( $(now_ms) - b ))
    # Ready: every servable deployment compiled (the retained and staged ones follow the bind in the background).
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: lb' "http://127.0.0.1:$SG_PORT/_skewgate/readyz")" == 200 ]]; do
        sleep 0.005
    done
    y=$(( $(now_ms) - b ))
    stop
    firsts+=("$f"); alls+=("$a"); cpus+=("$c"); readys+=("$y")
    echo "   run $r: first response ${f} ms (CPU used by then ${c} ms, all threads), all $SITES sites ${a} ms, ready ${y} ms (java -version ${jvm[-1]} ms)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mf=$(median "${firsts[@]}"); ma=$(median "${alls[@]}"); mj=$(median "${jvm[@]}"); mc=$(median "${cpus[@]}"); my=$(median "${readys[@]}")
echo
echo "   median: first response $mf ms (target <= 1000), CPU by then $mc ms, all sites $ma ms, ready $my ms, JVM alone $mj ms"
echo "   {\"bench\":\"startup\",\"serve_cds\":${SERVE_CDS:-0},\"sites\":$SITES,\"deployments\":$((SITES * DEPLOYS)),\"first_ms\":$mf,\"cpu_ms\":$mc,\"all_ms\":$ma,\"ready_ms\":$my,\"jvm_ms\":$mj,\"commit\":\"$JAR_COMMIT\"}"
