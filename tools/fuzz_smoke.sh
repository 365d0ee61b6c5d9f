#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a few seconds from its seed corpus.
# Usage: tools/fuzz_smoke.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
build=${1:?build dir}
seconds=${2:-15}
found=0
while IFS= read -r target; do
  found=1
  name=$(basename "$target")
  work=$(mktemp -d)
  seeds=$(cat "$build/fuzz_corpora/$name" 2>/dev/null || true)
  echo "fuzz: $name for ${seconds}s"
  # New inputs go to a scratch folder; the committed seed corpus is only read.
  "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    "$work" ${seeds:+"$seeds"} 2>&1 | tail -n 3
  rm -rf "$work"
done < <(find "$build" -type f -name '*_fuzz' -perm -u+x | sort)
if [[ $found == 0 ]]; then
  echo "fuzz_smoke: no fuzz targets in $build" >&2
  exit 1
fi
