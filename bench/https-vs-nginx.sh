#!/usr/bin/env bash
# HTTPS front door (issue 12): Skewgate's TLS listener vs nginx with the same certificate (P-256, made here by
# openssl), TLS 1.3, the same negotiated cipher (printed), in one run, alternating rounds. Prints req/s and ratios:
#   static 1 KiB and 100 KiB over HTTP/1.1 (wrk, keep-alive)
#   static 1 KiB over HTTP/2 (h2load, 16 connections x 10 streams)
#   proxied GET /api/x over HTTPS to the same plain-HTTP backend (an nginx returning 11 bytes)
#   new TLS handshakes per second (wrk with "Connection: close": one full handshake per request)
# nginx: 1 worker per CPU the proxies may use, access_log off, ssl_session_cache off and no tickets for the handshake
# run (Skewgate's JDK TLS keeps its own session cache; wrk does not resume sessions either way).
#
# Knobs: SKEWGATE_JAR [bench/out/skewgate.jar] DURATION [8] ROUNDS [3] CONNS [64] PIN [1: proxies on CPU 0,
# clients and backend on CPU 1]  SG_JAVA_OPTS [none; -Dskewgate.tls.engine=jdk measures the JDK engine]  ports SG_PORT/SG_HTTPS/SG_ADMIN/NGX_HTTPS/BACKEND [18560..18564]
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DURATION="${DURATION:-8}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-64}"
PIN="${PIN:-1}"
SG_PORT="${SG_PORT:-18560}"
SG_HTTPS="${SG_HTTPS:-18561}"
SG_ADMIN="${SG_ADMIN:-18562}"
NGX_HTTPS="${NGX_HTTPS:-18563}"
BACKEND="${BACKEND:-18564}"
HOST=shop.test

for tool in java wrk h2load nginx openssl curl taskset python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y nginx wrk nghttp2-client openssl curl)" >&2; exit 1; }
done
JAR="${SKEWGATE_JAR:-$HERE/out/skewgate.jar}"
if [[ ! -f "$JAR" ]]; then
    [[ -f "$ROOT/target/skewgate.jar" ]] || { echo "no jar: see bench/README.md" >&2; exit 1; }
    mkdir -p "$(dirname "$JAR")" && cp "$ROOT/target/skewgate.jar" "$JAR" && rm -f "$JAR.commit"
fi
JAR_COMMIT="$(cat "$JAR.commit" 2>/dev/null || echo "unknown (copied from target/)")"

WORK="$(mktemp -d /tmp/skewgate-bench-https.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "$PIN" == 1 ]]; then PROXY=(taskset -c 0); CLIENT=(taskset -c 1); NCPU=1; else PROXY=(); CLIENT=(); NCPU="$(nproc)"; fi

# ---- one certificate for both ------------------------------------------------------------------------------------------
C="$WORK/cert"; mkdir -p "$C"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/key.pem" -out "$C/cert.pem" \
    -subj "/CN=$HOST" -days 2 -addext "subjectAltName=DNS:$HOST" 2>/dev/null

# ---- content: the same bytes for both ----------------------------------------------------------------------------------
DIST="$WORK/dist"; mkdir -p "$DIST/assets"
echo '<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body>bench</body></html>' > "$DIST/index.html"
python3 -c "import os; open('$DIST/assets/one-1a2b3c4d.bin','wb').write(os.urandom(1024)); open('$DIST/assets/hundred-5e6f7a8b.bin','wb').write(os.urandom(100*1024))"

common() {
    cat <<EOF
    access_log off;
    tcp_nodelay on;
    keepalive_requests 1000000;
    client_body_temp_path $1/tmp/body; proxy_temp_path $1/tmp/proxy; fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi; scgi_temp_path $1/tmp/scgi;
EOF
}

# ---- backend for the proxied requests -----------------------------------------------------------------------------------
BE="$WORK/backend"; mkdir -p "$BE/logs" "$BE/tmp"
cat > "$BE/nginx.conf" <<EOF
worker_processes 1; pid $BE/nginx.pid; error_log $BE/logs/error.log warn;
events { worker_connections 4096; }
http {
$(common "$BE")
    server { listen 127.0.0.1:$BACKEND; location /api/ { default_type application/json; return 200 '{"ok":true}'; } }
}
EOF
"${CLIENT[@]}" nginx -p "$BE" -c "$BE/nginx.conf" -g 'daemon off;' & PIDS+=($!)

# ---- nginx, TLS front ---------------------------------------------------------------------------------------------------
NG="$WORK/nginx"; mkdir -p "$NG/logs" "$NG/tmp"
cat > "$NG/nginx.conf" <<EOF
worker_processes $NCPU; pid $NG/nginx.pid; error_log $NG/logs/error.log warn;
events { worker_connections 8192; }
http {
$(common "$NG")
    sendfile on;
    upstream b { server 127.0.0.1:$BACKEND; keepalive 64; }
    server {
        listen 127.0.0.1:$NGX_HTTPS ssl http2;
        server_name $HOST;
        ssl_certificate $C/cert.pem; ssl_certificate_key $C/key.pem;
        ssl_protocols TLSv1.3;
        ssl_session_cache off; ssl_session_tickets off;
        root $DIST;
        location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
        location /api/ { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$http_host; }
    }
}
EOF
"${PROXY[@]}" nginx -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' & PIDS+=($!)

