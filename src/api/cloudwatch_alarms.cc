// SPDX-License-Identifier: Apache-2.0
// PutMetricAlarm, DescribeAlarms, DescribeAlarmHistory, DeleteAlarms, SetAlarmState and the
// anomaly-detector operations, over metrics::AlarmEngine.

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "api/internal/cloudwatch.h"

namespace roentgen::api::internal {
namespace {

CwOut StringList(const std::vector<std::string>& values) {
  CwOut list = CwOut::Array();
  for (const std::string& value : values) list.Push(CwOut::String(value));
  return list;
}

CwOut AlarmOut(const metrics::Alarm& alarm) {
  const metrics::AlarmConfig& c = alarm.config;
  CwOut out = CwOut::Object();
  out.Add("AlarmName", CwOut::String(c.name));
  out.Add("AlarmArn", CwOut::String(alarm.arn));
  if (!c.description.empty()) out.Add("AlarmDescription", CwOut::String(c.description));
  out.Add("AlarmConfigurationUpdatedTimestamp", CwOut::Time(alarm.configuration_updated));
  out.Add("ActionsEnabled", CwOut::Bool(c.actions_enabled));
  out.Add("OKActions", StringList(c.ok_actions));
  out.Add("AlarmActions", StringList(c.alarm_actions));
  out.Add("InsufficientDataActions", StringList(c.insufficient_data_actions));
  out.Add("StateValue", CwOut::String(std::string(metrics::AlarmStateName(alarm.state))));
  out.Add("StateReason", CwOut::String(alarm.state_reason));
  if (!alarm.state_reason_data.empty())
    out.Add("StateReasonData", CwOut::String(alarm.state_reason_data));
  out.Add("StateUpdatedTimestamp", CwOut::Time(alarm.state_updated));
  if (!c.metric_name.empty()) {
    out.Add("MetricName", CwOut::String(c.metric_name));
    out.Add("Namespace", CwOut::String(c.namespace_name));
    if (!c.statistic.empty()) out.Add("Statistic", CwOut::String(c.statistic));
    if (!c.extended_statistic.empty())
      out.Add("ExtendedStatistic", CwOut::String(c.extended_statistic));
    WriteDimensions(out, c.dimensions);
    out.Add("Period", CwOut::Int(c.period));
    if (!c.unit.empty()) out.Add("Unit", CwOut::String(c.unit));
  } else {
    out.Add("Dimensions", CwOut::Array());
  }
  out.Add("EvaluationPeriods", CwOut::Int(c.evaluation_periods));
  if (c.datapoints_to_alarm > 0) out.Add("DatapointsToAlarm", CwOut::Int(c.datapoints_to_alarm));
  if (c.threshold) out.Add("Threshold", CwOut::Number(*c.threshold));
  out.Add("ComparisonOperator", CwOut::String(c.comparison_operator));
  if (!c.treat_missing_data.empty())
    out.Add("TreatMissingData", CwOut::String(c.treat_missing_data));
  if (!c.evaluate_low_sample_count_percentile.empty())
    out.Add("EvaluateLowSampleCountPercentile",
            CwOut::String(c.evaluate_low_sample_count_percentile));
  if (!c.metrics.empty()) WriteMetricDataQueries(out, c.metrics);
  if (!c.threshold_metric_id.empty())
    out.Add("ThresholdMetricId", CwOut::String(c.threshold_metric_id));
  out.Add("StateTransitionedTimestamp", CwOut::Time(alarm.state_transitioned));
  return out;
}

bool ReadDetector(CwCall& call, const parse::JsonValue& in, metrics::AnomalyDetectorConfig* d) {
  const parse::JsonValue* single = in.Find("SingleMetricAnomalyDetector");
  const parse::JsonValue& source = single != nullptr && single->is_object() ? *single : in;
  std::optional<std::string> namespace_name, name, stat;
  if (!ReadString(call, source, "Namespace", &namespace_name) ||
      !ReadString(call, source, "MetricName", &name) || !ReadString(call, source, "Stat", &stat) ||
      !ReadDimensions(call, source, "Dimensions", &d->dimensions))
    return false;
  if (in.Find("MetricMathAnomalyDetector") != nullptr)
    return call.Invalid("MetricMathAnomalyDetector is not supported; use a single metric.");
  if (!namespace_name) return call.Missing("Namespace");
  if (!name) return call.Missing("MetricName");
  if (!stat) return call.Missing("Stat");
  d->namespace_name = *namespace_name;
  d->metric_name = *name;
  d->stat = *stat;
  if (const parse::JsonValue* config = in.Find("Configuration");
      config != nullptr && config->is_object()) {
    std::optional<std::string> timezone;
    if (!ReadString(call, *config, "MetricTimezone", &timezone)) return false;
    d->metric_timezone = timezone.value_or("");
    std::vector<const parse::JsonValue*> ranges;
    if (!ReadList(call, *config, "ExcludedTimeRanges", &ranges)) return false;
    for (const parse::JsonValue* range : ranges) {
      std::optional<double> start, end;
      if (!range->is_object() || !ReadTime(call, *range, "StartTime", &start) ||
          !ReadTime(call, *range, "EndTime", &end))
        return call.error ? false : call.Invalid("ExcludedTimeRanges must hold ranges.");
      if (!start || !end) return call.Missing("ExcludedTimeRanges.member.N.StartTime and EndTime");
      d->excluded_ranges.emplace_back(*start, *end);
    }
  }
  return true;
}

}  // namespace

bool CwPutMetricAlarm(CwCall& call, const parse::JsonValue& in, CwOut* /*out*/) {
  metrics::AlarmConfig c;
  std::optional<std::string> name, description, namespace_name, metric_name, statistic, extended,
      unit, op, treat, low_sample, threshold_metric_id;
  std::optional<bool> actions_enabled;
  std::optional<int64_t> period, evaluation_periods, datapoints;
  std::optional<double> threshold;
  if (!ReadString(call, in, "AlarmName", &name) ||
      !ReadString(call, in, "AlarmDescription", &description) ||
      !ReadString(call, in, "Namespace", &namespace_name) ||
      !ReadString(call, in, "MetricName", &metric_name) ||
      !ReadString(call, in, "Statistic", &statistic) ||
      !ReadString(call, in, "ExtendedStatistic", &extended) ||
      !ReadString(call, in, "Unit", &unit) || !ReadString(call, in, "ComparisonOperator", &op) ||
      !ReadString(call, in, "TreatMissingData", &treat) ||
      !ReadString(call, in, "EvaluateLowSampleCountPercentile", &low_sample) ||
      !ReadString(call, in, "ThresholdMetricId", &threshold_metric_id) ||
      !ReadBool(call, in, "ActionsEnabled", &actions_enabled) ||
      !ReadInt(call, in, "Period", &period) ||
      !ReadInt(call, in, "EvaluationPeriods", &evaluation_periods) ||
      !ReadInt(call, in, "DatapointsToAlarm", &datapoints) ||
      !ReadNumber(call, in, "Threshold", &threshold) ||
      !ReadStringList(call, in, "OKActions", &c.ok_actions) ||
      !ReadStringList(call, in, "AlarmActions", &c.alarm_actions) ||
      !ReadStringList(call, in, "InsufficientDataActions", &c.insufficient_data_actions) ||
      !ReadDimensions(call, in, "Dimensions", &c.dimensions) ||
      !ReadMetricDataQueries(call, in, "Metrics", &c.metrics))
    return false;
  if (!name) return call.Missing("AlarmName");
  if (!evaluation_periods) return call.Missing("EvaluationPeriods");
  if (!op) return call.Missing("ComparisonOperator");
  std::vector<const parse::JsonValue*> tags;
  if (!ReadList(call, in, "Tags", &tags)) return false;
  for (const parse::JsonValue* tag : tags) {
    std::optional<std::string> key, value;
    if (!tag->is_object() || !ReadString(call, *tag, "Key", &key) ||
        !ReadString(call, *tag, "Value", &value))
      return call.error ? false : call.Invalid("Tags must hold Key/Value structures.");
    if (!key) return call.Missing("Tags.member.N.Key");
    c.tags.emplace_back(*key, value.value_or(""));
  }
  c.name = *name;
  c.description = description.value_or("");
  c.actions_enabled = actions_enabled.value_or(true);
  c.namespace_name = namespace_name.value_or("");
  c.metric_name = metric_name.value_or("");
  c.statistic = statistic.value_or("");
  c.extended_statistic = extended.value_or("");
  c.unit = unit.value_or("");
  c.period = period.value_or(0);
  if (*evaluation_periods < 1 || *evaluation_periods > 100000)
    return call.Invalid("The parameter EvaluationPeriods must be at least 1.");
  c.evaluation_periods = static_cast<int32_t>(*evaluation_periods);
  if (datapoints) {
    if (*datapoints < 1 || *datapoints > *evaluation_periods)
      return call.Invalid("DatapointsToAlarm must be between 1 and EvaluationPeriods.");
    c.datapoints_to_alarm = static_cast<int32_t>(*datapoints);
  }
  c.threshold = threshold;
  c.comparison_operator = *op;
  c.treat_missing_data = treat.value_or("");
  c.evaluate_low_sample_count_percentile = low_sample.value_or("");
  c.threshold_metric_id = threshold_metric_id.value_or("");
  if (!c.metric_name.empty() && !c.metrics.empty())
    return call.Combination("MetricName and Metrics cannot both be given.");
  if (!c.statistic.empty() && !c.extended_statistic.empty())
    return call.Combination("Statistic and ExtendedStatistic cannot both be given.");
  if (!c.metric_name.empty() && !period) return call.Missing("Period");
  Status status = call.services.alarms->PutAlarm(call.tenant, std::move(c));
  if (!status.ok()) return call.FailStatus(status);
  return true;
}

bool CwDescribeAlarms(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  std::vector<std::string> names, types;
  std::optional<std::string> prefix, state, action_prefix, token, children, parents;
  std::optional<int64_t> max_records;
  if (!ReadStringList(call, in, "AlarmNames", &names) ||
      !ReadStringList(call, in, "AlarmTypes", &types) ||
      !ReadString(call, in, "AlarmNamePrefix", &prefix) ||
      !ReadString(call, in, "StateValue", &state) ||
      !ReadString(call, in, "ActionPrefix", &action_prefix) ||
      !ReadString(call, in, "NextToken", &token) ||
      !ReadString(call, in, "ChildrenOfAlarmName", &children) ||
      !ReadString(call, in, "ParentsOfAlarmName", &parents) ||
      !ReadInt(call, in, "MaxRecords", &max_records))
    return false;
  if (names.size() > 100) return call.Invalid("At most 100 AlarmNames may be given.");
  if (!names.empty() && prefix)
    return call.Combination("AlarmNames and AlarmNamePrefix cannot both be given.");
  if (state && !metrics::ParseAlarmState(*state))
    return call.Invalid("StateValue must be OK, ALARM or INSUFFICIENT_DATA.");
  if (max_records && (*max_records < 1 || *max_records > 100))
    return call.Invalid("MaxRecords must be between 1 and 100.");
  size_t limit = static_cast<size_t>(max_records.value_or(50));
  bool metric_alarms =
      types.empty() || std::find(types.begin(), types.end(), "MetricAlarm") != types.end();
  CwOut& list = out->Add("MetricAlarms", CwOut::Array());
  out->Add("CompositeAlarms", CwOut::Array());
  if (!metric_alarms || children || parents) return true;
  std::string last;
  for (const metrics::Alarm& alarm : call.services.alarms->ListAlarms(call.tenant)) {
    const metrics::AlarmConfig& c = alarm.config;
    if (token && c.name <= *token) continue;
    if (!names.empty() && std::find(names.begin(), names.end(), c.name) == names.end()) continue;
    if (prefix && !c.name.starts_with(*prefix)) continue;
    if (state && metrics::AlarmStateName(alarm.state) != *state) continue;
    if (action_prefix) {
      bool matched = false;
      for (const auto* actions : {&c.ok_actions, &c.alarm_actions, &c.insufficient_data_actions})
        for (const std::string& action : *actions) matched |= action.starts_with(*action_prefix);
      if (!matched) continue;
    }
    if (list.items.size() == limit) {
      out->Add("NextToken", CwOut::String(last));
      break;
    }
    list.Push(AlarmOut(alarm));
    last = c.name;
  }
  return true;
}

bool CwDescribeAlarmHistory(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  std::optional<std::string> name, type, token, scan_by;
  std::optional<double> start, end;
  std::optional<int64_t> max_records;
  std::vector<std::string> types;
  if (!ReadString(call, in, "AlarmName", &name) ||
      !ReadString(call, in, "HistoryItemType", &type) ||
      !ReadString(call, in, "NextToken", &token) || !ReadString(call, in, "ScanBy", &scan_by) ||
      !ReadTime(call, in, "StartDate", &start) || !ReadTime(call, in, "EndDate", &end) ||
      !ReadInt(call, in, "MaxRecords", &max_records) ||
      !ReadStringList(call, in, "AlarmTypes", &types))
    return false;
  if (type && *type != "ConfigurationUpdate" && *type != "StateUpdate" && *type != "Action")
    return call.Invalid("HistoryItemType must be ConfigurationUpdate, StateUpdate or Action.");
  if (max_records && (*max_records < 1 || *max_records > 100))
    return call.Invalid("MaxRecords must be between 1 and 100.");
  size_t offset = 0;
  if (token) {
    auto [ptr, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
    if (ec != std::errc() || ptr != token->data() + token->size())
      return call.Fail(
          {"InvalidNextToken", "InvalidNextToken", 400, "The NextToken is invalid.", {}});
  }
  std::vector<metrics::AlarmHistoryItem> items = call.services.alarms->History(
      call.tenant, name.value_or(""), type.value_or(""), start.value_or(0), end.value_or(1e18));
  if (scan_by && *scan_by == "TimestampAscending") std::reverse(items.begin(), items.end());
  size_t limit = static_cast<size_t>(max_records.value_or(100));
  CwOut& list = out->Add("AlarmHistoryItems", CwOut::Array());
  for (size_t item_idx = offset; item_idx < items.size(); ++item_idx) {
    if (list.items.size() == limit) {
      out->Add("NextToken", CwOut::String(std::to_string(item_idx)));
      break;
    }
    const metrics::AlarmHistoryItem& item = items[item_idx];
    CwOut& entry = list.Push(CwOut::Object());
    entry.Add("AlarmName", CwOut::String(item.alarm_name));
    entry.Add("AlarmType", CwOut::String(item.alarm_type));
    entry.Add("Timestamp", CwOut::Time(item.timestamp));
    entry.Add("HistoryItemType", CwOut::String(item.type));
    entry.Add("HistorySummary", CwOut::String(item.summary));
    entry.Add("HistoryData", CwOut::String(item.data));
  }
  return true;
}

bool CwDeleteAlarms(CwCall& call, const parse::JsonValue& in, CwOut* /*out*/) {
  std::vector<std::string> names;
  if (!ReadStringList(call, in, "AlarmNames", &names)) return false;
  if (names.empty()) return call.Missing("AlarmNames");
  if (names.size() > 100) return call.Invalid("At most 100 AlarmNames may be given.");
  Status status = call.services.alarms->DeleteAlarms(call.tenant, names);
  if (!status.ok()) return call.FailStatus(status);
  return true;
}

bool CwSetAlarmState(CwCall& call, const parse::JsonValue& in, CwOut* /*out*/) {
  std::optional<std::string> name, state, reason, reason_data;
  if (!ReadString(call, in, "AlarmName", &name) || !ReadString(call, in, "StateValue", &state) ||
      !ReadString(call, in, "StateReason", &reason) ||
      !ReadString(call, in, "StateReasonData", &reason_data))
    return false;
  if (!name) return call.Missing("AlarmName");
  if (!state) return call.Missing("StateValue");
  if (!reason) return call.Missing("StateReason");
  std::optional<metrics::AlarmStateValue> value = metrics::ParseAlarmState(*state);
  if (!value) return call.Invalid("StateValue must be OK, ALARM or INSUFFICIENT_DATA.");
  if (reason_data && !reason_data->empty() && !parse::ParseJson(*reason_data, 32).ok())
    return call.Fail({"InvalidFormatFault",
                      "InvalidFormat",
                      400,
                      "StateReasonData must be a valid JSON document.",
                      {}});
  Status status = call.services.alarms->SetAlarmState(call.tenant, *name, *value, *reason,
                                                      reason_data.value_or(""));
  if (!status.ok()) return call.FailStatus(status);
  return true;
}

bool CwPutAnomalyDetector(CwCall& call, const parse::JsonValue& in, CwOut* /*out*/) {
  metrics::AnomalyDetectorConfig detector;
  if (!ReadDetector(call, in, &detector)) return false;
  Status status = call.services.alarms->PutAnomalyDetector(call.tenant, std::move(detector));
  if (!status.ok()) return call.FailStatus(status);
  return true;
}

bool CwDeleteAnomalyDetector(CwCall& call, const parse::JsonValue& in, CwOut* /*out*/) {
  metrics::AnomalyDetectorConfig detector;
  if (!ReadDetector(call, in, &detector)) return false;
  Status status = call.services.alarms->DeleteAnomalyDetector(call.tenant, detector);
  if (!status.ok()) return call.FailStatus(status);
  return true;
}

bool CwDescribeAnomalyDetectors(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  std::optional<std::string> namespace_name, name;
  std::vector<metrics::Dimension> dimensions;
  if (!ReadString(call, in, "Namespace", &namespace_name) ||
      !ReadString(call, in, "MetricName", &name) ||
      !ReadDimensions(call, in, "Dimensions", &dimensions))
    return false;
  CwOut& list = out->Add("AnomalyDetectors", CwOut::Array());
  for (const metrics::AnomalyDetectorConfig& d :
       call.services.alarms->ListAnomalyDetectors(call.tenant)) {
    if (namespace_name && d.namespace_name != *namespace_name) continue;
    if (name && d.metric_name != *name) continue;
    bool dims_match = std::all_of(dimensions.begin(), dimensions.end(), [&](const auto& want) {
      return std::find(d.dimensions.begin(), d.dimensions.end(), want) != d.dimensions.end();
    });
    if (!dims_match) continue;
    CwOut& item = list.Push(CwOut::Object());
    item.Add("Namespace", CwOut::String(d.namespace_name));
    item.Add("MetricName", CwOut::String(d.metric_name));
    WriteDimensions(item, d.dimensions);
    item.Add("Stat", CwOut::String(d.stat));
    CwOut& config = item.Add("Configuration", CwOut::Object());
    CwOut& ranges = config.Add("ExcludedTimeRanges", CwOut::Array());
    for (const auto& [start, end] : d.excluded_ranges) {
      CwOut& range = ranges.Push(CwOut::Object());
      range.Add("StartTime", CwOut::Time(start));
      range.Add("EndTime", CwOut::Time(end));
    }
    if (!d.metric_timezone.empty()) config.Add("MetricTimezone", CwOut::String(d.metric_timezone));
    // The model is trained from the stored history whenever a band is computed.
    item.Add("StateValue", CwOut::String("TRAINED"));
    CwOut& single = item.Add("SingleMetricAnomalyDetector", CwOut::Object());
    single.Add("Namespace", CwOut::String(d.namespace_name));
    single.Add("MetricName", CwOut::String(d.metric_name));
    WriteDimensions(single, d.dimensions);
    single.Add("Stat", CwOut::String(d.stat));
  }
  return true;
}

}  // namespace roentgen::api::internal
