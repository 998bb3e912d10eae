#!/usr/bin/env bash
# Reverse proxy: wrk through Skewgate's proxy and through nginx (upstream keep-alive) to the same backend, in one
# run, with wrk straight to the backend as the limit. Prints req/s, p50, p99 and the ratios Skewgate / nginx.
# Target (issue): Skewgate >= 1.0x nginx req/s and Skewgate p99 <= nginx p99.
#
# Backend: a separate nginx instance (own prefix, 1 worker) answering `location /api/ { return 200 '{"ok":true}'; }`
# with keep-alive (keepalive_requests 1000000). It is the cheapest backend available here (C, no body, no disk),
# so the proxies are what is measured, and it is the same process for all three targets.
#
# Targets (same request for all: GET /api/x, Host: shop.localhost, wrk keep-alive):
#   direct    wrk -> backend                                       (the limit of this setup)
#   nginx     wrk -> nginx proxy (upstream keepalive 64, HTTP/1.1, Connection "", X-Forwarded-*/Forwarded, Host)
#   skewgate  wrk -> Skewgate edge (site shop, default backend = the backend; /api/ is proxied to it)
# For parity nginx also adds the two response headers Skewgate adds (X-Skewgate-Deployment, Cache-Control: no-store).
#
# Environment knobs (defaults in brackets):
#   SKEWGATE_JAR   jar to run [bench/out/skewgate.jar; copied from target/skewgate.jar if missing]
#   PIN            1 = proxies (Skewgate, nginx) on CPU 0; backend and wrk on CPU 1 (taskset) [1]
#                  0 = no pinning: everything shares both cores (nginx proxy 2 workers, wrk -t2)
#   DURATION       seconds per measured wrk run [10]
#   WARMUP         seconds of warm-up per target before the rounds [5]; Skewgate and nginx get 2*WARMUP first (JIT)
#   ROUNDS         measured runs per target, alternating direct, nginx, Skewgate [3]
#   CONNS          wrk connections [64]
#   MAX_OTHER      a run where other processes used more than this % of the machine's CPU is repeated [5]
#   RETRIES        how many times such a run is repeated at most (the cleanest attempt is kept) [2]
#   BUDGET         after this many seconds of script time, no more waiting/retrying (keeps the run bounded) [240]
#   QUIET_WAIT     before each measured run, wait up to this many seconds for other processes to go quiet [30]
#   JAVA_OPTS      extra JVM flags for `skewgate serve` []
#   SG_PORT/SG_ADMIN_PORT/NGX_PORT/BACKEND_PORT  [18500/18501/18502/18503]
# Only 127.0.0.1 is targeted. Everything it starts is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PIN="${PIN:-1}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-5}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-64}"
SG_PORT="${SG_PORT:-18500}"
SG_ADMIN_PORT="${SG_ADMIN_PORT:-18501}"
NGX_PORT="${NGX_PORT:-18502}"
BACKEND_PORT="${BACKEND_PORT:-18503}"
JAVA_OPTS="${JAVA_OPTS:-}"
HOST_HDR="shop.localhost"
REQ_PATH="/api/x"

for tool in java wrk nginx curl awk taskset; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y nginx wrk curl util-linux)" >&2; exit 1; }
done

JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    [[ -f "$ROOT/target/skewgate.jar" ]] || { echo "no jar: see bench/README.md (build from git archive HEAD)" >&2; exit 1; }
    mkdir -p "$(dirname "$JAR")"
    cp "$ROOT/target/skewgate.jar" "$JAR"   # never run target/ directly: others rebuild it
    rm -f "$JAR.commit"
fi

