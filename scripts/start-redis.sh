#!/usr/bin/env bash
# Starts a private redis-server on 127.0.0.1 for tests and local cluster runs.
# Usage: scripts/start-redis.sh [PORT=6380] [DIR=./data/redis]
# PORT defaults to 6380, as in scripts/cluster-up.sh: Debian's redis-server service (installed by
# scripts/install-deps.sh) holds 6379.
# Idempotent: if the Redis answering on PORT is the one this script started with DIR (its pid file), nothing new
# starts. A Redis it did not start (e.g. Debian's redis-server service on 6379) is refused, not reused: callers
# rely on the append-only file in DIR, and scripts/cluster-up.sh shuts this Redis down when it stops.
set -euo pipefail

port="${1:-6380}"
dir="${2:-./data/redis}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/redis-$port.pid"
logfile="$dir/redis-$port.log"

ping() { redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; }
# process_id of the Redis that answers on the port (empty if none).
server_pid() { redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p'; }

if ping; then
    if [ -f "$pidfile" ] && [ "$(server_pid)" = "$(cat "$pidfile")" ]; then
        echo "start-redis: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
        exit 0
    fi
    echo "start-redis: 127.0.0.1:$port is taken by a redis this script did not start with $dir (pid $(server_pid));" \
        "stop it or use another port" >&2
    exit 1
fi

command -v redis-server >/dev/null || { echo "start-redis: redis-server missing; run sudo scripts/install-deps.sh" >&2; exit 1; }

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
