#!/usr/bin/env bash
# Serving while variants are computed: wrk on a small file with the gateway pinned to CPU 0 (wrk on CPU 1), idle,
# then right after a 2,000-file (71 MB of text JS) deploy whose gzip/brotli variants are being computed; prints
# req/s, p50, p99 of both, how many variant files appeared during the run and the compression thread's nice value.
# Runs bench/out/skewgate.jar (copy target/skewgate.jar there first). Only 127.0.0.1; stops what it starts.
set -euo pipefail
JAR="${SKEWGATE_JAR:-$(cd "$(dirname "$0")" && pwd)/out/skewgate.jar}"
W=$(mktemp -d /tmp/stall.XXXX); chmod 755 $W
P=18590; A=18591; ADMIN=http://127.0.0.1:$A
taskset -c 0 java -jar $JAR serve --port $P --admin-port $A --data-dir $W/data > $W/log 2>&1 & SG=$!
trap 'kill $SG; wait $SG 2>/dev/null; rm -rf $W' EXIT
for _ in $(seq 100); do curl -s -o /dev/null $ADMIN/v1/health && break; sleep 0.2; done
cli() { java -jar $JAR "$@" --admin-url $ADMIN --data-dir $W/data; }
cli site create shop --host shop.localhost > /dev/null
mkdir -p $W/base; echo '<html><head></head><body>x</body></html>' > $W/base/index.html; echo "console.log(1)" > $W/base/small.js
cli deploy $W/base --site shop --activate > /dev/null
mkdir -p $W/big/assets; cp $W/base/* $W/big/
python3 - "$W/big/assets" <<'PY'
import sys, random
r = random.Random(1)
words = ["const","let","function","return","if","else","for","while","import","export","await","async","this","new","value","state","props","render","item","index"]
for i in range(2000):
    with open(f"{sys.argv[1]}/chunk-{i:04d}.js","w") as f:
        f.write(" ".join(r.choice(words)+str(r.randint(0,999)) for _ in range(4000)))
PY
du -sh $W/big | cut -f1
run() { taskset -c 1 wrk -t1 -c32 -d8s --latency -H 'Host: shop.localhost' http://127.0.0.1:$P/small.js | awk '/Requests\/sec/{r=$2} /^ +99%/{p=$2} /^ +50%/{m=$2} END{print "req/s", r, "p50", m, "p99", p}'; }
run > /dev/null
echo "idle:               $(run)"
cli deploy $W/big --site shop > /dev/null
n0=$(find $W/data/blobs/variants -type f | wc -l)
echo "during compression: $(run)"
n1=$(find $W/data/blobs/variants -type f | wc -l)
echo "variant files: $n0 after the deploy, $n1 after the run (of ~4000)"
ps -L -o tid,ni,pcpu,comm -p $SG | awk 'NR==1 || /skewgate-comp|eventloop/'
grep -i priority $W/log || true

