#!/usr/bin/env bash
# The cluster profile on one machine: a private Redis plus N silos that use it for membership, grain storage and
# reminders (so jobs survive a silo crash and a whole-cluster restart). Ctrl-C stops the silos gracefully (they
# checkpoint running jobs), then Redis.
# Usage: scripts/cluster-up.sh [SILOS=2] [REDIS_PORT=6380] [DATA=./data/cluster]
# REDIS_PORT defaults to 6380 because Debian's redis-server package runs a system Redis on 6379; start-redis.sh
# refuses a Redis it did not start. Needs redis-server and curl (scripts/install-deps.sh).
# Silo i listens on silo port 11111+i, gateway 30000+i, HTTP 8080+i. Clients: lora models --redis 127.0.0.1:REDIS_PORT
set -euo pipefail
cd "$(dirname "$0")/.."

silos="${1:-2}"
redis_port="${2:-6380}"
data="${3:-./data/cluster}"
mkdir -p "$data"
command -v curl >/dev/null || { echo "cluster-up: curl missing; run scripts/install-deps.sh" >&2; exit 1; }

scripts/start-redis.sh "$redis_port" "$data/redis"

echo "cluster-up: building the silo (Release)"
dotnet build src/Lora.Silo -c Release -v quiet -nologo >/dev/null
silo_dll="src/Lora.Silo/bin/Release/net10.0/Lora.Silo.dll"

pids=()
stop() {
    echo "cluster-up: stopping silos (graceful: running jobs checkpoint)"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    # SHUTDOWN flushes the append-only file: the next cluster-up on the same DATA resumes every unfinished job.
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown >/dev/null 2>&1 || true
}
trap stop EXIT
trap 'exit 130' INT TERM   # leave through the EXIT trap, so stop runs once

for i in $(seq 0 $((silos - 1))); do
    dotnet "$silo_dll" --silo-name "silo$i" \
        --silo-port $((11111 + i)) --gateway-port $((30000 + i)) --http-port $((8080 + i)) \
        --data-dir "$data/silo$i" --clustering redis --storage redis --reminders redis \
        --redis "127.0.0.1:$redis_port" > "$data/silo$i.log" 2>&1 &
    pids+=("$!")
done

for i in $(seq 0 $((silos - 1))); do
    healthy=false
    for _ in $(seq 1 120); do
        if curl -sf "http://127.0.0.1:$((8080 + i))/health" >/dev/null; then healthy=true; break; fi
        kill -0 "${pids[$i]}" 2>/dev/null || { echo "cluster-up: silo$i exited; see $data/silo$i.log" >&2; exit 1; }
        sleep 1
    done
    if [ "$healthy" != true ]; then
        echo "cluster-up: silo$i not healthy after 120 s (http://127.0.0.1:$((8080 + i))/health); see $data/silo$i.log" >&2
        exit 1
    fi
    echo "cluster-up: silo$i healthy: http://127.0.0.1:$((8080 + i))/metrics, gateway 127.0.0.1:$((30000 + i))"
done
echo "cluster-up: ready. Try: dotnet run --project src/Lora.Cli -- models --redis 127.0.0.1:$redis_port"
wait
