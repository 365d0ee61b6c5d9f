// SPDX-License-Identifier: Apache-2.0
// Scheduled trace-analysis rules: JSON form, validation, the engine and its thread.

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "analysis/analysis.h"
#include "analysis/internal/rounding.h"
#include "base/json_writer.h"
#include "base/logging.h"
#include "base/periodic_thread.h"
#include "base/status_macros.h"
#include "parse/json_dom.h"
#include "query/query.h"
#include "search/search.h"

namespace roentgen::analysis {
namespace {

constexpr std::string_view kRuleKind = "analysis_rule";
constexpr std::string_view kRunKind = "analysis_run";
constexpr size_t kMaxMetrics = 20;
constexpr size_t kMaxDimensions = 10;
constexpr int64_t kMinWindow = 60;
constexpr int64_t kMaxWindow = 14 * 86400;

struct KindAndName {
  RuleMetricKind kind;
  std::string_view name;
};
constexpr KindAndName kKindNames[] = {
    {RuleMetricKind::kCount, "count"},
    {RuleMetricKind::kOkCount, "ok_count"},
    {RuleMetricKind::kErrorCount, "error_count"},
    {RuleMetricKind::kFaultCount, "fault_count"},
    {RuleMetricKind::kThrottleCount, "throttle_count"},
    {RuleMetricKind::kCountAbove, "count_above"},
    {RuleMetricKind::kResponseTime, "response_time"},
};

std::string_view KindName(RuleMetricKind kind) {
  for (const auto& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "count";
}

std::string_view TimeRangeName(store::TimeRangeKind kind) {
  switch (kind) {
    case store::TimeRangeKind::kTraceId:
      return "TraceId";
    case store::TimeRangeKind::kService:
      return "Service";
    case store::TimeRangeKind::kEvent:
      break;
  }
  return "Event";
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

Result<std::string> StringMember(const parse::JsonValue& object, std::string_view key,
                                 bool required, size_t max_length) {
  const parse::JsonValue* value = object.Find(key);
  if (value == nullptr || value->is_null()) {
    if (required) return InvalidArgumentError("rule: " + std::string(key) + " is required");
    return std::string();
  }
  if (!value->is_string()) {
    return InvalidArgumentError("rule: " + std::string(key) + " must be a string");
  }
  if (value->string_value().size() > max_length) {
    return InvalidArgumentError("rule: " + std::string(key) + " is longer than " +
                                std::to_string(max_length) + " bytes");
  }
  return value->string_value();
}

Result<AnalysisRule> ParseRuleValue(const parse::JsonValue& body, std::string_view name) {
  if (!body.is_object()) return InvalidArgumentError("rule: expected a JSON object");
  AnalysisRule rule;
  RG_ASSIGN_OR_RETURN(rule.name, StringMember(body, "name", name.empty(), 64));
  if (!name.empty()) {
    if (!rule.name.empty() && rule.name != name) {
      return InvalidArgumentError("rule: the body's name \"" + rule.name +
                                  "\" differs from the URL's \"" + std::string(name) + "\"");
    }
    rule.name = std::string(name);
  }
  if (!ValidName(rule.name)) {
    return InvalidArgumentError("rule: name must be 1-64 of A-Z a-z 0-9 - _ .");
  }
  RG_ASSIGN_OR_RETURN(rule.filter, StringMember(body, "filter", false, 2000));
  RG_ASSIGN_OR_RETURN(rule.schedule, StringMember(body, "schedule", true, 256));
  RG_ASSIGN_OR_RETURN(std::string name_space, StringMember(body, "namespace", false, 255));
  if (!name_space.empty()) rule.name_space = name_space;
  if (rule.name_space.front() == ':' || rule.name_space.rfind("AWS/", 0) == 0) {
    return InvalidArgumentError("rule: namespace may not start with ':' or \"AWS/\"");
  }
  if (const parse::JsonValue* window = body.Find("window_seconds"); window != nullptr) {
    auto seconds = window->is_number() ? window->number_as_double() : std::nullopt;
    if (!seconds || *seconds != std::floor(*seconds) || *seconds < kMinWindow ||
        *seconds > kMaxWindow) {
      return InvalidArgumentError("rule: window_seconds must be a whole number in [60, 1209600]");
    }
    rule.window_seconds = static_cast<int64_t>(*seconds);
  }
  RG_ASSIGN_OR_RETURN(std::string time_range, StringMember(body, "time_range_type", false, 16));
  if (time_range == "TraceId") {
    rule.time_range = store::TimeRangeKind::kTraceId;
  } else if (time_range == "Service") {
    rule.time_range = store::TimeRangeKind::kService;
  } else if (time_range.empty() || time_range == "Event" || time_range == "TimeStamp") {
    rule.time_range = store::TimeRangeKind::kEvent;
  } else {
    return InvalidArgumentError("rule: time_range_type must be Event, TraceId or Service");
  }
  if (const parse::JsonValue* enabled = body.Find("enabled"); enabled != nullptr) {
    if (!enabled->is_bool()) return InvalidArgumentError("rule: enabled must be true or false");
    rule.enabled = enabled->bool_value();
  }
  if (const parse::JsonValue* dimensions = body.Find("dimensions"); dimensions != nullptr) {
    if (!dimensions->is_array() || dimensions->elements().size() > kMaxDimensions) {
      return InvalidArgumentError("rule: dimensions must be an array of at most 10");
    }
    for (const parse::JsonValue& dimension : dimensions->elements()) {
      if (!dimension.is_object()) {
        return InvalidArgumentError("rule: each dimension is {\"Name\": ..., \"Value\": ...}");
      }
      metrics::Dimension parsed;
      RG_ASSIGN_OR_RETURN(parsed.name, StringMember(dimension, "Name", true, 255));
      RG_ASSIGN_OR_RETURN(parsed.value, StringMember(dimension, "Value", true, 1024));
      if (parsed.name.empty() || parsed.value.empty()) {
        return InvalidArgumentError("rule: dimension names and values may not be empty");
      }
      rule.dimensions.push_back(std::move(parsed));
    }
  }
  const parse::JsonValue* list = body.Find("metrics");
  if (list == nullptr || !list->is_array() || list->elements().empty() ||
      list->elements().size() > kMaxMetrics) {
    return InvalidArgumentError("rule: metrics must be an array of 1 to 20 metrics");
  }
  for (const parse::JsonValue& entry : list->elements()) {
    if (!entry.is_object()) return InvalidArgumentError("rule: each metric is an object");
    RuleMetric metric;
    RG_ASSIGN_OR_RETURN(metric.name, StringMember(entry, "name", true, 255));
    if (metric.name.empty()) return InvalidArgumentError("rule: a metric name is empty");
    RG_ASSIGN_OR_RETURN(std::string kind, StringMember(entry, "kind", true, 32));
    auto known = std::find_if(std::begin(kKindNames), std::end(kKindNames),
                              [&](const KindAndName& k) { return k.name == kind; });
    if (known == std::end(kKindNames)) {
      return InvalidArgumentError(
          "rule: metric kind must be count, ok_count, error_count, fault_count, "
          "throttle_count, count_above or response_time, not \"" +
          kind + "\"");
    }
    metric.kind = known->kind;
    if (metric.kind == RuleMetricKind::kCountAbove) {
      const parse::JsonValue* threshold = entry.Find("threshold");
      auto seconds = threshold != nullptr && threshold->is_number() ? threshold->number_as_double()
                                                                    : std::nullopt;
      if (!seconds || !(*seconds >= 0) || !std::isfinite(*seconds)) {
        return InvalidArgumentError("rule: count_above needs a threshold in seconds (>= 0)");
      }
      metric.threshold = *seconds;
    }
    for (const RuleMetric& other : rule.metrics) {
      if (other.name == metric.name) {
        return InvalidArgumentError("rule: metric " + metric.name + " is listed twice");
      }
    }
    rule.metrics.push_back(std::move(metric));
  }
  if (const parse::JsonValue* source = body.Find("source");
      source != nullptr && source->is_string() && source->string_value() == "file") {
    rule.source = "file";
  }
  if (const parse::JsonValue* created = body.Find("created_at");
      created != nullptr && created->is_number()) {
    rule.created_at = created->number_as_double().value_or(0);
  }
  return rule;
}

void WriteRule(const AnalysisRule& rule, JsonWriter* out) {
  out->BeginObject();
  out->Key("name");
  out->String(rule.name);
  out->Key("filter");
  out->String(rule.filter);
  out->Key("schedule");
  out->String(rule.schedule);
  out->Key("window_seconds");
  out->Int(rule.window_seconds);
  out->Key("time_range_type");
  out->String(TimeRangeName(rule.time_range));
  out->Key("namespace");
  out->String(rule.name_space);
  out->Key("dimensions");
  out->BeginArray();
  for (const auto& dimension : rule.dimensions) {
    out->BeginObject();
    out->Key("Name");
    out->String(dimension.name);
    out->Key("Value");
    out->String(dimension.value);
    out->EndObject();
  }
  out->EndArray();
  out->Key("metrics");
  out->BeginArray();
  for (const RuleMetric& metric : rule.metrics) {
    out->BeginObject();
    out->Key("name");
    out->String(metric.name);
    out->Key("kind");
    out->String(KindName(metric.kind));
    if (metric.kind == RuleMetricKind::kCountAbove) {
      out->Key("threshold");
      out->Double(metric.threshold);
    }
    out->EndObject();
  }
  out->EndArray();
  out->Key("enabled");
  out->Bool(rule.enabled);
  out->Key("source");
  out->String(rule.source);
  out->Key("created_at");
  out->Double(rule.created_at);
  out->EndObject();
}

void WriteRun(const RuleRun& run, JsonWriter* out) {
  out->BeginObject();
  out->Key("rule");
  out->String(run.rule);
  out->Key("scheduled_time");
  out->Double(run.scheduled_time);
  out->Key("started_at");
  out->Double(run.started_at);
  out->Key("window_start");
  out->Double(run.window_start);
  out->Key("window_end");
  out->Double(run.window_end);
  out->Key("ok");
  out->Bool(run.ok);
  if (!run.error.empty()) {
    out->Key("error");
    out->String(run.error);
  }
  out->Key("traces_scanned");
  out->Uint(run.traces_scanned);
  out->Key("traces_matched");
  out->Uint(run.traces_matched);
  out->Key("values");
  out->BeginObject();
  for (const auto& [name, value] : run.values) {
    out->Key(name);
    out->Double(value);
  }
  out->EndObject();
  out->Key("duration_seconds");
  out->Double(run.duration_seconds);
  out->EndObject();
}

std::optional<RuleRun> ParseRun(const parse::JsonValue& value) {
  if (!value.is_object()) return std::nullopt;
  RuleRun run;
  auto number = [&](std::string_view key) {
    const parse::JsonValue* member = value.Find(key);
    return member != nullptr && member->is_number() ? member->number_as_double().value_or(0) : 0;
  };
  auto text = [&](std::string_view key) {
    const parse::JsonValue* member = value.Find(key);
    return member != nullptr && member->is_string() ? member->string_value() : std::string();
  };
  run.rule = text("rule");
  run.scheduled_time = number("scheduled_time");
  run.started_at = number("started_at");
  run.window_start = number("window_start");
  run.window_end = number("window_end");
  const parse::JsonValue* ok = value.Find("ok");
  run.ok = ok == nullptr || !ok->is_bool() || ok->bool_value();
  run.error = text("error");
  run.traces_scanned = static_cast<uint64_t>(number("traces_scanned"));
  run.traces_matched = static_cast<uint64_t>(number("traces_matched"));
  if (const parse::JsonValue* values = value.Find("values");
      values != nullptr && values->is_object()) {
    for (const auto& member : values->members()) {
      run.values.emplace_back(member.key, member.value.number_as_double().value_or(0));
    }
  }
  run.duration_seconds = number("duration_seconds");
  return run;
}

}  // namespace

Result<AnalysisRule> ParseRuleJson(std::string_view json, std::string_view name) {
  if (json.size() > 64 * 1024) return InvalidArgumentError("rule: larger than 64 KiB");
  RG_ASSIGN_OR_RETURN(parse::JsonValue body, parse::ParseJson(json, 16));
  return ParseRuleValue(body, name);
}

std::string RuleToJson(const AnalysisRule& rule) {
  JsonWriter out;
  WriteRule(rule, &out);
  return out.Release();
}

std::string RunToJson(const RuleRun& run) {
  JsonWriter out;
  WriteRun(run, &out);
  return out.Release();
}

struct RuleEngine::Impl {
  struct Entry {
    AnalysisRule rule;
    Schedule schedule;
    query::Filter filter;
    std::optional<double> next_run;
    std::deque<RuleRun> runs;  // newest first
  };

  RuleEngineOptions options;
  store::Store* store = nullptr;
  store::Catalog* catalog = nullptr;
  groups::GroupRegistry* groups = nullptr;
  MetricSink sink;

  mutable std::mutex mutex;
  std::map<std::string, Entry, std::less<>> rules;  // guarded by mutex
  std::mutex run_mutex;                             // one run at a time
  PeriodicThread runner;                            // looks for due rules every options.tick

  double Now() const { return options.clock->NowUnixSeconds(); }

  query::CompileOptions CompileOptionsFor() const {
    return groups != nullptr ? groups->FilterCompileOptions(options.tenant)
                             : query::CompileOptions{};
  }

  // Validates the rule; fills entry's schedule and filter.
  Status Prepare(const AnalysisRule& rule, Entry* entry) const {
    RG_ASSIGN_OR_RETURN(entry->schedule, Schedule::Parse(rule.schedule));
    auto filter = query::Compile(rule.filter, CompileOptionsFor());
    if (!filter.ok()) {
      return InvalidArgumentError("rule " + rule.name + ": " +
                                  std::string(filter.error().message()));
    }
    entry->filter = std::move(filter).value();
    entry->rule = rule;
    return Status();
  }

  // The next run after the newest recorded run (or the rule's creation). May be in the past:
  // a run missed while the server was down, made once by the next RunDue.
  static std::optional<double> NextRun(const Entry& entry) {
    double after = entry.runs.empty() ? entry.rule.created_at : entry.runs.front().scheduled_time;
    auto next = entry.schedule.NextAfter(static_cast<int64_t>(std::floor(after)));
    if (!next) return std::nullopt;
    return static_cast<double>(*next);
  }

  Status SaveRuns(const std::string& name, const std::deque<RuleRun>& runs) {
    JsonWriter out;
    out.BeginArray();
    for (const RuleRun& run : runs) WriteRun(run, &out);
    out.EndArray();
    return catalog->Put(kRunKind, options.tenant, name, out.str());
  }

  // Runs the rule for the window ending at `window_end`; publishes and returns the run.
  RuleRun Execute(const AnalysisRule& rule, const query::Filter& filter, double scheduled,
                  double window_end) {
    RuleRun run;
    run.rule = rule.name;
    run.scheduled_time = scheduled;
    run.started_at = Now();
    run.window_end = window_end;
    run.window_start = window_end - static_cast<double>(rule.window_seconds);
    int64_t started = options.clock->MonotonicNanos();
    std::vector<uint64_t> counts(rule.metrics.size(), 0);
    std::map<double, double> response_times;
    bool need_summary =
        std::any_of(rule.metrics.begin(), rule.metrics.end(),
                    [](const RuleMetric& metric) { return metric.kind != RuleMetricKind::kCount; });
    store::ScanRequest scan;
    scan.range = store::TimeRange{run.window_start, run.window_end};
    scan.kind = rule.time_range;
    scan.include_open = true;
    scan.traces_selected = &run.traces_scanned;
    search::ScanPlan plan(filter);
    plan.ApplyTo(&scan);
    if (need_summary) scan.summary_optional = false;
    Status status = store->ScanSummaries(options.tenant, scan, [&](const store::SummaryRow& row) {
      if (!plan.Matches(row)) return true;
      ++run.traces_matched;
      const model::TraceSummary* summary = row.summary;
      for (size_t i = 0; i < rule.metrics.size(); ++i) {
        const RuleMetric& metric = rule.metrics[i];
        bool counted = false;
        switch (metric.kind) {
          case RuleMetricKind::kCount:
            counted = true;
            break;
          case RuleMetricKind::kOkCount:
            counted = summary != nullptr && !summary->has_error && !summary->has_fault &&
                      !summary->has_throttle;
            break;
          case RuleMetricKind::kErrorCount:
            counted = summary != nullptr && summary->has_error;
            break;
          case RuleMetricKind::kFaultCount:
            counted = summary != nullptr && summary->has_fault;
            break;
          case RuleMetricKind::kThrottleCount:
            counted = summary != nullptr && summary->has_throttle;
            break;
          case RuleMetricKind::kCountAbove:
            counted = summary != nullptr && summary->response_time &&
                      *summary->response_time > metric.threshold;
            break;
          case RuleMetricKind::kResponseTime:
            if (summary != nullptr && summary->response_time) {
              response_times[internal::RoundResponseTime(*summary->response_time)] += 1;
            }
            break;
        }
        if (counted) ++counts[i];
      }
      return true;
    });
    if (!status.ok()) {
      run.ok = false;
      run.error = std::string(status.message());
    } else {
      std::vector<metrics::MetricDatum> datums;
      for (size_t i = 0; i < rule.metrics.size(); ++i) {
        const RuleMetric& metric = rule.metrics[i];
        metrics::MetricDatum datum;
        datum.namespace_name = rule.name_space;
        datum.metric_name = metric.name;
        datum.dimensions = rule.dimensions;
        datum.timestamp = window_end;
        if (metric.kind == RuleMetricKind::kResponseTime) {
          if (response_times.empty()) continue;
          datum.unit = "Seconds";
          double sum = 0, count = 0;
          for (const auto& [value, occurrences] : response_times) {
            sum += value * occurrences;
            count += occurrences;
            datum.values.push_back(value);
            datum.counts.push_back(occurrences);
            if (datum.values.size() == 150) {
              datums.push_back(datum);
              datum.values.clear();
              datum.counts.clear();
            }
          }
          if (!datum.values.empty()) datums.push_back(std::move(datum));
          run.values.emplace_back(metric.name, count > 0 ? sum / count : 0);
          continue;
        }
        datum.unit = "Count";
        datum.value = static_cast<double>(counts[i]);
        run.values.emplace_back(metric.name, static_cast<double>(counts[i]));
        datums.push_back(std::move(datum));
      }
      for (size_t begin = 0; begin < datums.size() && run.ok; begin += 1000) {
        size_t end = std::min(datums.size(), begin + 1000);
        Status published = sink(options.tenant, std::span<const metrics::MetricDatum>(
                                                    datums.data() + begin, end - begin));
        if (!published.ok()) {
          run.ok = false;
          run.error = "publishing metrics: " + std::string(published.message());
        }
      }
    }
    run.duration_seconds = static_cast<double>(options.clock->MonotonicNanos() - started) / 1e9;
    if (run.ok) {
      RG_LOG(kInfo, "analysis rule {}: window [{:.0f}, {:.0f}) matched {} of {} traces", rule.name,
             run.window_start, run.window_end, run.traces_matched, run.traces_scanned);
    } else {
      RG_LOG(kWarning, "analysis rule {}: run failed: {}", rule.name, run.error);
    }
    return run;
  }

  // Records a finished run and moves the rule's schedule on.
  void Record(const RuleRun& run, bool scheduled) {
    std::deque<RuleRun> runs;
    {
      std::lock_guard lock(mutex);
      auto it = rules.find(run.rule);
      if (it == rules.end()) return;  // deleted meanwhile
      Entry& entry = it->second;
      entry.runs.push_front(run);
      while (entry.runs.size() > options.runs_kept) entry.runs.pop_back();
      if (scheduled) {
        auto next = entry.schedule.NextAfter(static_cast<int64_t>(std::floor(run.scheduled_time)));
        if (next && static_cast<double>(*next) <= run.started_at) {
          next = entry.schedule.NextAfter(static_cast<int64_t>(std::floor(run.started_at)));
        }
        entry.next_run = next ? std::optional<double>(static_cast<double>(*next)) : std::nullopt;
      }
      runs = entry.runs;
    }
    Status saved = SaveRuns(run.rule, runs);
    if (!saved.ok()) {
      RG_LOG(kWarning, "analysis rule {}: saving the run failed: {}", run.rule, saved.message());
    }
  }

  static RuleStatus StatusOf(const Entry& entry) {
    return RuleStatus{entry.rule, entry.next_run, {entry.runs.begin(), entry.runs.end()}};
  }
};

RuleEngine::RuleEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RuleEngine::~RuleEngine() { Stop(); }

Result<std::unique_ptr<RuleEngine>> RuleEngine::Open(RuleEngineOptions options, store::Store* store,
                                                     store::Catalog* catalog,
                                                     groups::GroupRegistry* groups,
                                                     MetricSink sink) {
  auto impl = std::make_unique<Impl>();
  if (options.clock == nullptr) options.clock = &Clock::Real();
  impl->options = std::move(options);
  impl->store = store;
  impl->catalog = catalog;
  impl->groups = groups;
  impl->sink = std::move(sink);
  RG_ASSIGN_OR_RETURN(auto stored, catalog->List(kRuleKind, impl->options.tenant));
  for (const auto& [name, json] : stored) {
    auto rule = ParseRuleJson(json);
    Impl::Entry entry;
    Status prepared = rule.ok() ? impl->Prepare(*rule, &entry) : rule.status();
    if (!prepared.ok()) {
      // A rule that no longer compiles (e.g. its group was deleted) is kept but disabled.
      RG_LOG(kWarning, "analysis rule {}: {}; disabled", name, prepared.message());
      if (!rule.ok()) continue;
      entry.rule = *rule;
      entry.rule.enabled = false;
      auto schedule = Schedule::Parse(rule->schedule);
      if (!schedule.ok()) continue;
      entry.schedule = *schedule;
    }
    if (auto runs = catalog->Get(kRunKind, impl->options.tenant, name); runs.ok()) {
      if (auto parsed = parse::ParseJson(*runs, 8); parsed.ok() && parsed->is_array()) {
        for (const parse::JsonValue& value : parsed->elements()) {
          if (auto run = ParseRun(value)) entry.runs.push_back(std::move(*run));
        }
      }
    }
    entry.next_run = Impl::NextRun(entry);
    impl->rules.emplace(name, std::move(entry));
  }
  return std::unique_ptr<RuleEngine>(new RuleEngine(std::move(impl)));
}

Result<size_t> RuleEngine::LoadFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return NotFoundError("analysis rules file " + path + ": cannot be read");
  std::stringstream text;
  text << file.rdbuf();
  if (text.str().size() > 4 * 1024 * 1024) {
    return InvalidArgumentError("analysis rules file " + path + ": larger than 4 MiB");
  }
  auto parsed = parse::ParseJson(text.str(), 16);
  if (!parsed.ok()) {
    return InvalidArgumentError("analysis rules file " + path + ": " +
                                std::string(parsed.error().message()));
  }
  const parse::JsonValue* list = &*parsed;
  if (parsed->is_object()) list = parsed->Find("rules");
  if (list == nullptr || !list->is_array()) {
    return InvalidArgumentError("analysis rules file " + path +
                                ": expected an array of rules or {\"rules\": [...]}");
  }
  size_t loaded = 0;
  for (const parse::JsonValue& value : list->elements()) {
    auto rule = ParseRuleValue(value, {});
    if (!rule.ok()) {
      return InvalidArgumentError("analysis rules file " + path + ": " +
                                  std::string(rule.error().message()));
    }
    rule->source = "file";
    RG_RETURN_IF_ERROR(Put(std::move(rule).value()));
    ++loaded;
  }
  return loaded;
}

Status RuleEngine::Put(AnalysisRule rule) {
  Impl::Entry entry;
  {
    std::lock_guard lock(impl_->mutex);
    auto existing = impl_->rules.find(rule.name);
    if (existing == impl_->rules.end() && impl_->rules.size() >= impl_->options.max_rules) {
      return ResourceExhaustedError("at most " + std::to_string(impl_->options.max_rules) +
                                    " analysis rules");
    }
    rule.created_at =
        existing != impl_->rules.end() ? existing->second.rule.created_at : impl_->Now();
    if (existing != impl_->rules.end()) entry.runs = existing->second.runs;
  }
  RG_RETURN_IF_ERROR(impl_->Prepare(rule, &entry));
  RG_RETURN_IF_ERROR(
      impl_->catalog->Put(kRuleKind, impl_->options.tenant, rule.name, RuleToJson(rule)));
  entry.next_run = Impl::NextRun(entry);
  // A new rule's first run follows its schedule from now; an edited one keeps its history.
  std::lock_guard lock(impl_->mutex);
  impl_->rules[rule.name] = std::move(entry);
  return Status();
}

Status RuleEngine::Delete(std::string_view name) {
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->rules.find(name);
    if (it == impl_->rules.end()) {
      return NotFoundError("analysis rule " + std::string(name) + " does not exist");
    }
    impl_->rules.erase(it);
  }
  RG_RETURN_IF_ERROR(impl_->catalog->Delete(kRuleKind, impl_->options.tenant, name));
  return impl_->catalog->Delete(kRunKind, impl_->options.tenant, name);
}

Result<RuleStatus> RuleEngine::Get(std::string_view name) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->rules.find(name);
  if (it == impl_->rules.end()) {
    return NotFoundError("analysis rule " + std::string(name) + " does not exist");
  }
  return Impl::StatusOf(it->second);
}

