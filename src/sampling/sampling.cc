// SPDX-License-Identifier: Apache-2.0
#include "sampling/sampling.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "base/status_macros.h"
#include "sampling/internal/quota.h"
#include "sampling/internal/rule_codec.h"

namespace roentgen::sampling {
namespace {

// Timestamps further than this from the server's clock are counted in the current window.
constexpr double kMaxTimestampSkewSeconds = 3600;
constexpr std::string_view kRulesTokenPrefix = "after:";
constexpr std::string_view kSummariesTokenPrefix = "offset:";
constexpr size_t kMaxClientIdLength = 64;

SamplingRule DefaultRule() {
  SamplingRule rule;
  rule.name = std::string(kDefaultRuleName);
  rule.priority = kDefaultRulePriority;
  rule.fixed_rate = kDefaultFixedRate;
  rule.reservoir_size = kDefaultReservoirSize;
  return rule;
}

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

Status ValidateName(std::string_view name) {
  if (name.empty() || name.size() > kMaxRuleNameLength) {
    return InvalidArgumentError(
        fmt::format("RuleName must be 1 to {} characters long", kMaxRuleNameLength));
  }
  if (!std::all_of(name.begin(), name.end(), IsNameCharacter)) {
    return InvalidArgumentError(
        "RuleName may contain only letters, digits, hyphens and underscores");
  }
  return Status();
}

// A matcher field: `*` and `?` are wildcards; no control characters.
Status ValidatePattern(std::string_view field, std::string_view value, size_t max_length) {
  if (value.empty()) {
    return InvalidArgumentError(
        fmt::format("{} must not be empty (\"*\" matches everything)", field));
  }
  if (value.size() > max_length) {
    return InvalidArgumentError(
        fmt::format("{} must be at most {} characters long", field, max_length));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError(fmt::format("{} contains a control character", field));
    }
  }
  return Status();
}

Status ValidatePriority(int32_t priority) {
  if (priority < kMinPriority || priority > kMaxPriority) {
    return InvalidArgumentError(
        fmt::format("Priority must be between {} and {}", kMinPriority, kMaxPriority));
  }
  return Status();
}

Status ValidateFixedRate(double rate) {
  if (!(rate >= 0 && rate <= 1)) return InvalidArgumentError("FixedRate must be between 0 and 1");
  return Status();
}

Status ValidateReservoir(int64_t size) {
  if (size < 0) return InvalidArgumentError("ReservoirSize must be at least 0");
  return Status();
}

Status ValidateAttributes(const std::map<std::string, std::string>& attributes) {
  if (attributes.size() > kMaxAttributes) {
    return InvalidArgumentError(fmt::format("at most {} Attributes may be given", kMaxAttributes));
  }
  for (const auto& [key, value] : attributes) {
    if (key.empty() || key.size() > kMaxAttributeLength || value.empty() ||
        value.size() > kMaxAttributeLength) {
      return InvalidArgumentError(fmt::format(
          "Attributes keys and values must be 1 to {} characters long", kMaxAttributeLength));
    }
  }
  return Status();
}

Status ValidateMatchers(const SamplingRule& rule) {
  RG_RETURN_IF_ERROR(ValidatePattern("ResourceARN", rule.resource_arn, kMaxResourceArnLength));
  RG_RETURN_IF_ERROR(ValidatePattern("ServiceName", rule.service_name, kMaxServiceNameLength));
  RG_RETURN_IF_ERROR(ValidatePattern("ServiceType", rule.service_type, kMaxServiceNameLength));
  RG_RETURN_IF_ERROR(ValidatePattern("Host", rule.host, kMaxServiceNameLength));
  RG_RETURN_IF_ERROR(ValidatePattern("HTTPMethod", rule.http_method, kMaxHttpMethodLength));
  return ValidatePattern("URLPath", rule.url_path, kMaxUrlPathLength);
}

}  // namespace

