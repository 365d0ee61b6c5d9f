// SPDX-License-Identifier: Apache-2.0
// Test doubles for the SDK's seams: a settable clock and an emitter that keeps documents.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "roentgen/sdk/emitter.h"
#include "roentgen/sdk/sampler.h"

namespace roentgen::sdk::testing {

// Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(double now = 1795498169.5) : now_(now) {}
  double Now() const override { return now_.load(); }
  void Set(double now) { now_.store(now); }
  void Advance(double seconds) { now_.store(now_.load() + seconds); }

 private:
  std::atomic<double> now_;
};

// Keeps every document. Thread-safe. `Documents()` copies.
class CapturingEmitter final : public Emitter {
 public:
  explicit CapturingEmitter(std::vector<std::string>* sink = nullptr) : sink_(sink) {}
  bool Send(std::string document) override {
    std::lock_guard lock(mu_);
    if (refuse_) return false;
    if (sink_ != nullptr) sink_->push_back(document);
    documents_.push_back(std::move(document));
    return true;
  }
  std::vector<std::string> Documents() const {
    std::lock_guard lock(mu_);
    return documents_;
  }
  void Refuse(bool refuse) {
    std::lock_guard lock(mu_);
    refuse_ = refuse;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> documents_;
  std::vector<std::string>* sink_;
  bool refuse_ = false;
};

// Samples everything and names a rule.
class RuleSampler final : public Sampler {
 public:
  explicit RuleSampler(std::string rule, bool sampled = true)
      : rule_(std::move(rule)), sampled_(sampled) {}
  SamplingDecision ShouldSample(const SamplingRequest&) override { return {sampled_, rule_}; }

 private:
  std::string rule_;
  bool sampled_;
};

}  // namespace roentgen::sdk::testing
