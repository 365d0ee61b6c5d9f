// SPDX-License-Identifier: Apache-2.0
#include "metrics/alarms.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "base/coding.h"
#include "base/json_writer.h"
#include "base/logging.h"
#include "base/periodic_thread.h"
#include "base/status_macros.h"

// Alarm evaluation follows CloudWatch's documented model: each evaluation looks at the last
// EvaluationPeriods complete periods; a period is breaching, not breaching, or missing; the
// alarm goes to ALARM when at least DatapointsToAlarm periods breach ("M out of N"), and
// TreatMissingData says what a missing period counts as (missing/ignore: only when every period
// is missing does it matter: INSUFFICIENT_DATA or the state is kept). Alarms and history are
// written to the catalog before the state change is acted on, so a restart never repeats or
// loses a transition's record; actions are at-most-once (the webhook sender retries).

namespace roentgen::metrics {
using namespace ::roentgen::coding;  // NOLINT(google-build-using-namespace): .cc only
namespace {

constexpr std::string_view kAlarmKind = "alarm";
constexpr std::string_view kHistoryKind = "alarm_history";
constexpr std::string_view kDetectorKind = "anomaly_detector";
constexpr std::string_view kTenantKind = "alarm_tenant";
const model::TenantId kTenantIndex = "*";
constexpr uint32_t kFormatVersion = 1;

// ---- Encoding of catalog values (length-prefixed fields in a fixed order).

void PutDouble(std::string* out, double value) { PutFixed64(out, std::bit_cast<uint64_t>(value)); }
bool GetDouble(std::string_view* in, double* value) {
  uint64_t bits = 0;
  if (!GetFixed64(in, &bits)) return false;
  *value = std::bit_cast<double>(bits);
  return true;
}
bool GetString(std::string_view* in, std::string* value) {
  std::string_view part;
  if (!GetLengthPrefixed(in, &part)) return false;
  *value = std::string(part);
  return true;
}
void PutStrings(std::string* out, const std::vector<std::string>& values) {
  PutVarint64(out, values.size());
  for (const std::string& value : values) PutLengthPrefixed(out, value);
}
bool GetStrings(std::string_view* in, std::vector<std::string>* values) {
  uint64_t size = 0;
  if (!GetVarint64(in, &size) || size > in->size()) return false;
  values->resize(size);
  for (std::string& value : *values)
    if (!GetString(in, &value)) return false;
  return true;
}
void PutDimensions(std::string* out, const std::vector<Dimension>& dimensions) {
  PutVarint64(out, dimensions.size());
  for (const Dimension& d : dimensions) {
    PutLengthPrefixed(out, d.name);
    PutLengthPrefixed(out, d.value);
  }
}
bool GetDimensions(std::string_view* in, std::vector<Dimension>* dimensions) {
  uint64_t size = 0;
  if (!GetVarint64(in, &size) || size > in->size()) return false;
  dimensions->resize(size);
  for (Dimension& d : *dimensions)
    if (!GetString(in, &d.name) || !GetString(in, &d.value)) return false;
  return true;
}

void EncodeQuery(std::string* out, const MetricDataQuery& query) {
  PutLengthPrefixed(out, query.id);
  PutLengthPrefixed(out, query.expression);
  PutLengthPrefixed(out, query.label);
  PutVarint64(out, query.return_data ? 1 : 0);
  PutVarsint64(out, query.period);
  PutVarint64(out, query.metric_stat ? 1 : 0);
  if (query.metric_stat) {
    const MetricStat& stat = *query.metric_stat;
    PutLengthPrefixed(out, stat.metric.namespace_name);
    PutLengthPrefixed(out, stat.metric.metric_name);
    PutDimensions(out, stat.metric.dimensions);
    PutVarsint64(out, stat.period);
    PutLengthPrefixed(out, stat.stat);
    PutLengthPrefixed(out, stat.unit);
  }
}

bool DecodeQuery(std::string_view* in, MetricDataQuery* query) {
  uint64_t return_data = 0, has_stat = 0;
  int64_t period = 0;
  if (!GetString(in, &query->id) || !GetString(in, &query->expression) ||
      !GetString(in, &query->label) || !GetVarint64(in, &return_data) ||
      !GetVarsint64(in, &period) || !GetVarint64(in, &has_stat))
    return false;
  query->return_data = return_data != 0;
  query->period = period;
  if (has_stat != 0) {
    MetricStat stat;
    if (!GetString(in, &stat.metric.namespace_name) || !GetString(in, &stat.metric.metric_name) ||
        !GetDimensions(in, &stat.metric.dimensions) || !GetVarsint64(in, &stat.period) ||
        !GetString(in, &stat.stat) || !GetString(in, &stat.unit))
      return false;
    query->metric_stat = std::move(stat);
  }
  return true;
}

std::string EncodeAlarm(const Alarm& alarm) {
  const AlarmConfig& c = alarm.config;
  std::string out;
  PutVarint32(&out, kFormatVersion);
  for (const std::string* s :
       {&c.name, &c.description, &c.namespace_name, &c.metric_name, &c.statistic,
        &c.extended_statistic, &c.unit, &c.comparison_operator, &c.treat_missing_data,
        &c.evaluate_low_sample_count_percentile, &c.threshold_metric_id, &alarm.arn,
        &alarm.state_reason, &alarm.state_reason_data})
    PutLengthPrefixed(&out, *s);
  PutVarint64(&out, c.actions_enabled ? 1 : 0);
  PutStrings(&out, c.ok_actions);
  PutStrings(&out, c.alarm_actions);
  PutStrings(&out, c.insufficient_data_actions);
  PutDimensions(&out, c.dimensions);
  PutVarsint64(&out, c.period);
  PutVarsint64(&out, c.evaluation_periods);
  PutVarsint64(&out, c.datapoints_to_alarm);
  PutVarint64(&out, c.threshold ? 1 : 0);
  PutDouble(&out, c.threshold.value_or(0));
  PutVarint64(&out, c.metrics.size());
  for (const MetricDataQuery& query : c.metrics) EncodeQuery(&out, query);
  PutVarint64(&out, c.tags.size());
  for (const auto& [key, value] : c.tags) {
    PutLengthPrefixed(&out, key);
    PutLengthPrefixed(&out, value);
  }
  PutVarint64(&out, static_cast<uint64_t>(alarm.state));
  PutDouble(&out, alarm.state_updated);
  PutDouble(&out, alarm.state_transitioned);
  PutDouble(&out, alarm.configuration_updated);
  return out;
}

bool DecodeAlarm(std::string_view in, Alarm* alarm) {
  AlarmConfig& c = alarm->config;
  uint32_t version = 0;
  if (!GetVarint32(&in, &version) || version != kFormatVersion) return false;
  for (std::string* s :
       {&c.name, &c.description, &c.namespace_name, &c.metric_name, &c.statistic,
        &c.extended_statistic, &c.unit, &c.comparison_operator, &c.treat_missing_data,
        &c.evaluate_low_sample_count_percentile, &c.threshold_metric_id, &alarm->arn,
        &alarm->state_reason, &alarm->state_reason_data})
    if (!GetString(&in, s)) return false;
  uint64_t flag = 0, has_threshold = 0, count = 0, state = 0;
  int64_t period = 0, evaluation_periods = 0, datapoints = 0;
  double threshold = 0;
  if (!GetVarint64(&in, &flag) || !GetStrings(&in, &c.ok_actions) ||
      !GetStrings(&in, &c.alarm_actions) || !GetStrings(&in, &c.insufficient_data_actions) ||
      !GetDimensions(&in, &c.dimensions) || !GetVarsint64(&in, &period) ||
      !GetVarsint64(&in, &evaluation_periods) || !GetVarsint64(&in, &datapoints) ||
      !GetVarint64(&in, &has_threshold) || !GetDouble(&in, &threshold) ||
      !GetVarint64(&in, &count) || count > in.size())
    return false;
  c.actions_enabled = flag != 0;
  c.period = period;
  c.evaluation_periods = static_cast<int32_t>(evaluation_periods);
  c.datapoints_to_alarm = static_cast<int32_t>(datapoints);
  if (has_threshold != 0) c.threshold = threshold;
  c.metrics.resize(count);
  for (MetricDataQuery& query : c.metrics)
    if (!DecodeQuery(&in, &query)) return false;
  if (!GetVarint64(&in, &count) || count > in.size()) return false;
  c.tags.resize(count);
  for (auto& [key, value] : c.tags)
    if (!GetString(&in, &key) || !GetString(&in, &value)) return false;
  if (!GetVarint64(&in, &state) || state > 2 || !GetDouble(&in, &alarm->state_updated) ||
      !GetDouble(&in, &alarm->state_transitioned) || !GetDouble(&in, &alarm->configuration_updated))
    return false;
  alarm->state = static_cast<AlarmStateValue>(state);
  return true;
}

std::string EncodeHistory(const AlarmHistoryItem& item) {
  std::string out;
  PutLengthPrefixed(&out, item.alarm_name);
  PutLengthPrefixed(&out, item.alarm_type);
  PutDouble(&out, item.timestamp);
  PutLengthPrefixed(&out, item.type);
  PutLengthPrefixed(&out, item.summary);
  PutLengthPrefixed(&out, item.data);
  return out;
}

bool DecodeHistory(std::string_view in, AlarmHistoryItem* item) {
  return GetString(&in, &item->alarm_name) && GetString(&in, &item->alarm_type) &&
         GetDouble(&in, &item->timestamp) && GetString(&in, &item->type) &&
         GetString(&in, &item->summary) && GetString(&in, &item->data);
}

std::string DetectorKey(const AnomalyDetectorConfig& d) {
  std::vector<Dimension> dims = d.dimensions;
  SortDimensions(&dims);
  std::string key;
  PutLengthPrefixed(&key, d.namespace_name);
  PutLengthPrefixed(&key, d.metric_name);
  PutDimensions(&key, dims);
  PutLengthPrefixed(&key, d.stat);
  return key;
}

std::string EncodeDetector(const AnomalyDetectorConfig& d) {
  std::string out = DetectorKey(d);
  PutVarint64(&out, d.excluded_ranges.size());
  for (const auto& [start, end] : d.excluded_ranges) {
    PutDouble(&out, start);
    PutDouble(&out, end);
  }
  PutLengthPrefixed(&out, d.metric_timezone);
  return out;
}

bool DecodeDetector(std::string_view in, AnomalyDetectorConfig* d) {
  uint64_t count = 0;
  if (!GetString(&in, &d->namespace_name) || !GetString(&in, &d->metric_name) ||
      !GetDimensions(&in, &d->dimensions) || !GetString(&in, &d->stat) ||
      !GetVarint64(&in, &count) || count > in.size())
    return false;
  d->excluded_ranges.resize(count);
  for (auto& [start, end] : d->excluded_ranges)
    if (!GetDouble(&in, &start) || !GetDouble(&in, &end)) return false;
  return GetString(&in, &d->metric_timezone);
}

// ---- Formatting as CloudWatch writes it.

std::string IsoTime(double seconds, std::string_view zone = "+0000") {
  std::time_t whole = static_cast<std::time_t>(std::floor(seconds));
  int millis = static_cast<int>(std::lround((seconds - std::floor(seconds)) * 1000)) % 1000;
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis, zone);
}

// "24/11/26 05:25:00", the datapoint time format of CloudWatch's state reasons.
std::string ReasonTime(double seconds) {
  std::time_t whole = static_cast<std::time_t>(std::floor(seconds));
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:02}/{:02}/{:02} {:02}:{:02}:{:02}", tm.tm_mday, tm.tm_mon + 1,
                     tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string Number(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eE") == std::string::npos && text.find("inf") == std::string::npos &&
      text.find("nan") == std::string::npos)
    text += ".0";
  return text;
}