JAR_COMMIT="$(cat "$JAR.commit" 2>/dev/null || true)"
WORK="$(mktemp -d /tmp/skewgate-bench-proxy.XXXXXX)"
chmod 755 "$WORK"
SG_PID=""
NGX_PID=""
BE_PID=""
cleanup() {
    set +e
    [[ -n "$SG_PID" ]] && kill "$SG_PID" 2>/dev/null && wait "$SG_PID" 2>/dev/null
    [[ -n "$NGX_PID" ]] && kill -QUIT "$NGX_PID" 2>/dev/null && wait "$NGX_PID" 2>/dev/null
    [[ -n "$BE_PID" ]] && kill -QUIT "$BE_PID" 2>/dev/null && wait "$BE_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "$PIN" == 1 ]]; then
    PROXY=(taskset -c 0); BACKEND=(taskset -c 1); WRK=(taskset -c 1)
    PROXY_NCPU=1; WRK_THREADS=1
    PIN_NOTE="pinned: Skewgate / nginx proxy on CPU 0 (1 event loop / 1 worker); backend nginx (1 worker) and wrk -t1 on CPU 1 (taskset). The direct run keeps backend+wrk on CPU 1, so it is the ceiling CPU 1 allows"
else
    PROXY=(); BACKEND=(); WRK=()
    PROXY_NCPU="$(nproc)"; WRK_THREADS=2
    PIN_NOTE="not pinned: all processes share all $(nproc) cores; Skewgate $(nproc) event loops, nginx proxy $PROXY_NCPU workers, backend 1 worker, wrk -t2"
fi

nginx_common() { # prefix dir -> shared http{} lines
    cat <<EOF
    access_log off;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
EOF
}

# ---- backend: its own nginx (not the system service) ---------------------------------------------------------------
BE="$WORK/backend"
mkdir -p "$BE/logs" "$BE/tmp"
cat > "$BE/nginx.conf" <<EOF
worker_processes 1;
pid $BE/nginx.pid;
error_log $BE/logs/error.log warn;
events { worker_connections 4096; }
http {
$(nginx_common "$BE")
    server {
        listen 127.0.0.1:$BACKEND_PORT default_server;
        location /api/ { default_type application/json; return 200 '{"ok":true}'; }
        # sanity check only: what the backend received
        location = /api/echo {
            default_type text/plain;
            return 200 "host=\$http_host|xff=\$http_x_forwarded_for|xfp=\$http_x_forwarded_proto|xfh=\$http_x_forwarded_host|fwd=\$http_forwarded|conn=\$http_connection|ver=\$server_protocol\n";
        }
        # connections accepted so far: shows whether a proxy reuses its upstream connections
        location = /stub { stub_status; }
    }
}
EOF
"${BACKEND[@]}" nginx -p "$BE" -c "$BE/nginx.conf" -g 'daemon off;' &
BE_PID=$!
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$BACKEND_PORT/api/health" && break
    sleep 0.1
done

# ---- Skewgate ------------------------------------------------------------------------------------------------------
ADMIN="http://127.0.0.1:$SG_ADMIN_PORT"
cli() { java -jar "$JAR" "$@" --admin-url "$ADMIN" --data-dir "$WORK/sgdata"; }
# shellcheck disable=SC2086
"${PROXY[@]}" java $JAVA_OPTS -jar "$JAR" serve --port "$SG_PORT" --admin-port "$SG_ADMIN_PORT" \
    --data-dir "$WORK/sgdata" > "$WORK/skewgate.log" 2>&1 &
SG_PID=$!
for _ in $(seq 150); do
    curl -s -o /dev/null "$ADMIN/v1/health" && break
    kill -0 "$SG_PID" 2>/dev/null || { cat "$WORK/skewgate.log" >&2; exit 1; }
    sleep 0.2
done
DIST="$WORK/dist"
mkdir -p "$DIST"
echo '<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body><p>bench</p></body></html>' > "$DIST/index.html"
cli site create shop --host "$HOST_HDR" --default-backend "http://127.0.0.1:$BACKEND_PORT" --default-health /api/health > /dev/null
cli deploy "$DIST" --site shop --activate > "$WORK/deploy.out"
DPL="$(tail -n 1 "$WORK/deploy.out")"

# ---- nginx as reverse proxy (own prefix + config) -------------------------------------------------------------------
NGX="$WORK/nginx"
mkdir -p "$NGX/logs" "$NGX/tmp"
cat > "$NGX/nginx.conf" <<EOF
worker_processes $PROXY_NCPU;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
$(nginx_common "$NGX")
    upstream b {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$NGX_PORT;
        server_name $HOST_HDR;
        location /api/ {
            proxy_pass http://b;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$http_host;
            proxy_set_header Forwarded "for=\$remote_addr;proto=\$scheme;host=\"\$http_host\"";
            # the two response headers Skewgate adds to proxied answers
            add_header X-Skewgate-Deployment $DPL;
            add_header Cache-Control no-store;
        }
    }
}
EOF
"${PROXY[@]}" nginx -p "$NGX" -c "$NGX/nginx.conf" -g 'daemon off;' &
NGX_PID=$!
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/api/health" && break
    sleep 0.1
