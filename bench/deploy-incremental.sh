#!/usr/bin/env bash
# Incremental deploy: time `skewgate deploy` of a 2,000-file build (everything uploaded), then of the same build
# with 1% of the files changed (only those uploaded), then of the unchanged build (nothing uploaded), then of the
# unchanged build with --rehash (the hash cache not trusted: every file read again), and split the wall time into
# its parts. The CLI runs as a user runs it: through bin/skewgate (client JVM flags and the class-data-sharing
# archive, made here for the staged jar as `mvn package` makes it for target/), with a hash cache of its own that
# starts empty. Each deploy's output lines are time-stamped, which gives its phases (start = JVM + CLI init +
# hashing + manifest POST, upload, finalize, activate, exit); next to them:
#   JVM start             `skewgate --version` (best of 3)
#   CLI fixed overhead    `skewgate site list` (JVM start + picocli + HTTP client + one admin request, best of 3),
#                         and the same as plain `java -jar skewgate.jar site list` (no archive, default JVM flags)
#   hashing the build     what the cache saves: native sha256sum of the whole build (warm page cache)
#   server work           the admin API calls of a deploy timed with curl (manifest POST, finalize, activate) for
#                         a fifth deployment of the unchanged build
#
# Environment knobs (defaults in brackets):
#   SKEWGATE_JAR   jar to run [bench/out/skewgate.jar; copied from target/skewgate.jar if missing]
#   FILES          number of files [2000]      CHANGED  files changed for the second deploy [FILES/100]
#   MIN_KB/MAX_KB  file size range in KiB [1/50]
#   MAX_OTHER/QUIET_WAIT   wait up to QUIET_WAIT s [60] before each timed step until other processes use
#                          < MAX_OTHER % [5] of the CPU (the machine may be shared)
#   SG_PORT/SG_ADMIN_PORT  [18490/18491]
# Only 127.0.0.1 is targeted. Everything it starts is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
FILES="${FILES:-2000}"
CHANGED="${CHANGED:-$((FILES / 100))}"
MIN_KB="${MIN_KB:-1}"
MAX_KB="${MAX_KB:-50}"
SG_PORT="${SG_PORT:-18490}"
SG_ADMIN_PORT="${SG_ADMIN_PORT:-18491}"
ADMIN="http://127.0.0.1:$SG_ADMIN_PORT"

