// SPDX-License-Identifier: Apache-2.0
// Centralized sampling as aws-xray-sdk-core / aws-xray-sdk-python implement it (§6 of
// xray-protocol.md). Decisions take one mutex for a few counter updates; all network work
// (rules every 5 minutes, targets every 10 s) happens on the poller thread, so a request
// thread never waits for the daemon.
#include "roentgen/sdk/sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "http_client.h"
#include "json_internal.h"
#include "roentgen/sdk/json.h"

namespace roentgen::sdk {
namespace {

class SystemClockImpl final : public Clock {
 public:
  double Now() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

constexpr double kRulesTtlSeconds = 3600;  // rules unused an hour after the last refresh

uint64_t SeedOrRandom(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// "1 per second" bookkeeping shared by the reservoir and the borrow rule.
struct PerSecond {
  int64_t second = std::numeric_limits<int64_t>::min();
  int64_t used = 0;
  void Roll(int64_t now) {
    if (now != second) {
      second = now;
      used = 0;
    }
  }
};

struct RuleState {
  SamplingRule rule;
  // Counters since the last report.
  int64_t request_count = 0;
  int64_t borrow_count = 0;
  int64_t sampled_count = 0;
  // From SamplingTargets: quota < 0 means none yet.
  int64_t quota = -1;
  double quota_ttl = 0;
  PerSecond taken;
  PerSecond borrowed;
  // Reporting: every `interval` seconds (SamplingTargets' Interval), next at `next_report`.
  double interval = 0;  // 0: the sampler's targets_interval_s
  double next_report = -std::numeric_limits<double>::infinity();
};

std::string MakeClientId() {
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int idx = 0; idx < 24; ++idx) id.push_back(kHex[rng() & 0xF]);
  return id;
}

bool RuleMatches(const SamplingRule& rule, const SamplingRequest& request) {
  auto field = [](std::string_view pattern, std::string_view value) {
    return value.empty() || WildcardMatch(pattern, value);
  };
  return field(rule.service_name, request.service_name) &&
         field(rule.service_type, request.service_type) && field(rule.host, request.host) &&
         field(rule.http_method, request.http_method) && field(rule.url_path, request.url_path);
}

}  // namespace

Clock& SystemClock() {
  static SystemClockImpl* const kClock = new SystemClockImpl();
  return *kClock;
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Greedy matching with one backtrack point: linear in practice, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || LowerAscii(pattern[p]) == LowerAscii(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// ------------------------------------------------------------------------------------------
// Local rules

std::optional<LocalRules> ParseLocalRules(std::string_view json, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<LocalRules> {
    if (error != nullptr) *error = "sampling rules: " + std::move(message);
    return std::nullopt;
  };
  std::optional<Json> doc = Json::Parse(json);
  if (!doc || !doc->is_object()) return fail("not a JSON object");
  const Json* version = doc->Find("version");
  if (version == nullptr || !version->is_number() ||
      (version->AsInt() != 1 && version->AsInt() != 2)) {
    return fail("\"version\" must be 1 or 2");
  }
  auto read_rule = [&](const Json& value, bool is_default, LocalRule* rule) -> bool {
    if (!value.is_object()) return false;
    auto text = [&](const char* key, std::string* out) {
      const Json* v = value.Find(key);
      if (v != nullptr && v->is_string()) *out = v->AsString();
    };
    const Json* target = value.Find("fixed_target");
    const Json* rate = value.Find("rate");
    if (target == nullptr || !target->is_number() || target->AsInt() < 0 || rate == nullptr ||
        !rate->is_number() || rate->AsDouble() < 0 || rate->AsDouble() > 1) {
      return false;
    }
    rule->fixed_target = target->AsInt();
    rule->rate = rate->AsDouble();
    if (is_default) return true;
    text("description", &rule->description);
    text("host", &rule->host);
    text("service_name", &rule->service_name);
    text("http_method", &rule->http_method);
    text("url_path", &rule->url_path);
    return true;
  };
  LocalRules rules;
  const Json* fallback = doc->Find("default");
  if (fallback == nullptr || !read_rule(*fallback, true, &rules.fallback)) {
    return fail("\"default\" needs fixed_target (>= 0) and rate (0..1)");
  }
  if (const Json* list = doc->Find("rules"); list != nullptr) {
    if (!list->is_array()) return fail("\"rules\" must be an array");
    for (const Json& value : list->AsArray()) {
      LocalRule rule;
      if (!read_rule(value, false, &rule)) {
        return fail("rule " + std::to_string(rules.rules.size() + 1) +
                    " needs fixed_target (>= 0) and rate (0..1)");
      }
      rules.rules.push_back(std::move(rule));
    }
  }
  return rules;
}

std::optional<LocalRules> LoadLocalRules(const std::string& path, std::string* error) {
  std::ifstream file(path);
  if (!file) {
    if (error != nullptr) *error = "sampling rules: cannot read " + path;
    return std::nullopt;
  }
  std::stringstream text;
  text << file.rdbuf();
  return ParseLocalRules(text.str(), error);
}

// ------------------------------------------------------------------------------------------
// LocalSampler

struct LocalSampler::State {
  const Clock* clock;
  LocalRules rules;
  std::mutex mu;
  std::vector<PerSecond> reservoirs;  // guarded by mu; one per rule, then the default's
  std::mt19937_64 rng;                // guarded by mu
};

namespace {
LocalRules DefaultLocalRules(double rate) {
  LocalRules rules;
  rules.fallback.fixed_target = 1;
  rules.fallback.rate = rate;
  return rules;
}
}  // namespace

LocalSampler::LocalSampler(const Clock* clock, double rate, uint64_t seed)
    : LocalSampler(DefaultLocalRules(rate), clock, seed) {}

LocalSampler::LocalSampler(LocalRules rules, const Clock* clock, uint64_t seed)
    : state_(new State{clock != nullptr ? clock : &SystemClock(),
                       std::move(rules),
                       {},
                       {},
                       std::mt19937_64(SeedOrRandom(seed))}) {
  state_->reservoirs.resize(state_->rules.rules.size() + 1);
}

LocalSampler::~LocalSampler() = default;

SamplingDecision LocalSampler::ShouldSample(const SamplingRequest& request) {
  int64_t now = static_cast<int64_t>(std::floor(state_->clock->Now()));
  const LocalRules& rules = state_->rules;
  size_t index = rules.rules.size();
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    const LocalRule& rule = rules.rules[i];
    if (WildcardMatch(rule.host, request.host) &&
        WildcardMatch(rule.service_name, request.service_name) &&
        WildcardMatch(rule.http_method, request.http_method) &&
        WildcardMatch(rule.url_path, request.url_path)) {
      index = i;
      break;
    }
  }
  const LocalRule& rule = index < rules.rules.size() ? rules.rules[index] : rules.fallback;
  std::lock_guard lock(state_->mu);
  PerSecond& reservoir = state_->reservoirs[index];
  reservoir.Roll(now);
  if (reservoir.used < rule.fixed_target) {
    ++reservoir.used;
    return {true, ""};
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  return {rule.rate > 0 && uniform(state_->rng) < rule.rate, ""};
}

// ------------------------------------------------------------------------------------------
// CentralizedSampler

struct CentralizedSampler::State {
  mutable std::mutex mu;
  // Guarded by mu.
  std::vector<RuleState> rules;  // in match order
  double rules_fetched_at = -std::numeric_limits<double>::infinity();
  bool stop = false;
  std::condition_variable wake;
  std::mt19937_64 rng;
  // Owned by the poller thread (and the destructor).
  std::thread poller;
  std::unique_ptr<LocalSampler> local;
};

CentralizedSampler::CentralizedSampler(Options options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock()),
      client_id_(MakeClientId()),
      state_(new State()) {
  state_->rng.seed(SeedOrRandom(options_.seed));
  state_->local = options_.local_rules
                      ? std::make_unique<LocalSampler>(*options_.local_rules, clock_, options_.seed)
                      : std::make_unique<LocalSampler>(clock_, 0.05, options_.seed);
  if (options_.start_poller) {
    state_->poller = std::thread([this] { PollLoop(); });
  }
}

CentralizedSampler::~CentralizedSampler() { Shutdown(); }

void CentralizedSampler::Shutdown() {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->wake.notify_all();
  if (state_->poller.joinable()) state_->poller.join();
}

bool CentralizedSampler::HasRules() const {
  std::lock_guard lock(state_->mu);
  return !state_->rules.empty() && clock_->Now() - state_->rules_fetched_at <= kRulesTtlSeconds;
}

SamplingDecision CentralizedSampler::ShouldSample(const SamplingRequest& request) {
  double now = clock_->Now();
  int64_t second = static_cast<int64_t>(std::floor(now));
  {
    std::lock_guard lock(state_->mu);
    if (!state_->rules.empty() && now - state_->rules_fetched_at <= kRulesTtlSeconds) {
      for (RuleState& rs : state_->rules) {
        if (!RuleMatches(rs.rule, request)) continue;
        ++rs.request_count;
        SamplingDecision decision{false, rs.rule.name};
        if (rs.quota >= 0 && now <= rs.quota_ttl) {
          rs.taken.Roll(second);
          if (rs.taken.used < rs.quota) {
            ++rs.taken.used;
            ++rs.sampled_count;
            decision.sampled = true;
            return decision;
          }
        } else if (rs.rule.reservoir_size > 0) {
          rs.borrowed.Roll(second);
          if (rs.borrowed.used < 1) {
            ++rs.borrowed.used;
            ++rs.borrow_count;
            decision.sampled = true;
            return decision;
          }
        }
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        if (rs.rule.fixed_rate > 0 && uniform(state_->rng) < rs.rule.fixed_rate) {
          ++rs.sampled_count;
          decision.sampled = true;
        }
        return decision;
      }
    }
  }
  return state_->local->ShouldSample(request);
}

bool CentralizedSampler::ApplyRulesResponse(std::string_view body) {
  std::optional<Json> doc = Json::Parse(body);
  if (!doc) return false;
  const Json* records = doc->Find("SamplingRuleRecords");
  if (records == nullptr || !records->is_array()) return false;
  std::vector<SamplingRule> rules;
  for (const Json& record : records->AsArray()) {
    const Json* rule = record.Find("SamplingRule");
    if (rule == nullptr || !rule->is_object()) continue;
    auto str = [&](const char* key, const char* fallback) {
      const Json* v = rule->Find(key);
      return v != nullptr && v->is_string() ? v->AsString() : std::string(fallback);
    };
    const Json* version = rule->Find("Version");
    if (version == nullptr || version->AsInt() != 1) continue;
    if (str("ResourceARN", "*") != "*") continue;
    const Json* attributes = rule->Find("Attributes");
    if (attributes != nullptr && !attributes->AsObject().empty()) continue;
    const Json* fixed_rate = rule->Find("FixedRate");
    if (fixed_rate == nullptr || !fixed_rate->is_number()) continue;
    SamplingRule out;
    out.name = str("RuleName", "");
    if (out.name.empty()) continue;
    const Json* priority = rule->Find("Priority");
    out.priority = priority != nullptr ? priority->AsInt() : 10000;
    out.fixed_rate = fixed_rate->AsDouble();
    const Json* reservoir = rule->Find("ReservoirSize");
    out.reservoir_size = reservoir != nullptr ? reservoir->AsInt() : 0;
    out.service_name = str("ServiceName", "*");
    out.service_type = str("ServiceType", "*");
    out.host = str("Host", "*");
    out.http_method = str("HTTPMethod", "*");
    out.url_path = str("URLPath", "*");
    rules.push_back(std::move(out));
  }
  std::sort(rules.begin(), rules.end(), [](const SamplingRule& a, const SamplingRule& b) {
    bool a_default = a.name == "Default", b_default = b.name == "Default";
    if (a_default != b_default) return b_default;  // Default is evaluated last
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.name < b.name;
  });
  double now = clock_->Now();
  std::lock_guard lock(state_->mu);
  std::vector<RuleState> next;
  next.reserve(rules.size());
  for (SamplingRule& rule : rules) {
    RuleState rs;
    for (RuleState& old : state_->rules) {
      if (old.rule.name == rule.name) {
        rs = old;  // keep counters and quota across refreshes
        break;
      }
    }
    rs.rule = std::move(rule);
    next.push_back(std::move(rs));
  }
  state_->rules = std::move(next);
  state_->rules_fetched_at = now;
  return true;
}

bool CentralizedSampler::ApplyTargetsResponse(std::string_view body, bool* refresh_rules) {
  std::optional<Json> doc = Json::Parse(body);
  if (!doc || !doc->is_object()) return false;
  const Json* targets = doc->Find("SamplingTargetDocuments");
  std::lock_guard lock(state_->mu);
  if (targets != nullptr) {
    for (const Json& target : targets->AsArray()) {
      const Json* name = target.Find("RuleName");
      if (name == nullptr) continue;
      for (RuleState& rs : state_->rules) {
        if (rs.rule.name != name->AsString()) continue;
        if (const Json* rate = target.Find("FixedRate"); rate != nullptr && rate->is_number()) {
          rs.rule.fixed_rate = rate->AsDouble();
        }
        const Json* quota = target.Find("ReservoirQuota");
        const Json* ttl = target.Find("ReservoirQuotaTTL");
        if (quota != nullptr && quota->is_number()) {
          rs.quota = std::max<int64_t>(0, quota->AsInt());
          rs.quota_ttl = ttl != nullptr && ttl->is_number()
                             ? ttl->AsDouble()
                             : std::numeric_limits<double>::infinity();
        } else if (ttl != nullptr && ttl->is_number()) {
          rs.quota_ttl = ttl->AsDouble();
        }
        if (const Json* interval = target.Find("Interval");
            interval != nullptr && interval->is_number() && interval->AsDouble() >= 1) {
          rs.interval = std::min(interval->AsDouble(), 3600.0);
        }
      }
    }
  }
  if (refresh_rules != nullptr) {
    const Json* modified = doc->Find("LastRuleModification");
    *refresh_rules = modified != nullptr && modified->is_number() &&
                     modified->AsDouble() > state_->rules_fetched_at;
  }
  return true;
}

std::string CentralizedSampler::TakeTargetsRequest() {
  double now = clock_->Now();
  int64_t timestamp = static_cast<int64_t>(std::floor(now));
  std::string body;
  std::lock_guard lock(state_->mu);
  for (RuleState& rs : state_->rules) {
    if (rs.request_count == 0 || now < rs.next_report) continue;
    rs.next_report = now + (rs.interval > 0 ? rs.interval : options_.targets_interval_s);
    body += body.empty() ? "{\"SamplingStatisticsDocuments\":[" : ",";
    body += "{\"RuleName\":";
    internal::AppendQuoted(body, rs.rule.name);
    body += ",\"ClientID\":";
    internal::AppendQuoted(body, client_id_);
    body += ",\"RequestCount\":" + std::to_string(rs.request_count);
    body += ",\"BorrowCount\":" + std::to_string(rs.borrow_count);
    body += ",\"SampledCount\":" + std::to_string(rs.sampled_count);
    body += ",\"Timestamp\":" + std::to_string(timestamp) + "}";
    rs.request_count = rs.borrow_count = rs.sampled_count = 0;
  }
  if (!body.empty()) body += "]}";
  return body;
}

double CentralizedSampler::SecondsUntilNextReport() const {
  double now = clock_->Now();
  double wait = options_.targets_interval_s;
  std::lock_guard lock(state_->mu);
  for (const RuleState& rs : state_->rules) {
    if (rs.request_count > 0) wait = std::min(wait, std::max(0.0, rs.next_report - now));
  }
  return wait;
}

std::vector<SamplingStatistics> CentralizedSampler::Statistics() const {
  std::lock_guard lock(state_->mu);
  std::vector<SamplingStatistics> out;
  for (const RuleState& rs : state_->rules) {
    out.push_back({rs.rule.name, rs.request_count, rs.borrow_count, rs.sampled_count});
  }
  return out;
}

void CentralizedSampler::PollLoop() {
  using Steady = std::chrono::steady_clock;
  auto seconds = [](double s) {
    return std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(s));
  };
  Steady::time_point next_rules = Steady::now();
  Steady::time_point next_targets = Steady::now() + seconds(options_.targets_interval_s);
  std::unique_lock lock(state_->mu);
  while (!state_->stop) {
    Steady::time_point now = Steady::now();
    if (now >= next_rules) {
      lock.unlock();
      std::optional<std::string> body =
          internal::HttpPost(options_.daemon_host, options_.daemon_port, "/GetSamplingRules", "{}",
                             options_.http_timeout_s);
      bool ok = body && ApplyRulesResponse(*body);
      lock.lock();
      // A failed fetch retries at the targets cadence rather than waiting five minutes.
      next_rules =
          Steady::now() + seconds(ok ? options_.rules_interval_s : options_.targets_interval_s);
      continue;
    }
    if (now >= next_targets) {
      lock.unlock();
      std::string request = TakeTargetsRequest();
      bool refresh = false;
      if (!request.empty()) {
        std::optional<std::string> body =
            internal::HttpPost(options_.daemon_host, options_.daemon_port, "/SamplingTargets",
                               request, options_.http_timeout_s);
        if (body) (void)ApplyTargetsResponse(*body, &refresh);
      }
      // The earliest rule due (per-rule Interval), but at least a second from now.
      double wait = std::max(1.0, SecondsUntilNextReport());
      lock.lock();
      next_targets = Steady::now() + seconds(wait);
      if (refresh) next_rules = Steady::now();
      continue;
    }
    state_->wake.wait_until(lock, std::min(next_rules, next_targets));
  }
}

}  // namespace roentgen::sdk
