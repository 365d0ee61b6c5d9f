#!/usr/bin/env bash
# Installs what is missing, builds Roentgen (release) and starts `roentgen serve` on
# 127.0.0.1:2000 with its data in ./roentgen-data, plus the order demo (docs/demo.md) with
# steady traffic (5 orders/s) on 127.0.0.1:8080, sending its traces to the server.
# Extra arguments go to `roentgen serve`. ROENTGEN_DEMO=0 starts the server alone;
# ROENTGEN_DEMO_ARGS adds arguments for `roentgen demo` (e.g. "--rate 20").
set -euo pipefail
cd "$(dirname "$0")"
tools/install_deps.sh
# The console (console/dist, served at /console/; docs/console.md).
npm --prefix console ci && npm --prefix console run build
cmake --preset release >/dev/null
demo="${ROENTGEN_DEMO:-1}"
for arg in "$@"; do
  case "$arg" in -h|--help|--help-all) demo=0 ;; esac
done
if [[ "$demo" == 0 ]]; then
  cmake --build --preset release --target roentgen
else
  cmake --build --preset release --target roentgen roentgen_demo
fi
echo
echo "Roentgen X-Ray API:    http://127.0.0.1:2000  (aws xray ... --endpoint-url http://127.0.0.1:2000)"
echo "X-Ray daemon (UDP):    AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"
echo "Console:               http://127.0.0.1:2000/console/"
echo "Health and metrics:    http://127.0.0.1:2000/healthz  http://127.0.0.1:2000/metrics"
if [[ "$demo" == 0 ]]; then
  echo
  exec build/release/roentgen serve --data-dir ./roentgen-data \
    --analysis-rules docs/examples/analysis-rules.json "$@"
fi
echo "Order demo:            http://127.0.0.1:8080/prod/orders  (POST; 5 orders/s of traffic; log in build/release/roentgen-demo.log)"
echo "                       curl -X POST http://127.0.0.1:8080/prod/orders -d '{\"customerId\":\"c1\",\"productId\":\"p1\",\"quantity\":1}'"
echo
# shellcheck disable=SC2086
mkdir -p ./roentgen-data
build/release/roentgen demo --daemon 127.0.0.1:2000 --listen 127.0.0.1:8080 \
  --orders-db ./roentgen-data/demo-orders.sqlite ${ROENTGEN_DEMO_ARGS:-} \
  >build/release/roentgen-demo.log 2>&1 &
demo_pid=$!
trap 'kill "$demo_pid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
build/release/roentgen serve --data-dir ./roentgen-data \
  --analysis-rules docs/examples/analysis-rules.json "$@"
