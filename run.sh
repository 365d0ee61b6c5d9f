#!/usr/bin/env bash
# Installs what is missing, builds Roentgen (release) and starts `roentgen serve` on
# 127.0.0.1:2000 with its data in ./roentgen-data. Extra arguments go to `roentgen serve`.
set -euo pipefail
cd "$(dirname "$0")"
tools/install_deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target roentgen
echo
echo "Roentgen X-Ray API:    http://127.0.0.1:2000  (aws xray ... --endpoint-url http://127.0.0.1:2000)"
echo "X-Ray daemon (UDP):    AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"
echo "Health and metrics:    http://127.0.0.1:2000/healthz  http://127.0.0.1:2000/metrics"
echo
exec build/release/roentgen serve --data-dir ./roentgen-data "$@"
