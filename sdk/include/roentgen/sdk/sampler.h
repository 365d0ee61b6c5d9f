// SPDX-License-Identifier: Apache-2.0
// Sampling decisions: centralized rules fetched from the daemon address (POST /GetSamplingRules,
// POST /SamplingTargets, as aws-xray-sdk-core does) with the local fallback rule, 1 request per
// second and then 5 % (xray-protocol.md §6).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roentgen::sdk {

// Wall-clock time source, injectable for tests. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual double Now() const = 0;
};

// The process clock (std::chrono::system_clock). Lives for the whole program.
Clock& SystemClock();

// What a sampling rule is matched against. Empty fields match any pattern (as in the X-Ray SDKs).
struct SamplingRequest {
  std::string service_name{};  // the segment name
  std::string service_type{};  // the segment origin, e.g. AWS::EC2::Instance
  std::string host{};          // HTTP Host header
  std::string http_method{};
  std::string url_path{};  // path only, no query
};

struct SamplingDecision {
  bool sampled = false;
  std::string rule_name{};  // the centralized rule that decided; empty for the local rule
};

// Decides whether a new trace is sampled. Implementations are thread-safe.
class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingDecision ShouldSample(const SamplingRequest& request) = 0;
  // Stops background work; idempotent. Later decisions still answer (from the cached state).
  virtual void Shutdown() {}
};

// A centralized sampling rule (fields of SamplingRule in GetSamplingRules).
struct SamplingRule {
  std::string name{};
  int64_t priority = 10000;
  double fixed_rate = 0;
  int64_t reservoir_size = 0;
  std::string service_name = "*";
  std::string service_type = "*";
  std::string host = "*";
  std::string http_method = "*";
  std::string url_path = "*";
};

// Counters reported to SamplingTargets for one rule.
struct SamplingStatistics {
  std::string rule_name{};
  int64_t request_count = 0;
  int64_t borrow_count = 0;
  int64_t sampled_count = 0;
};

// Case-insensitive, anchored wildcard match: `*` any run, `?` one character. Linear time.
bool WildcardMatch(std::string_view pattern, std::string_view text);

// Local sampling rules, the X-Ray SDKs' JSON file format (version 1 or 2):
//   {"version": 2,
//    "rules": [{"description": "...", "host": "*", "http_method": "GET",
//               "url_path": "/api/*", "fixed_target": 1, "rate": 0.05}, ...],
//    "default": {"fixed_target": 1, "rate": 0.1}}
// Version 1 rules name `service_name` instead of `host`. Rules are tried in order; the first
// match decides: up to `fixed_target` requests per second, then `rate` of the rest.
struct LocalRule {
  std::string description{};
  std::string host = "*";
  std::string service_name = "*";  // version 1
  std::string http_method = "*";
  std::string url_path = "*";
  int64_t fixed_target = 1;
  double rate = 0.05;
};
struct LocalRules {
  std::vector<LocalRule> rules{};
  LocalRule fallback{};  // "default"
};
// Parses a rules document; nullopt with *error set (if given) naming the problem.
std::optional<LocalRules> ParseLocalRules(std::string_view json, std::string* error = nullptr);
// Reads and parses a rules file.
std::optional<LocalRules> LoadLocalRules(const std::string& path, std::string* error = nullptr);

// Centralized sampler. Thread-safe. Per matched rule and request (§6.3):
//   1. RequestCount++;
//   2. with a quota from SamplingTargets that has not expired: take up to `quota` per second;
//   3. without one: borrow 1 per second if the rule's ReservoirSize > 0 (BorrowCount++);
//   4. otherwise sample with probability FixedRate (SampledCount++ when sampled).
// Without usable rules (none fetched, or the last successful fetch is older than an hour) it
// applies the local rules (Options::local_rules; by default 1 per second, then 5 %).
// Statistics of a rule are reported every `Interval` seconds that SamplingTargets gave for it
// (Options::targets_interval_s until it gives one).
class CentralizedSampler final : public Sampler {
 public:
  struct Options {
    std::string daemon_host = "127.0.0.1";  // TCP side of AWS_XRAY_DAEMON_ADDRESS
    uint16_t daemon_port = 2000;
    const Clock* clock = nullptr;  // nullptr = SystemClock(); must outlive the sampler
    bool start_poller = true;      // false: no thread and no network (tests drive Apply*)
    double rules_interval_s = 300;
    double targets_interval_s = 10;
    double http_timeout_s = 2;
    uint64_t seed = 0;  // 0 = random; otherwise a deterministic fixed-rate stream
    std::optional<LocalRules> local_rules{};  // the fallback; unset: 1/s then 5 %
  };

  explicit CentralizedSampler(Options options);
  ~CentralizedSampler() override;
  CentralizedSampler(const CentralizedSampler&) = delete;
  CentralizedSampler& operator=(const CentralizedSampler&) = delete;

  SamplingDecision ShouldSample(const SamplingRequest& request) override;
  void Shutdown() override;

  // Replaces the rules from a GetSamplingRules response body. Rules with Version != 1,
  // ResourceARN != "*" or non-empty Attributes are skipped; counters and quotas of rules that
  // stay are kept. Returns false (state unchanged) if the body is not a rules response.
  bool ApplyRulesResponse(std::string_view body);
  // Applies a SamplingTargets response body (FixedRate, ReservoirQuota, ReservoirQuotaTTL).
  // Returns false if unparseable. Sets *refresh_rules (if non-null) when LastRuleModification
  // is newer than the last rules fetch.
  bool ApplyTargetsResponse(std::string_view body, bool* refresh_rules = nullptr);
  // The body of the next SamplingTargets request: one document per rule with requests since
  // the last report whose reporting interval has passed; their counters are reset. Empty
  // string when there is nothing to report.
  std::string TakeTargetsRequest();
  // Seconds until the next rule is due for a report (at most targets_interval_s).
  double SecondsUntilNextReport() const;

  // Counters since the last report, without resetting them.
  std::vector<SamplingStatistics> Statistics() const;
  // The 24-hex ClientID of this sampler.
  const std::string& client_id() const { return client_id_; }
  // True while centralized rules are in use (not the local fallback).
  bool HasRules() const;

 private:
  struct State;
  void PollLoop();

  // Immutable after construction.
  const Options options_;
  const Clock* const clock_;
  const std::string client_id_;
  std::unique_ptr<State> state_;
};

// Local rules alone (no daemon): by default 1 request per second, then `rate` of the rest.
// Thread-safe.
class LocalSampler final : public Sampler {
 public:
  explicit LocalSampler(const Clock* clock = nullptr, double rate = 0.05, uint64_t seed = 0);
  LocalSampler(LocalRules rules, const Clock* clock = nullptr, uint64_t seed = 0);
  ~LocalSampler() override;
  SamplingDecision ShouldSample(const SamplingRequest& request) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Always (or never) samples. Thread-safe.
class ConstantSampler final : public Sampler {
 public:
  explicit ConstantSampler(bool sampled) : sampled_(sampled) {}
  SamplingDecision ShouldSample(const SamplingRequest&) override { return {sampled_, ""}; }

 private:
  const bool sampled_;
};

}  // namespace roentgen::sdk