Status ValidateNewRule(const SamplingRule& rule) {
  RG_RETURN_IF_ERROR(ValidateName(rule.name));
  if (rule.is_default()) {
    return InvalidArgumentError("the Default rule exists already; update it instead");
  }
  RG_RETURN_IF_ERROR(ValidatePriority(rule.priority));
  RG_RETURN_IF_ERROR(ValidateFixedRate(rule.fixed_rate));
  RG_RETURN_IF_ERROR(ValidateReservoir(rule.reservoir_size));
  if (rule.version != 1) return InvalidArgumentError("Version must be 1");
  RG_RETURN_IF_ERROR(ValidateMatchers(rule));
  return ValidateAttributes(rule.attributes);
}

// ---- MemoryRuleStore ----

Result<std::vector<RuleStore::Entry>> MemoryRuleStore::LoadAll() {
  std::lock_guard lock(mu_);
  std::vector<Entry> entries;
  for (const auto& [key, value] : entries_) entries.push_back(Entry{key.first, key.second, value});
  return entries;
}

Status MemoryRuleStore::Put(const model::TenantId& tenant, std::string_view name,
                            std::string_view value) {
  std::lock_guard lock(mu_);
  entries_[{tenant, std::string(name)}] = std::string(value);
  return Status();
}

Status MemoryRuleStore::Delete(const model::TenantId& tenant, std::string_view name) {
  std::lock_guard lock(mu_);
  entries_.erase({tenant, std::string(name)});
  return Status();
}

// ---- SamplingRegistry ----

struct SamplingRegistry::TenantState {
  struct Counts {
    int64_t requests = 0;
    int64_t sampled = 0;
    int64_t borrowed = 0;
  };
  struct RuleState {
    SamplingRule rule;
    internal::QuotaAllocator quotas;
    std::map<int64_t, Counts> windows;  // window start -> counts
  };
  // Default included; ordered by name.
  std::map<std::string, std::unique_ptr<RuleState>, std::less<>> rules;
  double last_deletion = 0;

  RuleState& Add(SamplingRule rule, const SamplingOptions& options) {
    internal::QuotaAllocator::Options quota_options;
    quota_options.default_period_seconds = options.interval_seconds;
    quota_options.idle_seconds = options.client_idle_seconds;
    std::string name = rule.name;
    auto state = std::make_unique<RuleState>(
        RuleState{std::move(rule), internal::QuotaAllocator(quota_options), {}});
    RuleState& ref = *state;
    rules[name] = std::move(state);
    return ref;
  }
  size_t user_rule_count() const {
    return rules.size() - (rules.contains(kDefaultRuleName) ? 1 : 0);
  }
};

SamplingRegistry::SamplingRegistry(RuleStore* store, SamplingOptions options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &Clock::Real()) {}

SamplingRegistry::~SamplingRegistry() = default;

Result<std::unique_ptr<SamplingRegistry>> SamplingRegistry::Open(RuleStore* store,
                                                                 SamplingOptions options) {
  std::unique_ptr<SamplingRegistry> registry(new SamplingRegistry(store, std::move(options)));
  RG_ASSIGN_OR_RETURN(std::vector<RuleStore::Entry> entries, store->LoadAll());
  std::lock_guard lock(registry->mu_);
  for (RuleStore::Entry& entry : entries) {
    Result<SamplingRule> rule = internal::DecodeRule(entry.value);
    if (!rule.ok()) {
      return rule.error().WithContext(
          fmt::format("sampling rule {} of tenant {}", entry.name, entry.tenant));
    }
    if (rule->name != entry.name) {
      return CorruptionError(
          fmt::format("sampling rule stored as {} is named {}", entry.name, rule->name));
    }
    rule->arn = registry->RuleArn(entry.tenant, rule->name);
    registry->Tenant(entry.tenant).Add(std::move(rule).value(), registry->options_);
  }
  return registry;
}

std::string SamplingRegistry::RuleArn(const model::TenantId& tenant, std::string_view name) const {
  return fmt::format("arn:aws:xray:{}:{}:sampling-rule/{}", options_.region, tenant, name);
}

double SamplingRegistry::NowSeconds() const {
  return std::floor(static_cast<double>(clock_->NowUnixNanos()) / 1e6) / 1e3;
}

