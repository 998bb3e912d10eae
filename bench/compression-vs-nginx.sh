#!/usr/bin/env bash
# Compression: bytes on the wire for a real Vite build (examples/vite-react) and req/s for its compressed main
# bundle, Skewgate (variants computed once per blob) vs nginx configured four ways in the same run:
#   ngx-default  `gzip on;` and nothing else: nginx's defaults (gzip_comp_level 1, gzip_types text/html only)
#   ngx-gzip     `gzip on;` + gzip_types for the types Skewgate compresses (level 1, the default)
#   ngx-brotli   ngx-gzip + `brotli on;` for the same types (libnginx-mod-http-brotli-filter, brotli_comp_level 6)
#   ngx-static   gzip_static + brotli_static on files precompressed with `gzip -9` and `brotli -q 11` beside them
#                (what a build step would do; the same settings as Skewgate's variants)
# Every file of the build is fetched once from each with `Accept-Encoding: gzip, br`; the bytes of the bodies are
# summed (the entry point's too: Skewgate's carries the injected tags, so it is larger as identity).
#
# Environment knobs (defaults in brackets):
#   SKEWGATE_JAR  jar to run [bench/out/skewgate.jar; copied from target/skewgate.jar if missing]
#   DIST          a build folder to use instead of building examples/vite-react []
#   PIN           1 = servers on CPU 0, wrk on CPU 1 (taskset) [1]
#   DURATION      seconds per wrk run [10];  CONNS  wrk connections [64]
#   SG_PORT/SG_ADMIN_PORT/NGX_PORT  [18490/18491/18492..18495]
# Only 127.0.0.1 is targeted. Everything it starts is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PIN="${PIN:-1}"
DURATION="${DURATION:-10}"
CONNS="${CONNS:-64}"
SG_PORT="${SG_PORT:-18490}"
SG_ADMIN_PORT="${SG_ADMIN_PORT:-18491}"
NGX_PORT="${NGX_PORT:-18492}"
HOST_HDR="shop.localhost"
AE="gzip, br"
TYPES="text/css text/javascript application/javascript application/json application/manifest+json image/svg+xml application/xml text/plain application/wasm"

for tool in java wrk nginx curl awk taskset gzip brotli node; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y nginx wrk curl brotli nodejs libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static)" >&2; exit 1; }
done
MODS=/usr/lib/nginx/modules
for m in ngx_http_brotli_filter_module ngx_http_brotli_static_module; do
    [[ -f "$MODS/$m.so" ]] || { echo "missing nginx module $m: apt-get install -y libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static" >&2; exit 1; }
done

JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    [[ -f "$ROOT/target/skewgate.jar" ]] || { echo "no jar: run 'mvn -B -q package -DskipTests' first" >&2; exit 1; }
    mkdir -p "$(dirname "$JAR")"
    cp "$ROOT/target/skewgate.jar" "$JAR"   # never run target/ directly: others rebuild it
fi

WORK="$(mktemp -d /tmp/skewgate-bench-compress.XXXXXX)"
chmod 755 "$WORK"
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
    SRV=(taskset -c 0); WRK=(taskset -c 1); NCPU_SRV=1
else
    SRV=(); WRK=(); NCPU_SRV="$(nproc)"
fi

# ---- the build -------------------------------------------------------------------------------------------------
if [[ -z "${DIST:-}" ]]; then
    EX="$ROOT/examples/vite-react"
    (cd "$ROOT/sdk" && node scripts/build.mjs > /dev/null)
    [[ -d "$EX/node_modules" ]] || (cd "$EX" && npm ci --no-audit --no-fund --prefer-offline > /dev/null)
    (cd "$EX" && APP_VERSION=bench node node_modules/vite/bin/vite.js build --outDir "$WORK/dist" --emptyOutDir > /dev/null)
    DIST="$WORK/dist"
fi
chmod -R a+rX "$DIST"
mapfile -t FILES < <(cd "$DIST" && find . -type f ! -name '*.gz' ! -name '*.br' | sed 's|^\./||' | sort)

# The precompressed copy for ngx-static: the same build plus x.gz / x.br siblings of every compressible file > 1 KiB.
STATIC="$WORK/static"
cp -r "$DIST" "$STATIC"
for f in "${FILES[@]}"; do
    size=$(stat -c %s "$STATIC/$f")
    case "$f" in *.js|*.mjs|*.css|*.html|*.json|*.map|*.svg|*.txt|*.xml|*.wasm|*.webmanifest)
        if (( size > 1024 )); then gzip -9 -k -n "$STATIC/$f"; brotli -q 11 -k "$STATIC/$f"; fi ;;
    esac
done
chmod -R a+rX "$STATIC"

