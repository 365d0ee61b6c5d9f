// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace roentgen {

// Time source seam (STYLE.md 5). Times are nanoseconds since the Unix epoch (wall clock) or
// since an arbitrary origin (monotonic). Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, nanoseconds since the Unix epoch.
  virtual int64_t NowUnixNanos() const = 0;
  // Monotonic time in nanoseconds; only differences are meaningful.
  virtual int64_t MonotonicNanos() const = 0;

  double NowUnixSeconds() const { return static_cast<double>(NowUnixNanos()) / 1e9; }

  // The process-wide real clock. Never destroyed.
  static Clock& Real();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t unix_nanos) : now_(unix_nanos) {}
  int64_t NowUnixNanos() const override { return now_.load(std::memory_order_relaxed); }
  int64_t MonotonicNanos() const override { return now_.load(std::memory_order_relaxed); }
  void Advance(std::chrono::nanoseconds delta) {
    now_.fetch_add(delta.count(), std::memory_order_relaxed);
  }
  void Set(int64_t unix_nanos) { now_.store(unix_nanos, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace roentgen
