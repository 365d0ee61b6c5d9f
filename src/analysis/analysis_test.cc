// SPDX-License-Identifier: Apache-2.0
#include "analysis/analysis.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace roentgen::analysis {
namespace {

constexpr int64_t kStart = int64_t{1'767'225'600} * 1'000'000'000;  // 2026-01-01T00:00:00Z
const model::TenantId kTenant = std::string(model::kDefaultTenant);

// Collects what a publisher sends, summed per (namespace, metric, dimensions, timestamp).
class Sink {
 public:
  MetricSink AsSink() {
    return [this](const model::TenantId&, std::span<const metrics::MetricDatum> data) {
      std::lock_guard lock(mutex_);
      for (const auto& datum : data) {
        std::string key = datum.namespace_name + "|" + datum.metric_name;
        for (const auto& dimension : datum.dimensions) {
          key += "|" + dimension.name + "=" + dimension.value;
        }
        if (datum.value) sums_[key] += *datum.value;
        for (size_t i = 0; i < datum.values.size(); ++i) {
          double count = datum.counts.empty() ? 1 : datum.counts[i];
          sums_[key] += datum.values[i] * count;
          counts_[key] += count;
        }
        timestamps_[key] = datum.timestamp;
        ++datums_;
      }
      return Status();
    };
  }
  double Sum(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = sums_.find(key);
    return it == sums_.end() ? -1 : it->second;
  }
  double Count(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }
  double Timestamp(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = timestamps_.find(key);
    return it == timestamps_.end() ? -1 : it->second;
  }
  size_t datums() const {
    std::lock_guard lock(mutex_);
    return datums_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, double> sums_, counts_, timestamps_;
  size_t datums_ = 0;
};

model::TraceId TraceIdAt(double seconds, int n) {
  char text[40];
  std::snprintf(text, sizeof(text), "1-%08x-%024x", static_cast<unsigned>(seconds), n);
  return *model::TraceId::Parse(text);
}

// ---------------------------------------------------------------------------------------
// Schedules.

TEST(ScheduleTest, Rates) {
  auto hourly = Schedule::Parse("rate(1 hour)");
  ASSERT_TRUE(hourly.ok()) << hourly.error().ToString();
  EXPECT_EQ(hourly->NextAfter(1000), 4600);
  auto five = Schedule::Parse(" rate(5 minutes) ");
  ASSERT_TRUE(five.ok());
  EXPECT_EQ(five->rate_seconds(), 300);
  EXPECT_EQ(Schedule::Parse("rate(2 days)")->rate_seconds(), 2 * 86400);
  for (const char* bad : {"rate(1 hours)", "rate(5 minute)", "rate(0 minutes)", "rate(x hour)",
                          "rate(1 week)", "every hour", "rate(1 hour", ""}) {
    EXPECT_FALSE(Schedule::Parse(bad).ok()) << bad;
  }
}

TEST(ScheduleTest, CronExpressions) {
  const int64_t t0 = kStart / 1'000'000'000;  // Thursday 2026-01-01 00:00 UTC
  auto hourly = Schedule::Parse("cron(0 * * * ? *)");
  ASSERT_TRUE(hourly.ok()) << hourly.error().ToString();
  EXPECT_EQ(hourly->NextAfter(t0), t0 + 3600);
  EXPECT_EQ(hourly->NextAfter(t0 + 10), t0 + 3600);
  // Every 15 minutes from 09:00 to 17:45 on weekdays: from Thursday 00:00, Thursday 09:00.
  auto office = Schedule::Parse("cron(0/15 9-17 ? * MON-FRI *)");
  ASSERT_TRUE(office.ok()) << office.error().ToString();
  EXPECT_EQ(office->NextAfter(t0), t0 + 9 * 3600);
  EXPECT_EQ(office->NextAfter(t0 + 9 * 3600), t0 + 9 * 3600 + 900);
  // Friday 17:45 is followed by Monday 09:00 (2026-01-05).
  int64_t friday_last = t0 + 86400 + 17 * 3600 + 45 * 60;
  EXPECT_EQ(office->NextAfter(friday_last), t0 + 4 * 86400 + 9 * 3600);
  // 12:00 on the 1st of every month; day-of-week numbers are EventBridge's (1 = Sunday).
  auto monthly = Schedule::Parse("cron(0 12 1 * ? *)");
  ASSERT_TRUE(monthly.ok());
  EXPECT_EQ(monthly->NextAfter(t0 + 13 * 3600), t0 + 31 * 86400 + 12 * 3600);
  auto sundays = Schedule::Parse("cron(30 6 ? * 1 *)");
  ASSERT_TRUE(sundays.ok());
  EXPECT_EQ(sundays->NextAfter(t0), t0 + 3 * 86400 + 6 * 3600 + 1800);  // Sunday 2026-01-04
  // A year in the past never fires again.
  EXPECT_EQ(Schedule::Parse("cron(0 0 1 1 ? 2020)")->NextAfter(t0), std::nullopt);
  for (const char* bad : {"cron(0 * * * * *)", "cron(0 * ? * ? *)", "cron(60 * * * ? *)",
                          "cron(0 24 * * ? *)", "cron(0 * * 13 ? *)", "cron(0 * L * ? *)",
                          "cron(0 * * * ?)", "cron(0/0 * * * ? *)", "cron(0 * ? * 8 *)"}) {
    EXPECT_FALSE(Schedule::Parse(bad).ok()) << bad;
  }
}

// ---------------------------------------------------------------------------------------
// Rules: JSON.

constexpr std::string_view kRecipeRule = R"json({
  "name": "recipe-trace-analysis",
  "filter": "service(\"order-processor\")",
  "schedule": "rate(1 hour)",
  "window_seconds": 3600,
  "time_range_type": "TimeStamp",
  "namespace": "XRay/Analysis",
  "metrics": [
    {"name": "TotalTraces", "kind": "count"},
    {"name": "ErrorTraces", "kind": "error_count"},
    {"name": "HighLatencyTraces", "kind": "count_above", "threshold": 2}
  ]
})json";

TEST(RuleJsonTest, ParsesTheRecipeRuleAndRoundTrips) {
  auto rule = ParseRuleJson(kRecipeRule);
  ASSERT_TRUE(rule.ok()) << rule.error().ToString();
  EXPECT_EQ(rule->name, "recipe-trace-analysis");
  EXPECT_EQ(rule->time_range, store::TimeRangeKind::kEvent);
  ASSERT_EQ(rule->metrics.size(), 3u);
  EXPECT_EQ(rule->metrics[2].kind, RuleMetricKind::kCountAbove);
  EXPECT_EQ(rule->metrics[2].threshold, 2);
  auto again = ParseRuleJson(RuleToJson(*rule));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(RuleToJson(*again), RuleToJson(*rule));
}

TEST(RuleJsonTest, RejectsBadRulesNamingTheField) {
  auto error_of = [](std::string_view json, std::string_view name = {}) {
    auto rule = ParseRuleJson(json, name);
    return rule.ok() ? std::string("ok") : std::string(rule.error().message());
  };
  const std::string count_metric = R"json("metrics":[{"name":"x","kind":"count"}])json";
  const std::string hourly = R"json({"name":"a","schedule":"rate(1 hour)",)json";
  EXPECT_THAT(error_of(hourly + R"json("metrics":[]})json"), testing::HasSubstr("metrics"));
  EXPECT_THAT(error_of(hourly + R"json("metrics":[{"name":"x","kind":"avg"}]})json"),
              testing::HasSubstr("kind"));
  EXPECT_THAT(error_of(R"json({"name":"a b","schedule":"rate(1 hour)",)json" + count_metric + "}"),
              testing::HasSubstr("name"));
  EXPECT_THAT(error_of(hourly + R"json("window_seconds":5,)json" + count_metric + "}"),
              testing::HasSubstr("window_seconds"));
  EXPECT_THAT(error_of(hourly + R"json("namespace":"AWS/X-Ray",)json" + count_metric + "}"),
              testing::HasSubstr("namespace"));
  EXPECT_THAT(error_of(hourly + R"json("metrics":[{"name":"x","kind":"count_above"}]})json"),
              testing::HasSubstr("threshold"));
  EXPECT_THAT(error_of(hourly + count_metric + "}", "b"), testing::HasSubstr("differs"));
  EXPECT_EQ(error_of(R"json({"schedule":"rate(1 hour)",)json" + count_metric + "}", "from-url"),
            "ok");
}

// ---------------------------------------------------------------------------------------
// The engine, over a store of hand-made summaries.

class FakeStore final : public store::Store {
 public:
  // Adds a trace whose detail has one segment per service of the summary.
  void Add(model::TraceSummary summary) {
    model::TraceDetail detail;
    for (const model::ServiceId& id : summary.service_ids) {
      model::ServiceNode node;
      node.id = id;
      model::NodeSegment segment;
      segment.start_time = summary.start_time;
      segment.end_time = summary.end_time;
      segment.response_time = summary.response_time;
      segment.error = summary.has_error;
      segment.fault = summary.has_fault;
      node.segments.push_back(segment);
      detail.nodes.push_back(std::move(node));
    }
    traces_.emplace_back(std::move(summary), std::move(detail));
  }

