// SPDX-License-Identifier: Apache-2.0
#pragma once

// The sampling component's façade: X-Ray sampling rules (validation, the built-in Default
// rule, persistence through RuleStore), the reservoir quotas handed to SDK clients by
// GetSamplingTargets, and per-rule statistics over time (GetSamplingStatisticSummaries).
// Facts: xray-protocol.md §3.2 "Sampling", §6; the algorithm is described in docs/sampling.md.
//
//   SamplingRegistry::Options options;
//   RG_ASSIGN_OR_RETURN(auto registry, SamplingRegistry::Open(&rule_store, options));
//   RG_ASSIGN_OR_RETURN(auto record, registry->Create(tenant, rule));
//   TargetsResult targets = registry->GetTargets(tenant, documents);

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/status.h"
#include "model/tenant.h"

namespace roentgen::sampling {

inline constexpr std::string_view kDefaultRuleName = "Default";
inline constexpr int32_t kDefaultRulePriority = 10000;
inline constexpr int64_t kDefaultReservoirSize = 1;
inline constexpr double kDefaultFixedRate = 0.05;

// X-Ray's limits (xray-protocol.md §3.2 "Sampling").
inline constexpr size_t kMaxRuleNameLength = 32;
inline constexpr int32_t kMinPriority = 1;
inline constexpr int32_t kMaxPriority = 9999;
inline constexpr size_t kMaxResourceArnLength = 500;
inline constexpr size_t kMaxServiceNameLength = 64;  // also ServiceType and Host
inline constexpr size_t kMaxHttpMethodLength = 10;
inline constexpr size_t kMaxUrlPathLength = 128;
inline constexpr size_t kMaxAttributes = 5;
inline constexpr size_t kMaxAttributeLength = 32;  // keys 1-32, values 1-32 characters
inline constexpr size_t kClientIdLength = 24;

// One sampling rule with its record times. A value type.
struct SamplingRule {
  std::string name;
  std::string arn;  // assigned by the registry
  std::string resource_arn = "*";
  int32_t priority = 0;
  double fixed_rate = 0;
  int64_t reservoir_size = 0;
  std::string service_name = "*";
  std::string service_type = "*";
  std::string host = "*";
  std::string http_method = "*";
  std::string url_path = "*";
  int32_t version = 1;
  std::map<std::string, std::string> attributes;
  // Epoch seconds (millisecond precision). The Default rule has created_at 0, and
  // modified_at 0 until it is first updated.
  double created_at = 0;
  double modified_at = 0;

  bool is_default() const { return name == kDefaultRuleName; }
  bool operator==(const SamplingRule&) const = default;
};

// Names a rule: exactly one of name or ARN.
struct RuleSelector {
  std::optional<std::string> name;
  std::optional<std::string> arn;
};

// SamplingRuleUpdate: only the members present change. The rule is named by `selector`.
struct RuleUpdate {
  RuleSelector selector;
  std::optional<std::string> resource_arn;
  std::optional<int32_t> priority;
  std::optional<double> fixed_rate;
  std::optional<int64_t> reservoir_size;
  std::optional<std::string> service_name;
  std::optional<std::string> service_type;
  std::optional<std::string> host;
  std::optional<std::string> http_method;
  std::optional<std::string> url_path;
  std::optional<std::map<std::string, std::string>> attributes;
};

struct RulePage {
  std::vector<SamplingRule> rules;
  std::string next_token;  // empty on the last page
};

// SamplingStatisticsDocument, as a client reported it.
struct StatisticsDocument {
  std::string rule_name;
  std::string client_id;
  double timestamp = 0;  // epoch seconds or milliseconds (values above 1e11 are taken as ms)
  int64_t request_count = 0;
  int64_t sampled_count = 0;
  int64_t borrow_count = 0;
};

// SamplingTargetDocument.
struct TargetDocument {
  std::string rule_name;
  double fixed_rate = 0;
  int64_t reservoir_quota = 0;
  int64_t reservoir_quota_ttl = 0;  // epoch seconds
  int64_t interval = 10;            // seconds
};

struct UnprocessedStatistic {
  std::string rule_name;
  std::string error_code;  // "400": client problem (SDKs refresh rules), "500": ours
  std::string message;
};

struct TargetsResult {
  std::vector<TargetDocument> targets;
  double last_rule_modification = 0;  // epoch seconds
  std::vector<UnprocessedStatistic> unprocessed;
};

// SamplingStatisticSummary: what the clients reported for one rule in one window.
struct StatisticSummary {
  std::string rule_name;
  int64_t timestamp = 0;  // window start, epoch seconds
  int64_t request_count = 0;
  int64_t borrow_count = 0;
  int64_t sampled_count = 0;
};

struct SummaryPage {
  std::vector<StatisticSummary> summaries;
  std::string next_token;  // empty on the last page
};

// Where rules persist: the server implements it over store::Catalog (sampling may not
// depend on store). Values are opaque bytes. Implementations must be thread-safe.
class RuleStore {
 public:
  struct Entry {
    model::TenantId tenant;
    std::string name;
    std::string value;
  };
  virtual ~RuleStore() = default;
  // Every stored rule of every tenant.
  virtual Result<std::vector<Entry>> LoadAll() = 0;
  // Writes (tenant, name) -> value durably.
  virtual Status Put(const model::TenantId& tenant, std::string_view name,
                     std::string_view value) = 0;
  // OK also if absent.
  virtual Status Delete(const model::TenantId& tenant, std::string_view name) = 0;
};

// A RuleStore in memory, for tests and for servers without a catalog. Thread-safe.
class MemoryRuleStore final : public RuleStore {
 public:
  Result<std::vector<Entry>> LoadAll() override;
  Status Put(const model::TenantId& tenant, std::string_view name, std::string_view value) override;
  Status Delete(const model::TenantId& tenant, std::string_view name) override;

