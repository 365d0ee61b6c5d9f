// SPDX-License-Identifier: Apache-2.0
#pragma once

// The result sets that GetTraceSummaries' NextToken pins: the ordered ids that matched when
// the first page was asked for. Later pages read the traces' current summaries by id, so a
// page never repeats or skips a trace even while traces are resealed, and never returns an
// older revision than the store holds.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "model/tenant.h"
#include "model/trace_id.h"

namespace roentgen::api::internal {

// One matching trace, in result order (newest first).
struct SnapshotEntry {
  model::TraceId id;
  double sort_time = 0;     // the time the request's TimeRangeType orders by
  double matched_time = 0;  // MatchedEventTime (TimeRangeType Event)
};

struct SummarySnapshot {
  model::TenantId tenant;
  uint64_t request_hash = 0;  // of the request fields a token may not change
  std::vector<SnapshotEntry> entries;
  uint64_t traces_processed = 0;
  // Set when the scan stopped at the entry cap: after the last entry, continue with a new
  // scan below entries.back() (see GetTraceSummaries).
  bool truncated = false;
};

// A bounded, expiring map from snapshot id to snapshot. Thread-safe.
class SummarySnapshots {
 public:
  SummarySnapshots(Clock& clock, size_t max_bytes, std::chrono::seconds idle_expiry)
      : clock_(clock), max_bytes_(max_bytes), idle_expiry_(idle_expiry) {}

  // Stores `snapshot` and returns its id (32 hex digits). Evicts the least recently used
  // snapshots while over the byte budget (never the new one).
  std::string Put(std::shared_ptr<const SummarySnapshot> snapshot);
  // nullptr when unknown or expired.
  std::shared_ptr<const SummarySnapshot> Get(const std::string& id);

  static size_t BytesOf(const SummarySnapshot& snapshot) {
    return sizeof(SummarySnapshot) + snapshot.entries.size() * sizeof(SnapshotEntry);
  }

 private:
  struct Slot {
    std::shared_ptr<const SummarySnapshot> snapshot;
    int64_t last_use_nanos = 0;
  };
  void ExpireLocked(int64_t now_nanos, const std::string& keep);

  Clock& clock_;
  const size_t max_bytes_;
  const std::chrono::seconds idle_expiry_;
  std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;  // guarded by mu_
  size_t bytes_ = 0;                             // guarded by mu_
};

}  // namespace roentgen::api::internal