  Status Append(const model::TenantId&, std::vector<store::IncomingDocument>&&,
                store::AppendCallback) override {
    return UnavailableError("fake");
  }
  Result<std::vector<store::StoredTrace>> GetTraces(const model::TenantId&,
                                                    std::span<const model::TraceId>) override {
    return std::vector<store::StoredTrace>{};
  }
  Status ScanSummaries(const model::TenantId& tenant, const store::ScanRequest& request,
                       const store::SummaryVisitor& visit) override {
    for (const auto& [summary, detail] : traces_) {
      // Event semantics: active in the window.
      if (summary.end_time < request.range.start_seconds ||
          summary.start_time >= request.range.end_seconds) {
        continue;
      }
      if (request.traces_selected != nullptr) ++*request.traces_selected;
      if (request.prefilter && !request.prefilter(summary)) continue;
      store::SummaryRow row{&tenant,     &summary,           &detail,         {}, false,
                            &summary.id, summary.start_time, summary.end_time};
      if (!visit(row)) break;
    }
    return Status();
  }
  Result<std::vector<store::SummaryRecord>> GetSummaries(const model::TenantId&,
                                                         std::span<const model::TraceId>,
                                                         bool) override {
    return std::vector<store::SummaryRecord>{};
  }
  void AddSealObserver(store::SealObserver*) override {}
  Status Start() override { return Status(); }
  store::StoreStats Stats() const override { return {}; }
  Status FlushAll() override { return Status(); }
  Status Shutdown() override { return Status(); }
  void CrashForTest() override {}

