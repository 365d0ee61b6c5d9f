#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a few seconds from its seed corpus.
# Usage: tools/fuzz_smoke.sh BUILD_DIR SECONDS_PER_TARGET
# New inputs and crash artifacts go to a scratch folder; on a failure the fuzzer's report is
# printed and the crashing input is copied to BUILD_DIR/fuzz_artifacts/.
set -uo pipefail
build=${1:?build dir}
seconds=${2:-15}
found=0
failed=0
while IFS= read -r target; do
  found=1
  name=$(basename "$target")
  work=$(mktemp -d)
  seeds=$(cat "$build/fuzz_corpora/$name" 2>/dev/null || true)
  echo "fuzz: $name for ${seconds}s"
  if "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/" ${seeds:+"$seeds"} >"$work/log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$work/log" | tail -n 2
  else
    failed=1
    echo "fuzz: $name FAILED; its report:"
    tail -n 60 "$work/log"
    mkdir -p "$build/fuzz_artifacts"
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$build/fuzz_artifacts/" \
      2>/dev/null || true
  fi
  rm -rf "$work"
done < <(find "$build/src" -type f -name '*_fuzz' -perm -u+x | sort)
if [[ $found == 0 ]]; then
  echo "fuzz_smoke: no fuzz targets in $build" >&2
  exit 1
fi
exit $failed
