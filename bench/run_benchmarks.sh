#!/usr/bin/env bash
# Runs Roentgen's benchmarks (bench/README.md): the segment parser microbenchmark, then the
# UDP ingest benchmark (roentgen against a bare recvmmsg sink) and the disk-bytes benchmark,
# each against a fresh `roentgen serve` on a temp data directory.
#
# Usage: bench/run_benchmarks.sh [--smoke] [--runs N] [--build-dir DIR] [--build]
#                                [--roentgen PATH] [--out DIR]
#   --smoke          a couple of seconds per tool (CI: finishes in well under 60 s; exit 0
#                    when every tool works, 1 when one fails, whatever the figures)
#   --runs N         full mode: repeat the UDP and disk benchmarks N times, report medians (3)
#   --build-dir DIR  where the binaries are (default: $RG_BUILD_DIR, else the first of
#                    build/bench, build/dev, build/release, build/* holding them)
#   --build          configure build/bench (Release, developer mode) if needed and build the
#                    `bench_tools` target there with -j2 first
#   --roentgen PATH  the server binary to measure (default: DIR/roentgen)
#   --out DIR        keep each tool's output in DIR (default: a temp directory, printed)
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
runs=3
build_dir="${RG_BUILD_DIR:-}"
do_build=0
out_dir=""
server=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --runs) runs="$2"; shift ;;
    --runs=*) runs="${1#--runs=}" ;;
    --build-dir) build_dir="$2"; shift ;;
    --build-dir=*) build_dir="${1#--build-dir=}" ;;
    --build) do_build=1 ;;
    --roentgen) server="$2"; shift ;;
    --roentgen=*) server="${1#--roentgen=}" ;;
    --out) out_dir="$2"; shift ;;
    --out=*) out_dir="${1#--out=}" ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run_benchmarks.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

have_tools() { [[ -x "$1/roentgen" && -x "$1/bench/udp_ingest_bench" && -x "$1/bench/disk_bytes_bench" ]]; }

if [[ $do_build == 1 ]]; then
  build_dir="${build_dir:-build/bench}"
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRG_DEVELOPER_MODE=ON \
      -DRG_BUILD_BENCHMARKS=ON >/dev/null
  fi
  cmake --build "$build_dir" --target bench_tools -j2
fi
if [[ -z "$build_dir" ]]; then
  for candidate in build/bench build/dev build/release build/*; do
    if have_tools "$candidate"; then build_dir="$candidate"; break; fi
  done
fi
if [[ -z "$build_dir" ]] || ! have_tools "$build_dir"; then
  echo "run_benchmarks.sh: no build with roentgen, bench/udp_ingest_bench and" \
       "bench/disk_bytes_bench found${build_dir:+ in $build_dir}; build them with" \
       "'cmake --build <dir> --target bench_tools' or pass --build" >&2
  exit 1
fi
server="${server:-$build_dir/roentgen}"
if [[ ! -x "$server" ]]; then echo "run_benchmarks.sh: $server is not executable" >&2; exit 1; fi
if [[ -z "$out_dir" ]]; then out_dir="$(mktemp -d "${TMPDIR:-/tmp}/roentgen-bench-results-XXXXXX")"; fi
mkdir -p "$out_dir"
echo "run_benchmarks.sh: tools in $build_dir, server $server, output in $out_dir ($([[ $smoke == 1 ]] && echo smoke || echo "full, $runs runs"))"

failed=()
# run NAME TIMEOUT_SECONDS COMMAND...: runs one tool, tees its output, records a failure.
run() {
  local name="$1" limit="$2"
  shift 2
  echo
  echo "=== $name: $*"
  local status=0
  timeout --kill-after=5 "$limit" "$@" 2>&1 | tee "$out_dir/$name.txt" || status=${PIPESTATUS[0]}
  if [[ $status != 0 ]]; then
    [[ $status == 124 || $status == 137 ]] && echo "=== $name: timed out after $limit s"
    echo "=== $name: FAILED (exit status $status)"
    failed+=("$name")
  fi
}

parse_bench=""
for candidate in "$build_dir/src/parse/parse_segment_parser_benchmark" \
                 "$build_dir/parse_segment_parser_benchmark"; do
  if [[ -x "$candidate" ]]; then parse_bench="$candidate"; break; fi
done

if [[ $smoke == 1 ]]; then
  if [[ -n "$parse_bench" ]]; then
    run parse_benchmark 20 "$parse_bench" --benchmark_min_time=0.01 \
      --benchmark_filter='BM_SimdjsonDomParse$|BM_ParseSegmentDocument$'
  fi
  run udp_ingest_bench 30 "$build_dir/bench/udp_ingest_bench" --smoke --roentgen "$server"
  run disk_bytes_bench 30 "$build_dir/bench/disk_bytes_bench" --smoke --roentgen "$server"
  if [[ -x "$build_dir/bench/trace_search_bench" ]]; then
    search_dir="$(mktemp -d "${TMPDIR:-/tmp}/roentgen-search-bench-XXXXXX")"
    run trace_search_bench 60 "$build_dir/bench/trace_search_bench" --traces=20000 --runs=3 \
      --clickhouse=off --data-dir="$search_dir/store"
    rm -rf "$search_dir"
  fi
else
  if [[ -n "$parse_bench" ]]; then run parse_benchmark 300 "$parse_bench"; fi
  run udp_ingest_bench 3600 "$build_dir/bench/udp_ingest_bench" --runs "$runs" --roentgen "$server"
  run disk_bytes_bench 3600 "$build_dir/bench/disk_bytes_bench" --runs "$runs" --roentgen "$server"
  if [[ -x "$build_dir/bench/trace_search_bench" ]]; then
    # 10M traces: ~6 min to build the store the first time (kept for later runs), ~3 GiB of
    # disk under /var/tmp; ClickHouse when clickhouse-server is installed.
    run trace_search_bench 3600 "$build_dir/bench/trace_search_bench" --traces=10000000 \
      --runs=11 --data-dir="${RG_SEARCH_BENCH_DIR:-/var/tmp/rg-trace-search-bench}"
  fi
fi

echo
echo "=== results"
grep -h '^RESULT\|_docs_per_s' "$out_dir"/*.txt 2>/dev/null || true
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run_benchmarks.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "run_benchmarks.sh: all tools ran"
