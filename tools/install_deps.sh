#!/usr/bin/env bash
# Installs what building and testing Roentgen needs on Debian 12, only what is missing.
# Usage: tools/install_deps.sh [--test]   (--test adds the clients the tests drive)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libsimdjson-dev libboost-dev librocksdb-dev libzstd-dev zlib1g-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
)
if [[ "${1:-}" == "--test" ]]; then
  # clang + its runtime for the ASan/UBSan build and libFuzzer; the real AWS clients for the
  # integration tests (Debian's CLI v2 and boto3; the X-Ray SDK for Python is pip's on PATH).
  packages+=(clang clang-format libclang-rt-14-dev awscli python3-boto3 curl)
  # Debian's chromium, driven headless by playwright-core in the console's browser tests.
  packages+=(chromium)
fi

# Tools that may come from elsewhere than Debian (the image's nodesource Node.js ships its own
# npm, which conflicts with Debian's npm package): install only when the command is missing.
# Node.js and npm also build the console (console/, docs/console.md), so run.sh needs them too.
declare -A tool_packages=([python3]=python3 [node]=nodejs [npm]=npm)
for tool in "${!tool_packages[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || packages+=("${tool_packages[$tool]}")
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if (( ${#missing[@]} > 0 )); then
  echo "install_deps: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
