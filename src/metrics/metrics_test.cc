// SPDX-License-Identifier: Apache-2.0
#include "metrics/metrics.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "metrics/internal/expression.h"

namespace roentgen::metrics {
namespace {

constexpr double kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z, a multiple of 3600
const model::TenantId kTenant = "000000000000";

class MetricStoreTest : public ::testing::Test {
 protected:
  MetricStoreTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("rg_metrics_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        clock_(static_cast<int64_t>(kNow * 1e9)) {
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  ~MetricStoreTest() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Reopen(size_t max_series = 1000) {
    store_.reset();
    MetricStoreOptions options;
    options.dir = dir_.string();
    options.clock = &clock_;
    options.max_series_per_tenant = max_series;
    auto opened = MetricStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(opened).value();
  }

  static MetricDatum Value(std::string name, double value, double timestamp,
                           std::vector<Dimension> dims = {}) {
    MetricDatum datum;
    datum.namespace_name = "App/Test";
    datum.metric_name = std::move(name);
    datum.value = value;
    datum.timestamp = timestamp;
    datum.dimensions = std::move(dims);
    datum.unit = "Milliseconds";
    return datum;
  }

  std::vector<Datapoint> Query(const MetricId& id, double start, double end, int64_t period) {
    auto points = store_->Query(kTenant, id, start, end, period);
    EXPECT_TRUE(points.ok()) << points.error().ToString();
    return points.ok() ? std::move(points).value() : std::vector<Datapoint>{};
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<MetricStore> store_;
};

TEST_F(MetricStoreTest, RoundTripSurvivesRestartAndSortsDimensions) {
  std::vector<MetricDatum> data = {
      Value("Latency", 10, kNow - 600, {{"Service", "api"}, {"Env", "prod"}}),
      Value("Latency", 30, kNow - 590, {{"Env", "prod"}, {"Service", "api"}}),
      Value("Latency", 99, kNow - 590, {{"Service", "other"}}),
  };
  ASSERT_TRUE(store_->Put(kTenant, data).ok());
  Reopen();
  MetricId id{"App/Test", "Latency", {{"Service", "api"}, {"Env", "prod"}}};
  std::vector<Datapoint> points = Query(id, kNow - 3600, kNow, 300);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].timestamp, kNow - 600);
  EXPECT_EQ(points[0].aggregate.sample_count, 2);
  EXPECT_EQ(points[0].aggregate.sum, 40);
  EXPECT_EQ(points[0].aggregate.minimum, 10);
  EXPECT_EQ(points[0].aggregate.maximum, 30);
  EXPECT_EQ(points[0].aggregate.unit, "Milliseconds");
  EXPECT_EQ(*points[0].aggregate.Statistic("Average"), 20);
  EXPECT_EQ(store_->SeriesCount(kTenant), 2u);
  EXPECT_EQ(store_->SeriesCount("111111111111"), 0u);
  // Another tenant sees nothing.
  auto other = store_->Query("111111111111", id, kNow - 3600, kNow, 300);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_F(MetricStoreTest, ValuesCountsAndStatisticSets) {
  MetricDatum values = Value("Lat", 0, kNow - 100);
  values.value.reset();
  values.values = {1, 2, 3};
  values.counts = {1, 1, 8};
  MetricDatum set = Value("Lat", 0, kNow - 90);
  set.value.reset();
  set.statistic_set = StatisticSet{4, 40, 5, 20};
  ASSERT_TRUE(store_->Put(kTenant, std::vector<MetricDatum>{values, set}).ok());
  std::vector<Datapoint> points = Query({"App/Test", "Lat", {}}, kNow - 3600, kNow, 3600);
  ASSERT_EQ(points.size(), 1u);
  const Aggregate& a = points[0].aggregate;
  EXPECT_EQ(a.sample_count, 14);
  EXPECT_EQ(a.sum, 1 + 2 + 24 + 40);
  EXPECT_EQ(a.minimum, 1);
  EXPECT_EQ(a.maximum, 20);
}

TEST_F(MetricStoreTest, RejectsBadInputNamingTheField) {
  MetricDatum bad = Value("Lat", 1, kNow);
  bad.unit = "Furlongs";
  MetricDatum good = Value("Other", 1, kNow);
  Status status = store_->Put(kTenant, std::vector<MetricDatum>{good, bad});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("MetricData.member.2.Unit"), std::string::npos)
      << status.message();
  // Nothing of the failed call was stored.
  EXPECT_EQ(store_->SeriesCount(kTenant), 0u);

