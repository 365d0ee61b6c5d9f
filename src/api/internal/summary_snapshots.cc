// SPDX-License-Identifier: Apache-2.0
#include "api/internal/summary_snapshots.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace roentgen::api::internal {

std::string SummarySnapshots::Put(std::shared_ptr<const SummarySnapshot> snapshot) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string id = fmt::format("{:016x}{:016x}", rng(), rng());
  int64_t now = clock_.MonotonicNanos();
  std::lock_guard<std::mutex> lock(mu_);
  bytes_ += BytesOf(*snapshot);
  slots_[id] = Slot{std::move(snapshot), now};
  ExpireLocked(now, id);
  return id;
}

std::shared_ptr<const SummarySnapshot> SummarySnapshots::Get(const std::string& id) {
  int64_t now = clock_.MonotonicNanos();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now, std::string());
  auto it = slots_.find(id);
  if (it == slots_.end()) return nullptr;
  it->second.last_use_nanos = now;
  return it->second.snapshot;
}

void SummarySnapshots::ExpireLocked(int64_t now_nanos, const std::string& keep) {
  int64_t expiry = std::chrono::duration_cast<std::chrono::nanoseconds>(idle_expiry_).count();
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (it->first != keep && now_nanos - it->second.last_use_nanos > expiry) {
      bytes_ -= BytesOf(*it->second.snapshot);
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
  if (bytes_ <= max_bytes_) return;
  std::vector<std::pair<int64_t, std::string>> by_age;
  for (const auto& [id, slot] : slots_) {
    if (id != keep) by_age.emplace_back(slot.last_use_nanos, id);
  }
  std::sort(by_age.begin(), by_age.end());
  for (const auto& [last_use, id] : by_age) {
    if (bytes_ <= max_bytes_) break;
    auto it = slots_.find(id);
    bytes_ -= BytesOf(*it->second.snapshot);
    slots_.erase(it);
  }
}

}  // namespace roentgen::api::internal
