#!/usr/bin/env bash
# Installs the system packages the deploy checks and the cluster profile need:
#   redis-server   - Redis for clustering/storage/reminders tests (scripts/start-redis.sh)
#   prometheus     - ships promtool, used to validate deploy/prometheus/prometheus.yml
#   docker-compose - the client only (no engine here); validates docker-compose.yml with `config`
#   curl           - scripts/cluster-up.sh waits for each silo's /health with it
# Idempotent: only missing packages are installed, so CI pays for apt-get update at most once.
set -euo pipefail

packages=(redis-server prometheus docker-compose curl)

missing=()
for pkg in "${packages[@]}"; do
    # dpkg-query reports "install ok installed" only for fully configured packages.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all present (${packages[*]})"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
# --no-install-recommends keeps the prometheus package from pulling in exporters and node tooling.
# policy-rc.d is not touched: the redis-server service postinst starts holds 127.0.0.1:6379, which start-redis.sh
# refuses to reuse; the system tests use free ports and cluster-up.sh defaults to 6380.
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
