// SPDX-License-Identifier: Apache-2.0
#pragma once

// CloudWatch metric alarms and anomaly detectors (docs/cloudwatch.md, "Alarms").
//
// AlarmEngine keeps alarms in the catalog (kind "alarm", history in "alarm_history",
// anomaly detectors in "anomaly_detector"), evaluates them against the MetricStore on a
// background thread (or EvaluateOnce in tests) and hands the actions of each state change to
// an ActionDeliverer (in the server: http::WebhookSender for http:// URLs).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/status.h"
#include "metrics/metrics.h"
#include "model/tenant.h"
#include "store/catalog.h"

namespace roentgen::metrics {

enum class AlarmStateValue { kOk, kAlarm, kInsufficientData };
// "OK", "ALARM", "INSUFFICIENT_DATA".
std::string_view AlarmStateName(AlarmStateValue state);
std::optional<AlarmStateValue> ParseAlarmState(std::string_view name);

// PutMetricAlarm's input (a full replacement of the alarm).
struct AlarmConfig {
  std::string name;
  std::string description;
  bool actions_enabled = true;
  std::vector<std::string> ok_actions;
  std::vector<std::string> alarm_actions;
  std::vector<std::string> insufficient_data_actions;
  // A single-metric alarm: namespace, metric, dimensions and Statistic xor ExtendedStatistic.
  std::string namespace_name;
  std::string metric_name;
  std::vector<Dimension> dimensions;
  std::string statistic;
  std::string extended_statistic;
  std::string unit;
  int64_t period = 0;
  int32_t evaluation_periods = 0;
  int32_t datapoints_to_alarm = 0;  // 0: evaluation_periods
  std::optional<double> threshold;
  std::string comparison_operator;
  std::string treat_missing_data;  // empty: "missing"
  std::string evaluate_low_sample_count_percentile;
  // A metric-math alarm: the queries (exactly one with ReturnData true is the alarm's value).
  std::vector<MetricDataQuery> metrics;
  std::string threshold_metric_id;  // anomaly-band operators: the band's query id
  std::vector<std::pair<std::string, std::string>> tags;
};

struct Alarm {
  AlarmConfig config;
  std::string arn;
  AlarmStateValue state = AlarmStateValue::kInsufficientData;
  std::string state_reason;
  std::string state_reason_data;  // JSON text; empty when none
  double state_updated = 0;       // seconds since the epoch
  double state_transitioned = 0;
  double configuration_updated = 0;
};

struct AlarmHistoryItem {
  std::string alarm_name;
  std::string alarm_type = "MetricAlarm";
  double timestamp = 0;
  std::string type;  // ConfigurationUpdate | StateUpdate | Action
  std::string summary;
  std::string data;  // JSON text
};

struct AnomalyDetectorConfig {
  std::string namespace_name;
  std::string metric_name;
  std::vector<Dimension> dimensions;
  std::string stat;
  // Excluded time ranges and the metric timezone of the Configuration member.
  std::vector<std::pair<double, double>> excluded_ranges;
  std::string metric_timezone;
};

// Delivers one action: POST `json_body` to `url` (an http:// URL). Must not block for long;
// called from the evaluating thread.
using ActionDeliverer = std::function<void(const std::string& url, const std::string& json_body)>;

struct AlarmEngineOptions {
  store::Catalog* catalog = nullptr;  // required; must outlive the engine
  MetricStore* store = nullptr;       // required; must outlive the engine
  Clock* clock = nullptr;             // nullptr: the real clock
  ActionDeliverer deliver;            // empty: http actions are logged, not delivered
  std::string region = "us-east-1";
  double evaluation_interval_seconds = 60;
  size_t max_alarms_per_tenant = 5000;
  size_t max_history_per_alarm = 100;
  size_t max_anomaly_detectors_per_tenant = 500;
};

// Thread-safe.
class AlarmEngine {
 public:
  // Loads alarms, their history and detectors from the catalog.
  static Result<std::unique_ptr<AlarmEngine>> Open(AlarmEngineOptions options);
  ~AlarmEngine();  // Shutdown()
  AlarmEngine(const AlarmEngine&) = delete;
  AlarmEngine& operator=(const AlarmEngine&) = delete;

  // Creates or fully replaces an alarm. New alarms start in INSUFFICIENT_DATA; a replaced
  // alarm keeps its state until the next evaluation. InvalidArgument naming the parameter;
  // ResourceExhausted past max_alarms_per_tenant.
  Status PutAlarm(const model::TenantId& tenant, AlarmConfig config);
  // Every alarm of `tenant`, ordered by name.
  std::vector<Alarm> ListAlarms(const model::TenantId& tenant) const;
  // Deletes the named alarms; unknown names are skipped (NotFound only when none existed).
  Status DeleteAlarms(const model::TenantId& tenant, const std::vector<std::string>& names);
  // Sets the state as SetAlarmState does (actions run); the next evaluation may change it.
  Status SetAlarmState(const model::TenantId& tenant, std::string_view name, AlarmStateValue state,
                       std::string reason, std::string reason_data);
  // History, newest first; empty name: every alarm; empty type: every type.
  std::vector<AlarmHistoryItem> History(const model::TenantId& tenant, std::string_view name,
                                        std::string_view type, double start, double end) const;

  Status PutAnomalyDetector(const model::TenantId& tenant, AnomalyDetectorConfig config);
  std::vector<AnomalyDetectorConfig> ListAnomalyDetectors(const model::TenantId& tenant) const;
  Status DeleteAnomalyDetector(const model::TenantId& tenant, const AnomalyDetectorConfig& config);

  // Evaluates every alarm as of `now` (seconds since the epoch): the alarm's last
  // EvaluationPeriods complete periods before now.
  Status EvaluateOnce(double now);

  // Starts/stops the background evaluator (every evaluation_interval_seconds of the clock).
  void Start();
  void Shutdown();

 private:
  struct Impl;
  explicit AlarmEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The JSON body POSTed to an alarm's http:// action (docs/cloudwatch.md, "Webhook body"):
// the fields of the SNS message CloudWatch sends, plus StateReasonData.
std::string AlarmNotificationJson(const Alarm& alarm, AlarmStateValue old_state,
                                  std::string_view account);

}  // namespace roentgen::metrics