for tool in java curl python3 sha256sum awk; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    [[ -f "$ROOT/target/skewgate.jar" ]] || { echo "no jar: run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }
    mkdir -p "$(dirname "$JAR")"
    cp "$ROOT/target/skewgate.jar" "$JAR"   # never run target/ directly: others rebuild it
    rm -f "$JAR.commit"
fi

JAR_COMMIT="$(cat "$JAR.commit" 2>/dev/null || true)"
# The client's class-data-sharing archive, for this jar at this path and this JDK (bin/skewgate checks both), as
# `mvn package` makes target/skewgate.jsa.
ARCHIVE="${JAR%.jar}.jsa"
JAVA_BIN="$(readlink -f "$(command -v java)")"
if [[ ! -f "$ARCHIVE" || "$JAR" -nt "$ARCHIVE" || "$(cat "$ARCHIVE.jdk" 2>/dev/null)" != "${JAVA_BIN%/bin/java}" ]]; then
    rm -f "$ARCHIVE" "$ARCHIVE.jdk"
    java -XX:ArchiveClassesAtExit="$ARCHIVE" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$JAR" \
        dev.skewgate.app.CdsTraining > /dev/null 2>&1 || true
    [[ -f "$ARCHIVE" ]] && echo "${JAVA_BIN%/bin/java}" > "$ARCHIVE.jdk"
fi
WORK="$(mktemp -d /tmp/skewgate-bench-deploy.XXXXXX)"
SG_PID=""
cleanup() {
    set +e
    [[ -n "$SG_PID" ]] && kill "$SG_PID" 2>/dev/null && wait "$SG_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }

# The machine may be shared (other builds and tests): before each timed step, wait (at most QUIET_WAIT s) until
# processes other than our server have used < MAX_OTHER % of the CPU for 2 consecutive seconds.
MAX_OTHER="${MAX_OTHER:-5}"
QUIET_WAIT="${QUIET_WAIT:-60}"
TCK="$(getconf CLK_TCK)"; NCPU="$(nproc)"
busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
ours() { [[ -n "$SG_PID" ]] && awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$SG_PID/stat" 2>/dev/null || echo 0; }
wait_quiet() {
    local waited=0 calm=0 b0 o0 b1 o1
    while (( waited < QUIET_WAIT && calm < 2 )); do
        b0=$(busy); o0=$(ours); sleep 1; b1=$(busy); o1=$(ours)
        if awk -v x=$(( (b1 - b0) - (o1 - o0) )) -v t="$TCK" -v n="$NCPU" -v m="$MAX_OTHER" 'BEGIN { exit !(100 * x / t / n < m) }'; then
            calm=$((calm + 1))
        else
            calm=0
        fi
        waited=$((waited + 1))
    done
    WAITED_TOTAL=$(( ${WAITED_TOTAL:-0} + waited - calm ))
    if (( calm < 2 )); then NOISY=$(( ${NOISY:-0} + 1 )); fi
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# ---- the build: FILES files, random sizes MIN_KB..MAX_KB, random content, a few folders -----------------------
DIST="$WORK/dist"
python3 - "$DIST" "$FILES" "$MIN_KB" "$MAX_KB" <<'EOF'
import os, random, sys
root, n, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(42)
exts = [".js", ".css", ".png", ".woff2", ".json", ".svg", ".map"]
for i in range(n):
    d = os.path.join(root, "assets", "chunk%02d" % (i % 40))
    os.makedirs(d, exist_ok=True)
    name = "f%05d%s" % (i, exts[i % len(exts)])
    with open(os.path.join(d, name), "wb") as f:
        f.write(os.urandom(rnd.randint(lo * 1024, hi * 1024)))
with open(os.path.join(root, "index.html"), "w") as f:
    f.write("<!doctype html><html><head><meta charset=utf-8><title>bench</title></head><body>bench</body></html>\n")
EOF
TOTAL_FILES=$(find "$DIST" -type f | wc -l)
TOTAL_BYTES=$(du -sb "$DIST" | cut -f1)

# ---- Skewgate ----------------------------------------------------------------------------------------------------
java -jar "$JAR" serve --port "$SG_PORT" --admin-port "$SG_ADMIN_PORT" --data-dir "$WORK/sgdata" \
    > "$WORK/skewgate.log" 2>&1 &
SG_PID=$!
for _ in $(seq 150); do
    curl -s -o /dev/null "$ADMIN/v1/health" && break
    kill -0 "$SG_PID" 2>/dev/null || { cat "$WORK/skewgate.log" >&2; exit 1; }
    sleep 0.2
done
TOKEN="$(cat "$WORK/sgdata/admin-token")"
export SKEWGATE_CACHE_DIR="$WORK/cache"   # the deploy hash cache: empty before deploy 1
sg() { SKEWGATE_JAR="$JAR" "$ROOT/bin/skewgate" "$@"; }
cli() { sg "$@" --admin-url "$ADMIN" --data-dir "$WORK/sgdata"; }
cli site create shop --host shop.localhost > /dev/null

# ---- fixed costs -------------------------------------------------------------------------------------------------
wait_quiet
best=""
for _ in 1 2 3; do
    t0=$(now); sg --version > /dev/null; t1=$(now)
    t=$(secs "$t0" "$t1"); best=$(awk -v a="${best:-999}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
done
JVM_START="$best"
best=""
for _ in 1 2 3; do
    t0=$(now); cli site list > /dev/null; t1=$(now)
    t=$(secs "$t0" "$t1"); best=$(awk -v a="${best:-999}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
done
CLI_FIXED="$best"
best=""
for _ in 1 2 3; do
    t0=$(now); java -jar "$JAR" site list --admin-url "$ADMIN" --data-dir "$WORK/sgdata" > /dev/null; t1=$(now)
    t=$(secs "$t0" "$t1"); best=$(awk -v a="${best:-999}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
done
CLI_PLAIN="$best"
find "$DIST" -type f -print0 | xargs -0 cat > /dev/null   # warm the page cache, as for a just-built folder
t0=$(now); find "$DIST" -type f -print0 | xargs -0 sha256sum > /dev/null; t1=$(now)
HASH_NATIVE=$(secs "$t0" "$t1")

# A timed `skewgate deploy`: every output line is stamped with the time since the command started, which splits
# the wall time into phases: start (JVM + CLI init + hashing the build + manifest POST, until the CLI prints
# "deployment ..."), upload, finalize, activate, and exit (preview URL look-ups + JVM exit).
timed_deploy() { # name [deploy flags] -> sets T_<name> and writes $WORK/<name>.out ("seconds line")
    local t0 t1 name="$1"
    shift
    wait_quiet
    t0=$(now)
    # one stamping process (python) rather than a fork per line, so the stamps do not lag behind the output
    cli deploy "$DIST" --site shop --activate "$@" 2>&1 | python3 -u -c '
import sys, time
t0 = float(sys.argv[1])
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time() - t0, line))' "$t0" > "$WORK/$name.out"
    t1=$(now)
    printf -v "T_$name" '%s' "$(secs "$t0" "$t1")"
}
phases() { # name -> "start upload finalize activate exit"
    awk -v total="$(eval echo "\$T_$1")" '
        / deployment dpl_/ && !s { s = $1; u = $1 }
        / uploaded / { u = $1 }
        / finalized / { f = $1 }
        / activated / { a = $1 }
        END { printf "%.3f %.3f %.3f %.3f %.3f\n", s, u - s, f - u, a - f, total - a }' "$WORK/$1.out"
}

# ---- deploy 1: everything is new -----------------------------------------------------------------------------------
timed_deploy d1

# ---- change 1% of the files (same size, new content) --------------------------------------------------------------
python3 - "$DIST" "$CHANGED" <<'EOF'
import os, random, sys
root, k = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "assets")) for f in fs)
for p in random.Random(7).sample(files, k):
    size = os.path.getsize(p)
    with open(p, "wb") as f:
        f.write(os.urandom(size))
EOF

# ---- deploy 2: only CHANGED blobs are new ---------------------------------------------------------------------------
timed_deploy d2

# ---- deploy 3: same build again through the CLI (nothing to upload) ---------------------------------------------------
timed_deploy d3

# ---- deploy 4: the unchanged build with --rehash: what the hash cache saves ---------------------------------------------
timed_deploy d4 --rehash

# ---- the server's share, measured with curl: the manifest POST, finalize and activate of an unchanged build ----------
python3 - "$DIST" > "$WORK/manifest.json" <<'EOF'
import hashlib, json, os, sys
root = sys.argv[1]
files = []
for d, _, fs in os.walk(root):
    for f in fs:
        p = os.path.join(d, f)
        files.append({"path": os.path.relpath(p, root), "sha256": hashlib.sha256(open(p, "rb").read()).hexdigest(),
                      "size": os.path.getsize(p)})
print(json.dumps({"files": files, "message": "bench"}))
EOF
api() { # method path [body-file] -> prints seconds; body to $WORK/api.out
    local args=(-s -o "$WORK/api.out" -w '%{http_code} %{time_total}' -X "$1" -H "Authorization: Bearer $TOKEN"
                -H 'Content-Type: application/json')
    [[ -n "${3:-}" ]] && args+=(--data-binary "@$3") || args+=(--data-binary '{}')
    read -r code t < <(curl "${args[@]}" "$ADMIN$2")
    [[ "$code" == 2* ]] || { echo "admin API $1 $2 -> $code: $(cat "$WORK/api.out")" >&2; exit 1; }
    awk -v t="$t" 'BEGIN { printf "%.3f\n", t }'
}
wait_quiet
A_CREATE=$(api POST /v1/sites/shop/deployments "$WORK/manifest.json")
D4=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["deployment"]["id"])' "$WORK/api.out")
MISSING4=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["missing"]))' "$WORK/api.out")
A_FINAL=$(api POST "/v1/deployments/$D4/finalize")
echo "{\"deployment\":\"$D4\"}" > "$WORK/act.json"
A_ACT=$(api POST /v1/sites/shop/activate "$WORK/act.json")

