// SPDX-License-Identifier: Apache-2.0
#pragma once

// Metrics: Roentgen's CloudWatch-compatible metric store (docs/cloudwatch.md).
//
//  * MetricStore keeps series keyed by (tenant, namespace, metric name, sorted dimensions) as
//    per-bucket aggregates (SampleCount, Sum, Minimum, Maximum and a mergeable histogram for
//    percentiles) in RocksDB under <data_dir>/metrics. Writes are synced before Put returns.
//  * Data is kept at the resolution it arrived in (1 s or 60 s) and rolled up by a background
//    job as CloudWatch does: 1-s data for 3 h, 1-min for 15 days, 5-min for 63 days, 1-hour
//    for 455 days.
//  * GetMetricData evaluates metric math (SUM/AVG/MIN/MAX, arithmetic, METRICS(),
//    ANOMALY_DETECTION_BAND) over the store; the alarm engine (metrics/alarms.h) uses it too.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/status.h"
#include "model/tenant.h"

namespace roentgen::metrics {

struct Dimension {
  std::string name;
  std::string value;
  bool operator==(const Dimension&) const = default;
};

struct StatisticSet {
  double sample_count = 0, sum = 0, minimum = 0, maximum = 0;
};

// One PutMetricData datum, as CloudWatch defines it.
struct MetricDatum {
  std::string namespace_name;
  std::string metric_name;
  std::vector<Dimension> dimensions;  // any order; the store sorts them
  double timestamp = 0;               // seconds since the Unix epoch
  std::optional<double> value;        // exactly one of value, values, statistic_set
  std::vector<double> values;         // with counts (same length, or empty = all 1)
  std::vector<double> counts;
  std::optional<StatisticSet> statistic_set;
  std::string unit;                 // StandardUnit text; empty = "None"
  int32_t storage_resolution = 60;  // 1 or 60
};

// Limits of one PutMetricData call (CloudWatch's).
inline constexpr size_t kMaxDatumsPerPut = 1000;
inline constexpr size_t kMaxDimensions = 30;
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxDimensionValueLength = 1024;
inline constexpr size_t kMaxDistinctValues = 150;

// Whether `unit` is a CloudWatch StandardUnit ("Count", "Bytes/Second", "None", ...).
bool IsStandardUnit(std::string_view unit);

// A metric's identity: namespace, name and dimensions sorted by name.
struct MetricId {
  std::string namespace_name;
  std::string metric_name;
  std::vector<Dimension> dimensions;
  bool operator==(const MetricId&) const = default;
};

// Sorts `dimensions` by name (then value), the canonical order of MetricId.
void SortDimensions(std::vector<Dimension>* dimensions);

// A mergeable log-linear histogram (DDSketch-style): a value v > 0 falls in bucket
// ceil(log(v) / log(gamma)) with gamma = 1.02 / 0.98, so every quantile it reports is within
// 2 % relative error of a value in the data (1 % of the bucket's centre). Negative values
// use a mirrored set of buckets; zero has its own count. Not thread-safe.
class Distribution {
 public:
  void Add(double value, double count);
  void Merge(const Distribution& other);
  bool empty() const { return total_ <= 0; }
  double total() const { return total_; }
  // The q-quantile (0 <= q <= 1) clamped into [minimum, maximum]; nullopt when empty.
  std::optional<double> Quantile(double q, double minimum, double maximum) const;
  void EncodeTo(std::string* out) const;
  // Consumes an encoding from *input; false when it is malformed.
  bool DecodeFrom(std::string_view* input);

 private:
  std::map<int32_t, double> positive_;
  std::map<int32_t, double> negative_;
  double zero_ = 0;
  double total_ = 0;
};

// What one bucket (or one query period) holds. A value type.
struct Aggregate {
  double sample_count = 0;
  double sum = 0;
  double minimum = 0;
  double maximum = 0;
  Distribution distribution;  // empty when the data came only as statistic sets
  std::string unit;           // the unit of the latest datum

