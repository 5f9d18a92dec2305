#!/usr/bin/env bash
# The cluster profile on one machine: a private Redis plus N silos that use it for membership, grain storage and
# reminders (so jobs survive a silo crash and a whole-cluster restart). Ctrl-C stops the silos gracefully (they
# checkpoint running jobs; one still running 30 s later is killed), then Redis.
# Usage: scripts/cluster-up.sh [SILOS=2] [REDIS_PORT=6380] [DATA=./data/cluster]
# REDIS_PORT defaults to 6380 because Debian's redis-server package runs a system Redis on 6379; start-redis.sh
# refuses a Redis it did not start. Needs redis-server and curl (sudo scripts/install-deps.sh).
# Silo i listens on silo port 11111+i, gateway 30000+i, HTTP 8080+i. Clients: lora models --redis 127.0.0.1:REDIS_PORT
set -euo pipefail
cd "$(dirname "$0")/.."

silos="${1:-2}"
redis_port="${2:-6380}"
data="${3:-./data/cluster}"
mkdir -p "$data"
command -v curl >/dev/null || { echo "cluster-up: curl missing; run sudo scripts/install-deps.sh" >&2; exit 1; }

# Built before anything starts, so a failed build leaves nothing running. MSBuild prints errors on stdout: keep the
# whole output in a log and show its end on failure.
build_log="$data/build.log"
echo "cluster-up: building the silo (Release; log: $build_log)"
if ! dotnet build src/Lora.Silo -c Release -nologo -v minimal >"$build_log" 2>&1; then
    echo "cluster-up: build failed; last lines of $build_log:" >&2
    tail -n 40 "$build_log" >&2
    exit 1
fi
silo_dll="src/Lora.Silo/bin/Release/net10.0/Lora.Silo.dll"

# Above the silo's default 20 s shutdown timeout (LORA_SHUTDOWN_TIMEOUT_SECONDS): a silo still running then is killed.
stop_deadline_seconds=30
redis_pidfile="$data/redis/redis-$redis_port.pid"
pids=()

# True when the Redis on the port is the one start-redis.sh started with this DATA (its pid file): never shut down
# a Redis this script did not start, e.g. when start-redis.sh refused the port.
our_redis() {
    [ -f "$redis_pidfile" ] || return 1
    local pid
    pid="$(redis-cli -h 127.0.0.1 -p "$redis_port" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')"
    [ -n "$pid" ] && [ "$pid" = "$(cat "$redis_pidfile")" ]
}

stop() {
    # A second Ctrl-C (or a TERM) while stopping must not cut this short and leave Redis running.
    trap '' INT TERM
    if [ "${#pids[@]}" -gt 0 ]; then
        echo "cluster-up: stopping silos (graceful: running jobs checkpoint)"
        for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        local deadline=$((SECONDS + stop_deadline_seconds))
        for pid in "${pids[@]}"; do
            # bash reaps its exited children while it waits for sleep, so kill -0 fails once a silo is gone.
            while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
            if kill -0 "$pid" 2>/dev/null; then
                echo "cluster-up: silo pid $pid still running ${stop_deadline_seconds} s after SIGTERM; killing it" >&2
                kill -KILL "$pid" 2>/dev/null || true
            fi
            wait "$pid" 2>/dev/null || true
        done
    fi
    # SHUTDOWN flushes the append-only file: the next cluster-up on the same DATA resumes every unfinished job.
    if our_redis; then
        echo "cluster-up: stopping Redis on 127.0.0.1:$redis_port"
        redis-cli -h 127.0.0.1 -p "$redis_port" shutdown >/dev/null 2>&1 || true
    fi
}
# Set before Redis starts, so any exit from here on (a failed silo, Ctrl-C) stops it.
trap stop EXIT
trap 'exit 130' INT TERM   # leave through the EXIT trap, so stop runs once

scripts/start-redis.sh "$redis_port" "$data/redis"

for i in $(seq 0 $((silos - 1))); do
    dotnet "$silo_dll" --silo-name "silo$i" \
        --silo-port $((11111 + i)) --gateway-port $((30000 + i)) --http-port $((8080 + i)) \
        --data-dir "$data/silo$i" --clustering redis --storage redis --reminders redis \
        --redis "127.0.0.1:$redis_port" > "$data/silo$i.log" 2>&1 &
    pids+=("$!")
done

for i in $(seq 0 $((silos - 1))); do
    healthy=false
    deadline=$((SECONDS + 120))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if curl -sf --max-time 5 "http://127.0.0.1:$((8080 + i))/health" >/dev/null; then healthy=true; break; fi
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