SamplingRegistry::TenantState& SamplingRegistry::Tenant(const model::TenantId& tenant) const {
  auto found = tenants_.find(tenant);
  if (found != tenants_.end()) return *found->second;
  auto state = std::make_unique<TenantState>();
  SamplingRule default_rule = DefaultRule();
  default_rule.arn = RuleArn(tenant, kDefaultRuleName);
  state->Add(std::move(default_rule), options_);
  return *tenants_.emplace(tenant, std::move(state)).first->second;
}

namespace {

// The rule a selector names; NotFound when absent, InvalidArgument for a bad selector.
Result<std::string> SelectedName(const RuleSelector& selector, std::string_view arn_prefix) {
  if (selector.name.has_value() == selector.arn.has_value()) {
    return InvalidArgumentError("exactly one of RuleName and RuleARN must be given");
  }
  if (selector.name) return *selector.name;
  if (!selector.arn->starts_with(arn_prefix) || selector.arn->size() == arn_prefix.size()) {
    return NotFoundError(fmt::format("Sampling rule {} does not exist", *selector.arn));
  }
  return selector.arn->substr(arn_prefix.size());
}

}  // namespace

Result<SamplingRule> SamplingRegistry::Create(const model::TenantId& tenant, SamplingRule rule) {
  RG_RETURN_IF_ERROR(ValidateNewRule(rule));
  std::lock_guard lock(mu_);
  TenantState& state = Tenant(tenant);
  if (state.rules.contains(rule.name)) {
    return AlreadyExistsError(fmt::format("A sampling rule named {} already exists", rule.name));
  }
  if (state.user_rule_count() >= options_.max_rules) {
    return OutOfRangeError(fmt::format("this account already has the maximum of {} sampling rules",
                                       options_.max_rules));
  }
  rule.arn = RuleArn(tenant, rule.name);
  rule.created_at = NowSeconds();
  rule.modified_at = rule.created_at;
  RG_RETURN_IF_ERROR(store_->Put(tenant, rule.name, internal::EncodeRule(rule)));
  return state.Add(std::move(rule), options_).rule;
}

Result<SamplingRule> SamplingRegistry::Update(const model::TenantId& tenant,
                                              const RuleUpdate& update) {
  std::lock_guard lock(mu_);
  TenantState& state = Tenant(tenant);
  RG_ASSIGN_OR_RETURN(std::string name, SelectedName(update.selector, RuleArn(tenant, "")));
  auto found = state.rules.find(name);
  if (found == state.rules.end()) {
    return NotFoundError(fmt::format("Sampling rule {} does not exist", name));
  }
  SamplingRule rule = found->second->rule;
  if (rule.is_default()) {
    auto changes = [](const auto& wanted, const auto& current) {
      return wanted.has_value() && *wanted != current;
    };
    if (changes(update.resource_arn, rule.resource_arn) ||
        changes(update.priority, rule.priority) ||
        changes(update.service_name, rule.service_name) ||
        changes(update.service_type, rule.service_type) || changes(update.host, rule.host) ||
        changes(update.http_method, rule.http_method) || changes(update.url_path, rule.url_path) ||
        (update.attributes.has_value() && !update.attributes->empty())) {
      return FailedPreconditionError(
          "only FixedRate and ReservoirSize of the Default rule can be changed");
    }
  }
  if (update.resource_arn) rule.resource_arn = *update.resource_arn;
  if (update.priority && !rule.is_default()) {  // the Default's equals 10000 (checked above)
    RG_RETURN_IF_ERROR(ValidatePriority(*update.priority));
    rule.priority = *update.priority;
  }
  if (update.fixed_rate) {
    RG_RETURN_IF_ERROR(ValidateFixedRate(*update.fixed_rate));
    rule.fixed_rate = *update.fixed_rate;
  }
  if (update.reservoir_size) {
    RG_RETURN_IF_ERROR(ValidateReservoir(*update.reservoir_size));
    rule.reservoir_size = *update.reservoir_size;
  }
  if (update.service_name) rule.service_name = *update.service_name;
  if (update.service_type) rule.service_type = *update.service_type;
  if (update.host) rule.host = *update.host;
  if (update.http_method) rule.http_method = *update.http_method;
  if (update.url_path) rule.url_path = *update.url_path;
  if (update.attributes) rule.attributes = *update.attributes;
  RG_RETURN_IF_ERROR(ValidateMatchers(rule));
  RG_RETURN_IF_ERROR(ValidateAttributes(rule.attributes));
  // Strictly increasing, so that SDKs comparing LastRuleModification see every change.
  rule.modified_at = std::max(NowSeconds(), rule.modified_at + 0.001);
  RG_RETURN_IF_ERROR(store_->Put(tenant, rule.name, internal::EncodeRule(rule)));
  found->second->rule = rule;
  return rule;
}