  MetricDatum both = Value("Lat", 1, kNow);
  both.values = {1};
  EXPECT_EQ(store_->Put(kTenant, std::vector<MetricDatum>{both}).code(),
            StatusCode::kInvalidArgument);
  MetricDatum old = Value("Lat", 1, kNow - 15 * 86400);
  EXPECT_EQ(store_->Put(kTenant, std::vector<MetricDatum>{old}).code(),
            StatusCode::kInvalidArgument);
  MetricDatum nan = Value("Lat", std::nan(""), kNow);
  EXPECT_EQ(store_->Put(kTenant, std::vector<MetricDatum>{nan}).code(),
            StatusCode::kInvalidArgument);
  MetricDatum resolution = Value("Lat", 1, kNow);
  resolution.storage_resolution = 5;
  EXPECT_EQ(store_->Put(kTenant, std::vector<MetricDatum>{resolution}).code(),
            StatusCode::kInvalidArgument);
  MetricDatum many_dims = Value("Lat", 1, kNow);
  for (int dim_idx = 0; dim_idx < 31; ++dim_idx)
    many_dims.dimensions.push_back({"d" + std::to_string(dim_idx), "v"});
  EXPECT_EQ(store_->Put(kTenant, std::vector<MetricDatum>{many_dims}).code(),
            StatusCode::kInvalidArgument);
  std::vector<MetricDatum> too_many(1001, Value("Lat", 1, kNow));
  EXPECT_EQ(store_->Put(kTenant, too_many).code(), StatusCode::kInvalidArgument);
}

TEST_F(MetricStoreTest, MaxSeriesPerTenant) {
  Reopen(2);
  ASSERT_TRUE(
      store_->Put(kTenant, std::vector<MetricDatum>{Value("a", 1, kNow), Value("b", 1, kNow)})
          .ok());
  EXPECT_EQ(store_->Put(kTenant, std::vector<MetricDatum>{Value("c", 1, kNow)}).code(),
            StatusCode::kResourceExhausted);
  // Existing series still accept data, other tenants have their own limit.
  EXPECT_TRUE(store_->Put(kTenant, std::vector<MetricDatum>{Value("a", 2, kNow)}).ok());
  EXPECT_TRUE(store_->Put("111111111111", std::vector<MetricDatum>{Value("c", 1, kNow)}).ok());
}

TEST_F(MetricStoreTest, PercentilesWithinOnePercent) {
  std::mt19937 rng(42);
  std::lognormal_distribution<double> latency(3.0, 1.0);
  std::vector<double> samples;
  std::vector<MetricDatum> data;
  for (int batch = 0; batch < 10; ++batch) {
    MetricDatum datum = Value("Lat", 0, kNow - 30);
    datum.value.reset();
    for (int sample_idx = 0; sample_idx < 100; ++sample_idx) {
      double v = latency(rng);
      samples.push_back(v);
      datum.values.push_back(v);
    }
    data.push_back(datum);
  }
  ASSERT_TRUE(store_->Put(kTenant, data).ok());
  std::sort(samples.begin(), samples.end());
  std::vector<Datapoint> points = Query({"App/Test", "Lat", {}}, kNow - 60, kNow, 60);
  ASSERT_EQ(points.size(), 1u);
  for (double q : {0.5, 0.9, 0.99}) {
    double exact = samples[static_cast<size_t>(q * (samples.size() - 1))];
    std::string stat = "p" + std::to_string(static_cast<int>(q * 100));
    std::optional<double> estimate = points[0].aggregate.Statistic(stat);
    ASSERT_TRUE(estimate.has_value()) << stat;
    EXPECT_NEAR(*estimate, exact, exact * 0.02) << stat;
  }
  EXPECT_EQ(*points[0].aggregate.Statistic("p100"), samples.back());
  EXPECT_TRUE(points[0].aggregate.Statistic("p99.9").has_value());
  EXPECT_FALSE(points[0].aggregate.Statistic("p101").has_value());
  EXPECT_FALSE(IsExtendedStatistic("tm99"));
  EXPECT_TRUE(IsExtendedStatistic("p99.99"));
}

TEST_F(MetricStoreTest, RollupAndRetentionKeepTotals) {
  // High-resolution data two seconds apart, and a standard point.
  MetricDatum a = Value("Hi", 5, kNow - 10);
  a.storage_resolution = 1;
  MetricDatum b = Value("Hi", 7, kNow - 8);
  b.storage_resolution = 1;
  ASSERT_TRUE(store_->Put(kTenant, std::vector<MetricDatum>{a, b}).ok());
  MetricId id{"App/Test", "Hi", {}};
  EXPECT_EQ(Query(id, kNow - 60, kNow, 1).size(), 2u);  // 1-s resolution while fresh

  // After 3 hours the 1-s buckets are one 1-min bucket.
  clock_.Advance(std::chrono::hours(4));
  ASSERT_TRUE(store_->RunMaintenance(kNow + 4 * 3600).ok());
  std::vector<Datapoint> points = Query(id, kNow - 60, kNow, 1);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].timestamp, kNow - 60);
  EXPECT_EQ(points[0].aggregate.sample_count, 2);
  EXPECT_EQ(points[0].aggregate.sum, 12);
  EXPECT_EQ(*points[0].aggregate.Statistic("p100"), 7);