std::vector<RuleStatus> RuleEngine::List() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<RuleStatus> out;
  for (const auto& [name, entry] : impl_->rules) out.push_back(Impl::StatusOf(entry));
  return out;
}

Result<RuleRun> RuleEngine::RunNow(std::string_view name) {
  std::lock_guard run_lock(impl_->run_mutex);
  AnalysisRule rule;
  query::Filter filter;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->rules.find(name);
    if (it == impl_->rules.end()) {
      return NotFoundError("analysis rule " + std::string(name) + " does not exist");
    }
    rule = it->second.rule;
    filter = it->second.filter;
  }
  double now = impl_->Now();
  RuleRun run = impl_->Execute(rule, filter, now, now);
  impl_->Record(run, /*scheduled=*/false);
  return run;
}

std::vector<RuleRun> RuleEngine::RunDue(double now) {
  std::lock_guard run_lock(impl_->run_mutex);
  struct Due {
    AnalysisRule rule;
    query::Filter filter;
    double scheduled = 0;
  };
  std::vector<Due> due;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [name, entry] : impl_->rules) {
      if (entry.rule.enabled && entry.next_run && *entry.next_run <= now) {
        due.push_back({entry.rule, entry.filter, *entry.next_run});
      }
    }
  }
  std::vector<RuleRun> runs;
  for (const Due& item : due) {
    // A run missed while the server was down covers the window ending now.
    double window_end = now - item.scheduled > 60 ? now : item.scheduled;
    RuleRun run = impl_->Execute(item.rule, item.filter, item.scheduled, window_end);
    impl_->Record(run, /*scheduled=*/true);
    runs.push_back(std::move(run));
  }
  return runs;
}

void RuleEngine::Start() {
  impl_->runner.Start(impl_->options.tick, [impl = impl_.get(), this] { RunDue(impl->Now()); });
}

void RuleEngine::Stop() { impl_->runner.Stop(); }

}  // namespace roentgen::analysis
