#!/usr/bin/env bash
# On-the-fly compression settings (proxied responses, `site update --compress-proxied`): output size and speed of
# gzip levels 1/3/5/6 and brotli qualities 1/3/4/5 (window 18) on an API-like JSON (127 KB, generated) and
# examples/vite-react/package-lock.json, written in 8 KiB chunks with a flush after each (what the proxy does),
# one thread, each for 1 s after a warm-up. Ratios are against gzip level 1 (nginx's default) of the same run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
(cd "$ROOT" && mvn -B -q -o dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" >/dev/null)
javac -d "$OUT" -cp "$(cat "$OUT/cp.txt")" "$HERE/onthefly/OnTheFly.java"
echo "machine: $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
java -cp "$(cat "$OUT/cp.txt"):$OUT" OnTheFly "$ROOT/examples/vite-react/package-lock.json"
