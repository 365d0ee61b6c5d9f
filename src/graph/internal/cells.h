// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the aggregator and the trace graph (not part of the public API).

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "graph/graph.h"

namespace roentgen::graph::internal {

// Histogram entries are named by an index in [0, kMaxHistogramEntries): whole milliseconds
// 0..999 first, then two significant digits per decade from 1 s to 99,000 s (90 each).
uint16_t HistogramIndex(double seconds);
double HistogramIndexValue(uint16_t index);
// The index at two significant digits everywhere (100..999 ms rounded to 10 ms; 1..99 ms
// stay exact): what the 5-minute and 1-hour buckets keep, to bound their memory.
uint16_t CoarseHistogramIndex(uint16_t index);

// A sparse histogram: entries sorted by index, counts positive, 8 bytes each (the index in the
// top 16 bits, the count in the low 48). What a cell keeps.
using Histogram = std::vector<uint64_t>;
inline uint16_t EntryIndex(uint64_t entry) { return static_cast<uint16_t>(entry >> 48); }
inline int64_t EntryCount(uint64_t entry) {
  return static_cast<int64_t>(entry & ((uint64_t{1} << 48) - 1));
}
// A dense histogram: empty, or kMaxHistogramEntries counts. What a query merges into (merging
// is then linear in the entries merged, whatever their number of buckets).
using DenseHistogram = std::vector<int64_t>;

// Counts one completed request (sign +1) or removes it (sign -1), per §3.5.
void AddCall(bool error, bool fault, bool throttle, double response_time, int64_t sign,
             Statistics* stats);
// Adds `sign` to the entry of `index`, erasing entries that reach 0 (a removal that finds no
// entry is ignored).
void AddHistogram(uint16_t index, int64_t sign, Histogram* histogram);
void MergeHistogram(const Histogram& from, DenseHistogram* into);
// Entries with a positive count, ascending values.
std::vector<HistogramEntry> ToEntries(const Histogram& histogram);
std::vector<HistogramEntry> ToEntries(const DenseHistogram& histogram);
// "client" or "client::..." (the synthetic caller of a root node).
bool IsClientType(std::string_view type);

}  // namespace roentgen::graph::internal