bool IsBandOperator(std::string_view op) {
  return op == "LessThanLowerOrGreaterThanUpperThreshold" || op == "LessThanLowerThreshold" ||
         op == "GreaterThanUpperThreshold";
}

bool IsKnownOperator(std::string_view op) {
  return op == "GreaterThanOrEqualToThreshold" || op == "GreaterThanThreshold" ||
         op == "LessThanThreshold" || op == "LessThanOrEqualToThreshold" || IsBandOperator(op);
}

std::string_view OperatorWords(std::string_view op) {
  if (op == "GreaterThanOrEqualToThreshold") return "greater than or equal to";
  if (op == "GreaterThanThreshold") return "greater than";
  if (op == "LessThanThreshold") return "less than";
  if (op == "LessThanOrEqualToThreshold") return "less than or equal to";
  if (op == "LessThanLowerThreshold") return "less than the lower";
  if (op == "GreaterThanUpperThreshold") return "greater than the upper";
  return "outside the band of";
}

struct Slot {
  double timestamp = 0;
  std::optional<double> value;
  double sample_count = 0;
  std::optional<double> lower;  // band operators
  std::optional<double> upper;
};

bool Breaches(const AlarmConfig& c, const Slot& slot) {
  double v = *slot.value;
  const std::string& op = c.comparison_operator;
  if (IsBandOperator(op)) {
    bool below = slot.lower && v < *slot.lower;
    bool above = slot.upper && v > *slot.upper;
    if (op == "LessThanLowerThreshold") return below;
    if (op == "GreaterThanUpperThreshold") return above;
    return below || above;
  }
  double t = c.threshold.value_or(0);
  if (op == "GreaterThanOrEqualToThreshold") return v >= t;
  if (op == "GreaterThanThreshold") return v > t;
  if (op == "LessThanThreshold") return v < t;
  return v <= t;
}

}  // namespace

