#!/usr/bin/env bash
# Static-file throughput and tail latency: Skewgate's edge vs nginx serving the same three files.
#
# Scenarios (each with wrk, keep-alive, same settings for both servers, run alternately):
#   1k    GET /f1k.bin    (1 KiB, Skewgate serves it from memory)
#   100k  GET /f100k.bin  (100 KiB, Skewgate serves it from memory; nginx uses sendfile)
#   304   GET /f1k.bin with If-None-Match = the server's own ETag (fetched with curl first)
#
# Environment knobs (defaults in brackets):
#   SKEWGATE_JAR   jar to run [bench/out/skewgate.jar; copied from target/skewgate.jar if missing]
#   PIN            1 = server on CPU 0, wrk on CPU 1 (taskset); 0 = no pinning, both share both cores [1]
#   DURATION       seconds per measured wrk run [10]
#   WARMUP         seconds of warm-up per server per scenario [5]; plus a global JIT warm-up of 2*WARMUP
#   ROUNDS         measured runs per server per scenario, alternating S,N,S,N... [2]
#   CONNS          wrk connections [64]
#   MAX_OTHER      a run where other processes used more than this % of the machine's CPU is repeated [5]
#   RETRIES        how many times such a run is repeated at most (the cleanest attempt is kept) [2]
#   BUDGET         after this many seconds of script time, no more waiting/retrying (keeps the run bounded) [150]
#   QUIET_WAIT     before each measured run, wait up to this many seconds for other processes to go quiet [30]
#   JAVA_OPTS      extra JVM flags for `skewgate serve` []
#   SG_PORT/SG_ADMIN_PORT/NGX_PORT  [18480/18481/18482]
# Only 127.0.0.1 is targeted. Everything it starts is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PIN="${PIN:-1}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-5}"
ROUNDS="${ROUNDS:-2}"
CONNS="${CONNS:-64}"
SG_PORT="${SG_PORT:-18480}"
SG_ADMIN_PORT="${SG_ADMIN_PORT:-18481}"
NGX_PORT="${NGX_PORT:-18482}"
JAVA_OPTS="${JAVA_OPTS:-}"
HOST_HDR="shop.localhost"

for tool in java wrk nginx curl awk taskset; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y nginx wrk curl util-linux)" >&2; exit 1; }
done

JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    [[ -f "$ROOT/target/skewgate.jar" ]] || { echo "no jar: run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }
    mkdir -p "$(dirname "$JAR")"
    cp "$ROOT/target/skewgate.jar" "$JAR"   # never run target/ directly: others rebuild it
    rm -f "$JAR.commit"
fi

JAR_COMMIT="$(cat "$JAR.commit" 2>/dev/null || true)"
WORK="$(mktemp -d /tmp/skewgate-bench-static.XXXXXX)"
chmod 755 "$WORK"   # nginx workers run as an unprivileged user and must read the files
SG_PID=""
NGX_PID=""
cleanup() {
    set +e
    [[ -n "$SG_PID" ]] && kill "$SG_PID" 2>/dev/null && wait "$SG_PID" 2>/dev/null
    [[ -n "$NGX_PID" ]] && kill -QUIT "$NGX_PID" 2>/dev/null && wait "$NGX_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [[ "$PIN" == 1 ]]; then
    SRV_CPUS=0; WRK_CPUS=1; SRV_NCPU=1; WRK_THREADS=1
    SRV=(taskset -c "$SRV_CPUS"); WRK=(taskset -c "$WRK_CPUS")
    PIN_NOTE="pinned: server on CPU $SRV_CPUS, wrk on CPU $WRK_CPUS (taskset); Skewgate sees 1 CPU -> 1 event loop, nginx worker_processes 1, wrk -t1"
else
    SRV_NCPU="$(nproc)"; WRK_THREADS=2
    SRV=(); WRK=()
    PIN_NOTE="not pinned: server and wrk share all $(nproc) cores; nginx worker_processes $SRV_NCPU, wrk -t2"
fi

# ---- the build folder ------------------------------------------------------------------------------------------
DIST="$WORK/dist"
mkdir -p "$DIST"
head -c 1024 /dev/urandom > "$DIST/f1k.bin"
head -c 102400 /dev/urandom > "$DIST/f100k.bin"
cat > "$DIST/index.html" <<'EOF'
<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body><p>bench</p></body></html>
EOF

# ---- Skewgate --------------------------------------------------------------------------------------------------
ADMIN="http://127.0.0.1:$SG_ADMIN_PORT"
cli() { java -jar "$JAR" "$@" --admin-url "$ADMIN" --data-dir "$WORK/sgdata"; }
# shellcheck disable=SC2086
"${SRV[@]}" java $JAVA_OPTS -jar "$JAR" serve --port "$SG_PORT" --admin-port "$SG_ADMIN_PORT" \
    --data-dir "$WORK/sgdata" > "$WORK/skewgate.log" 2>&1 &
SG_PID=$!
for _ in $(seq 150); do
    curl -s -o /dev/null "$ADMIN/v1/health" && break
    kill -0 "$SG_PID" 2>/dev/null || { cat "$WORK/skewgate.log" >&2; exit 1; }
    sleep 0.2
done
cli site create shop --host "$HOST_HDR" > /dev/null
cli deploy "$DIST" --site shop --activate > "$WORK/deploy.out"
DPL="$(tail -n 1 "$WORK/deploy.out")"

# ---- nginx (own prefix + config; not the system service) -------------------------------------------------------
NGX="$WORK/nginx"
mkdir -p "$NGX/logs" "$NGX/tmp"
cat > "$NGX/nginx.conf" <<EOF
worker_processes $SRV_NCPU;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    etag on;
    # Skewgate keeps small files and their headers in memory; give nginx its descriptor/metadata cache too.
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    server {
        listen 127.0.0.1:$NGX_PORT;
        server_name $HOST_HDR;
        root $DIST;
        location / {
            add_header Cache-Control "public, max-age=0, must-revalidate";
            add_header X-Content-Type-Options nosniff;
        }
    }
}
EOF
# The master stays in the foreground (daemon off), so $! is the master's pid and the trap can stop it.
"${SRV[@]}" nginx -p "$NGX" -c "$NGX/nginx.conf" -g 'daemon off;' &
NGX_PID=$!
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/index.html" && break
    sleep 0.1
done

# ---- sanity: same bodies, ETag, 304 ------------------------------------------------------------------------------
url() { if [[ "$1" == sg ]]; then echo "http://127.0.0.1:$SG_PORT$2"; else echo "http://127.0.0.1:$NGX_PORT$2"; fi; }
etag_of() { curl -s -o /dev/null -D - -H "Host: $HOST_HDR" "$(url "$1" "$2")" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}'; }
for s in sg ngx; do
    for f in /f1k.bin /f100k.bin; do
        code=$(curl -s -o "$WORK/got" -w '%{http_code}' -H "Host: $HOST_HDR" "$(url $s $f)")
        cmp -s "$WORK/got" "$DIST$f" && [[ "$code" == 200 ]] || { echo "sanity check failed: $s $f -> $code" >&2; exit 1; }
    done
done
SG_ETAG="$(etag_of sg /f1k.bin)"
NGX_ETAG="$(etag_of ngx /f1k.bin)"
for s in sg ngx; do
    e=$([[ $s == sg ]] && echo "$SG_ETAG" || echo "$NGX_ETAG")
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST_HDR" -H "If-None-Match: $e" "$(url $s /f1k.bin)")
    [[ "$code" == 304 ]] || { echo "sanity check failed: $s If-None-Match $e -> $code" >&2; exit 1; }
done

# ---- header of the report ----------------------------------------------------------------------------------------
echo "== Skewgate vs nginx: static files =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc:   $(nproc)"
echo "cpu:     $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
echo "java:    $(java -version 2>&1 | head -n 1) / $(java -version 2>&1 | sed -n 3p)"
echo "nginx:   $(nginx -v 2>&1)"
echo "wrk:     $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}')"
echo "jar:     $JAR ($(java -jar "$JAR" --version 2>/dev/null), sha256 $(sha256sum "$JAR" | cut -c1-12)${JAR_COMMIT:+, built from commit $JAR_COMMIT})"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
echo "setup:   $PIN_NOTE"
echo "         wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency, keep-alive; warm-up ${WARMUP}s per server per scenario; $ROUNDS round(s) alternating Skewgate/nginx"
echo "note:    2-core machine: the load generator competes with the server for CPU, so these are relative numbers"
echo "         (Skewgate vs nginx under identical constraints), not absolute capacity."
echo "ETags:   Skewgate $SG_ETAG  nginx $NGX_ETAG  (deployment $DPL)"
echo

# Interference check. The machine is shared (other builds/tests may run), so every measured run also records how
# much CPU went to processes that are neither the two servers nor wrk ("other", % of all cores over the run) and
# the hypervisor steal time. A run with other > MAX_OTHER % is repeated (at most RETRIES times) and the cleanest
# attempt is kept.
MAX_OTHER="${MAX_OTHER:-5}"
RETRIES="${RETRIES:-2}"
TCK="$(getconf CLK_TCK)"
NCPU="$(nproc)"
busy_steal() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }   # jiffies: busy, steal
ours_jiffies() { # CPU of both servers (all processes), in jiffies
    local pids=("$SG_PID" "$NGX_PID") c
    for c in $(pgrep -P "$NGX_PID" 2>/dev/null); do pids+=("$c"); done
    local total=0 pid v
    for pid in "${pids[@]}"; do
        v=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + v))
    done
    echo "$total"
}

