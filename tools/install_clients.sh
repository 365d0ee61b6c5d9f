#!/usr/bin/env bash
# Installs the npm clients the integration tests drive (tests/clients/package-lock.json:
# aws-xray-sdk-core, @aws-sdk/client-xray) into tests/clients/node_modules.
# Runs `npm ci` only when node_modules is missing or older than the lock file; otherwise
# does nothing. Quiet unless npm fails (its output is printed then, and the exit status is 1).
# Idempotent.
# Without node/npm it prints a note and exits 0: the Node tests then skip (exit 77).
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/clients"
lock="$dir/package-lock.json"
modules="$dir/node_modules"
stamp="$modules/.package-lock.json"  # npm writes it on every install

if ! command -v npm >/dev/null 2>&1; then
  echo "install_clients: npm not found; the Node client tests will be skipped" >&2
  exit 0
fi
if [[ -d "$modules" && -f "$stamp" && ! "$lock" -nt "$stamp" ]]; then
  exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1); then
  echo "install_clients: npm ci failed in $dir:" >&2
  cat "$log" >&2
  rm -rf "$modules"  # no half-installed tree: the Node tests then skip instead of failing
  exit 1
fi
touch "$stamp"