 private:
  std::vector<std::pair<model::TraceSummary, model::TraceDetail>> traces_;
};

model::TraceSummary Summary(double start, int n, std::vector<std::string> services,
                            double response_time, bool error = false, bool fault = false) {
  model::TraceSummary summary;
  summary.id = TraceIdAt(start, n);
  summary.start_time = start;
  summary.end_time = start + response_time;
  summary.duration = response_time;
  summary.response_time = response_time;
  summary.has_error = error;
  summary.has_fault = fault;
  summary.has_root = true;
  for (auto& name : services) summary.service_ids.push_back({std::move(name), "", ""});
  return summary;
}

class RuleEngineTest : public ::testing::Test {
 protected:
  RuleEngineTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("rg_analysis_test_" + std::to_string(::getpid()))),
        clock_(kStart) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto catalog = store::Catalog::Open((dir_ / "catalog").string());
    EXPECT_TRUE(catalog.ok()) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
    Reopen();
  }
  ~RuleEngineTest() override {
    engine_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Reopen() {
    engine_.reset();
    RuleEngineOptions options;
    options.clock = &clock_;
    auto engine = RuleEngine::Open(options, &store_, catalog_.get(), nullptr, sink_.AsSink());
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(*engine);
  }

  double now() const { return clock_.NowUnixSeconds(); }

  std::filesystem::path dir_;
  ManualClock clock_;
  FakeStore store_;
  Sink sink_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<RuleEngine> engine_;
};