# ---- sanity: the active deployment serves a changed file with its new content --------------------------------------
one=$(find "$DIST/assets" -type f -print -quit); rel=${one#"$DIST"}
code=$(curl -s -o "$WORK/got" -w '%{http_code}' -H 'Host: shop.localhost' "http://127.0.0.1:$SG_PORT$rel")
[[ "$code" == 200 ]] && cmp -s "$WORK/got" "$one" || echo "WARNING: $rel served $code / different bytes" >&2

# ---- report ------------------------------------------------------------------------------------------------------
what() { grep -m1 ' deployment dpl_' "$WORK/$1.out" | sed 's/^.*deployment [^:]*: //'; }
grep -q ' activated dpl_' "$WORK/d2.out" || { echo "deploy 2 failed:" >&2; cat "$WORK/d2.out" >&2; exit 1; }
echo "== Skewgate incremental deploy =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(df -T "$WORK" | awk 'NR==2{print $2}') filesystem for data + build"
echo "java:    $(java -version 2>&1 | head -n 1)"
echo "jar:     $JAR ($(java -jar "$JAR" --version 2>/dev/null), sha256 $(sha256sum "$JAR" | cut -c1-12)${JAR_COMMIT:+, built from commit $JAR_COMMIT})"
echo "build:   $TOTAL_FILES files, $((TOTAL_BYTES / 1024)) KiB (sizes ${MIN_KB}-${MAX_KB} KiB random), $CHANGED changed for deploy 2"
echo "command: time bin/skewgate deploy DIST --site shop --activate --admin-url $ADMIN --data-dir DATA"
echo "         (SKEWGATE_JAR=$JAR; CDS archive: $([[ -f "$ARCHIVE" ]] && echo "$ARCHIVE" || echo "none, this JDK made none"); hash cache in $WORK/cache, empty before deploy 1)"
echo "         (server freshly started for this run: deploy 1 also pays the server's JIT warm-up)"
echo
echo "timed deploys (seconds; start = JVM + CLI init + hash every file + manifest POST; exit = preview look-ups + JVM exit):"
printf '| %-26s | %7s | %7s | %7s | %8s | %8s | %6s | %s |\n' deploy total start upload finalize activate exit "CLI said"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------------------------- --------- --------- --------- ---------- ---------- -------- ----------------------------------------------------
for d in d1 d2 d3 d4; do
    case $d in d1) label="1: everything new" ;; d2) label="2: $CHANGED files changed" ;; d3) label="3: unchanged build" ;;
               d4) label="4: unchanged, --rehash" ;; esac
    read -r ps pu pf pa pe < <(phases "$d")
    printf '| %-26s | %7s | %7s | %7s | %8s | %8s | %6s | %s |\n' "$label" "$(eval echo "\$T_$d")" "$ps" "$pu" "$pf" "$pa" "$pe" "$(what "$d")"