  // After 16 days: a 5-minute bucket; after 64 days: 1 hour; after 456 days: gone.
  ASSERT_TRUE(store_->RunMaintenance(kNow + 16 * 86400).ok());
  points = Query(id, kNow - 3600, kNow, 60);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].timestamp, kNow - 300);
  EXPECT_EQ(points[0].aggregate.sum, 12);
  ASSERT_TRUE(store_->RunMaintenance(kNow + 64 * 86400).ok());
  points = Query(id, kNow - 7200, kNow, 60);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].timestamp, kNow - 3600);
  EXPECT_EQ(points[0].aggregate.sample_count, 2);
  Reopen();  // durable across restarts too
  ASSERT_TRUE(store_->RunMaintenance(kNow + 456 * 86400).ok());
  EXPECT_TRUE(Query(id, kNow - 7200, kNow, 60).empty());
}

TEST_F(MetricStoreTest, BackgroundMaintenanceUsesTheClock) {
  MetricDatum a = Value("Hi", 5, kNow - 10);
  a.storage_resolution = 1;
  ASSERT_TRUE(store_->Put(kTenant, std::vector<MetricDatum>{a}).ok());
  store_->Start();
  clock_.Advance(std::chrono::hours(5));
  MetricId id{"App/Test", "Hi", {}};
  // The job wakes once a second; wait until the bucket moved to the 1-min tier.
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto points = Query(id, kNow - 60, kNow, 1);
    if (points.size() == 1 && points[0].timestamp == kNow - 60) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto points = Query(id, kNow - 60, kNow, 1);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].timestamp, kNow - 60);
  store_->Shutdown();
}

TEST_F(MetricStoreTest, ListMetricsFiltersAndPages) {
  std::vector<MetricDatum> data;
  for (int metric_idx = 0; metric_idx < 5; ++metric_idx)
    data.push_back(Value("M" + std::to_string(metric_idx), 1, kNow - 60,
                         {{"Service", metric_idx % 2 == 0 ? "a" : "b"}}));
  MetricDatum other_ns = Value("M0", 1, kNow - 60);
  other_ns.namespace_name = "Other";
  data.push_back(other_ns);
  ASSERT_TRUE(store_->Put(kTenant, data).ok());
  ListMetricsRequest request;
  request.namespace_name = "App/Test";
  request.dimensions = {{"Service", "a"}};
  auto page = store_->ListMetrics(kTenant, request);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->metrics.size(), 3u);
  EXPECT_EQ(page->metrics[0].metric_name, "M0");
  EXPECT_EQ(page->metrics[2].metric_name, "M4");

  request = {};
  request.page_size = 4;
  page = store_->ListMetrics(kTenant, request);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->metrics.size(), 4u);
  ASSERT_FALSE(page->next_token.empty());
  request.next_token = page->next_token;
  auto rest = store_->ListMetrics(kTenant, request);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->metrics.size(), 2u);
  EXPECT_TRUE(rest->next_token.empty());
  EXPECT_EQ(rest->metrics[1].namespace_name, "Other");

  request = {};
  request.recently_active = true;
  clock_.Advance(std::chrono::hours(4));
  page = store_->ListMetrics(kTenant, request);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->metrics.empty());
  request.next_token = "zz";
  EXPECT_FALSE(store_->ListMetrics(kTenant, request).ok());
}