TEST_F(RuleEngineTest, RecipeRuleCountsTracesErrorsAndSlowOnes) {
  double t = now();
  store_.Add(Summary(t + 100, 1, {"xray-monitoring-api/prod", "order-processor"}, 0.3));
  store_.Add(Summary(t + 200, 2, {"order-processor"}, 0.4, /*error=*/true));
  store_.Add(Summary(t + 300, 3, {"order-processor"}, 2.5));
  store_.Add(Summary(t + 400, 4, {"order-processor"}, 3.0, /*error=*/true, /*fault=*/true));
  store_.Add(Summary(t + 500, 5, {"inventory-manager"}, 9.0, /*error=*/true));
  store_.Add(Summary(t - 7200, 6, {"order-processor"}, 5.0, true));  // before the window
  auto rule = ParseRuleJson(kRecipeRule);
  ASSERT_TRUE(rule.ok());
  ASSERT_TRUE(engine_->Put(*rule).ok());

  clock_.Advance(std::chrono::minutes(59));
  EXPECT_TRUE(engine_->RunDue(now()).empty());
  clock_.Advance(std::chrono::minutes(1));
  auto runs = engine_->RunDue(now());
  ASSERT_EQ(runs.size(), 1u);
  const RuleRun& run = runs[0];
  EXPECT_TRUE(run.ok) << run.error;
  EXPECT_EQ(run.window_end, t + 3600);
  EXPECT_EQ(run.traces_matched, 4u);
  EXPECT_EQ(run.traces_scanned, 5u);
  EXPECT_EQ(sink_.Sum("XRay/Analysis|TotalTraces"), 4);
  EXPECT_EQ(sink_.Sum("XRay/Analysis|ErrorTraces"), 2);
  EXPECT_EQ(sink_.Sum("XRay/Analysis|HighLatencyTraces"), 2);
  EXPECT_EQ(sink_.Timestamp("XRay/Analysis|TotalTraces"), t + 3600);
  // Not due again until the next hour.
  clock_.Advance(std::chrono::minutes(30));
  EXPECT_TRUE(engine_->RunDue(now()).empty());
}

TEST_F(RuleEngineTest, SchedulesAndRunsSurviveARestartAndAMissedRunIsMadeOnce) {
  auto rule = ParseRuleJson(kRecipeRule);
  ASSERT_TRUE(engine_->Put(*rule).ok());
  double created = now();
  clock_.Advance(std::chrono::hours(1));
  ASSERT_EQ(engine_->RunDue(now()).size(), 1u);
  Reopen();
  auto status = engine_->Get("recipe-trace-analysis");
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->recent_runs.size(), 1u);
  EXPECT_EQ(status->recent_runs[0].scheduled_time, created + 3600);
  ASSERT_TRUE(status->next_run.has_value());
  EXPECT_EQ(*status->next_run, created + 7200);
  // Down for four hours: one catch-up run over the hour before now, then back on schedule.
  clock_.Advance(std::chrono::hours(4));
  Reopen();
  auto runs = engine_->RunDue(now());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].window_end, now());
  EXPECT_TRUE(engine_->RunDue(now()).empty());
  status = engine_->Get("recipe-trace-analysis");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->recent_runs.size(), 2u);
  EXPECT_GT(*status->next_run, now());
  EXPECT_LE(*status->next_run, now() + 3600);
}