done

# ---- sanity: same body through all three; what the backend receives through each proxy ---------------------------
url() { case $1 in d) echo "http://127.0.0.1:$BACKEND_PORT$2" ;; n) echo "http://127.0.0.1:$NGX_PORT$2" ;; s) echo "http://127.0.0.1:$SG_PORT$2" ;; esac; }
name() { case $1 in d) echo direct ;; n) echo nginx ;; s) echo skewgate ;; esac; }
declare -A HDRBYTES
for t in d n s; do
    read -r code hb < <(curl -s -o "$WORK/got" -w '%{http_code} %{size_header}\n' -H "Host: $HOST_HDR" "$(url $t "$REQ_PATH")")
    [[ "$code" == 200 && "$(cat "$WORK/got")" == '{"ok":true}' ]] || { echo "sanity check failed: $(name $t) $REQ_PATH -> $code $(head -c 200 "$WORK/got")" >&2; exit 1; }
    HDRBYTES[$t]=$hb
done
ECHO_N="$(curl -s -H "Host: $HOST_HDR" "$(url n /api/echo)")"
ECHO_S="$(curl -s -H "Host: $HOST_HDR" "$(url s /api/echo)")"
accepts() { curl -s "http://127.0.0.1:$BACKEND_PORT/stub" | awk 'NR == 3 { print $1 }'; }

# ---- header of the report ------------------------------------------------------------------------------------------
echo "== Skewgate vs nginx: reverse proxy to the same backend =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc:   $(nproc)"
echo "cpu:     $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
echo "kernel:  $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "java:    $(java -version 2>&1 | head -n 1) / $(java -version 2>&1 | sed -n 3p)"
echo "nginx:   $(nginx -v 2>&1)"
echo "wrk:     $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}')"
echo "jar:     $JAR ($(java -jar "$JAR" --version 2>/dev/null), sha256 $(sha256sum "$JAR" | cut -c1-12)${JAR_COMMIT:+, built from commit $JAR_COMMIT})"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
echo "setup:   $PIN_NOTE"
echo "backend: nginx, 1 worker, location /api/ { return 200 '{\"ok\":true}'; }, keep-alive"
echo "request: wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency -H 'Host: $HOST_HDR' http://127.0.0.1:PORT$REQ_PATH"
echo "         warm-up ${WARMUP}s per target (Skewgate and nginx $((WARMUP * 2))s more first); $ROUNDS round(s) alternating direct, nginx, Skewgate"
echo "response header bytes: direct ${HDRBYTES[d]}, nginx ${HDRBYTES[n]}, Skewgate ${HDRBYTES[s]} (body 11 bytes)"
echo "backend saw via nginx:    $ECHO_N"
echo "backend saw via Skewgate: $ECHO_S"
echo "deployment: $DPL"
echo

# ---- interference check (as in static-vs-nginx.sh) --------------------------------------------------------------------
MAX_OTHER="${MAX_OTHER:-5}"
RETRIES="${RETRIES:-2}"
TCK="$(getconf CLK_TCK)"
NCPU="$(nproc)"
busy_steal() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }   # jiffies: busy, steal
jiffies_of() { # pids (nginx masters: their workers are added) -> CPU jiffies
    local pids=() p c total=0 v
    for p in "$@"; do
        pids+=("$p")
        for c in $(pgrep -P "$p" 2>/dev/null); do pids+=("$c"); done
    done
    for p in "${pids[@]}"; do
        v=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)
        total=$((total + v))
    done
    echo "$total"
}
ours_jiffies() { jiffies_of "$SG_PID" "$NGX_PID" "$BE_PID"; }