# ---- Skewgate --------------------------------------------------------------------------------------------------
ADMIN="http://127.0.0.1:$SG_ADMIN_PORT"
cli() { java -jar "$JAR" "$@" --admin-url "$ADMIN" --data-dir "$WORK/sgdata"; }
start_sg() {
    "${SRV[@]}" java -jar "$JAR" serve --port "$SG_PORT" --admin-port "$SG_ADMIN_PORT" \
        --data-dir "$WORK/sgdata" >> "$WORK/skewgate.log" 2>&1 &
    SG_PID=$!
    for _ in $(seq 150); do
        curl -s -o /dev/null "$ADMIN/v1/health" && curl -s -o /dev/null "http://127.0.0.1:$SG_PORT/" -H "Host: $HOST_HDR" && return 0
        kill -0 "$SG_PID" 2>/dev/null || { cat "$WORK/skewgate.log" >&2; exit 1; }
        sleep 0.2
    done
    echo "Skewgate did not start" >&2; exit 1
}
start_sg
cli site create shop --host "$HOST_HDR" > /dev/null
T0=$(date +%s.%N)
cli deploy "$DIST" --site shop --activate > /dev/null
# Variants are computed off the request path after the deployment is compiled: wait until the largest JS has both.
MAIN="$(cd "$DIST" && find . -name '*.js' -printf '%s %P\n' | sort -n | tail -n 1 | cut -d' ' -f2)"
for enc in br gzip; do
    for _ in $(seq 600); do
        got=$(curl -s -o /dev/null -D - -H "Host: $HOST_HDR" -H "Accept-Encoding: $enc" "http://127.0.0.1:$SG_PORT/$MAIN" \
            | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')
        [[ "$got" == "$enc" ]] && break
        sleep 0.1
    done
done
T1=$(date +%s.%N)
if grep -q "brotli is not available" "$WORK/skewgate.log"; then echo "brotli native library did not load in Skewgate" >&2; exit 1; fi

# ---- nginx: four servers in one instance -----------------------------------------------------------------------
NGX="$WORK/nginx"
mkdir -p "$NGX/logs" "$NGX/tmp"
server() { # port root extra-directives
    cat <<EOS
    server {
        listen 127.0.0.1:$1;
        server_name $HOST_HDR;
        root $2;
        $3
        location / { try_files \$uri \$uri/ /index.html; }
    }
EOS
}
{
    echo "load_module $MODS/ngx_http_brotli_filter_module.so;"
    echo "load_module $MODS/ngx_http_brotli_static_module.so;"
    cat <<EOF
worker_processes $NCPU_SRV;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_requests 1000000;
    open_file_cache max=1000 inactive=60s;
    client_body_temp_path $NGX/tmp/body; proxy_temp_path $NGX/tmp/proxy; fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi; scgi_temp_path $NGX/tmp/scgi;
EOF
    server $((NGX_PORT)) "$DIST" "gzip on;"
    server $((NGX_PORT + 1)) "$DIST" "gzip on; gzip_vary on; gzip_types $TYPES;"
    server $((NGX_PORT + 2)) "$DIST" "gzip on; gzip_vary on; gzip_types $TYPES; brotli on; brotli_types $TYPES;"
    server $((NGX_PORT + 3)) "$STATIC" "gzip_static on; brotli_static on; gzip_vary on;"
    echo "}"
} > "$NGX/nginx.conf"
"${SRV[@]}" nginx -p "$NGX" -c "$NGX/nginx.conf" -g 'daemon off;' &
NGX_PID=$!
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$((NGX_PORT + 3))/index.html" && break
    sleep 0.1
done

NAMES=(skewgate ngx-default ngx-gzip ngx-brotli ngx-static)
port_of() {
    case "$1" in skewgate) echo "$SG_PORT" ;; ngx-default) echo "$NGX_PORT" ;; ngx-gzip) echo $((NGX_PORT + 1)) ;;
        ngx-brotli) echo $((NGX_PORT + 2)) ;; ngx-static) echo $((NGX_PORT + 3)) ;; esac
}