TEST_F(RuleEngineTest, ValidatesFiltersAndManagesRules) {
  auto rule = ParseRuleJson(kRecipeRule);
  rule->filter = "service(\"order-processor\") AND";
  Status bad = engine_->Put(*rule);
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.message()), testing::HasSubstr("column"));
  rule->filter = "responsetime > 1";
  rule->schedule = "rate(1 hours)";
  EXPECT_FALSE(engine_->Put(*rule).ok());
  rule->schedule = "rate(5 minutes)";
  ASSERT_TRUE(engine_->Put(*rule).ok());
  EXPECT_EQ(engine_->List().size(), 1u);
  auto run = engine_->RunNow("recipe-trace-analysis");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->window_end, now());
  EXPECT_TRUE(engine_->Delete("recipe-trace-analysis").ok());
  EXPECT_EQ(engine_->Delete("recipe-trace-analysis").code(), StatusCode::kNotFound);
  EXPECT_FALSE(engine_->RunNow("recipe-trace-analysis").ok());
  Reopen();
  EXPECT_TRUE(engine_->List().empty());
}

TEST_F(RuleEngineTest, LoadsRulesFromAFile) {
  std::filesystem::path file = dir_ / "rules.json";
  std::ofstream(file) << "{\"rules\": [" << kRecipeRule << R"json(,
      {"name": "slow", "filter": "responsetime > 1", "schedule": "cron(0/5 * * * ? *)",
       "window_seconds": 300, "metrics": [{"name": "SlowTraces", "kind": "count"},
                                          {"name": "Latency", "kind": "response_time"}]}]})json";
  auto loaded = engine_->LoadFile(file.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(*loaded, 2u);
  auto slow = engine_->Get("slow");
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(slow->rule.source, "file");
  std::ofstream(dir_ / "bad.json") << R"json([{"name": "x", "schedule": "rate(1 hour)"}])json";
  EXPECT_FALSE(engine_->LoadFile((dir_ / "bad.json").string()).ok());
  EXPECT_FALSE(engine_->LoadFile((dir_ / "missing.json").string()).ok());
}

// ---------------------------------------------------------------------------------------
// Metrics from traces.

store::TraceRevision Revision(double start, int n, bool fault_in_inventory) {
  store::TraceRevision trace;
  trace.tenant = kTenant;
  trace.trace_id = TraceIdAt(start, n);
  trace.revision = 1;
  trace.summary = Summary(start, n, {"api", "inventory"}, 0.25, false, fault_in_inventory);
  model::ServiceNode api;
  api.id = {"api", "AWS::ApiGateway::Stage", ""};
  model::NodeSegment api_segment;
  api_segment.start_time = start;
  api_segment.end_time = start + 0.25;
  api_segment.response_time = 0.25;
  api_segment.fault = fault_in_inventory;
  api.segments.push_back(api_segment);
  model::ServiceNode inventory;
  inventory.id = {"inventory", "AWS::Lambda::Function", ""};
  model::NodeSegment inventory_segment;
  inventory_segment.start_time = start + 0.05;
  inventory_segment.end_time = start + 0.2;
  inventory_segment.response_time = 0.15;
  inventory_segment.fault = fault_in_inventory;
  inventory.segments.push_back(inventory_segment);
  model::ServiceNode client;
  client.id = {"api", "client", ""};
  client.kind = model::NodeKind::kClient;
  trace.detail.nodes = {api, inventory, client};
  trace.groups = {{7, 1}};
  return trace;
}