# ---- Skewgate -------------------------------------------------------------------------------------------------------------
ADMIN="http://127.0.0.1:$SG_ADMIN"
cli() { java -jar "$JAR" "$@" --admin-url "$ADMIN" --data-dir "$WORK/sgdata"; }
"${PROXY[@]}" java ${SG_JAVA_OPTS:-} -jar "$JAR" serve --https --no-acme --https-port "$SG_HTTPS" --http-port "$SG_PORT" \
    --admin-port "$SG_ADMIN" --data-dir "$WORK/sgdata" > "$WORK/skewgate.log" 2>&1 & PIDS+=($!)
for _ in $(seq 150); do curl -s -o /dev/null "$ADMIN/v1/health" && break; sleep 0.2; done
cli cert add --host "$HOST" --cert "$C/cert.pem" --key "$C/key.pem" > /dev/null
cli site create shop --host "$HOST" --default-backend "http://127.0.0.1:$BACKEND" --default-health /api/x > /dev/null
cli deploy "$DIST" --site shop --activate > /dev/null

R="--resolve $HOST:$SG_HTTPS:127.0.0.1 --resolve $HOST:$NGX_HTTPS:127.0.0.1"
for p in "$SG_HTTPS" "$NGX_HTTPS"; do
    # shellcheck disable=SC2086
    curl -sk $R -o /dev/null -w "sanity :$p %{http_version} %{http_code} %{size_download} B\n" "https://$HOST:$p/assets/hundred-5e6f7a8b.bin"
    echo | openssl s_client -connect "127.0.0.1:$p" -servername "$HOST" 2>/dev/null | grep -E "^(New|    Protocol|    Cipher)" | head -2 | sed "s/^/   :$p /"
done

# wrk and h2load send SNI from the URL's host name (none for an IP address, which Skewgate refuses by design), so the
# name must resolve to 127.0.0.1: as root the script adds it to /etc/hosts, else it asks you to.
if ! getent hosts "$HOST" | grep -q 127.0.0.1; then
    if [[ -w /etc/hosts ]]; then
        echo "127.0.0.1 $HOST" >> /etc/hosts
        echo "   (added '127.0.0.1 $HOST' to /etc/hosts: wrk and h2load send SNI from the URL's name)"
    else
        echo "add '127.0.0.1 $HOST' to /etc/hosts (wrk/h2load send SNI from the URL's name)" >&2; exit 1
    fi
fi

wrk_rps() { "${CLIENT[@]}" wrk -t1 -c"$CONNS" -d"${2}s" "${@:3}" "$1" | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "bad:" $NF > "/dev/stderr"}'; }
h2_rps() { "${CLIENT[@]}" h2load -D "$2" -c 16 -m 10 -t 1 "$1" 2>/dev/null | awk '/^finished in/ {gsub(",", "", $4); print $4}'; }

declare -A SUM
run() { # name server-port
    local name="$1" port="$2" v
    case "$name" in
        static1k-h1) v="$(wrk_rps "https://$HOST:$port/assets/one-1a2b3c4d.bin" "$DURATION")" ;;
        static100k-h1) v="$(wrk_rps "https://$HOST:$port/assets/hundred-5e6f7a8b.bin" "$DURATION")" ;;
        static1k-h2) v="$(h2_rps "https://$HOST:$port/assets/one-1a2b3c4d.bin" "$DURATION")" ;;
        proxied-h1) v="$(wrk_rps "https://$HOST:$port/api/x" "$DURATION")" ;;
        handshakes) v="$(wrk_rps "https://$HOST:$port/assets/one-1a2b3c4d.bin" "$DURATION" -H "Connection: close")" ;;
    esac
    echo "$v"
}
TESTS=(static1k-h1 static100k-h1 static1k-h2 proxied-h1 handshakes)
echo "== HTTPS: Skewgate vs nginx $(nginx -v 2>&1 | sed 's/.*\///'), jar $JAR_COMMIT, $(date -u +%FT%TZ), $(nproc) CPUs, PIN=$PIN, ${DURATION}s x $ROUNDS rounds"
for t in "${TESTS[@]}"; do run "$t" "$SG_HTTPS" > /dev/null; done   # JIT warm-up
for r in $(seq "$ROUNDS"); do
    for t in "${TESTS[@]}"; do
        for who in nginx skewgate; do
            port=$([[ $who == nginx ]] && echo "$NGX_HTTPS" || echo "$SG_HTTPS")
            v="$(run "$t" "$port")"
            SUM["$t/$who"]="${SUM["$t/$who"]:-} $v"
            printf "   round %d %-14s %-9s %12s req/s\n" "$r" "$t" "$who" "$v"
        done
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
printf "   %-14s %12s %12s %8s\n" test nginx skewgate ratio
for t in "${TESTS[@]}"; do
    n="$(median <<<"${SUM["$t/nginx"]}")"; s="$(median <<<"${SUM["$t/skewgate"]}")"
    printf "   %-14s %12s %12s %8s\n" "$t" "$n" "$s" "$(python3 -c "print(f'{float($s)/float($n):.2f}x')")"
done
