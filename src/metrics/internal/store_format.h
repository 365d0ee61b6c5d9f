// SPDX-License-Identifier: Apache-2.0
#pragma once

// The metric store's RocksDB layout (docs/cloudwatch.md, "Storage"):
//
//   "n"                                   -> fixed64 next series id
//   "s" tenant \0 series_key              -> fixed64 id, double last timestamp
//   "d" tier(1 byte) id(BE 8) bucket(BE 8) -> Aggregate (EncodeAggregate)
//
// series_key = LP(namespace) LP(metric name) (LP(dim name) LP(dim value))*, dimensions
// sorted; LP = varint length + bytes. Buckets are seconds since the epoch offset by 2^63 so
// that big-endian bytes sort like the numbers. Tiers: 0 = 1 s, 1 = 60 s, 2 = 300 s,
// 3 = 3600 s.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/metrics.h"

namespace roentgen::metrics::internal {

inline constexpr std::string_view kNextIdKey = "n";
inline constexpr char kSeriesPrefix = 's';
inline constexpr char kDataPrefix = 'd';
inline constexpr int kTierCount = 4;
inline constexpr std::array<int64_t, kTierCount> kTierSeconds = {1, 60, 300, 3600};
// How long each tier keeps its buckets before they roll up into the next (the last one:
// before they are deleted). CloudWatch's retention schedule.
inline constexpr std::array<int64_t, kTierCount> kTierRetention = {3 * 3600, 15 * 86400, 63 * 86400,
                                                                   455 * 86400};

inline int64_t TierSeconds(int tier) { return kTierSeconds[static_cast<size_t>(tier)]; }
inline int64_t TierRetention(int tier) { return kTierRetention[static_cast<size_t>(tier)]; }

std::string EncodeSeriesKey(const MetricId& metric);
bool DecodeSeriesKey(std::string_view key, MetricId* metric);
std::string DataKey(int tier, uint64_t series_id, int64_t bucket);
bool ParseDataKey(std::string_view key, int* tier, uint64_t* series_id, int64_t* bucket);

void EncodeAggregate(const Aggregate& aggregate, std::string* out);
bool DecodeAggregate(std::string_view input, Aggregate* aggregate);

}  // namespace roentgen::metrics::internal