# Before a measured run: wait (at most QUIET_WAIT s) until other processes have used < MAX_OTHER % of the machine
# for 2 consecutive seconds. Prints nothing; the run's own "other" figure tells whether it worked.
QUIET_WAIT="${QUIET_WAIT:-30}"
BUDGET="${BUDGET:-150}"   # seconds since the script started after which it stops waiting and retrying
wait_quiet() {
    local waited=0 calm=0 b0 s0 o0 b1 s1 o1
    (( SECONDS > BUDGET )) && return 0
    while (( waited < QUIET_WAIT && calm < 2 )); do
        read -r b0 s0 < <(busy_steal); o0=$(ours_jiffies)
        sleep 1
        read -r b1 s1 < <(busy_steal); o1=$(ours_jiffies)
        if awk -v x=$(( (b1 - b0) - (o1 - o0) )) -v t="$TCK" -v n="$NCPU" -v m="$MAX_OTHER" 'BEGIN { exit !(100 * x / t / n < m) }'; then
            calm=$((calm + 1))
        else
            calm=0
        fi
        waited=$((waited + 1))
    done
    WAITED_TOTAL=$(( ${WAITED_TOTAL:-0} + waited - calm ))
}

# one wrk run -> "req/s p99_ms errors other% steal% p50_ms"
run_wrk() { # server path dur [etag]
    local s="$1" p="$2" d="$3" e="${4:-}" out b0 s0 o0 b1 s1 o1 w0 w1 wt
    local args=(-t"$WRK_THREADS" -c"$CONNS" -d"${d}s" --latency -H "Host: $HOST_HDR")
    [[ -n "$e" ]] && args+=(-H "If-None-Match: $e")
    read -r b0 s0 < <(busy_steal); o0=$(ours_jiffies); w0=$(date +%s.%N)
    local TIMEFORMAT='%3U %3S'
    { time "${WRK[@]}" wrk "${args[@]}" "$(url "$s" "$p")" > "$WORK/wrk.out"; } 2> "$WORK/wrk.time"
    read -r b1 s1 < <(busy_steal); o1=$(ours_jiffies); w1=$(date +%s.%N)
    wt=$(awk '{ print $1 + $2 }' "$WORK/wrk.time")
    out="$(cat "$WORK/wrk.out")"
    echo "$out" >> "$WORK/wrk.raw"
    echo "$out" | awk -v db=$((b1 - b0)) -v ds=$((s1 - s0)) -v dour=$((o1 - o0)) -v wrkcpu="$wt" -v tck="$TCK" \
        -v wall="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" -v ncpu="$NCPU" '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { err += $NF }
        /Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
        END {
            other = (db - dour) / tck - wrkcpu; if (other < 0) other = 0
            printf "%.0f %.3f %d %.1f %.1f %.3f\n", rps, p99, err + 0, 100 * other / (ncpu * wall), 100 * ds / tck / (ncpu * wall), p50
        }'
}

# Global JIT warm-up (Skewgate's JVM needs it; nginx gets the same for symmetry).
run_wrk sg /f1k.bin $((WARMUP * 2)) > /dev/null
run_wrk ngx /f1k.bin $((WARMUP * 2)) > /dev/null

