// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace roentgen {

// A monotonically increasing count. Thread-safe; lock-free.
class Counter {
 public:
  void Add(uint64_t delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down. Thread-safe; lock-free.
class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Roentgen's own operational metrics, rendered at GET /metrics in the Prometheus text
// exposition format (version 0.0.4). Components obtain counters at construction and update
// them lock-free; registration takes a lock. Thread-safe.
class StatsRegistry {
 public:
  StatsRegistry() = default;
  StatsRegistry(const StatsRegistry&) = delete;
  StatsRegistry& operator=(const StatsRegistry&) = delete;

  // Returns the counter for (name, labels), creating it on first use. `labels` is the
  // Prometheus label text without braces, e.g. `reason="bad_json"`, or empty. The reference
  // stays valid for the registry's lifetime. `help` is used from the first registration.
  Counter& GetCounter(std::string_view name, std::string_view help, std::string_view labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, std::string_view labels = {});
  // A gauge computed when rendered; `read` must be thread-safe and outlive the registry.
  void AddCallbackGauge(std::string_view name, std::string_view help, std::function<double()> read);

  // The whole exposition text.
  std::string RenderPrometheus() const;
  // The current value of a counter, 0 if absent; for tests and the CLI.
  uint64_t CounterValue(std::string_view name, std::string_view labels = {}) const;

 private:
  enum class Kind { kCounter, kGauge, kCallback };
  struct Entry {
    std::string name;
    std::string help;
    std::string labels;
    Kind kind;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> callback;
  };
  Entry* Find(std::string_view name, std::string_view labels) const;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_; entries never move
};

}  // namespace roentgen