  void Merge(const Aggregate& other);
  // SampleCount, Average, Sum, Minimum, Maximum, or pNN / pNN.NN (a percentile from the
  // histogram). nullopt when the aggregate is empty, the statistic is unknown, or a
  // percentile is asked of data that came only as statistic sets.
  std::optional<double> Statistic(std::string_view statistic) const;
};

// Whether `statistic` is one of the five standard statistics.
bool IsStandardStatistic(std::string_view statistic);
// Whether `statistic` is an extended statistic this store computes: pNN or pNN.NN (0..100).
bool IsExtendedStatistic(std::string_view statistic);

struct Datapoint {
  double timestamp = 0;  // start of the period
  Aggregate aggregate;
};

struct MetricStoreOptions {
  std::string dir;         // RocksDB directory, e.g. <data_dir>/metrics
  Clock* clock = nullptr;  // nullptr: the real clock
  size_t max_series_per_tenant = 100000;
  bool sync_writes = true;  // fsync each Put (acknowledged data survives kill -9)
  // How far in the past/future a datum's timestamp may be (CloudWatch: 2 weeks, 2 hours).
  double max_past_seconds = 14 * 86400;
  double max_future_seconds = 2 * 3600;
  // How often the background job rolls up and expires data (Start()).
  double maintenance_interval_seconds = 300;
};

struct ListMetricsRequest {
  std::string namespace_name;  // empty: any
  std::string metric_name;     // empty: any
  struct Filter {
    std::string name;
    std::optional<std::string> value;  // nullopt: any value
  };
  std::vector<Filter> dimensions;  // every filter must match
  bool recently_active = false;    // only metrics with data in the last 3 hours
  std::string next_token;
  size_t page_size = 500;
};

struct ListMetricsPage {
  std::vector<MetricId> metrics;
  std::string next_token;  // empty: last page
};

// A MetricStat of GetMetricData or of a metric-math alarm.
struct MetricStat {
  MetricId metric;
  int64_t period = 60;
  std::string stat;  // standard or extended statistic
  std::string unit;  // empty: any
};

struct MetricDataQuery {
  std::string id;
  std::optional<MetricStat> metric_stat;  // exactly one of metric_stat, expression
  std::string expression;
  std::string label;
  bool return_data = true;
  int64_t period = 0;  // for expressions; 0: from the MetricStats they use
};

// One time series of GetMetricData, timestamps ascending.
struct TimeSeries {
  std::string id;
  std::string label;
  std::vector<double> timestamps;
  std::vector<double> values;
};

struct MetricDataResult {
  std::string id;
  std::string label;
  std::vector<double> timestamps;  // in ScanBy order
  std::vector<double> values;
  std::string status_code = "Complete";  // Complete | PartialData
};

struct GetMetricDataRequest {
  std::vector<MetricDataQuery> queries;
  double start = 0;
  double end = 0;
  bool scan_ascending = false;  // ScanBy TimestampAscending
  size_t max_datapoints = 100800;
  std::string next_token;
};

struct GetMetricDataResponse {
  std::vector<MetricDataResult> results;  // only queries with ReturnData
  std::string next_token;
  std::vector<std::pair<std::string, std::string>> messages;  // (Code, Value)
};

// The anomaly-detection model (docs/cloudwatch.md, "Anomaly detection"): for each timestamp t
// of `series`, the expected value and spread are the mean and standard deviation of the
// metric's values in the same hour-of-day slot over the 14 days before t (at least 3 of
// them), falling back to the 60 values before t when the slot has too little history. The
// band is mean +/- stddevs * max(stddev, 1e-6 + 1% of |mean|). `history` holds the training
// data (it may extend before the band's first timestamp); `history` and `timestamps` must be
// ascending. Timestamps without any history before them get no band point. Both series carry
// history's id; their labels end in " (lower band)" / " (upper band)".
struct AnomalyBand {
  TimeSeries lower;
  TimeSeries upper;
};
AnomalyBand ComputeAnomalyBand(const TimeSeries& history, const std::vector<double>& timestamps,
                               double stddevs);

// Thread-safe.
class MetricStore {
 public:
  static Result<std::unique_ptr<MetricStore>> Open(const MetricStoreOptions& options);
  // Stops the background job (Shutdown()).
  ~MetricStore();
  MetricStore(const MetricStore&) = delete;
  MetricStore& operator=(const MetricStore&) = delete;

  // Validates (InvalidArgument naming the field, e.g. "MetricData.member.3.Unit") and stores
  // durably: when it returns OK the data is synced to disk. Either every datum is stored or
  // none. ResourceExhausted when the tenant would exceed max_series_per_tenant.
  Status Put(const model::TenantId& tenant, std::span<const MetricDatum> data);

  // The aggregates of `metric` per `period` seconds (buckets aligned to multiples of the
  // period since the epoch) whose start lies in [start, end), ascending. `unit` non-empty
  // keeps only data stored with that unit. Data rolled up to a coarser resolution than
  // `period` falls into the period containing its bucket's start.
  Result<std::vector<Datapoint>> Query(const model::TenantId& tenant, const MetricId& metric,
                                       double start, double end, int64_t period,
                                       std::string_view unit = {}) const;

  // The metrics of `tenant` matching `request`, ordered by (namespace, name, dimensions);
  // only metrics with data in the last two weeks. InvalidArgument for a bad next_token.
  Result<ListMetricsPage> ListMetrics(const model::TenantId& tenant,
                                      const ListMetricsRequest& request) const;

  // How many metrics (series) `tenant` has.
  size_t SeriesCount(const model::TenantId& tenant) const;

  // Evaluates GetMetricData: MetricStats, then expressions in order (an expression may use
  // the ids of earlier queries). InvalidArgument naming the query for bad input.
  Result<GetMetricDataResponse> GetMetricData(const model::TenantId& tenant,
                                              const GetMetricDataRequest& request) const;

  // Rolls data up and expires it as of `now` (seconds since the epoch): 1-s buckets older
  // than 3 h become 1-min buckets, 1-min older than 15 days become 5-min, 5-min older than
  // 63 days become 1-hour, and 1-hour buckets older than 455 days are deleted.
  Status RunMaintenance(double now);

  // Starts the background maintenance thread (every maintenance_interval_seconds of the
  // clock, checked once a second). Shutdown() stops it; both idempotent.
  void Start();
  void Shutdown();

 private:
  struct Impl;
  explicit MetricStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace roentgen::metrics
