// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "base/status_macros.h"
#include "metrics/internal/expression.h"
#include "metrics/metrics.h"

namespace roentgen::metrics {
namespace {

constexpr double kHistoryDays = 14;
constexpr size_t kMinSlotSamples = 3;
constexpr size_t kRollingWindow = 60;

struct MeanStd {
  double mean = 0;
  double stddev = 0;
};

MeanStd Moments(const std::vector<double>& values) {
  MeanStd out;
  if (values.empty()) return out;
  for (double v : values) out.mean += v;
  out.mean /= static_cast<double>(values.size());
  double variance = 0;
  for (double v : values) variance += (v - out.mean) * (v - out.mean);
  out.stddev = std::sqrt(variance / static_cast<double>(values.size()));
  return out;
}

}  // namespace

AnomalyBand ComputeAnomalyBand(const TimeSeries& history, const std::vector<double>& timestamps,
                               double stddevs) {
  AnomalyBand band;
  band.lower.id = band.upper.id = history.id;
  band.lower.label = history.label + " (lower band)";
  band.upper.label = history.label + " (upper band)";
  for (double t : timestamps) {
    // Same hour-of-day slot over the previous 14 days.
    double slot = std::fmod(t, 86400.0);
    std::vector<double> slot_values;
    std::vector<double> recent;
    auto end = std::lower_bound(history.timestamps.begin(), history.timestamps.end(), t);
    size_t end_idx = static_cast<size_t>(end - history.timestamps.begin());
    for (size_t point_idx = 0; point_idx < end_idx; ++point_idx) {
      double ts = history.timestamps[point_idx];
      if (ts < t - kHistoryDays * 86400) continue;
      double other_slot = std::fmod(ts, 86400.0);
      if (std::fabs(other_slot - slot) < 1800 || std::fabs(other_slot - slot) > 86400 - 1800)
        slot_values.push_back(history.values[point_idx]);
    }
    size_t recent_begin = end_idx > kRollingWindow ? end_idx - kRollingWindow : 0;
    for (size_t point_idx = recent_begin; point_idx < end_idx; ++point_idx)
      recent.push_back(history.values[point_idx]);
    // The slot model needs history on several days; otherwise the rolling window.
    MeanStd model = Moments(slot_values.size() >= kMinSlotSamples ? slot_values : recent);
    if (slot_values.size() < kMinSlotSamples && recent.empty()) continue;
    double spread = std::max(model.stddev, 1e-6 + 0.01 * std::fabs(model.mean));
    band.lower.timestamps.push_back(t);
    band.lower.values.push_back(model.mean - stddevs * spread);
    band.upper.timestamps.push_back(t);
    band.upper.values.push_back(model.mean + stddevs * spread);
  }
  return band;
}

namespace {

TimeSeries StatSeries(const std::vector<Datapoint>& points, const std::string& stat) {
  TimeSeries series;
  for (const Datapoint& point : points) {
    std::optional<double> value = point.aggregate.Statistic(stat);
    if (!value) continue;
    series.timestamps.push_back(point.timestamp);
    series.values.push_back(*value);
  }
  return series;
}

Status ValidateStat(const MetricStat& stat, std::string_view id) {
  if (stat.metric.metric_name.empty() || stat.metric.namespace_name.empty())
    return InvalidArgumentError(
        fmt::format("The MetricStat of query {} needs a Namespace and a MetricName.", id));
  if (stat.period <= 0)
    return InvalidArgumentError(fmt::format("The Period of query {} must be at least 1.", id));
  if (!IsStandardStatistic(stat.stat) && !IsExtendedStatistic(stat.stat))
    return InvalidArgumentError(
        fmt::format("The Stat '{}' of query {} is not supported.", stat.stat, id));
  return Status();
}

}  // namespace

Result<GetMetricDataResponse> MetricStore::GetMetricData(
    const model::TenantId& tenant, const GetMetricDataRequest& request) const {
  if (request.queries.empty() || request.queries.size() > 500)
    return InvalidArgumentError("MetricDataQueries must hold 1 to 500 queries.");
  if (!(request.end > request.start))
    return InvalidArgumentError("The parameter StartTime must be less than the parameter EndTime.");
  std::map<std::string, std::vector<TimeSeries>> named;
  std::vector<std::string> metric_ids;
  std::map<std::string, const MetricDataQuery*> by_id;
  std::set<std::string> seen;
  for (const MetricDataQuery& query : request.queries) {
    if (query.id.empty() || !(std::islower(static_cast<unsigned char>(query.id[0]))))
      return InvalidArgumentError(
          fmt::format("The Id '{}' is invalid: it must start with a lowercase letter.", query.id));
    if (!seen.insert(query.id).second)
      return InvalidArgumentError(fmt::format("The Id '{}' is used twice.", query.id));
    if (query.metric_stat.has_value() == !query.expression.empty())
      return InvalidArgumentError(
          fmt::format("Query {} must have exactly one of MetricStat and Expression.", query.id));
    by_id[query.id] = &query;
  }
  // MetricStats first: expressions may refer to any of them.
  for (const MetricDataQuery& query : request.queries) {
    if (!query.metric_stat) continue;
    const MetricStat& stat = *query.metric_stat;
    RG_RETURN_IF_ERROR(ValidateStat(stat, query.id));
    RG_ASSIGN_OR_RETURN(std::vector<Datapoint> points, Query(tenant, stat.metric, request.start,
                                                             request.end, stat.period, stat.unit));
    TimeSeries series = StatSeries(points, stat.stat);
    series.id = query.id;
    series.label = query.label.empty() ? stat.metric.metric_name : query.label;
    named[query.id] = {std::move(series)};
    metric_ids.push_back(query.id);
  }
  internal::ExpressionContext context;
  context.named = &named;
  context.metric_ids = &metric_ids;
  context.anomaly_band = [&](const std::string& id, double stddevs) -> Result<AnomalyBand> {
    auto it = by_id.find(id);
    if (it == by_id.end() || !it->second->metric_stat)
      return InvalidArgumentError(
          fmt::format("ANOMALY_DETECTION_BAND needs the id of a MetricStat query; got {}.", id));
    const MetricStat& stat = *it->second->metric_stat;
    RG_ASSIGN_OR_RETURN(std::vector<Datapoint> points,
                        Query(tenant, stat.metric, request.start - kHistoryDays * 86400,
                              request.end, stat.period, stat.unit));
    TimeSeries history = StatSeries(points, stat.stat);
    history.id = id;
    history.label = it->second->label.empty() ? stat.metric.metric_name : it->second->label;
    std::vector<double> timestamps;
    double first = std::floor(request.start / static_cast<double>(stat.period)) *
                   static_cast<double>(stat.period);
    for (double t = first; t < request.end && timestamps.size() < 100800;
         t += static_cast<double>(stat.period))
      timestamps.push_back(t);
    return ComputeAnomalyBand(history, timestamps, stddevs);
  };
  for (const MetricDataQuery& query : request.queries) {
    if (query.metric_stat) continue;
    double scalar = 0;
    Result<std::vector<TimeSeries>> result =
        internal::EvaluateExpression(query.expression, context, &scalar);
    if (!result.ok())
      return InvalidArgumentError(fmt::format("Query {}: {}", query.id, result.error().message()));
    std::vector<TimeSeries> series = std::move(result).value();
    bool is_band = query.expression.find("ANOMALY_DETECTION_BAND") != std::string::npos;
    for (TimeSeries& s : series) {
      s.id = query.id;
      if (!is_band || s.label.empty())
        s.label = query.label.empty() ? query.id : query.label;
      else if (!query.label.empty())
        s.label = query.label + s.label.substr(s.label.rfind(" ("));
    }
    named[query.id] = std::move(series);
  }

  GetMetricDataResponse response;
  size_t offset = 0;
  if (!request.next_token.empty()) {
    auto [ptr, ec] = std::from_chars(request.next_token.data(),
                                     request.next_token.data() + request.next_token.size(), offset);
    if (ec != std::errc() || ptr != request.next_token.data() + request.next_token.size())
      return InvalidArgumentError("The NextToken is invalid.");
  }
  size_t budget = std::max<size_t>(1, request.max_datapoints);
  size_t position = 0;  // datapoints before the current one, over all results
  for (const MetricDataQuery& query : request.queries) {
    if (!query.return_data) continue;
    for (const TimeSeries& s : named[query.id]) {
      MetricDataResult result;
      result.id = s.id;
      result.label = s.label;
      size_t count = s.values.size();
      for (size_t step = 0; step < count; ++step, ++position) {
        if (position < offset) continue;
        if (budget == 0) {
          if (response.next_token.empty()) response.next_token = std::to_string(position);
          result.status_code = "PartialData";
          break;
        }
        size_t point_idx = request.scan_ascending ? step : count - 1 - step;
        result.timestamps.push_back(s.timestamps[point_idx]);
        result.values.push_back(s.values[point_idx]);
        --budget;
      }
      if (position < offset) continue;
      response.results.push_back(std::move(result));
    }
  }
  return response;
}

}  // namespace roentgen::metrics