declare -A RPS P99 DRPS DP99 ERR DIRTY
SCEN=(1k 100k 304)
echo "raw runs (scenario server round: req/s, p50, p99, errors, CPU used by other processes, steal; '*' = repeated run):"
for sc in "${SCEN[@]}"; do
    case $sc in
        1k) path=/f1k.bin ;;
        100k) path=/f100k.bin ;;
        304) path=/f1k.bin ;;
    esac
    for s in sg ngx; do
        e=""; [[ $sc == 304 ]] && e=$([[ $s == sg ]] && echo "$SG_ETAG" || echo "$NGX_ETAG")
        run_wrk "$s" "$path" "$WARMUP" "$e" > /dev/null
    done
    for r in $(seq "$ROUNDS"); do
        for s in sg ngx; do
            e=""; [[ $sc == 304 ]] && e=$([[ $s == sg ]] && echo "$SG_ETAG" || echo "$NGX_ETAG")
            best=""; mark=" "
            for attempt in $(seq 0 "$RETRIES"); do
                wait_quiet
                read -r rps p99 err other steal p50 < <(run_wrk "$s" "$path" "$DURATION" "$e")
                if [[ -z "$best" ]] || awk -v a="$other" -v b="${best##* }" 'BEGIN { exit !(a < b) }'; then
                    best="$rps $p99 $err $steal $p50 $other"
                fi
                awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a <= m) }' && break
                (( SECONDS > BUDGET )) && break   # stay bounded: no more retries once the time budget is spent
            done
            (( attempt > 0 )) && mark="*"
            read -r rps p99 err steal p50 other <<< "$best"
            note=""; awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a > m) }' && note="  <- disturbed"
            printf '  %-5s %-3s %d%s %8s req/s  p50 %7s ms  p99 %8s ms  errors %s  other %5s%%  steal %4s%%%s\n' \
                "$sc" "$s" "$r" "$mark" "$rps" "$p50" "$p99" "$err" "$other" "$steal" "$note"
            ERR[$sc.$s]=$(( ${ERR[$sc.$s]:-0} + err ))
            if awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a > m) }'; then
                DRPS[$sc.$s]="${DRPS[$sc.$s]:-} $rps"; DP99[$sc.$s]="${DP99[$sc.$s]:-} $p99"
            else
                RPS[$sc.$s]="${RPS[$sc.$s]:-} $rps"; P99[$sc.$s]="${P99[$sc.$s]:-} $p99"
            fi
        done
    done
done
echo

mean() { echo "$@" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.3f", s / NF }'; }
echo "results (mean of the clean runs, i.e. other <= ${MAX_OTHER}%, of $ROUNDS per server; ratio = Skewgate / nginx; p99 ratio > 1 means Skewgate's tail is slower):"
printf '| %-8s | %14s | %14s | %6s | %14s | %14s | %9s |\n' scenario "Skewgate req/s" "nginx req/s" ratio "Skewgate p99" "nginx p99" "p99 ratio"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ---------- ---------------- ---------------- -------- ---------------- ---------------- -----------
for sc in "${SCEN[@]}"; do
    # mean over the clean runs; a server with no clean run in this scenario falls back to all its runs, marked (!)
    for s in sg ngx; do
        if [[ -z "${RPS[$sc.$s]:-}" ]]; then
            RPS[$sc.$s]="${DRPS[$sc.$s]}"; P99[$sc.$s]="${DP99[$sc.$s]}"; DIRTY[$sc]=1
        fi
    done
    label="$sc"; [[ -n "${DIRTY[$sc]:-}" ]] && label="$sc (!)"
    srps=$(mean ${RPS[$sc.sg]}); nrps=$(mean ${RPS[$sc.ngx]})
    sp=$(mean ${P99[$sc.sg]}); np=$(mean ${P99[$sc.ngx]})
    awk -v sc="$label" -v a="$srps" -v b="$nrps" -v c="$sp" -v d="$np" 'BEGIN {
        printf "| %-8s | %14.0f | %14.0f | %6.2f | %11.2f ms | %11.2f ms | %9.2f |\n", sc, a, b, a / b, c, d, c / d }'
done
if (( ${ERR[1k.sg]} + ${ERR[100k.sg]} + ${ERR[304.sg]} + ${ERR[1k.ngx]} + ${ERR[100k.ngx]} + ${ERR[304.ngx]} > 0 )); then
    echo "WARNING: some runs had socket errors or non-2xx/3xx responses (see raw runs above)"
fi
[[ -n "${DIRTY[*]+x}" ]] && echo "(!) = a server had no clean run in this scenario (other processes took > ${MAX_OTHER}% CPU even after retries): its mean uses the disturbed runs; treat it with care"
echo "waited ${WAITED_TOTAL:-0} s in total for other processes to go quiet before measured runs"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