QUIET_WAIT="${QUIET_WAIT:-30}"
BUDGET="${BUDGET:-240}"
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

# one wrk run -> "req/s p50_ms p99_ms errors other% steal% proxyCPU% backendCPU% wrkCPU% upstream_accepts"
# (CPU% = % of one core over the run; proxyCPU is the proxy under test, 0 for direct)
run_wrk() { # target dur
    local t="$1" d="$2" b0 s0 o0 b1 s1 o1 w0 w1 wt p0 p1 e0 e1 a0 a1 ppid
    case $t in n) ppid=$NGX_PID ;; s) ppid=$SG_PID ;; *) ppid="" ;; esac
    local args=(-t"$WRK_THREADS" -c"$CONNS" -d"${d}s" --latency -H "Host: $HOST_HDR")
    a0=$(accepts)
    read -r b0 s0 < <(busy_steal); o0=$(ours_jiffies); w0=$(date +%s.%N)
    p0=0; [[ -n "$ppid" ]] && p0=$(jiffies_of "$ppid"); e0=$(jiffies_of "$BE_PID")
    local TIMEFORMAT='%3U %3S'
    { time "${WRK[@]}" wrk "${args[@]}" "$(url "$t" "$REQ_PATH")" > "$WORK/wrk.out"; } 2> "$WORK/wrk.time"
    read -r b1 s1 < <(busy_steal); o1=$(ours_jiffies); w1=$(date +%s.%N)
    p1=0; [[ -n "$ppid" ]] && p1=$(jiffies_of "$ppid"); e1=$(jiffies_of "$BE_PID")
    a1=$(accepts)
    wt=$(awk '{ print $1 + $2 }' "$WORK/wrk.time")
    { echo "--- $(name "$t")"; cat "$WORK/wrk.out"; } >> "$WORK/wrk.raw"
    awk -v db=$((b1 - b0)) -v ds=$((s1 - s0)) -v dour=$((o1 - o0)) -v wrkcpu="$wt" -v tck="$TCK" \
        -v dp=$((p1 - p0)) -v de=$((e1 - e0)) -v acc=$((a1 - a0 - 1)) \
        -v wall="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" -v ncpu="$NCPU" '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { err += $NF }
        /Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
        END {
            other = (db - dour) / tck - wrkcpu; if (other < 0) other = 0
            printf "%.0f %.3f %.3f %d %.1f %.1f %.0f %.0f %.0f %d\n", rps, p50, p99, err + 0, 100 * other / (ncpu * wall),
                100 * ds / tck / (ncpu * wall), 100 * dp / tck / wall, 100 * de / tck / wall, 100 * wrkcpu / wall, acc
        }' "$WORK/wrk.out"
}

# Warm-up: Skewgate's JVM needs it (JIT); nginx gets the same for symmetry; then one shorter pass of all three.
run_wrk s $((WARMUP * 2)) > /dev/null
run_wrk n $((WARMUP * 2)) > /dev/null
for t in d n s; do run_wrk "$t" "$WARMUP" > /dev/null; done