# ---- bytes: every file, decoded and compared with the build (the entry point only where it is not injected) ----
decode() { case "$1" in br) brotli -d -c ;; gzip) gzip -d -c ;; *) cat ;; esac; }
declare -A SENT
IDENTITY=0
for f in "${FILES[@]}"; do IDENTITY=$((IDENTITY + $(stat -c %s "$DIST/$f"))); done
for n in "${NAMES[@]}"; do
    total=0
    for f in "${FILES[@]}"; do
        curl -s -o "$WORK/body" -D "$WORK/head" -H "Host: $HOST_HDR" -H "Accept-Encoding: $AE" "http://127.0.0.1:$(port_of "$n")/$f"
        enc=$(tr -d '\r' < "$WORK/head" | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')
        total=$((total + $(stat -c %s "$WORK/body")))
        if [[ "$f" != *.html ]] && ! decode "$enc" < "$WORK/body" | cmp -s - "$DIST/$f"; then
            echo "decoded body differs: $n $f ($enc)" >&2; exit 1
        fi
    done
    SENT[$n]=$total
done

# ---- ranges on a compressed file: what each does with `Range` + `Accept-Encoding` ------------------------------
range_of() {
    curl -s -o /dev/null -D - -H "Host: $HOST_HDR" -H "Accept-Encoding: $AE" -H "Range: bytes=0-99" \
        "http://127.0.0.1:$(port_of "$1")/$MAIN" | tr -d '\r' \
        | awk -F': ' 'NR==1{s=$0; sub(/^HTTP\/[0-9.]+ /,"",s); st=substr(s,1,3)} tolower($1)=="content-encoding"{e=$2} END{print st "/" (e==""?"identity":e)}'
}

# ---- req/s on the main bundle, compressed ----------------------------------------------------------------------
rps() { # name
    "${WRK[@]}" wrk -t1 -c"$CONNS" -d"${DURATION}s" -H "Host: $HOST_HDR" -H "Accept-Encoding: $AE" \
        "http://127.0.0.1:$(port_of "$1")/$MAIN" | awk '/Requests\/sec/{printf "%d", $2}'
}
declare -A RPS RANGE
for n in "${NAMES[@]}"; do
    RANGE[$n]=$(range_of "$n")
    "${WRK[@]}" wrk -t1 -c"$CONNS" -d3s -H "Host: $HOST_HDR" -H "Accept-Encoding: $AE" "http://127.0.0.1:$(port_of "$n")/$MAIN" > /dev/null
    RPS[$n]=$(rps "$n")
done
# After a restart the variants are found by the startup build and kept in memory within the budget (before it,
# variants computed while running are sent from disk).
kill "$SG_PID"; wait "$SG_PID" 2>/dev/null || true
start_sg
"${WRK[@]}" wrk -t1 -c"$CONNS" -d3s -H "Host: $HOST_HDR" -H "Accept-Encoding: $AE" "http://127.0.0.1:$SG_PORT/$MAIN" > /dev/null
RPS_RESTARTED=$(rps skewgate)

# ---- report ----------------------------------------------------------------------------------------------------
enc_of() { curl -s -o /dev/null -D - -H "Host: $HOST_HDR" -H "Accept-Encoding: $AE" "http://127.0.0.1:$(port_of "$1")/$MAIN" \
    | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}'; }
echo "== Skewgate vs nginx: compression =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "cpu:     $(nproc) x $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
echo "java:    $(java -version 2>&1 | head -n 1);  nginx: $(nginx -v 2>&1 | sed 's/nginx version: //')"
echo "build:   ${#FILES[@]} files, $IDENTITY bytes identity; main bundle $MAIN ($(stat -c %s "$DIST/$MAIN") bytes)"
echo "setup:   Accept-Encoding: $AE; wrk -t1 -c$CONNS -d${DURATION}s on the main bundle; $([[ $PIN == 1 ]] && echo 'servers on CPU 0, wrk on CPU 1' || echo 'not pinned')"
printf 'deploy -> both variants of the main bundle served: %.1f s\n\n' "$(echo "$T1 - $T0" | bc)"
printf '%-12s %12s %12s %8s %9s %14s %10s\n' server bytes_sent bytes_saved ratio main_enc range_0-99 req_per_s
for n in "${NAMES[@]}"; do
    printf '%-12s %12d %12d %8.3f %9s %14s %10s\n' "$n" "${SENT[$n]}" $((IDENTITY - SENT[$n])) \
        "$(echo "${SENT[$n]} / $IDENTITY" | bc -l)" "$(enc_of "$n")" "${RANGE[$n]}" "${RPS[$n]}"
done
printf '%-12s %12s %12s %8s %9s %14s %10s\n' "skewgate*" - - - br - "$RPS_RESTARTED"
echo "(ratio = bytes sent / identity bytes; range_0-99 = status/coding of a Range request with Accept-Encoding;"
echo " skewgate* = Skewgate after a restart: variants found at start, in memory within the budget)"
echo
for n in ngx-default ngx-gzip ngx-brotli ngx-static; do
    printf 'skewgate vs %-11s bytes sent %6.3f   req/s %6.2f (after restart %6.2f)\n' "$n" \
        "$(echo "${SENT[skewgate]} / ${SENT[$n]}" | bc -l)" "$(echo "${RPS[skewgate]} / ${RPS[$n]}" | bc -l)" \
        "$(echo "$RPS_RESTARTED / ${RPS[$n]}" | bc -l)"
done
