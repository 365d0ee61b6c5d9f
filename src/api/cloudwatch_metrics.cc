// SPDX-License-Identifier: Apache-2.0
// PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics (xray-protocol.md §7.5).

#include <cmath>

#include <fmt/format.h>

#include "api/internal/cloudwatch.h"

namespace roentgen::api::internal {
namespace {

constexpr size_t kMaxStatisticsDatapoints = 1440;

bool ReadDoubles(CwCall& call, const parse::JsonValue& in, std::string_view key,
                 std::vector<double>* out) {
  std::vector<const parse::JsonValue*> items;
  if (!ReadList(call, in, key, &items)) return false;
  for (const parse::JsonValue* item : items) {
    parse::JsonValue wrapper = parse::JsonValue::Object();
    wrapper.AddMember(std::string(key), *item);
    std::optional<double> value;
    if (!ReadNumber(call, wrapper, key, &value)) return false;
    if (value) out->push_back(*value);
  }
  return true;
}

bool ReadDatum(CwCall& call, const parse::JsonValue& item, const std::string& namespace_name,
               size_t datum_idx, metrics::MetricDatum* datum) {
  std::string field = fmt::format("MetricData.member.{}", datum_idx + 1);
  if (!item.is_object()) return call.Invalid("The parameter " + field + " must be a structure.");
  datum->namespace_name = namespace_name;
  std::optional<std::string> name, unit;
  std::optional<double> timestamp, value;
  std::optional<int64_t> resolution;
  if (!ReadString(call, item, "MetricName", &name) || !ReadString(call, item, "Unit", &unit) ||
      !ReadTime(call, item, "Timestamp", &timestamp) || !ReadNumber(call, item, "Value", &value) ||
      !ReadInt(call, item, "StorageResolution", &resolution) ||
      !ReadDimensions(call, item, "Dimensions", &datum->dimensions) ||
      !ReadDoubles(call, item, "Values", &datum->values) ||
      !ReadDoubles(call, item, "Counts", &datum->counts))
    return false;
  if (!name) return call.Missing(field + ".MetricName");
  datum->metric_name = *name;
  datum->unit = unit.value_or("");
  datum->timestamp = timestamp.value_or(call.now);
  datum->value = value;
  if (resolution) {
    if (*resolution != 1 && *resolution != 60)
      return call.Invalid("The parameter " + field + ".StorageResolution must be 1 or 60.");
    datum->storage_resolution = static_cast<int32_t>(*resolution);
  }
  if (const parse::JsonValue* set = item.Find("StatisticValues");
      set != nullptr && !set->is_null()) {
    if (!set->is_object())
      return call.Invalid("The parameter " + field + ".StatisticValues must be a structure.");
    std::optional<double> count, sum, minimum, maximum;
    if (!ReadNumber(call, *set, "SampleCount", &count) || !ReadNumber(call, *set, "Sum", &sum) ||
        !ReadNumber(call, *set, "Minimum", &minimum) ||
        !ReadNumber(call, *set, "Maximum", &maximum))
      return false;
    if (!count || !sum || !minimum || !maximum)
      return call.Missing(field + ".StatisticValues.SampleCount, Sum, Minimum and Maximum");
    datum->statistic_set = metrics::StatisticSet{*count, *sum, *minimum, *maximum};
  }
  return true;
}

CwOut MetricOut(const metrics::MetricId& metric) {
  CwOut out = CwOut::Object();
  out.Add("Namespace", CwOut::String(metric.namespace_name));
  out.Add("MetricName", CwOut::String(metric.metric_name));
  WriteDimensions(out, metric.dimensions);
  return out;
}

bool ReadMetric(CwCall& call, const parse::JsonValue& in, std::string_view prefix,
                metrics::MetricId* metric) {
  std::optional<std::string> namespace_name, name;
  if (!ReadString(call, in, "Namespace", &namespace_name) ||
      !ReadString(call, in, "MetricName", &name) ||
      !ReadDimensions(call, in, "Dimensions", &metric->dimensions))
    return false;
  if (!namespace_name) return call.Missing(std::string(prefix) + "Namespace");
  if (!name) return call.Missing(std::string(prefix) + "MetricName");
  metric->namespace_name = *namespace_name;
  metric->metric_name = *name;
  return true;
}

}  // namespace

bool ReadDimensions(CwCall& call, const parse::JsonValue& in, std::string_view key,
                    std::vector<metrics::Dimension>* out) {
  std::vector<const parse::JsonValue*> items;
  if (!ReadList(call, in, key, &items)) return false;
  if (items.size() > metrics::kMaxDimensions)
    return call.Invalid(
        fmt::format("The collection {} must not have a size greater than 30.", key));
  out->clear();
  for (const parse::JsonValue* item : items) {
    if (!item->is_object()) return call.Invalid(fmt::format("{} must hold structures.", key));
    std::optional<std::string> name, value;
    if (!ReadString(call, *item, "Name", &name) || !ReadString(call, *item, "Value", &value))
      return false;
    if (!name || !value) return call.Missing(fmt::format("{}.member.N.Name and Value", key));
    out->push_back({*name, *value});
  }
  return true;
}

void WriteDimensions(CwOut& parent, const std::vector<metrics::Dimension>& dimensions) {
  CwOut& list = parent.Add("Dimensions", CwOut::Array());
  for (const metrics::Dimension& dimension : dimensions) {
    CwOut& item = list.Push(CwOut::Object());
    item.Add("Name", CwOut::String(dimension.name));
    item.Add("Value", CwOut::String(dimension.value));
  }
}

bool ReadMetricDataQueries(CwCall& call, const parse::JsonValue& in, std::string_view key,
                           std::vector<metrics::MetricDataQuery>* out) {
  std::vector<const parse::JsonValue*> items;
  if (!ReadList(call, in, key, &items)) return false;
  for (const parse::JsonValue* item : items) {
    if (!item->is_object()) return call.Invalid(fmt::format("{} must hold structures.", key));
    metrics::MetricDataQuery query;
    std::optional<std::string> id, expression, label;
    std::optional<bool> return_data;
    std::optional<int64_t> period;
    if (!ReadString(call, *item, "Id", &id) ||
        !ReadString(call, *item, "Expression", &expression) ||
        !ReadString(call, *item, "Label", &label) ||
        !ReadBool(call, *item, "ReturnData", &return_data) ||
        !ReadInt(call, *item, "Period", &period))
      return false;
    if (!id) return call.Missing(fmt::format("{}.member.N.Id", key));
    query.id = *id;
    query.expression = expression.value_or("");
    query.label = label.value_or("");
    query.return_data = return_data.value_or(true);
    query.period = period.value_or(0);
    if (const parse::JsonValue* stat = item->Find("MetricStat");
        stat != nullptr && !stat->is_null()) {
      if (!stat->is_object()) return call.Invalid("MetricStat must be a structure.");
      metrics::MetricStat metric_stat;
      const parse::JsonValue* metric = stat->Find("Metric");
      if (metric == nullptr || !metric->is_object()) return call.Missing("MetricStat.Metric");
      std::optional<int64_t> stat_period;
      std::optional<std::string> stat_name, unit;
      if (!ReadMetric(call, *metric, "MetricStat.Metric.", &metric_stat.metric) ||
          !ReadInt(call, *stat, "Period", &stat_period) ||
          !ReadString(call, *stat, "Stat", &stat_name) || !ReadString(call, *stat, "Unit", &unit))
        return false;
      if (!stat_period) return call.Missing("MetricStat.Period");
      if (!stat_name) return call.Missing("MetricStat.Stat");
      metric_stat.period = *stat_period;
      metric_stat.stat = *stat_name;
      metric_stat.unit = unit.value_or("");
      query.metric_stat = std::move(metric_stat);
    }
    out->push_back(std::move(query));
  }
  return true;
}

void WriteMetricDataQueries(CwOut& parent, const std::vector<metrics::MetricDataQuery>& queries) {
  CwOut& list = parent.Add("Metrics", CwOut::Array());
  for (const metrics::MetricDataQuery& query : queries) {
    CwOut& item = list.Push(CwOut::Object());
    item.Add("Id", CwOut::String(query.id));
    if (query.metric_stat) {
      CwOut& stat = item.Add("MetricStat", CwOut::Object());
      stat.Add("Metric", MetricOut(query.metric_stat->metric));
      stat.Add("Period", CwOut::Int(query.metric_stat->period));
      stat.Add("Stat", CwOut::String(query.metric_stat->stat));
      if (!query.metric_stat->unit.empty())
        stat.Add("Unit", CwOut::String(query.metric_stat->unit));
    }
    if (!query.expression.empty()) item.Add("Expression", CwOut::String(query.expression));
    if (!query.label.empty()) item.Add("Label", CwOut::String(query.label));
    item.Add("ReturnData", CwOut::Bool(query.return_data));
    if (query.period > 0) item.Add("Period", CwOut::Int(query.period));
  }
}

bool CwPutMetricData(CwCall& call, const parse::JsonValue& in, CwOut* /*out*/) {
  std::optional<std::string> namespace_name;
  if (!ReadString(call, in, "Namespace", &namespace_name)) return false;
  if (!namespace_name) return call.Missing("Namespace");
  std::vector<const parse::JsonValue*> items;
  if (!ReadList(call, in, "MetricData", &items)) return false;
  // EntityMetricData carries more datums; the entity itself is accepted and not stored.
  std::vector<const parse::JsonValue*> entities;
  if (!ReadList(call, in, "EntityMetricData", &entities)) return false;
  for (const parse::JsonValue* entity : entities) {
    if (!entity->is_object()) return call.Invalid("EntityMetricData must hold structures.");
    std::vector<const parse::JsonValue*> more;
    if (!ReadList(call, *entity, "MetricData", &more)) return false;
    items.insert(items.end(), more.begin(), more.end());
  }
  if (items.empty()) return call.Missing("MetricData");
  if (items.size() > metrics::kMaxDatumsPerPut)
    return call.Invalid("The collection MetricData must not have a size greater than 1000.");
  std::vector<metrics::MetricDatum> data(items.size());
  for (size_t datum_idx = 0; datum_idx < items.size(); ++datum_idx)
    if (!ReadDatum(call, *items[datum_idx], *namespace_name, datum_idx, &data[datum_idx]))
      return false;
  Status status = call.services.metrics->Put(call.tenant, data);
  if (!status.ok()) return call.FailStatus(status);
  return true;
}

bool CwGetMetricStatistics(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  metrics::MetricId metric;
  std::optional<double> start, end;
  std::optional<int64_t> period;
  std::optional<std::string> unit;
  std::vector<std::string> statistics, extended;
  if (!ReadMetric(call, in, "", &metric) || !ReadTime(call, in, "StartTime", &start) ||
      !ReadTime(call, in, "EndTime", &end) || !ReadInt(call, in, "Period", &period) ||
      !ReadString(call, in, "Unit", &unit) ||
      !ReadStringList(call, in, "Statistics", &statistics) ||
      !ReadStringList(call, in, "ExtendedStatistics", &extended))
    return false;
  if (!start) return call.Missing("StartTime");
  if (!end) return call.Missing("EndTime");
  if (!period) return call.Missing("Period");
  if (*period < 1) return call.Invalid("The parameter Period must be at least 1.");
  if (*period % 60 != 0 && *period != 1 && *period != 5 && *period != 10 && *period != 30)
    return call.Invalid("The parameter Period must be 1, 5, 10, 30 or a multiple of 60.");
  if (!(*end > *start))
    return call.Invalid("The parameter StartTime must be less than the parameter EndTime.");
  if (statistics.empty() && extended.empty())
    return call.Combination("Must specify either Statistics or ExtendedStatistics.");
  if (statistics.size() > 5 || extended.size() > 10)
    return call.Invalid("At most 5 Statistics and 10 ExtendedStatistics may be given.");
  for (const std::string& s : statistics)
    if (!metrics::IsStandardStatistic(s))
      return call.Invalid(fmt::format("The parameter Statistics has an invalid value '{}'.", s));
  for (const std::string& s : extended)
    if (!metrics::IsExtendedStatistic(s))
      return call.Invalid(
          fmt::format("The parameter ExtendedStatistics has an invalid value '{}'.", s));
  if (unit && !metrics::IsStandardUnit(*unit))
    return call.Invalid(fmt::format("The parameter Unit has an invalid value '{}'.", *unit));
  double requested = std::ceil((*end - *start) / static_cast<double>(*period));
  if (requested > static_cast<double>(kMaxStatisticsDatapoints))
    return call.Combination(fmt::format(
        "You have requested up to {} datapoints, which exceeds the limit of 1,440. You may "
        "reduce the datapoints requested by increasing Period, or decreasing the time range.",
        requested));
  auto points =
      call.services.metrics->Query(call.tenant, metric, *start, *end, *period, unit.value_or(""));
  if (!points.ok()) return call.FailStatus(points.error());
  out->Add("Label", CwOut::String(metric.metric_name));
  CwOut& list = out->Add("Datapoints", CwOut::Array());
  for (const metrics::Datapoint& point : *points) {
    CwOut& item = list.Push(CwOut::Object());
    item.Add("Timestamp", CwOut::Time(point.timestamp));
    for (const std::string& s : statistics)
      if (auto value = point.aggregate.Statistic(s)) item.Add(s, CwOut::Number(*value));
    item.Add("Unit", CwOut::String(point.aggregate.unit.empty() ? "None" : point.aggregate.unit));
    if (!extended.empty()) {
      CwOut& map = item.Add("ExtendedStatistics", CwOut::Map());
      for (const std::string& s : extended)
        if (auto value = point.aggregate.Statistic(s)) map.Add(s, CwOut::Number(*value));
    }
  }
  return true;
}

bool CwGetMetricData(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  metrics::GetMetricDataRequest request;
  std::optional<double> start, end;
  std::optional<std::string> scan_by, token;
  std::optional<int64_t> max_datapoints;
  if (!ReadMetricDataQueries(call, in, "MetricDataQueries", &request.queries) ||
      !ReadTime(call, in, "StartTime", &start) || !ReadTime(call, in, "EndTime", &end) ||
      !ReadString(call, in, "ScanBy", &scan_by) || !ReadString(call, in, "NextToken", &token) ||
      !ReadInt(call, in, "MaxDatapoints", &max_datapoints))
    return false;
  if (request.queries.empty()) return call.Missing("MetricDataQueries");
  if (!start) return call.Missing("StartTime");
  if (!end) return call.Missing("EndTime");
  if (scan_by && *scan_by != "TimestampDescending" && *scan_by != "TimestampAscending")
    return call.Invalid("ScanBy must be TimestampDescending or TimestampAscending.");
  request.start = *start;
  request.end = *end;
  request.scan_ascending = scan_by && *scan_by == "TimestampAscending";
  if (max_datapoints) {
    if (*max_datapoints < 1) return call.Invalid("MaxDatapoints must be at least 1.");
    request.max_datapoints = static_cast<size_t>(*max_datapoints);
  }
  request.next_token = token.value_or("");
  auto response = call.services.metrics->GetMetricData(call.tenant, request);
  if (!response.ok()) {
    if (response.error().message().find("NextToken") != std::string::npos)
      return call.Fail({"InvalidNextToken",
                        "InvalidNextToken",
                        400,
                        std::string(response.error().message()),
                        {}});
    return call.FailStatus(response.error());
  }
  CwOut& results = out->Add("MetricDataResults", CwOut::Array());
  for (const metrics::MetricDataResult& result : response->results) {
    CwOut& item = results.Push(CwOut::Object());
    item.Add("Id", CwOut::String(result.id));
    item.Add("Label", CwOut::String(result.label));
    CwOut& timestamps = item.Add("Timestamps", CwOut::Array());
    for (double t : result.timestamps) timestamps.Push(CwOut::Time(t));
    CwOut& values = item.Add("Values", CwOut::Array());
    for (double v : result.values) values.Push(CwOut::Number(v));
    item.Add("StatusCode", CwOut::String(result.status_code));
  }
  if (!response->next_token.empty()) out->Add("NextToken", CwOut::String(response->next_token));
  CwOut& messages = out->Add("Messages", CwOut::Array());
  for (const auto& [code, value] : response->messages) {
    CwOut& item = messages.Push(CwOut::Object());
    item.Add("Code", CwOut::String(code));
    item.Add("Value", CwOut::String(value));
  }
  return true;
}

bool CwListMetrics(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  metrics::ListMetricsRequest request;
  std::optional<std::string> namespace_name, name, token, recently_active;
  std::vector<const parse::JsonValue*> filters;
  if (!ReadString(call, in, "Namespace", &namespace_name) ||
      !ReadString(call, in, "MetricName", &name) || !ReadString(call, in, "NextToken", &token) ||
      !ReadString(call, in, "RecentlyActive", &recently_active) ||
      !ReadList(call, in, "Dimensions", &filters))
    return false;
  if (filters.size() > 10)
    return call.Invalid("The collection Dimensions must not have a size greater than 10.");
  for (const parse::JsonValue* filter : filters) {
    if (!filter->is_object()) return call.Invalid("Dimensions must hold structures.");
    std::optional<std::string> filter_name, value;
    if (!ReadString(call, *filter, "Name", &filter_name) ||
        !ReadString(call, *filter, "Value", &value))
      return false;
    if (!filter_name) return call.Missing("Dimensions.member.N.Name");
    request.dimensions.push_back({*filter_name, value});
  }
  if (recently_active && *recently_active != "PT3H")
    return call.Invalid("The parameter RecentlyActive must be PT3H.");
  request.namespace_name = namespace_name.value_or("");
  request.metric_name = name.value_or("");
  request.recently_active = recently_active.has_value();
  request.next_token = token.value_or("");
  auto page = call.services.metrics->ListMetrics(call.tenant, request);
  if (!page.ok())
    return call.Fail(
        {"InvalidNextToken", "InvalidNextToken", 400, std::string(page.error().message()), {}});
  CwOut& list = out->Add("Metrics", CwOut::Array());
  for (const metrics::MetricId& metric : page->metrics) list.Push(MetricOut(metric));
  if (!page->next_token.empty()) out->Add("NextToken", CwOut::String(page->next_token));
  return true;
}

}  // namespace roentgen::api::internal
