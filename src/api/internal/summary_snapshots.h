// SPDX-License-Identifier: Apache-2.0
#pragma once

// The result sets that GetTraceSummaries' NextToken pins: the ordered ids that matched when
// the first page was asked for. Later pages read the traces' current summaries by id, so a
// page never repeats or skips a trace even while traces are resealed, and never returns an
// older revision than the store holds.

#include <algorithm>
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

// The result order: newest sort_time first, then descending id. A function object so that
// sorts inline it.
struct NewerFirstOrder {
  bool operator()(const SnapshotEntry& a, const SnapshotEntry& b) const {
    if (a.sort_time != b.sort_time) return a.sort_time > b.sort_time;
    return b.id < a.id;
  }
};

struct SummarySnapshot {
  model::TenantId tenant;
  uint64_t request_hash = 0;  // of the request fields a token may not change
  // Every match; [0, sorted_until) is in NewerFirstOrder and precedes the rest, which is
  // ordered only when a page needs it (most searches read one page). Read entries[i] only
  // after EnsureOrdered(n) with n > i.
  mutable std::vector<SnapshotEntry> entries;
  uint64_t traces_processed = 0;
  // Set when the scan stopped at the entry cap: after the last entry, continue with a new
  // scan below entries.back() (see GetTraceSummaries).
  bool truncated = false;

  // Puts entries [0, end) in their final order. Thread-safe; cheap once done.
  void EnsureOrdered(size_t end) const {
    std::lock_guard<std::mutex> lock(order_mu_);
    end = std::min(end, entries.size());
    if (end <= sorted_until_) return;
    auto first = entries.begin() + static_cast<std::ptrdiff_t>(sorted_until_);
    auto last = entries.begin() + static_cast<std::ptrdiff_t>(end);
    // Order a little more than asked, so that paging on does not re-partition every time.
    if (end < entries.size()) {
      size_t ahead = std::min(entries.size(), end + (end - sorted_until_) * 3);
      last = entries.begin() + static_cast<std::ptrdiff_t>(ahead);
      if (ahead < entries.size()) std::nth_element(first, last, entries.end(), NewerFirstOrder());
      end = ahead;
    }
    std::sort(first, last, NewerFirstOrder());
    sorted_until_ = end;
  }

 private:
  mutable std::mutex order_mu_;
  mutable size_t sorted_until_ = 0;  // guarded by order_mu_
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
