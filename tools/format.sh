#!/usr/bin/env bash
# Formats the C++ sources with the repository's .clang-format, or with --check lists the
# files that are not formatted and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-fix}
files=$(git ls-files '*.cc' '*.h' | grep -v '^tests/clients/node_modules/')
bad=0
for file in $files; do
  if [[ $mode == --check ]]; then
    if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
      echo "not formatted: $file"
      bad=1
    fi
  else
    clang-format -i "$file"
  fi
done
exit $bad