Result<SamplingRule> SamplingRegistry::Delete(const model::TenantId& tenant,
                                              const RuleSelector& selector) {
  std::lock_guard lock(mu_);
  TenantState& state = Tenant(tenant);
  RG_ASSIGN_OR_RETURN(std::string name, SelectedName(selector, RuleArn(tenant, "")));
  auto found = state.rules.find(name);
  if (found == state.rules.end()) {
    return NotFoundError(fmt::format("Sampling rule {} does not exist", name));
  }
  if (found->second->rule.is_default()) {
    return FailedPreconditionError("the Default sampling rule cannot be deleted");
  }
  RG_RETURN_IF_ERROR(store_->Delete(tenant, name));
  SamplingRule rule = std::move(found->second->rule);
  state.rules.erase(found);
  state.last_deletion = std::max(NowSeconds(), state.last_deletion);
  return rule;
}

Result<RulePage> SamplingRegistry::List(const model::TenantId& tenant,
                                        std::string_view next_token) const {
  std::string_view after;
  if (!next_token.empty()) {
    if (!next_token.starts_with(kRulesTokenPrefix)) {
      return InvalidArgumentError("NextToken is not a token this server returned");
    }
    after = next_token.substr(kRulesTokenPrefix.size());
  }
  std::lock_guard lock(mu_);
  const TenantState& state = Tenant(tenant);
  // Default first, then by name.
  std::vector<const SamplingRule*> ordered;
  ordered.push_back(&state.rules.find(kDefaultRuleName)->second->rule);
  for (const auto& [name, rule_state] : state.rules) {
    if (!rule_state->rule.is_default()) ordered.push_back(&rule_state->rule);
  }
  size_t start = 0;
  if (!after.empty()) {
    start = ordered.size();
    if (after == kDefaultRuleName) {
      start = 1;
    } else {
      auto first_after = std::upper_bound(
          ordered.begin() + 1, ordered.end(), after,
          [](std::string_view key, const SamplingRule* rule) { return key < rule->name; });
      start = static_cast<size_t>(first_after - ordered.begin());
    }
  }
  RulePage page;
  size_t page_size = std::max<size_t>(options_.rules_page_size, 1);
  for (size_t idx = start; idx < ordered.size() && page.rules.size() < page_size; ++idx) {
    page.rules.push_back(*ordered[idx]);
  }
  if (start + page.rules.size() < ordered.size()) {
    page.next_token = std::string(kRulesTokenPrefix) + page.rules.back().name;
  }
  return page;
}