std::string_view AlarmStateName(AlarmStateValue state) {
  switch (state) {
    case AlarmStateValue::kOk:
      return "OK";
    case AlarmStateValue::kAlarm:
      return "ALARM";
    case AlarmStateValue::kInsufficientData:
      return "INSUFFICIENT_DATA";
  }
  return "INSUFFICIENT_DATA";
}

std::optional<AlarmStateValue> ParseAlarmState(std::string_view name) {
  if (name == "OK") return AlarmStateValue::kOk;
  if (name == "ALARM") return AlarmStateValue::kAlarm;
  if (name == "INSUFFICIENT_DATA") return AlarmStateValue::kInsufficientData;
  return std::nullopt;
}

std::string AlarmNotificationJson(const Alarm& alarm, AlarmStateValue old_state,
                                  std::string_view account) {
  const AlarmConfig& c = alarm.config;
  JsonWriter w;
  w.BeginObject();
  w.Key("AlarmName");
  w.String(c.name);
  w.Key("AlarmDescription");
  w.String(c.description);
  w.Key("AWSAccountId");
  w.String(account);
  w.Key("AlarmConfigurationUpdatedTimestamp");
  w.String(IsoTime(alarm.configuration_updated));
  w.Key("NewStateValue");
  w.String(AlarmStateName(alarm.state));
  w.Key("NewStateReason");
  w.String(alarm.state_reason);
  w.Key("StateChangeTime");
  w.String(IsoTime(alarm.state_updated));
  size_t colon = alarm.arn.find(':', std::string_view("arn:aws:cloudwatch:").size());
  w.Key("Region");
  w.String(alarm.arn.substr(19, colon == std::string::npos ? 0 : colon - 19));
  w.Key("AlarmArn");
  w.String(alarm.arn);
  w.Key("OldStateValue");
  w.String(AlarmStateName(old_state));
  for (auto [key, list] :
       {std::pair{"OKActions", &c.ok_actions}, std::pair{"AlarmActions", &c.alarm_actions},
        std::pair{"InsufficientDataActions", &c.insufficient_data_actions}}) {
    w.Key(key);
    w.BeginArray();
    for (const std::string& action : *list) w.String(action);
    w.EndArray();
  }
  w.Key("Trigger");
  w.BeginObject();
  if (!c.metric_name.empty()) {
    w.Key("MetricName");
    w.String(c.metric_name);
    w.Key("Namespace");
    w.String(c.namespace_name);
    w.Key("StatisticType");
    w.String(c.extended_statistic.empty() ? "Statistic" : "ExtendedStatistic");
    w.Key(c.extended_statistic.empty() ? "Statistic" : "ExtendedStatistic");
    std::string stat = c.extended_statistic.empty() ? c.statistic : c.extended_statistic;
    if (c.extended_statistic.empty())
      std::transform(stat.begin(), stat.end(), stat.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    w.String(stat);
    w.Key("Unit");
    if (c.unit.empty())
      w.Null();
    else
      w.String(c.unit);
    w.Key("Dimensions");
    w.BeginArray();
    for (const Dimension& d : c.dimensions) {
      w.BeginObject();
      w.Key("value");
      w.String(d.value);
      w.Key("name");
      w.String(d.name);
      w.EndObject();
    }
    w.EndArray();
    w.Key("Period");
    w.Int(c.period);
  } else {
    w.Key("Metrics");
    w.BeginArray();
    for (const MetricDataQuery& q : c.metrics) {
      w.BeginObject();
      w.Key("Id");
      w.String(q.id);
      if (!q.expression.empty()) {
        w.Key("Expression");
        w.String(q.expression);
      }
      w.Key("ReturnData");
      w.Bool(q.return_data);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("EvaluationPeriods");
  w.Int(c.evaluation_periods);
  w.Key("DatapointsToAlarm");
  w.Int(c.datapoints_to_alarm > 0 ? c.datapoints_to_alarm : c.evaluation_periods);
  w.Key("ComparisonOperator");
  w.String(c.comparison_operator);
  if (c.threshold) {
    w.Key("Threshold");
    w.Double(*c.threshold);
  } else {
    w.Key("ThresholdMetricId");
    w.String(c.threshold_metric_id);
  }
  w.Key("TreatMissingData");
  w.String(c.treat_missing_data.empty() ? "missing" : c.treat_missing_data);
  w.Key("EvaluateLowSampleCountPercentile");
  w.String(c.evaluate_low_sample_count_percentile);
  w.EndObject();
  w.Key("StateReasonData");
  if (alarm.state_reason_data.empty())
    w.Null();
  else
    w.Raw(alarm.state_reason_data);
  w.EndObject();
  return w.Release();
}

struct AlarmEngine::Impl {
  // Immutable after construction.
  AlarmEngineOptions options;
  Clock* clock = nullptr;

  // Guarded by mu.
  mutable std::mutex mu;
  std::map<model::TenantId, std::map<std::string, Alarm>> alarms;
  std::map<model::TenantId,
           std::map<std::string, std::deque<std::pair<std::string, AlarmHistoryItem>>>>
      history;  // by alarm name: (catalog key, item), oldest first
  std::map<model::TenantId, std::map<std::string, AnomalyDetectorConfig>> detectors;
  std::map<model::TenantId, bool> tenants;
  uint64_t history_seq = 0;

  // The background evaluator.
  PeriodicThread job;

  std::string Arn(const model::TenantId& tenant, std::string_view name) const {
    return fmt::format("arn:aws:cloudwatch:{}:{}:alarm:{}", options.region, tenant, name);
  }

  // REQUIRES: mu held.
  Status RememberTenant(const model::TenantId& tenant) {
    if (tenants.count(tenant) != 0) return Status();
    RG_RETURN_IF_ERROR(options.catalog->Put(kTenantKind, kTenantIndex, tenant, ""));
    tenants[tenant] = true;
    return Status();
  }

  // REQUIRES: mu held.
  Status AddHistory(const model::TenantId& tenant, AlarmHistoryItem item) {
    std::string key = fmt::format("{}\x1f{:020}{:010}", item.alarm_name,
                                  static_cast<int64_t>(item.timestamp * 1000), ++history_seq);
    RG_RETURN_IF_ERROR(options.catalog->Put(kHistoryKind, tenant, key, EncodeHistory(item)));
    auto& items = history[tenant][item.alarm_name];
    items.emplace_back(std::move(key), std::move(item));
    while (items.size() > options.max_history_per_alarm) {
      Status deleted = options.catalog->Delete(kHistoryKind, tenant, items.front().first);
      if (!deleted.ok()) RG_LOG(kWarning, "alarms: trimming history: {}", deleted.message());
      items.pop_front();
    }
    return Status();
  }

  // Records a state change and runs its actions. REQUIRES: mu held. `deliveries` collects
  // the webhook POSTs to make after mu is released.
  Status Transition(const model::TenantId& tenant, Alarm& alarm, AlarmStateValue state,
                    std::string reason, std::string reason_data, double now,
                    std::vector<std::pair<std::string, std::string>>* deliveries) {
    AlarmStateValue old_state = alarm.state;
    std::string old_reason = alarm.state_reason;
    alarm.state = state;
    alarm.state_reason = std::move(reason);
    alarm.state_reason_data = std::move(reason_data);
    alarm.state_updated = now;
    alarm.state_transitioned = now;
    RG_RETURN_IF_ERROR(
        options.catalog->Put(kAlarmKind, tenant, alarm.config.name, EncodeAlarm(alarm)));
    JsonWriter data;
    data.BeginObject();
    data.Key("version");
    data.String("1.0");
    data.Key("oldState");
    data.BeginObject();
    data.Key("stateValue");
    data.String(AlarmStateName(old_state));
    data.Key("stateReason");
    data.String(old_reason);
    data.EndObject();
    data.Key("newState");
    data.BeginObject();
    data.Key("stateValue");
    data.String(AlarmStateName(state));
    data.Key("stateReason");
    data.String(alarm.state_reason);
    if (!alarm.state_reason_data.empty()) {
      data.Key("stateReasonData");
      data.Raw(alarm.state_reason_data);
    }
    data.EndObject();
    data.EndObject();
    AlarmHistoryItem item;
    item.alarm_name = alarm.config.name;
    item.timestamp = now;
    item.type = "StateUpdate";
    item.summary = fmt::format("Alarm updated from {} to {}", AlarmStateName(old_state),
                               AlarmStateName(state));
    item.data = data.Release();
    RG_RETURN_IF_ERROR(AddHistory(tenant, std::move(item)));
    if (!alarm.config.actions_enabled) return Status();
    const std::vector<std::string>& actions =
        state == AlarmStateValue::kOk      ? alarm.config.ok_actions
        : state == AlarmStateValue::kAlarm ? alarm.config.alarm_actions
                                           : alarm.config.insufficient_data_actions;
    for (const std::string& action : actions) {
      AlarmHistoryItem action_item;
      action_item.alarm_name = alarm.config.name;
      action_item.timestamp = now;
      action_item.type = "Action";
      if (action.starts_with("http://") && options.deliver) {
        deliveries->emplace_back(action, AlarmNotificationJson(alarm, old_state, tenant));
        action_item.summary = "Successfully queued action " + action;
        RG_LOG(kInfo, "alarms: {} -> {}: POST {}", alarm.config.name, AlarmStateName(state),
               action);
      } else {
        action_item.summary = "Failed to execute action " + action +
                              ": Roentgen delivers only http:// webhook actions";
        RG_LOG(kWarning, "alarms: {} -> {}: action {} not delivered (not an http:// URL)",
               alarm.config.name, AlarmStateName(state), action);
      }
      JsonWriter action_data;
      action_data.BeginObject();
      action_data.Key("actionState");
      action_data.String(action_item.summary.starts_with("Success") ? "Succeeded" : "Failed");
      action_data.Key("notificationResource");
      action_data.String(action);
      action_data.EndObject();
      action_item.data = action_data.Release();
      RG_RETURN_IF_ERROR(AddHistory(tenant, std::move(action_item)));
    }
    return Status();
  }

  // The alarm's slots for the evaluation ending at `end`, oldest first.
  Result<std::vector<Slot>> Gather(const model::TenantId& tenant, const AlarmConfig& c,
                                   double end) const {
    int64_t period = c.period;
    std::vector<Slot> slots(static_cast<size_t>(c.evaluation_periods));
    double start = end - static_cast<double>(period) * c.evaluation_periods;
    for (size_t slot_idx = 0; slot_idx < slots.size(); ++slot_idx)
      slots[slot_idx].timestamp =
          start + static_cast<double>(period * static_cast<int64_t>(slot_idx));
    auto index_of = [&](double timestamp) -> std::optional<size_t> {
      double offset = (timestamp - start) / static_cast<double>(period);
      if (offset < 0 || offset >= static_cast<double>(slots.size())) return std::nullopt;
      return static_cast<size_t>(offset);
    };
    if (!c.metric_name.empty()) {
      MetricId metric{c.namespace_name, c.metric_name, c.dimensions};
      RG_ASSIGN_OR_RETURN(std::vector<Datapoint> points,
                          options.store->Query(tenant, metric, start, end, period, c.unit));
      std::string stat = c.extended_statistic.empty() ? c.statistic : c.extended_statistic;
      for (const Datapoint& point : points) {
        std::optional<size_t> slot_idx = index_of(point.timestamp);
        if (!slot_idx) continue;
        slots[*slot_idx].value = point.aggregate.Statistic(stat);
        slots[*slot_idx].sample_count = point.aggregate.sample_count;
      }
      return slots;
    }
    GetMetricDataRequest request;
    request.queries = c.metrics;
    for (MetricDataQuery& query : request.queries) query.return_data = true;
    request.start = start;
    request.end = end;
    request.scan_ascending = true;
    RG_ASSIGN_OR_RETURN(GetMetricDataResponse response,
                        options.store->GetMetricData(tenant, request));
    std::string value_id;
    for (const MetricDataQuery& query : c.metrics)
      if (query.return_data && query.id != c.threshold_metric_id) value_id = query.id;
    std::vector<const MetricDataResult*> band;
    for (const MetricDataResult& result : response.results) {
      if (result.id == c.threshold_metric_id) band.push_back(&result);
      if (result.id != value_id) continue;
      for (size_t point_idx = 0; point_idx < result.timestamps.size(); ++point_idx) {
        std::optional<size_t> slot_idx = index_of(result.timestamps[point_idx]);
        if (slot_idx) slots[*slot_idx].value = result.values[point_idx];
      }
    }
    if (band.size() == 2) {
      for (size_t side = 0; side < 2; ++side) {
        const MetricDataResult& r = *band[side];
        for (size_t point_idx = 0; point_idx < r.timestamps.size(); ++point_idx) {
          std::optional<size_t> slot_idx = index_of(r.timestamps[point_idx]);
          if (!slot_idx) continue;
          (side == 0 ? slots[*slot_idx].lower : slots[*slot_idx].upper) = r.values[point_idx];
        }
      }
    }
    return slots;
  }
};

AlarmEngine::AlarmEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AlarmEngine::~AlarmEngine() { Shutdown(); }

Result<std::unique_ptr<AlarmEngine>> AlarmEngine::Open(AlarmEngineOptions options) {
  if (options.catalog == nullptr || options.store == nullptr)
    return InvalidArgumentError("alarms: a catalog and a metric store are required");
  auto impl = std::make_unique<Impl>();
  impl->clock = options.clock != nullptr ? options.clock : &Clock::Real();
  impl->options = std::move(options);
  store::Catalog& catalog = *impl->options.catalog;
  RG_ASSIGN_OR_RETURN(auto tenants, catalog.List(kTenantKind, kTenantIndex));
  for (const auto& [tenant, unused] : tenants) {
    impl->tenants[tenant] = true;
    RG_ASSIGN_OR_RETURN(auto alarms, catalog.List(kAlarmKind, tenant));
    for (const auto& [name, value] : alarms) {
      Alarm alarm;
      if (!DecodeAlarm(value, &alarm)) {
        RG_LOG(kWarning, "alarms: skipping undecodable alarm {}", name);
        continue;
      }
      impl->alarms[tenant][name] = std::move(alarm);
    }
    RG_ASSIGN_OR_RETURN(auto items, catalog.List(kHistoryKind, tenant));
    for (const auto& [key, value] : items) {
      AlarmHistoryItem item;
      if (!DecodeHistory(value, &item)) continue;
      impl->history[tenant][item.alarm_name].emplace_back(key, std::move(item));
    }
    RG_ASSIGN_OR_RETURN(auto detectors, catalog.List(kDetectorKind, tenant));
    for (const auto& [key, value] : detectors) {
      AnomalyDetectorConfig detector;
      if (DecodeDetector(value, &detector)) impl->detectors[tenant][key] = std::move(detector);
    }
  }
  return std::unique_ptr<AlarmEngine>(new AlarmEngine(std::move(impl)));
}

namespace {

Status ValidateActions(const std::vector<std::string>& actions, std::string_view field) {
  if (actions.size() > 5)
    return InvalidArgumentError(
        fmt::format("The collection {} must not have a size greater than 5.", field));
  for (const std::string& action : actions)
    if (action.empty() || action.size() > 1024)
      return InvalidArgumentError(
          fmt::format("The parameter {} must hold strings of 1 to 1024 characters.", field));
  return Status();
}

Status ValidateAlarm(const AlarmConfig& c) {
  if (c.name.empty() || c.name.size() > 255)
    return InvalidArgumentError("The parameter AlarmName must be 1 to 255 characters long.");
  if (c.description.size() > 1024)
    return InvalidArgumentError("The parameter AlarmDescription must be at most 1024 characters.");
  RG_RETURN_IF_ERROR(ValidateActions(c.ok_actions, "OKActions"));
  RG_RETURN_IF_ERROR(ValidateActions(c.alarm_actions, "AlarmActions"));
  RG_RETURN_IF_ERROR(ValidateActions(c.insufficient_data_actions, "InsufficientDataActions"));
  if (c.evaluation_periods < 1)
    return InvalidArgumentError("The parameter EvaluationPeriods must be at least 1.");
  if (c.datapoints_to_alarm < 0 || c.datapoints_to_alarm > c.evaluation_periods)
    return InvalidArgumentError(
        "DatapointsToAlarm must be between 1 and the value of EvaluationPeriods.");
  if (!IsKnownOperator(c.comparison_operator))
    return InvalidArgumentError(fmt::format(
        "The parameter ComparisonOperator '{}' is not a valid operator.", c.comparison_operator));
  bool band = IsBandOperator(c.comparison_operator);
  if (band && c.threshold_metric_id.empty())
    return InvalidArgumentError("Anomaly-detection comparison operators need a ThresholdMetricId.");
  if (!band && !c.threshold) return InvalidArgumentError("The parameter Threshold is required.");
  if (!c.treat_missing_data.empty() && c.treat_missing_data != "missing" &&
      c.treat_missing_data != "breaching" && c.treat_missing_data != "notBreaching" &&
      c.treat_missing_data != "ignore")
    return InvalidArgumentError(
        "TreatMissingData must be one of breaching, notBreaching, ignore and missing.");
  bool single = !c.metric_name.empty();
  if (single == !c.metrics.empty())
    return InvalidArgumentError(
        "Exactly one of MetricName (with Namespace) and Metrics must be given.");
  if (single) {
    if (c.namespace_name.empty())
      return InvalidArgumentError("The parameter Namespace is required with MetricName.");
    if (c.statistic.empty() == c.extended_statistic.empty())
      return InvalidArgumentError("Exactly one of Statistic and ExtendedStatistic is required.");
    if (!c.statistic.empty() && !IsStandardStatistic(c.statistic))
      return InvalidArgumentError(fmt::format("The Statistic '{}' is not valid.", c.statistic));
    if (!c.extended_statistic.empty() && !IsExtendedStatistic(c.extended_statistic))
      return InvalidArgumentError(
          fmt::format("The ExtendedStatistic '{}' is not valid.", c.extended_statistic));
    if (c.period < 10 || (c.period % 60 != 0 && c.period != 10 && c.period != 20 && c.period != 30))
      return InvalidArgumentError("The parameter Period must be 10, 20, 30 or a multiple of 60.");
    if (c.dimensions.size() > kMaxDimensions)
      return InvalidArgumentError("The collection Dimensions must not have more than 30 members.");
    if (!c.unit.empty() && !IsStandardUnit(c.unit))
      return InvalidArgumentError(fmt::format("The Unit '{}' is not valid.", c.unit));
  } else {
    int returned = 0;
    for (const MetricDataQuery& q : c.metrics)
      if (q.return_data && q.id != c.threshold_metric_id) ++returned;
    if (returned != 1)
      return InvalidArgumentError(
          "Exactly one element of the Metrics list must have ReturnData set to true.");
    if (c.period < 1) return InvalidArgumentError("The alarm's metrics must have a Period.");
  }
  return Status();
}

}  // namespace

Status AlarmEngine::PutAlarm(const model::TenantId& tenant, AlarmConfig config) {
  Impl& s = *impl_;
  // A metric-math alarm's period comes from its MetricStats.
  if (config.metric_name.empty() && config.period == 0) {
    for (const MetricDataQuery& q : config.metrics) {
      if (q.metric_stat) config.period = std::max(config.period, q.metric_stat->period);
      if (q.period > 0) config.period = std::max(config.period, q.period);
    }
  }
  RG_RETURN_IF_ERROR(ValidateAlarm(config));
  double now = s.clock->NowUnixSeconds();
  std::lock_guard lock(s.mu);
  auto& tenant_alarms = s.alarms[tenant];
  auto it = tenant_alarms.find(config.name);
  bool created = it == tenant_alarms.end();
  if (created && tenant_alarms.size() >= s.options.max_alarms_per_tenant)
    return ResourceExhaustedError(fmt::format("The maximum number of alarms ({}) is reached.",
                                              s.options.max_alarms_per_tenant));
  Alarm alarm;
  if (!created) alarm = it->second;
  if (created) {
    alarm.arn = s.Arn(tenant, config.name);
    alarm.state = AlarmStateValue::kInsufficientData;
    alarm.state_reason = "Unchecked: Initial alarm creation";
    alarm.state_updated = now;
    alarm.state_transitioned = now;
  }
  alarm.config = std::move(config);
  alarm.configuration_updated = now;
  RG_RETURN_IF_ERROR(s.RememberTenant(tenant));
  RG_RETURN_IF_ERROR(
      s.options.catalog->Put(kAlarmKind, tenant, alarm.config.name, EncodeAlarm(alarm)));
  AlarmHistoryItem item;
  item.alarm_name = alarm.config.name;
  item.timestamp = now;
  item.type = "ConfigurationUpdate";
  item.summary = fmt::format("Alarm \"{}\" {}", alarm.config.name, created ? "created" : "updated");
  item.data = fmt::format(R"({{"version":"1.0","type":"{}"}})", created ? "Create" : "Update");
  tenant_alarms[alarm.config.name] = std::move(alarm);
  return s.AddHistory(tenant, std::move(item));
}

std::vector<Alarm> AlarmEngine::ListAlarms(const model::TenantId& tenant) const {
  std::lock_guard lock(impl_->mu);
  std::vector<Alarm> out;
  auto it = impl_->alarms.find(tenant);
  if (it == impl_->alarms.end()) return out;
  for (const auto& [name, alarm] : it->second) out.push_back(alarm);
  return out;
}

Status AlarmEngine::DeleteAlarms(const model::TenantId& tenant,
                                 const std::vector<std::string>& names) {
  Impl& s = *impl_;
  std::lock_guard lock(s.mu);
  auto& tenant_alarms = s.alarms[tenant];
  for (const std::string& name : names) {
    if (tenant_alarms.erase(name) == 0) continue;
    RG_RETURN_IF_ERROR(s.options.catalog->Delete(kAlarmKind, tenant, name));
    auto& items = s.history[tenant][name];
    for (const auto& [key, item] : items)
      RG_RETURN_IF_ERROR(s.options.catalog->Delete(kHistoryKind, tenant, key));
    s.history[tenant].erase(name);
  }
  return Status();
}

Status AlarmEngine::SetAlarmState(const model::TenantId& tenant, std::string_view name,
                                  AlarmStateValue state, std::string reason,
                                  std::string reason_data) {
  Impl& s = *impl_;
  std::vector<std::pair<std::string, std::string>> deliveries;
  {
    std::lock_guard lock(s.mu);
    auto& tenant_alarms = s.alarms[tenant];
    auto it = tenant_alarms.find(std::string(name));
    if (it == tenant_alarms.end())
      return NotFoundError(fmt::format("Alarm {} does not exist.", name));
    if (it->second.state == state) return Status();
    RG_RETURN_IF_ERROR(s.Transition(tenant, it->second, state, std::move(reason),
                                    std::move(reason_data), s.clock->NowUnixSeconds(),
                                    &deliveries));
  }
  for (auto& [url, body] : deliveries) s.options.deliver(url, body);
  return Status();
}

std::vector<AlarmHistoryItem> AlarmEngine::History(const model::TenantId& tenant,
                                                   std::string_view name, std::string_view type,
                                                   double start, double end) const {
  std::lock_guard lock(impl_->mu);
  std::vector<AlarmHistoryItem> out;
  auto it = impl_->history.find(tenant);
  if (it == impl_->history.end()) return out;
  for (const auto& [alarm_name, items] : it->second) {
    if (!name.empty() && alarm_name != name) continue;
    for (const auto& [key, item] : items) {
      if (!type.empty() && item.type != type) continue;
      if (item.timestamp < start || item.timestamp >= end) continue;
      out.push_back(item);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const AlarmHistoryItem& a, const AlarmHistoryItem& b) {
                     return a.timestamp > b.timestamp;
                   });
  return out;
}

Status AlarmEngine::PutAnomalyDetector(const model::TenantId& tenant,
                                       AnomalyDetectorConfig config) {
  if (config.namespace_name.empty() || config.metric_name.empty())
    return InvalidArgumentError("An anomaly detector needs a Namespace and a MetricName.");
  if (!IsStandardStatistic(config.stat) && !IsExtendedStatistic(config.stat))
    return InvalidArgumentError(fmt::format("The Stat '{}' is not valid.", config.stat));
  SortDimensions(&config.dimensions);
  Impl& s = *impl_;
  std::lock_guard lock(s.mu);
  auto& detectors = s.detectors[tenant];
  std::string key = DetectorKey(config);
  if (detectors.count(key) == 0 && detectors.size() >= s.options.max_anomaly_detectors_per_tenant)
    return ResourceExhaustedError("The maximum number of anomaly detectors is reached.");
  RG_RETURN_IF_ERROR(s.RememberTenant(tenant));
  RG_RETURN_IF_ERROR(s.options.catalog->Put(kDetectorKind, tenant, key, EncodeDetector(config)));
  detectors[key] = std::move(config);
  return Status();
}

std::vector<AnomalyDetectorConfig> AlarmEngine::ListAnomalyDetectors(
    const model::TenantId& tenant) const {
  std::lock_guard lock(impl_->mu);
  std::vector<AnomalyDetectorConfig> out;
  auto it = impl_->detectors.find(tenant);
  if (it == impl_->detectors.end()) return out;
  for (const auto& [key, detector] : it->second) out.push_back(detector);
  return out;
}

Status AlarmEngine::DeleteAnomalyDetector(const model::TenantId& tenant,
                                          const AnomalyDetectorConfig& config) {
  AnomalyDetectorConfig sorted = config;
  SortDimensions(&sorted.dimensions);
  std::string key = DetectorKey(sorted);
  std::lock_guard lock(impl_->mu);
  if (impl_->detectors[tenant].erase(key) == 0)
    return NotFoundError("The anomaly detector does not exist.");
  return impl_->options.catalog->Delete(kDetectorKind, tenant, key);
}

Status AlarmEngine::EvaluateOnce(double now) {
  Impl& s = *impl_;
  std::vector<std::pair<model::TenantId, Alarm>> snapshot;
  {
    std::lock_guard lock(s.mu);
    for (const auto& [tenant, alarms] : s.alarms)
      for (const auto& [name, alarm] : alarms) snapshot.emplace_back(tenant, alarm);
  }
  std::vector<std::pair<std::string, std::string>> deliveries;
  Status first_error;
  for (const auto& [tenant, alarm] : snapshot) {
    const AlarmConfig& c = alarm.config;
    double end = std::floor(now / static_cast<double>(c.period)) * static_cast<double>(c.period);
    Result<std::vector<Slot>> gathered = s.Gather(tenant, c, end);
    if (!gathered.ok()) {
      RG_LOG(kWarning, "alarms: evaluating {}: {}", c.name, gathered.error().message());
      if (first_error.ok()) first_error = gathered.error();
      continue;
    }
    const std::vector<Slot>& slots = *gathered;
    int32_t needed = c.datapoints_to_alarm > 0 ? c.datapoints_to_alarm : c.evaluation_periods;
    std::string treat = c.treat_missing_data.empty() ? "missing" : c.treat_missing_data;
    int breaching = 0, present = 0, missing = 0;
    std::vector<const Slot*> present_slots;  // newest first, for the reason
    for (auto it = slots.rbegin(); it != slots.rend(); ++it) {
      if (!it->value) {
        ++missing;
        if (treat == "breaching") ++breaching;
        continue;
      }
      ++present;
      present_slots.push_back(&*it);
      if (Breaches(c, *it)) ++breaching;
    }
    std::optional<AlarmStateValue> next;
    std::string reason;
    if (present == 0 && (treat == "missing" || treat == "ignore")) {
      if (treat == "missing") {
        next = AlarmStateValue::kInsufficientData;
        reason = fmt::format("Insufficient Data: {} datapoint{} {} unknown.", missing,
                             missing == 1 ? "" : "s", missing == 1 ? "was" : "were");
      }
    } else {
      bool alarming = breaching >= needed;
      next = alarming ? AlarmStateValue::kAlarm : AlarmStateValue::kOk;
      std::string points;
      for (const Slot* slot : present_slots) {
        if (!points.empty()) points += ", ";
        points += fmt::format("{} ({})", Number(*slot->value), ReasonTime(slot->timestamp));
      }
      std::string threshold_text =
          c.threshold ? fmt::format("the threshold ({})", Number(*c.threshold)) : "the band";
      std::string words(OperatorWords(c.comparison_operator));
      if (IsBandOperator(c.comparison_operator)) threshold_text = "thresholds";
      if (present == 0) {
        reason = fmt::format(
            "Threshold Crossed: no datapoints were received for {} period{} and {} missing "
            "datapoint{} {} treated as [{}].",
            missing, missing == 1 ? "" : "s", missing, missing == 1 ? "" : "s",
            missing == 1 ? "was" : "were", treat == "breaching" ? "Breaching" : "NonBreaching");
      } else if (c.evaluation_periods == 1) {
        reason = fmt::format("Threshold Crossed: 1 datapoint [{}] was {}{} {}.", points,
                             alarming ? "" : "not ", words, threshold_text);
      } else if (alarming) {
        reason = fmt::format(
            "Threshold Crossed: {} out of the last {} datapoints [{}] were {} {} (minimum {} "
            "datapoint{} for OK -> ALARM transition).",
            breaching, c.evaluation_periods, points, words, threshold_text, needed,
            needed == 1 ? "" : "s");
      } else {
        reason = fmt::format(
            "Threshold Crossed: {} out of the last {} datapoints [{}] {} not {} {} (minimum {} "
            "datapoint{} for ALARM -> OK transition).",
            c.evaluation_periods - breaching, c.evaluation_periods, points,
            c.evaluation_periods - breaching == 1 ? "was" : "were", words, threshold_text,
            c.evaluation_periods - needed + 1, c.evaluation_periods - needed + 1 == 1 ? "" : "s");
      }
    }
    if (!next || *next == alarm.state) continue;
    // StateReasonData as CloudWatch writes it.
    JsonWriter data;
    data.BeginObject();
    data.Key("version");
    data.String("1.0");
    data.Key("queryDate");
    data.String(IsoTime(now));
    data.Key("startDate");
    data.String(IsoTime(slots.empty() ? end : slots.front().timestamp));
    if (!c.metric_name.empty()) {
      data.Key(c.extended_statistic.empty() ? "statistic" : "extendedStatistic");
      data.String(c.extended_statistic.empty() ? c.statistic : c.extended_statistic);
    }
    data.Key("period");
    data.Int(c.period);
    data.Key("recentDatapoints");
    data.BeginArray();
    for (const Slot& slot : slots)
      if (slot.value) data.Double(*slot.value);
    data.EndArray();
    if (c.threshold) {
      data.Key("threshold");
      data.Double(*c.threshold);
    }
    data.Key("evaluatedDatapoints");
    data.BeginArray();
    for (auto it = slots.rbegin(); it != slots.rend(); ++it) {
      data.BeginObject();
      data.Key("timestamp");
      data.String(IsoTime(it->timestamp));
      if (it->value) {
        if (it->sample_count > 0) {
          data.Key("sampleCount");
          data.Double(it->sample_count);
        }
        data.Key("value");
        data.Double(*it->value);
      }
      data.EndObject();
    }
    data.EndArray();
    data.EndObject();
    std::lock_guard lock(s.mu);
    auto& tenant_alarms = s.alarms[tenant];
    auto current = tenant_alarms.find(c.name);
    // Skip alarms deleted or reconfigured while this evaluation ran.
    if (current == tenant_alarms.end() ||
        current->second.configuration_updated != alarm.configuration_updated ||
        current->second.state != alarm.state)
      continue;
    Status status = s.Transition(tenant, current->second, *next, std::move(reason), data.Release(),
                                 now, &deliveries);
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  for (auto& [url, body] : deliveries) s.options.deliver(url, body);
  return first_error;
}

void AlarmEngine::Start() {
  Impl& s = *impl_;
  // Ticks every second and runs when the injected clock says the period has passed.
  s.job.Start(
      std::chrono::seconds(1),
      [&s, this, last_run = 0.0]() mutable {
        double now = s.clock->NowUnixSeconds();
        if (now - last_run < s.options.evaluation_interval_seconds) return;
        last_run = now;
        Status status = EvaluateOnce(now);
        if (!status.ok()) RG_LOG(kWarning, "alarms: evaluation: {}", status.message());
      },
      PeriodicThread::FirstTick::kImmediately);
}

void AlarmEngine::Shutdown() { impl_->job.Stop(); }

}  // namespace roentgen::metrics
