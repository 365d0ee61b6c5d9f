#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the gcc developer build (unit,
# golden, fuzz-corpus replay, integration with the real AWS clients), then a clang
# ASan+UBSan build of the unit tests with libFuzzer targets (corpus replay and a short
# fuzz smoke). Set RG_SKIP_ASAN=1 to skip the sanitizer build locally.
set -euo pipefail
cd "$(dirname "$0")"
tools/install_deps.sh --test
tools/install_clients.sh

jobs=$(nproc)
echo "== console (npm ci, vite build: console/dist for the server and the browser tests)"
npm --prefix console ci && npm --prefix console run build
echo "== format (clang-format --dry-run)"
tools/format.sh --check
echo "== dev build (gcc, -Werror)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
echo "== dev tests"
ctest --preset dev -j "$jobs" --timeout 600
if [[ -x bench/run_benchmarks.sh ]]; then
  echo "== benchmark smoke"
  bench/run_benchmarks.sh --smoke --build-dir build/dev
fi

if [[ "${RG_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== asan build (clang, ASan+UBSan, libFuzzer)"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  echo "== asan tests (unit, golden, fuzz corpus replay)"
  ctest --preset asan -j "$jobs" -L 'unit|golden|fuzz_replay' --timeout 900
  echo "== fuzz smoke"
  tools/fuzz_smoke.sh build/asan "${RG_FUZZ_SECONDS:-15}"
fi
echo "== all tests passed"