TargetsResult SamplingRegistry::GetTargets(const model::TenantId& tenant,
                                           std::span<const StatisticsDocument> documents) {
  std::lock_guard lock(mu_);
  TenantState& state = Tenant(tenant);
  double now_seconds = NowSeconds();
  int64_t now = static_cast<int64_t>(std::floor(now_seconds));
  TargetsResult result;
  auto unprocessed = [&](const StatisticsDocument& document, std::string code,
                         std::string message) {
    result.unprocessed.push_back(
        UnprocessedStatistic{document.rule_name, std::move(code), std::move(message)});
  };
  for (const StatisticsDocument& document : documents) {
    auto found = state.rules.find(document.rule_name);
    if (found == state.rules.end()) {
      unprocessed(document, "400", "Sampling rule does not exist");
      continue;
    }
    if (document.client_id.empty() || document.client_id.size() > kMaxClientIdLength) {
      unprocessed(document, "400", "ClientID must be 1 to 64 characters long");
      continue;
    }
    if (document.request_count < 0 || document.sampled_count < 0 || document.borrow_count < 0) {
      unprocessed(document, "400", "counts must not be negative");
      continue;
    }
    double timestamp = document.timestamp > 1e11 ? document.timestamp / 1000 : document.timestamp;
    if (!std::isfinite(timestamp) || timestamp < 0) {
      unprocessed(document, "400", "Timestamp must be epoch seconds or milliseconds");
      continue;
    }
    TenantState::RuleState& rule_state = *found->second;
    // Statistics: the window of the client's timestamp, unless its clock is far off.
    if (std::fabs(timestamp - now_seconds) > kMaxTimestampSkewSeconds) timestamp = now_seconds;
    int64_t width = std::max<int64_t>(options_.statistics_window_seconds, 1);
    int64_t window = static_cast<int64_t>(std::floor(timestamp)) / width * width;
    TenantState::Counts& counts = rule_state.windows[window];
    counts.requests += document.request_count;
    counts.sampled += document.sampled_count;
    counts.borrowed += document.borrow_count;
    while (rule_state.windows.size() > std::max<size_t>(options_.statistics_windows, 1)) {
      rule_state.windows.erase(rule_state.windows.begin());
    }
    // The quota.
    int64_t expires = now + options_.interval_seconds + options_.quota_ttl_slack_seconds;
    int64_t quota = rule_state.quotas.Allocate(document.client_id, now, document.request_count,
                                               rule_state.rule.reservoir_size, expires);
    TargetDocument target{rule_state.rule.name, rule_state.rule.fixed_rate, quota, expires,
                          options_.interval_seconds};
    auto same_rule =
        std::find_if(result.targets.begin(), result.targets.end(),
                     [&](const TargetDocument& t) { return t.rule_name == target.rule_name; });
    if (same_rule != result.targets.end()) {
      *same_rule = target;
    } else {
      result.targets.push_back(target);
    }
  }
  result.last_rule_modification = state.last_deletion;
  for (const auto& [name, rule_state] : state.rules) {
    result.last_rule_modification =
        std::max(result.last_rule_modification, rule_state->rule.modified_at);
  }
  return result;
}

Result<SummaryPage> SamplingRegistry::StatisticSummaries(const model::TenantId& tenant,
                                                         std::string_view next_token) const {
  size_t offset = 0;
  if (!next_token.empty()) {
    std::string_view digits = next_token.substr(
        next_token.starts_with(kSummariesTokenPrefix) ? kSummariesTokenPrefix.size() : 0);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
    if (!next_token.starts_with(kSummariesTokenPrefix) || error != std::errc() ||
        end != digits.data() + digits.size()) {
      return InvalidArgumentError("NextToken is not a token this server returned");
    }
  }
  std::lock_guard lock(mu_);
  const TenantState& state = Tenant(tenant);
  SummaryPage page;
  size_t page_size = std::max<size_t>(options_.summaries_page_size, 1);
  size_t index = 0;
  bool more = false;
  for (const auto& [name, rule_state] : state.rules) {
    for (auto it = rule_state->windows.rbegin(); it != rule_state->windows.rend(); ++it, ++index) {
      if (index < offset) continue;
      if (page.summaries.size() == page_size) {
        more = true;
        break;
      }
      page.summaries.push_back(StatisticSummary{name, it->first, it->second.requests,
                                                it->second.borrowed, it->second.sampled});
    }
    if (more) break;
  }
  if (more) page.next_token = fmt::format("{}{}", kSummariesTokenPrefix, offset + page_size);
  return page;
}

double SamplingRegistry::LastRuleModification(const model::TenantId& tenant) const {
  std::lock_guard lock(mu_);
  const TenantState& state = Tenant(tenant);
  double last = state.last_deletion;
  for (const auto& [name, rule_state] : state.rules) {
    last = std::max(last, rule_state->rule.modified_at);
  }
  return last;
}

}  // namespace roentgen::sampling