declare -A RPS P50 P99 DRPS DP50 DP99 ERR DIRTY
TARGETS=(d n s)
echo "raw runs (target round: req/s, p50, p99, errors; CPU of the proxy / backend / wrk in % of one core; new backend"
echo "connections during the run; CPU used by other processes and steal in % of the machine; '*' = repeated run):"
for r in $(seq "$ROUNDS"); do
    for t in "${TARGETS[@]}"; do
        best=""; mark=" "
        for attempt in $(seq 0 "$RETRIES"); do
            wait_quiet
            read -r rps p50 p99 err other steal pc bc wc acc < <(run_wrk "$t" "$DURATION")
            if [[ -z "$best" ]] || awk -v a="$other" -v b="${best##* }" 'BEGIN { exit !(a < b) }'; then
                best="$rps $p50 $p99 $err $steal $pc $bc $wc $acc $other"
            fi
            awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a <= m) }' && break
            (( SECONDS > BUDGET )) && break
        done
        (( attempt > 0 )) && mark="*"
        read -r rps p50 p99 err steal pc bc wc acc other <<< "$best"
        note=""; awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a > m) }' && note="  <- disturbed"
        printf '  %-8s %d%s %8s req/s  p50 %6s ms  p99 %7s ms  err %s  cpu proxy %3s%% backend %3s%% wrk %3s%%  new upstream conns %4s  other %5s%%  steal %4s%%%s\n' \
            "$(name "$t")" "$r" "$mark" "$rps" "$p50" "$p99" "$err" "$pc" "$bc" "$wc" "$acc" "$other" "$steal" "$note"
        ERR[$t]=$(( ${ERR[$t]:-0} + err ))
        if awk -v a="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(a > m) }'; then
            DRPS[$t]="${DRPS[$t]:-} $rps"; DP50[$t]="${DP50[$t]:-} $p50"; DP99[$t]="${DP99[$t]:-} $p99"
        else
            RPS[$t]="${RPS[$t]:-} $rps"; P50[$t]="${P50[$t]:-} $p50"; P99[$t]="${P99[$t]:-} $p99"
        fi
    done
done
echo

mean() { echo "$@" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.3f", s / NF }'; }
for t in "${TARGETS[@]}"; do
    if [[ -z "${RPS[$t]:-}" ]]; then
        RPS[$t]="${DRPS[$t]}"; P50[$t]="${DP50[$t]}"; P99[$t]="${DP99[$t]}"; DIRTY[$t]=1
    fi
done
echo "results (mean of the clean runs, other <= ${MAX_OTHER}%; '% of direct' = req/s relative to wrk straight to the backend):"
printf '| %-10s | %9s | %11s | %9s | %9s |\n' target "req/s" "% of direct" "p50" "p99"
printf '|%s|%s|%s|%s|%s|\n' ------------ ----------: ------------: ----------: ----------:
for t in "${TARGETS[@]}"; do
    label="$(name "$t")"; [[ -n "${DIRTY[$t]:-}" ]] && label="$label (!)"
    awk -v l="$label" -v a="$(mean ${RPS[$t]})" -v d="$(mean ${RPS[d]})" -v p="$(mean ${P50[$t]})" -v q="$(mean ${P99[$t]})" 'BEGIN {
        printf "| %-10s | %9.0f | %10.0f%% | %6.2f ms | %6.2f ms |\n", l, a, 100 * a / d, p, q }'
done
echo
awk -v sr="$(mean ${RPS[s]})" -v nr="$(mean ${RPS[n]})" -v s5="$(mean ${P50[s]})" -v n5="$(mean ${P50[n]})" \
    -v s9="$(mean ${P99[s]})" -v n9="$(mean ${P99[n]})" 'BEGIN {
    printf "Skewgate / nginx: req/s %.2fx (target >= 1.0: %s), p50 %.2fx, p99 %.2fx (target <= 1.0: %s)\n",
        sr / nr, (sr >= nr ? "met" : "MISSED"), s5 / n5, s9 / n9, (s9 <= n9 ? "met" : "MISSED") }'
if (( ${ERR[d]} + ${ERR[n]} + ${ERR[s]} > 0 )); then
    echo "WARNING: some runs had socket errors or non-2xx/3xx responses (see raw runs above)"
fi
[[ -n "${DIRTY[*]+x}" ]] && echo "(!) = no clean run for this target (other processes took > ${MAX_OTHER}% CPU even after retries): its mean uses the disturbed runs"
echo "waited ${WAITED_TOTAL:-0} s in total for other processes to go quiet before measured runs; script time ${SECONDS} s"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
