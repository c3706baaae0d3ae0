#!/bin/sh
# Builds iotrace, traces a real redis-server under redis-benchmark, and shows what it did.
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
out=$(mktemp -d /tmp/iotrace-demo.XXXXXX)
port=${IOTRACE_DEMO_PORT:-7379}
echo "== redis-server on 127.0.0.1:$port, traced into $out"
LD_PRELOAD="$PWD/build/libiotrace.so" IOTRACE_OUTPUT="$out/redis.%p.trace" \
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$out/redis.log" 2>&1 &
server=$!
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "redis-server did not start; see $out/redis.log"; exit 1; }
  sleep 0.1
done
echo "== redis-benchmark: 50 clients, 20000 requests"
redis-benchmark -p "$port" -c 50 -n 20000 -t set,get -q
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$server"
wait "$server" 2>/dev/null || true
echo "== iotrace timeline"
./build/iotrace timeline --width 100 "$out"/redis.*.trace
echo "== iotrace summary"
./build/iotrace summary "$out"/redis.*.trace
echo "(trace files are in $out)"
