#!/usr/bin/env bash
# Starts a private redis-server on 127.0.0.1 for tests and local cluster runs.
# Usage: scripts/start-redis.sh [PORT=6379] [DIR=./data/redis]
# Idempotent: if the pid file names a live process, or the port already answers PING, nothing new starts.
set -euo pipefail

port="${1:-6379}"
dir="${2:-./data/redis}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/redis-$port.pid"
logfile="$dir/redis-$port.log"

ping() { redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; }

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && ping; then
    echo "start-redis: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    exit 0
fi
if ping; then
    # Someone else's redis (e.g. the Debian service) already owns the port; reuse it rather than fail.
    echo "start-redis: a redis already answers on 127.0.0.1:$port; reusing it"
    exit 0
fi

command -v redis-server >/dev/null || { echo "start-redis: redis-server missing; run scripts/install-deps.sh" >&2; exit 1; }

# Append-only file in DIR: Redis holds the jobs, checkpoints, finished adapters, membership and reminders, so a
# Redis restarted on the same DIR must come back with them. fsync every second: a Redis crash can lose at most the
# last second of writes, which grains absorb (ETag conflict → resume from the previous stored checkpoint).
redis-server --bind 127.0.0.1 --port "$port" --daemonize yes \
    --pidfile "$pidfile" --logfile "$logfile" --dir "$dir" \
    --save '' --appendonly yes --appendfsync everysec

# Up to 30 s: a restart replays the append-only file first, and a loaded CI box can be slow to get there.
for _ in $(seq 1 300); do
    if ping; then
        echo "start-redis: ready on 127.0.0.1:$port (pid $(cat "$pidfile" 2>/dev/null || echo '?'))"
        exit 0
    fi
    sleep 0.1
done
echo "start-redis: redis did not answer PING on 127.0.0.1:$port within 30s; see $logfile" >&2
exit 1