TEST_F(MetricStoreTest, GetMetricDataMathAndPaging) {
  std::vector<MetricDatum> data;
  for (int minute = 1; minute <= 3; ++minute) {
    data.push_back(Value("A", minute, kNow - 60.0 * minute));
    data.push_back(Value("B", 10.0 * minute, kNow - 60.0 * minute));
  }
  ASSERT_TRUE(store_->Put(kTenant, data).ok());
  GetMetricDataRequest request;
  request.start = kNow - 3600;
  request.end = kNow;
  auto stat = [](std::string name) {
    return MetricStat{{"App/Test", std::move(name), {}}, 60, "Sum", ""};
  };
  request.queries = {
      {"a", stat("A"), "", "", false, 0},
      {"b", stat("B"), "", "", false, 0},
      {"total", std::nullopt, "SUM([a, b])", "Total", true, 0},
      {"ratio", std::nullopt, "(a + b) / a * 2 - 1", "", true, 0},
      {"avg", std::nullopt, "AVG(METRICS())", "", true, 0},
      {"mx", std::nullopt, "MAX([a, b])", "", true, 0},
  };
  auto response = store_->GetMetricData(kTenant, request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  ASSERT_EQ(response->results.size(), 4u);
  const MetricDataResult& total = response->results[0];
  EXPECT_EQ(total.label, "Total");
  // Newest first (TimestampDescending).
  ASSERT_EQ(total.values.size(), 3u);
  EXPECT_EQ(total.timestamps[0], kNow - 60);
  EXPECT_EQ(total.values[0], 11);
  EXPECT_EQ(total.values[2], 33);
  EXPECT_EQ(response->results[1].values[0], 21);  // (1 + 10) / 1 * 2 - 1
  EXPECT_EQ(response->results[2].values[1], 11);  // (2 + 20) / 2
  EXPECT_EQ(response->results[3].values[0], 10);

  request.queries[2].return_data = false;
  request.queries[3].return_data = false;
  request.queries[4].return_data = false;
  request.max_datapoints = 2;
  request.scan_ascending = true;
  response = store_->GetMetricData(kTenant, request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->results[0].values.size(), 2u);
  EXPECT_EQ(response->results[0].values[0], 30);  // oldest first
  ASSERT_FALSE(response->next_token.empty());
  request.next_token = response->next_token;
  response = store_->GetMetricData(kTenant, request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->results.size(), 1u);
  EXPECT_EQ(response->results[0].values, std::vector<double>{10});

  request.next_token.clear();
  request.queries[5].expression = "MAX([a, nosuch])";
  auto bad = store_->GetMetricData(kTenant, request);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("unknown id nosuch"), std::string::npos);
}

TEST_F(MetricStoreTest, AnomalyBandFollowsTheDailyPattern) {
  // 7 days of hourly data: 100 during the day (08-20 h), 10 at night, with small noise.
  std::vector<MetricDatum> data;
  double start = kNow - 7 * 86400;
  for (double t = start; t < kNow; t += 3600) {
    double hour = std::fmod(t, 86400) / 3600;
    double noise = std::fmod(t / 3600, 5) - 2;  // varies from day to day
    data.push_back(Value("Load", (hour >= 8 && hour < 20 ? 100 : 10) + noise, t));
  }
  ASSERT_TRUE(store_->Put(kTenant, data).ok());
  GetMetricDataRequest request;
  request.start = kNow - 86400;
  request.end = kNow;
  request.scan_ascending = true;
  request.queries = {
      {"m", MetricStat{{"App/Test", "Load", {}}, 3600, "Average", ""}, "", "", true, 0},
      {"band", std::nullopt, "ANOMALY_DETECTION_BAND(m, 2)", "", true, 0},
  };
  auto response = store_->GetMetricData(kTenant, request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  ASSERT_EQ(response->results.size(), 3u);
  const MetricDataResult& lower = response->results[1];
  const MetricDataResult& upper = response->results[2];
  ASSERT_EQ(lower.values.size(), 24u);
  for (size_t hour_idx = 0; hour_idx < 24; ++hour_idx) {
    double hour = std::fmod(lower.timestamps[hour_idx], 86400) / 3600;
    double expected = hour >= 8 && hour < 20 ? 100 : 10;
    EXPECT_LT(lower.values[hour_idx], expected) << hour;
    EXPECT_GT(upper.values[hour_idx], expected) << hour;
    EXPECT_LT(upper.values[hour_idx] - lower.values[hour_idx], 20) << hour;
  }
}

TEST(Expression, SyntaxErrorsNameTheColumn) {
  std::map<std::string, std::vector<TimeSeries>> named = {{"m", {TimeSeries{"m", "M", {1}, {2}}}}};
  internal::ExpressionContext context;
  context.named = &named;
  auto result = internal::EvaluateExpression("m + * 2", context);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("column 5"), std::string::npos)
      << result.error().message();
  double scalar = 0;
  result = internal::EvaluateExpression("2 * (3 + 4)", context, &scalar);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(scalar, 14);
  result = internal::EvaluateExpression("-m / 0", context);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->size(), 1u);
  EXPECT_TRUE((*result)[0].values.empty());  // division by zero drops the point
  std::string deep(100, '(');
  EXPECT_FALSE(internal::EvaluateExpression(deep, context).ok());
}

}  // namespace
}  // namespace roentgen::metrics