done
echo
echo "fixed costs and server share:"
row() { printf '| %-44s | %7s | %s |\n' "$1" "$2" "$3"; }
printf '| %-44s | %7s | %s |\n' step seconds notes
printf '|%s|%s|%s|\n' ---------------------------------------------- --------- ------------------------------------------------
row "JVM start: skewgate --version" "$JVM_START" "best of 3"
row "CLI fixed cost: skewgate site list" "$CLI_FIXED" "best of 3; JVM + CLI init + 1 admin request"
row "the same as java -jar skewgate.jar site list" "$CLI_PLAIN" "best of 3; no archive, default JVM flags"
row "sha256sum of the whole build (native)" "$HASH_NATIVE" "the hashing work without the JVM, warm cache"
row "admin API: POST manifest (curl)" "$A_CREATE" "$TOTAL_FILES-entry manifest, $MISSING4 blobs missing"
row "admin API: finalize (curl)" "$A_FINAL" "includes the routing snapshot rebuild"
row "admin API: activate (curl)" "$A_ACT" "includes the routing snapshot rebuild"
echo
T1=$T_d1; T2=$T_d2; T3=$T_d3; T4=$T_d4
awk -v t1="$T1" -v t2="$T2" -v t3="$T3" -v t4="$T4" -v j="$JVM_START" -v f="$CLI_FIXED" 'BEGIN {
    printf "ratio deploy1 / deploy2:                    %.1fx (target >= 20x)\n", t1 / t2
    printf "ratio without the CLI JVM start:            %.1fx ((deploy1 - jvm) / (deploy2 - jvm))\n", (t1 - j) / (t2 - j)
    printf "ratio without the CLI fixed cost:           %.1fx ((deploy1 - cli) / (deploy2 - cli))\n", (t1 - f) / (t2 - f)
    printf "deploy 2 minus deploy 3 (the 1%% upload):    %.3f s\n", t2 - t3
    printf "deploy 4 minus deploy 3 (what the cache saves): %.3f s\n", t4 - t3
}'
echo "waited ${WAITED_TOTAL:-0} s for other processes to go quiet; ${NOISY:-0} timed step(s) started while the machine was still busy"
