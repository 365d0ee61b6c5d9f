// SPDX-License-Identifier: Apache-2.0
#include "metrics/alarms.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace roentgen::metrics {
namespace {

using ::testing::HasSubstr;

constexpr double kNow = 1'800'000'000;  // a multiple of 300
const model::TenantId kTenant = "000000000000";

class AlarmTest : public ::testing::Test {
 protected:
  AlarmTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("rg_alarms_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        clock_(static_cast<int64_t>(kNow * 1e9)) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto catalog = store::Catalog::Open((dir_ / "catalog").string());
    EXPECT_TRUE(catalog.ok());
    catalog_ = std::move(catalog).value();
    MetricStoreOptions options;
    options.dir = (dir_ / "metrics").string();
    options.clock = &clock_;
    auto store = MetricStore::Open(options);
    EXPECT_TRUE(store.ok());
    store_ = std::move(store).value();
    OpenEngine();
  }
  ~AlarmTest() override {
    engine_.reset();
    store_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  void OpenEngine() {
    engine_.reset();
    AlarmEngineOptions options;
    options.catalog = catalog_.get();
    options.store = store_.get();
    options.clock = &clock_;
    options.deliver = [this](const std::string& url, const std::string& body) {
      deliveries_.emplace_back(url, body);
    };
    auto engine = AlarmEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(engine).value();
  }

  void PutValue(double value, double timestamp, std::string name = "ErrorTraces") {
    MetricDatum datum;
    datum.namespace_name = "XRay/Analysis";
    datum.metric_name = std::move(name);
    datum.value = value;
    datum.timestamp = timestamp;
    datum.unit = "Count";
    ASSERT_TRUE(store_->Put(kTenant, std::vector<MetricDatum>{datum}).ok());
  }

  // The recipe's first alarm, with webhook actions.
  AlarmConfig RecipeAlarm() {
    AlarmConfig c;
    c.name = "xray-monitoring-abc123-high-error-rate";
    c.description = "High error rate detected in X-Ray traces";
    c.namespace_name = "XRay/Analysis";
    c.metric_name = "ErrorTraces";
    c.statistic = "Sum";
    c.period = 300;
    c.evaluation_periods = 2;
    c.threshold = 5;
    c.comparison_operator = "GreaterThanThreshold";
    c.alarm_actions = {"http://127.0.0.1:9/alarm", "arn:aws:sns:us-east-1:000000000000:t"};
    c.ok_actions = {"http://127.0.0.1:9/ok"};
    return c;
  }

  Alarm Get(std::string_view name) {
    for (Alarm& alarm : engine_->ListAlarms(kTenant))
      if (alarm.config.name == name) return alarm;
    ADD_FAILURE() << "no alarm " << name;
    return {};
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<MetricStore> store_;
  std::unique_ptr<AlarmEngine> engine_;
  std::vector<std::pair<std::string, std::string>> deliveries_;
};

TEST_F(AlarmTest, OkToAlarmToOkWithReasonsHistoryAndWebhooks) {
  ASSERT_TRUE(engine_->PutAlarm(kTenant, RecipeAlarm()).ok());
  Alarm alarm = Get("xray-monitoring-abc123-high-error-rate");
  EXPECT_EQ(alarm.state, AlarmStateValue::kInsufficientData);
  EXPECT_EQ(alarm.state_reason, "Unchecked: Initial alarm creation");
  EXPECT_EQ(
      alarm.arn,
      "arn:aws:cloudwatch:us-east-1:000000000000:alarm:xray-monitoring-abc123-high-error-rate");

  // Two quiet periods: OK.
  PutValue(1, kNow - 600);
  PutValue(2, kNow - 300);
  ASSERT_TRUE(engine_->EvaluateOnce(kNow + 10).ok());
  alarm = Get(alarm.config.name);
  EXPECT_EQ(alarm.state, AlarmStateValue::kOk);
  EXPECT_THAT(alarm.state_reason, HasSubstr("Threshold Crossed: 2 out of the last 2 datapoints"));
  EXPECT_THAT(alarm.state_reason, HasSubstr("were not greater than the threshold (5.0)"));
  EXPECT_THAT(alarm.state_reason_data, HasSubstr("\"recentDatapoints\":[1,2]"));
  EXPECT_THAT(alarm.state_reason_data, HasSubstr("\"statistic\":\"Sum\""));
  ASSERT_EQ(deliveries_.size(), 1u);  // the OK action
  EXPECT_EQ(deliveries_[0].first, "http://127.0.0.1:9/ok");
  EXPECT_THAT(deliveries_[0].second, HasSubstr("\"NewStateValue\":\"OK\""));
  EXPECT_THAT(deliveries_[0].second, HasSubstr("\"OldStateValue\":\"INSUFFICIENT_DATA\""));

  // Both of the next two periods breach: ALARM, once.
  clock_.Advance(std::chrono::minutes(10));
  PutValue(4, kNow);
  PutValue(3, kNow + 1);
  PutValue(9, kNow + 300);
  ASSERT_TRUE(engine_->EvaluateOnce(kNow + 600).ok());
  alarm = Get(alarm.config.name);
  EXPECT_EQ(alarm.state, AlarmStateValue::kAlarm);
  EXPECT_EQ(alarm.state_reason,
            "Threshold Crossed: 2 out of the last 2 datapoints [9.0 (15/01/27 08:05:00), 7.0 "
            "(15/01/27 08:00:00)] were greater than the threshold (5.0) (minimum 2 datapoints "
            "for OK -> ALARM transition).");
  ASSERT_EQ(deliveries_.size(), 2u);  // the webhook; the SNS ARN is only recorded
  EXPECT_EQ(deliveries_[1].first, "http://127.0.0.1:9/alarm");
  EXPECT_THAT(deliveries_[1].second,
              HasSubstr("\"AlarmName\":\"xray-monitoring-abc123-high-error-rate\""));
  EXPECT_THAT(deliveries_[1].second, HasSubstr("\"NewStateValue\":\"ALARM\""));
  EXPECT_THAT(deliveries_[1].second, HasSubstr("\"StateReasonData\":{\"version\":\"1.0\""));
  ASSERT_TRUE(engine_->EvaluateOnce(kNow + 610).ok());  // no change, no new delivery
  EXPECT_EQ(deliveries_.size(), 2u);

  // Quiet again: OK.
  PutValue(0, kNow + 600);
  PutValue(1, kNow + 900);
  ASSERT_TRUE(engine_->EvaluateOnce(kNow + 1200).ok());
  EXPECT_EQ(Get(alarm.config.name).state, AlarmStateValue::kOk);
  ASSERT_EQ(deliveries_.size(), 3u);

  // History survives a restart, newest first.
  OpenEngine();
  auto history = engine_->History(kTenant, alarm.config.name, "StateUpdate", 0, 1e12);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].summary, "Alarm updated from ALARM to OK");
  EXPECT_EQ(history[1].summary, "Alarm updated from OK to ALARM");
  EXPECT_EQ(history[2].summary, "Alarm updated from INSUFFICIENT_DATA to OK");
  EXPECT_THAT(history[1].data, HasSubstr("\"newState\":{\"stateValue\":\"ALARM\""));
  auto config = engine_->History(kTenant, alarm.config.name, "ConfigurationUpdate", 0, 1e12);
  ASSERT_EQ(config.size(), 1u);
  auto actions = engine_->History(kTenant, alarm.config.name, "Action", 0, 1e12);
  ASSERT_EQ(actions.size(), 4u);
  bool sns_failed = false;
  for (const auto& item : actions)
    sns_failed |=
        item.summary.find("arn:aws:sns") != std::string::npos && item.summary.starts_with("Failed");
  EXPECT_TRUE(sns_failed);
  EXPECT_EQ(Get(alarm.config.name).state, AlarmStateValue::kOk);
}

TEST_F(AlarmTest, TreatMissingData) {
  struct Case {
    std::string treat;
    AlarmStateValue expected;
  };
  for (const Case& c :
       {Case{"missing", AlarmStateValue::kInsufficientData},
        Case{"breaching", AlarmStateValue::kAlarm}, Case{"notBreaching", AlarmStateValue::kOk},
        Case{"ignore", AlarmStateValue::kOk}}) {
    AlarmConfig config = RecipeAlarm();
    config.name = "missing-" + c.treat;
    config.metric_name = "Nothing";
    config.treat_missing_data = c.treat;
    config.alarm_actions.clear();
    config.ok_actions.clear();
    ASSERT_TRUE(engine_->PutAlarm(kTenant, config).ok());
    if (c.treat == "ignore") {
      ASSERT_TRUE(
          engine_->SetAlarmState(kTenant, config.name, AlarmStateValue::kOk, "test", "").ok());
    }
  }
  ASSERT_TRUE(engine_->EvaluateOnce(kNow).ok());
  EXPECT_EQ(Get("missing-missing").state, AlarmStateValue::kInsufficientData);
  EXPECT_EQ(Get("missing-breaching").state, AlarmStateValue::kAlarm);
  EXPECT_THAT(Get("missing-breaching").state_reason,
              HasSubstr("no datapoints were received for 2 periods and 2 missing datapoints "
                        "were treated as [Breaching]"));
  EXPECT_EQ(Get("missing-notBreaching").state, AlarmStateValue::kOk);
  // ignore keeps the state it had (OK, set by hand).
  EXPECT_EQ(Get("missing-ignore").state, AlarmStateValue::kOk);
  EXPECT_EQ(Get("missing-ignore").state_reason, "test");
}

TEST_F(AlarmTest, MOutOfN) {
  AlarmConfig config = RecipeAlarm();
  config.evaluation_periods = 3;
  config.datapoints_to_alarm = 2;
  config.period = 60;
  ASSERT_TRUE(engine_->PutAlarm(kTenant, config).ok());
  PutValue(10, kNow - 180);
  PutValue(1, kNow - 120);
  ASSERT_TRUE(engine_->EvaluateOnce(kNow).ok());
  EXPECT_EQ(Get(config.name).state, AlarmStateValue::kOk);  // 1 of 3 (one missing)
  PutValue(10, kNow - 60);
  ASSERT_TRUE(engine_->EvaluateOnce(kNow).ok());
  Alarm alarm = Get(config.name);
  EXPECT_EQ(alarm.state, AlarmStateValue::kAlarm);  // 2 of 3
  EXPECT_THAT(alarm.state_reason, HasSubstr("2 out of the last 3 datapoints"));
  EXPECT_THAT(alarm.state_reason, HasSubstr("(minimum 2 datapoints for OK -> ALARM transition)"));
}

TEST_F(AlarmTest, PercentileAndMetricMathAlarms) {
  AlarmConfig p99 = RecipeAlarm();
  p99.name = "p99";
  p99.statistic.clear();
  p99.extended_statistic = "p99";
  p99.period = 60;
  p99.evaluation_periods = 1;
  p99.threshold = 50;
  p99.alarm_actions.clear();
  p99.ok_actions.clear();
  ASSERT_TRUE(engine_->PutAlarm(kTenant, p99).ok());

  AlarmConfig math;
  math.name = "ratio";
  math.evaluation_periods = 1;
  math.threshold = 0.5;
  math.comparison_operator = "GreaterThanOrEqualToThreshold";
  math.metrics = {
      {"e", MetricStat{{"XRay/Analysis", "ErrorTraces", {}}, 60, "Sum", ""}, "", "", false, 0},
      {"t", MetricStat{{"XRay/Analysis", "TotalTraces", {}}, 60, "Sum", ""}, "", "", false, 0},
      {"r", std::nullopt, "e / t", "Error ratio", true, 0},
  };
  ASSERT_TRUE(engine_->PutAlarm(kTenant, math).ok());
  for (int sample_idx = 0; sample_idx < 100; ++sample_idx)
    PutValue(sample_idx < 98 ? 1 : 100, kNow - 30);
  PutValue(150, kNow - 30, "TotalTraces");
  ASSERT_TRUE(engine_->EvaluateOnce(kNow).ok());
  EXPECT_EQ(Get("p99").state, AlarmStateValue::kAlarm);
  EXPECT_THAT(Get("p99").state_reason_data, HasSubstr("\"extendedStatistic\":\"p99\""));
  EXPECT_EQ(Get("ratio").state, AlarmStateValue::kAlarm);  // 298 / 150 >= 0.5
}

TEST_F(AlarmTest, AnomalyBandAlarm) {
  // A steady metric around 10 for a day, then a spike.
  std::vector<MetricDatum> data;
  for (double t = kNow - 86400; t < kNow - 300; t += 300) {
    MetricDatum datum;
    datum.namespace_name = "App";
    datum.metric_name = "Latency";
    datum.value = 10 + std::fmod(t / 300, 2);
    datum.timestamp = t;
    data.push_back(datum);
  }
  MetricDatum spike = data.back();
  spike.timestamp = kNow - 300;
  spike.value = 100;
  data.push_back(spike);
  ASSERT_TRUE(store_->Put(kTenant, data).ok());
  AlarmConfig c;
  c.name = "anomaly";
  c.evaluation_periods = 1;
  c.comparison_operator = "LessThanLowerOrGreaterThanUpperThreshold";
  c.threshold_metric_id = "ad1";
  c.metrics = {
      {"m1", MetricStat{{"App", "Latency", {}}, 300, "Average", ""}, "", "", true, 0},
      {"ad1", std::nullopt, "ANOMALY_DETECTION_BAND(m1, 2)", "", true, 0},
  };
  ASSERT_TRUE(engine_->PutAlarm(kTenant, c).ok());
  ASSERT_TRUE(engine_->EvaluateOnce(kNow).ok());
  EXPECT_EQ(Get("anomaly").state, AlarmStateValue::kAlarm) << Get("anomaly").state_reason;
  // An anomaly operator without ThresholdMetricId is refused.
  c.threshold_metric_id.clear();
  EXPECT_EQ(engine_->PutAlarm(kTenant, c).code(), StatusCode::kInvalidArgument);
}

TEST_F(AlarmTest, ValidationAndDeletion) {
  AlarmConfig c = RecipeAlarm();
  c.period = 45;
  EXPECT_EQ(engine_->PutAlarm(kTenant, c).code(), StatusCode::kInvalidArgument);
  c = RecipeAlarm();
  c.comparison_operator = "Bigger";
  EXPECT_EQ(engine_->PutAlarm(kTenant, c).code(), StatusCode::kInvalidArgument);
  c = RecipeAlarm();
  c.datapoints_to_alarm = 3;
  EXPECT_EQ(engine_->PutAlarm(kTenant, c).code(), StatusCode::kInvalidArgument);
  c = RecipeAlarm();
  c.actions_enabled = false;
  ASSERT_TRUE(engine_->PutAlarm(kTenant, c).ok());
  ASSERT_TRUE(
      engine_->SetAlarmState(kTenant, c.name, AlarmStateValue::kAlarm, "manual", "{}").ok());
  EXPECT_TRUE(deliveries_.empty());  // ActionsEnabled false
  EXPECT_EQ(Get(c.name).state_reason, "manual");
  EXPECT_EQ(engine_->SetAlarmState(kTenant, "nope", AlarmStateValue::kOk, "", "").code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(engine_->DeleteAlarms(kTenant, {c.name, "unknown"}).ok());
  EXPECT_TRUE(engine_->ListAlarms(kTenant).empty());
  OpenEngine();
  EXPECT_TRUE(engine_->ListAlarms(kTenant).empty());
}

TEST_F(AlarmTest, AnomalyDetectorsPersist) {
  AnomalyDetectorConfig d;
  d.namespace_name = "App";
  d.metric_name = "Latency";
  d.dimensions = {{"Service", "api"}};
  d.stat = "Average";
  ASSERT_TRUE(engine_->PutAnomalyDetector(kTenant, d).ok());
  ASSERT_TRUE(engine_->PutAnomalyDetector(kTenant, d).ok());  // idempotent
  d.stat = "Bogus";
  EXPECT_FALSE(engine_->PutAnomalyDetector(kTenant, d).ok());
  OpenEngine();
  auto detectors = engine_->ListAnomalyDetectors(kTenant);
  ASSERT_EQ(detectors.size(), 1u);
  EXPECT_EQ(detectors[0].stat, "Average");
  EXPECT_EQ(detectors[0].dimensions[0].value, "api");
}

}  // namespace
}  // namespace roentgen::metrics
