#!/usr/bin/env bash
# Installs the system packages the deploy checks and the cluster profile need:
#   redis-server   - Redis for clustering/storage/reminders tests (scripts/start-redis.sh)
#   prometheus     - ships promtool, used to validate deploy/prometheus/prometheus.yml (and the prometheus binary
#                    the system tests start on free ports; the package's own service is stopped and disabled below)
#   docker-compose - Compose v1, the client only (no engine here); validates docker-compose.yml with `config`.
#                    Run the stack with the Compose v2 plugin (`docker compose`), not with this one.
#   curl           - scripts/cluster-up.sh waits for each silo's /health with it
# Idempotent: only missing packages are installed, so CI pays for apt-get update at most once. Needs root:
#   sudo scripts/install-deps.sh
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
# policy-rc.d is not touched: the redis-server service postinst starts holds 127.0.0.1:6379 (loopback only), which
# start-redis.sh refuses to reuse; the system tests use free ports and start-redis.sh and cluster-up.sh default to 6380.
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The prometheus package's postinst enables and starts prometheus.service, an unauthenticated Prometheus on
# 0.0.0.0:9090 that would also take docker compose's 9090. Only promtool and the binary are wanted: stop the service
# and keep it from starting at boot. Only for a prometheus installed just now (one an operator set up is left alone),
# and only where systemd runs as PID 1: CI containers have none (there invoke-rc.d finds no runlevel and starts nothing).
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
        systemctl disable --now prometheus.service >/dev/null 2>&1 \
            && echo "install-deps: stopped and disabled prometheus.service (it listened on 0.0.0.0:9090)" \
            || echo "install-deps: warning: could not stop/disable prometheus.service; run: systemctl disable --now prometheus" >&2
    fi
fi
echo "install-deps: done"