TEST(TraceMetricsTest, PublishesPerGroupAndServiceOncePerTrace) {
  ManualClock clock(kStart + int64_t{30} * 1'000'000'000);
  Sink sink;
  TraceMetricsOptions options;
  options.clock = &clock;
  options.group_name = [](const model::TenantId&, uint32_t id) -> std::optional<std::string> {
    if (id == 7) return "checkout";
    return std::nullopt;
  };
  TraceMetricsPublisher publisher(options, sink.AsSink());
  double t = static_cast<double>(kStart / 1'000'000'000) + 1;  // inside minute 0
  store::TraceRevision ok1 = Revision(t, 1, false);
  store::TraceRevision ok2 = Revision(t + 2, 2, false);
  store::TraceRevision faulty = Revision(t + 4, 3, true);
  publisher.OnSeal(nullptr, ok1);
  publisher.OnSeal(nullptr, ok2);
  publisher.OnSeal(nullptr, faulty);
  store::TraceRevision resealed = faulty;
  resealed.revision = 2;
  publisher.OnSeal(&faulty, resealed);  // not counted again
  publisher.AddTracesScanned(kTenant, 42);
  ASSERT_TRUE(publisher.Flush().ok());

  for (std::string group : {"Default", "checkout"}) {
    std::string by_group = "|GroupName=" + group;
    EXPECT_EQ(sink.Sum("AWS/X-Ray|ApproximateTraceCount" + by_group), 3) << group;
    EXPECT_EQ(sink.Sum("Roentgen/Traces|TraceCount" + by_group), 3);
    EXPECT_EQ(sink.Sum("Roentgen/Traces|OkTraceCount" + by_group), 2);
    EXPECT_EQ(sink.Sum("Roentgen/Traces|FaultTraceCount" + by_group), 1);
    EXPECT_EQ(sink.Sum("Roentgen/Traces|ErrorTraceCount" + by_group), 0);
    EXPECT_EQ(sink.Count("Roentgen/Traces|ResponseTime" + by_group), 3);
    std::string inventory = by_group + "|ServiceName=inventory|ServiceType=AWS::Lambda::Function";
    EXPECT_EQ(sink.Sum("Roentgen/Traces|RequestCount" + inventory), 3);
    EXPECT_EQ(sink.Sum("Roentgen/Traces|FaultCount" + inventory), 1);
    EXPECT_EQ(sink.Sum("Roentgen/Traces|OkCount" + inventory), 2);
    EXPECT_DOUBLE_EQ(sink.Sum("Roentgen/Traces|ResponseTime" + inventory), 0.45);
    EXPECT_EQ(sink.Timestamp("Roentgen/Traces|RequestCount" + inventory), kStart / 1'000'000'000);
    // The client node is not a service.
    EXPECT_EQ(
        sink.Sum("Roentgen/Traces|RequestCount" + by_group + "|ServiceName=api|ServiceType=client"),
        -1);
  }
  EXPECT_EQ(sink.Sum("AWS/X-Ray|TracesReceived"), 3);
  EXPECT_EQ(sink.Sum("AWS/X-Ray|TracesScanned"), 42);
  EXPECT_EQ(publisher.Stats().traces, 3u);
  // A second flush has nothing new.
  size_t datums = sink.datums();
  ASSERT_TRUE(publisher.Flush().ok());
  EXPECT_EQ(sink.datums(), datums);
}

TEST(TraceMetricsTest, DropsTracesTooOldToPublish) {
  ManualClock clock(kStart);
  Sink sink;
  TraceMetricsOptions options;
  options.clock = &clock;
  TraceMetricsPublisher publisher(options, sink.AsSink());
  double t = static_cast<double>(kStart / 1'000'000'000) - 15 * 86400;
  publisher.OnSeal(nullptr, Revision(t, 1, false));
  ASSERT_TRUE(publisher.Flush().ok());
  EXPECT_EQ(sink.Sum("Roentgen/Traces|TraceCount|GroupName=Default"), -1);
  EXPECT_EQ(sink.Sum("AWS/X-Ray|TracesReceived"), 1);
  EXPECT_EQ(publisher.Stats().dropped, 1u);
}

}  // namespace
}  // namespace roentgen::analysis