 private:
  std::mutex mu_;
  std::map<std::pair<model::TenantId, std::string>, std::string> entries_;  // guarded by mu_
};

struct SamplingOptions {
  std::string region = "us-east-1";  // for ARNs
  size_t max_rules = 25;             // user rules per tenant (Default not counted)
  size_t rules_page_size = 100;      // GetSamplingRules
  size_t summaries_page_size = 100;  // GetSamplingStatisticSummaries
  int64_t interval_seconds = 10;     // Interval in every target
  // A quota is valid until report time + interval + this (long enough to outlast one late
  // report, short enough that a shrinking share is released quickly).
  int64_t quota_ttl_slack_seconds = 5;
  // A client that has not reported a rule for this long no longer counts for its shares
  // (its quotas still count until they expire).
  int64_t client_idle_seconds = 30;
  int64_t statistics_window_seconds = 10;  // GetSamplingStatisticSummaries windows
  size_t statistics_windows = 60;          // windows kept per rule
  Clock* clock = nullptr;                  // nullptr: the real clock
};

// Validates a rule for CreateSamplingRule: name 1-32 characters of [A-Za-z0-9_-] (not
// "Default"), priority 1-9999, FixedRate 0-1, ReservoirSize >= 0, Version 1, the matcher
// fields within their lengths and free of control characters (`*` and `?` are wildcards),
// at most 5 Attributes with keys and values of 1-32 characters. InvalidArgument otherwise.
Status ValidateNewRule(const SamplingRule& rule);

// The rules, quotas and statistics of every tenant. Thread-safe: one mutex serializes every
// operation (sampling traffic is a few calls per client every 10 s).
//
// Error contract: InvalidArgument for bad input; AlreadyExists for a duplicate name;
// NotFound for an unknown rule; FailedPrecondition for what the Default rule forbids;
// OutOfRange for the rule limit; RuleStore errors as they come. On error nothing changes.
//
// Invariants of the quota state (per tenant and rule):
//  1. Every quota handed out is recorded with its TTL until the TTL passes.
//  2. At any second s, the sum over clients of the largest quota issued to that client and
//     still valid at s is at most the rule's ReservoirSize at the time the quotas were
//     issued (lowering ReservoirSize cannot recall quotas already issued; they expire within
//     interval + slack seconds).
class SamplingRegistry {
 public:
  // Loads the stored rules of every tenant. `*store` must outlive the registry. A stored
  // value that does not decode is an error (Corruption), naming the rule.
  static Result<std::unique_ptr<SamplingRegistry>> Open(RuleStore* store, SamplingOptions options);
  ~SamplingRegistry();
  SamplingRegistry(const SamplingRegistry&) = delete;
  SamplingRegistry& operator=(const SamplingRegistry&) = delete;

  // CreateSamplingRule. `rule.arn` and the times are assigned; the stored rule is returned.
  Result<SamplingRule> Create(const model::TenantId& tenant, SamplingRule rule);
  // UpdateSamplingRule. The Default rule accepts only FixedRate and ReservoirSize changes
  // (other members equal to the current values are accepted). ModifiedAt becomes now.
  Result<SamplingRule> Update(const model::TenantId& tenant, const RuleUpdate& update);
  // DeleteSamplingRule; returns the deleted rule. The Default rule cannot be deleted.
  Result<SamplingRule> Delete(const model::TenantId& tenant, const RuleSelector& selector);
  // One page of rules: Default first, then the others by name. `next_token` is empty or
  // a token a previous page returned.
  Result<RulePage> List(const model::TenantId& tenant, std::string_view next_token) const;

  // GetSamplingTargets: records the statistics and returns one target per known rule
  // reported (a rule reported twice in one call gets one target), and an
  // UnprocessedStatistic for each document naming an unknown rule or with a bad ClientID,
  // timestamp or count.
  TargetsResult GetTargets(const model::TenantId& tenant,
                           std::span<const StatisticsDocument> documents);
  // GetSamplingStatisticSummaries: per rule (by name), newest window first; windows with
  // no reports are left out.
  Result<SummaryPage> StatisticSummaries(const model::TenantId& tenant,
                                         std::string_view next_token) const;
  // Max ModifiedAt over the tenant's rules and deletions (epoch seconds).
  double LastRuleModification(const model::TenantId& tenant) const;

  std::string RuleArn(const model::TenantId& tenant, std::string_view name) const;

 private:
  struct TenantState;
  SamplingRegistry(RuleStore* store, SamplingOptions options);
  TenantState& Tenant(const model::TenantId& tenant) const;  // REQUIRES: mu_ held
  double NowSeconds() const;

  // Immutable after construction.
  RuleStore* const store_;
  const SamplingOptions options_;
  Clock* const clock_;

  mutable std::mutex mu_;
  // Guarded by mu_. Tenants are created on first use (their Default rule is implicit).
  mutable std::map<model::TenantId, std::unique_ptr<TenantState>, std::less<>> tenants_;
};

}  // namespace roentgen::sampling
