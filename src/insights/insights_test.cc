// SPDX-License-Identifier: Apache-2.0
#include "insights/insights.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "groups/groups.h"
#include "parse/json_dom.h"
#include "store/catalog.h"

namespace roentgen::insights {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr int64_t kNanos = 1'000'000'000;
constexpr int64_t kT0 = 1'800'000'000 - 1'800'000'000 % 3600;  // an hour boundary
constexpr int kPerMinute = 20;
const model::TenantId kTenant = "000000000000";

const model::ServiceId kGateway{"xray-monitoring-api/prod", "AWS::ApiGateway::Stage", ""};
const model::ServiceId kProcessor{"order-processor", "AWS::Lambda::Function", ""};
const model::ServiceId kInventory{"inventory-manager", "AWS::Lambda::Function", ""};
const model::ServiceId kNotification{"notification-service", "AWS::Lambda::Function", ""};

model::NodeSegment Segment(double start, double end, bool fault, bool root = false) {
  model::NodeSegment segment;
  segment.start_time = start;
  segment.end_time = end;
  segment.response_time = end - start;
  segment.duration = end - start;
  segment.fault = fault;
  segment.root = root;
  return segment;
}

model::EdgeCall Call(double start, double end, bool fault) {
  model::EdgeCall call;
  call.start_time = start;
  call.end_time = end;
  call.response_time = end - start;
  call.fault = fault;
  return call;
}

model::ServiceNode Node(const model::ServiceId& id, model::NodeKind kind,
                        std::vector<model::NodeSegment> segments = {}) {
  model::ServiceNode node;
  node.id = id;
  node.kind = kind;
  node.segments = std::move(segments);
  return node;
}

// The demo's order: client -> xray-monitoring-api/prod -> order-processor -> inventory-manager
// and notification-service. A fault of inventory-manager propagates to its callers, and the
// trace's fault root cause is inventory-manager; `inventory_seconds` is its response time.
store::TraceRevision DemoTrace(double start, bool inventory_fault, double inventory_seconds,
                               std::vector<model::GroupMatch> groups = {}) {
  double inventory_end = start + 0.02 + inventory_seconds;
  double notification_end = inventory_end + 0.03;
  double processor_end = notification_end + 0.01;
  double end = processor_end + 0.01;
  bool fault = inventory_fault;
  model::TraceDetail detail;
  detail.nodes.push_back(
      Node(kGateway, model::NodeKind::kActive, {Segment(start, end, fault, /*root=*/true)}));
  detail.nodes.push_back(
      Node(kProcessor, model::NodeKind::kActive, {Segment(start + 0.01, processor_end, fault)}));
  detail.nodes.push_back(
      Node(kInventory, model::NodeKind::kActive, {Segment(start + 0.02, inventory_end, fault)}));
  detail.nodes.push_back(Node(kNotification, model::NodeKind::kActive,
                              {Segment(inventory_end, notification_end, false)}));
  detail.nodes.push_back(Node({kGateway.name, "client", ""}, model::NodeKind::kClient));
  detail.edges.push_back({4, 0, {Call(start, end, fault)}});
  detail.edges.push_back({0, 1, {Call(start + 0.01, processor_end, fault)}});
  detail.edges.push_back({1, 2, {Call(start + 0.02, inventory_end, fault)}});
  detail.edges.push_back({1, 3, {Call(inventory_end, notification_end, false)}});
  if (fault) {
    model::RootCause cause;
    for (const auto& id : {kGateway, kProcessor, kInventory}) {
      model::RootCauseService service;
      service.id = id;
      cause.services.push_back(service);
    }
    cause.client_impacting = true;
    detail.fault_root_causes.push_back(cause);
  }
  store::TraceRevision revision;
  revision.tenant = kTenant;
  revision.summary.start_time = start;
  revision.summary.end_time = end;
  revision.summary.has_fault = fault;
  revision.summary.has_root = true;
  revision.detail = std::move(detail);
  revision.groups = std::move(groups);
  return revision;
}

class InsightsTest : public ::testing::Test {
 protected:
  InsightsTest() : clock_(kT0 * kNanos) {
    dir_ = std::filesystem::temp_directory_path() /
           ("insights_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    catalog_ = store::Catalog::Open(dir_.string()).value();
    groups::GroupRegistryOptions group_options;
    group_options.clock = &clock_;
    groups_ = groups::GroupRegistry::Open(catalog_.get(), group_options).value();
    // A second group, with insights off, that every trace belongs to.
    auto quiet = groups_->Create(kTenant, {.name = "quiet", .filter_expression = ""});
    quiet_id_ = quiet.value()->id;
    OpenEngine();
  }
  ~InsightsTest() override {
    engine_.reset();
    groups_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  void OpenEngine() {
    EngineOptions options;
    options.catalog = catalog_.get();
    options.groups = groups_.get();
    options.clock = &clock_;
    options.notify = [this](const std::string& body) { notifications_.push_back(body); };
    engine_ = Engine::Open(options, kTenant).value();
  }

  void EnableInsights(std::string_view group, bool notifications) {
    groups::UpdateGroupRequest request;
    request.insights_enabled = true;
    request.notifications_enabled = notifications;
    ASSERT_TRUE(
        groups_->Update(kTenant, {.name = std::string(group), .arn = std::nullopt}, request).ok());
  }

  // Seals `kPerMinute` traces ending in minute `minute`, `faulting` of them faulting at
  // inventory-manager, whose response time is `inventory_seconds` (plus a little jitter).
  void SealMinute(int64_t minute, int faulting, double inventory_seconds = 0.1) {
    for (int i = 0; i < kPerMinute; ++i) {
      double start = static_cast<double>(minute * 60) + i * 2.5;
      double latency = inventory_seconds * (1 + 0.01 * (i % 7));
      engine_->OnSeal(nullptr,
                      DemoTrace(start, i < faulting, latency, {model::GroupMatch{quiet_id_, 1}}));
    }
  }

  // Moves the clock past minute `minute`'s settling and evaluates.
  void EvaluateAfter(int64_t minute) {
    int64_t now = (minute + 1) * 60 + 61;
    clock_.Set(now * kNanos);
    ASSERT_TRUE(engine_->EvaluateOnce(now).ok());
  }

  std::vector<Insight> Insights(uint32_t group_id = groups::kDefaultGroupId,
                                std::optional<State> state = std::nullopt) {
    ListRequest request;
    request.tenant = kTenant;
    request.group_id = group_id;
    request.state = state;
    request.start_time = 0;
    request.end_time = kT0 + 48 * 3600;
    return engine_->List(request);
  }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<groups::GroupRegistry> groups_;
  uint32_t quiet_id_ = 0;
  std::unique_ptr<Engine> engine_;
  std::vector<std::string> notifications_;
};

constexpr int64_t kFirstMinute = kT0 / 60;
constexpr int64_t kHistoryMinutes = 180;  // three hours at 0 % faults
constexpr int64_t kFaultMinute = kFirstMinute + kHistoryMinutes;
constexpr int kFaultMinutes = 10;

TEST_F(InsightsTest, FaultInsightOpensOnInventoryManagerAndClosesWhenFaultsStop) {
  EnableInsights("Default", /*notifications=*/true);
  for (int64_t minute = kFirstMinute; minute < kFaultMinute; ++minute) SealMinute(minute, 0);
  EvaluateAfter(kFaultMinute - 1);
  EXPECT_THAT(Insights(), SizeIs(0));
  // 30 % of the requests fault, inventory-manager being the root cause.
  for (int64_t minute = kFaultMinute; minute < kFaultMinute + kFaultMinutes; ++minute) {
    SealMinute(minute, kPerMinute * 3 / 10);
    EvaluateAfter(minute);
    std::vector<Insight> insights = Insights();
    if (minute < kFaultMinute + 2) {
      EXPECT_THAT(insights, SizeIs(0)) << "opened after " << minute - kFaultMinute + 1;
      continue;
    }
    ASSERT_THAT(insights, SizeIs(1));
    EXPECT_EQ(insights[0].state, State::kActive);
  }
  Insight active = Insights().at(0);
  EXPECT_EQ(active.category, Category::kFault);
  EXPECT_EQ(active.root_cause, kInventory);
  EXPECT_EQ(active.group_name, "Default");
  EXPECT_EQ(active.start_time, kFaultMinute * 60);
  EXPECT_FALSE(active.end_time.has_value());
  ASSERT_FALSE(active.top_anomalous_services.empty());
  EXPECT_EQ(active.top_anomalous_services[0], kInventory);
  EXPECT_THAT(active.top_anomalous_services, ::testing::Contains(kProcessor));
  EXPECT_THAT(active.top_anomalous_services, ::testing::Contains(kGateway));
  EXPECT_THAT(active.top_anomalous_services, ::testing::Not(::testing::Contains(kNotification)));
  EXPECT_EQ(active.client_impact.total_count, kPerMinute * kFaultMinutes);
  EXPECT_EQ(active.client_impact.fault_count, kPerMinute * 3 / 10 * kFaultMinutes);
  EXPECT_EQ(active.client_impact.ok_count,
            active.client_impact.total_count - active.client_impact.fault_count);
  EXPECT_EQ(active.root_cause_impact.fault_count, kPerMinute * 3 / 10 * kFaultMinutes);
  EXPECT_EQ(active.events.front().kind, EventKind::kOpened);
  EXPECT_EQ(active.events.front().event_time, (kFaultMinute + 3) * 60);
  EXPECT_THAT(active.summary, ::testing::HasSubstr("inventory-manager"));
  // Back to 0 %: closes after five normal minutes, not before.
  for (int64_t minute = kFaultMinute + kFaultMinutes; minute < kFaultMinute + kFaultMinutes + 8;
       ++minute) {
    SealMinute(minute, 0);
    EvaluateAfter(minute);
    std::vector<Insight> insights = Insights();
    ASSERT_THAT(insights, SizeIs(1));
    bool closed = minute >= kFaultMinute + kFaultMinutes + 4;
    EXPECT_EQ(insights[0].state, closed ? State::kClosed : State::kActive) << minute;
  }
  Insight closed = Insights().at(0);
  EXPECT_EQ(closed.id, active.id);
  EXPECT_EQ(closed.end_time, (kFaultMinute + kFaultMinutes) * 60);
  // The impact covers the anomalous minutes only.
  EXPECT_EQ(closed.client_impact, active.client_impact);
  ASSERT_GE(closed.events.size(), 2u);
  EXPECT_EQ(closed.events.front().kind, EventKind::kOpened);
  EXPECT_EQ(closed.events.back().kind, EventKind::kClosed);
  EXPECT_EQ(closed.events.back().event_time, (kFaultMinute + kFaultMinutes + 5) * 60);
  for (size_t i = 1; i < closed.events.size(); ++i) {
    EXPECT_LT(closed.events[i - 1].event_time, closed.events[i].event_time);
    if (i + 1 < closed.events.size()) {
      EXPECT_EQ(closed.events[i].kind, EventKind::kUpdated);
    }
  }
  EXPECT_EQ(closed.last_update_time, closed.events.back().event_time);
  EXPECT_THAT(Insights(groups::kDefaultGroupId, State::kActive), SizeIs(0));
  EXPECT_THAT(Insights(groups::kDefaultGroupId, State::kClosed), SizeIs(1));
  // Insights are off for the other group: nothing there.
  EXPECT_THAT(Insights(quiet_id_), SizeIs(0));

  // One notification per event, in order, each once; ACTIVE ones then the CLOSED one.
  ASSERT_EQ(notifications_.size(), closed.events.size());
  for (size_t i = 0; i < notifications_.size(); ++i) {
    auto body = parse::ParseJson(notifications_[i], 16);
    ASSERT_TRUE(body.ok()) << notifications_[i];
    EXPECT_EQ(body->Find("detail-type")->string_value(), "AWS X-Ray Insight Update");
    EXPECT_EQ(body->Find("source")->string_value(), "aws.xray");
    const parse::JsonValue* detail = body->Find("detail");
    ASSERT_NE(detail, nullptr);
    EXPECT_EQ(detail->Find("InsightId")->string_value(), closed.id);
    EXPECT_EQ(detail->Find("GroupName")->string_value(), "Default");
    EXPECT_EQ(detail->Find("RootCauseServiceId")->Find("Name")->string_value(),
              "inventory-manager");
    EXPECT_EQ(detail->Find("Categories")->elements().at(0).string_value(), "FAULT");
    bool last = i + 1 == notifications_.size();
    EXPECT_EQ(detail->Find("State")->string_value(), last ? "CLOSED" : "ACTIVE");
    EXPECT_EQ(detail->Find("Event")->Find("EventTime")->number_as_double(),
              static_cast<double>(closed.events[i].event_time));
  }
  // Evaluating again changes nothing and notifies nothing.
  EvaluateAfter(kFaultMinute + kFaultMinutes + 9);
  EXPECT_EQ(notifications_.size(), closed.events.size());
  EXPECT_THAT(Insights(), ElementsAre(closed));

  // A restart: the stored insight is back, and re-folding the same traces (what Rebuild does)
  // neither duplicates it nor notifies again.
  engine_.reset();
  OpenEngine();
  EXPECT_THAT(Insights(), ElementsAre(closed));
  ASSERT_TRUE(engine_->Get(kTenant, closed.id).ok());
  for (int64_t minute = kFirstMinute; minute < kFaultMinute + kFaultMinutes + 10; ++minute) {
    SealMinute(minute, minute >= kFaultMinute && minute < kFaultMinute + kFaultMinutes
                           ? kPerMinute * 3 / 10
                           : 0);
  }
  EvaluateAfter(kFaultMinute + kFaultMinutes + 9);
  EXPECT_THAT(Insights(), ElementsAre(closed));
  EXPECT_EQ(notifications_.size(), closed.events.size());
  EXPECT_EQ(engine_->Get(kTenant, "00000000-0000-4000-8000-000000000000").error().code(),
            StatusCode::kNotFound);
}

TEST_F(InsightsTest, NoInsightWhenInsightsAreDisabled) {
  for (int64_t minute = kFirstMinute; minute < kFaultMinute + kFaultMinutes; ++minute) {
    SealMinute(minute, minute >= kFaultMinute ? kPerMinute * 3 / 10 : 0);
  }
  EvaluateAfter(kFaultMinute + kFaultMinutes - 1);
  EXPECT_THAT(Insights(), SizeIs(0));
  EXPECT_THAT(Insights(quiet_id_), SizeIs(0));
  EXPECT_THAT(notifications_, SizeIs(0));
  // Enabling insights on the other group (without notifications) finds the same anomaly there.
  EnableInsights("quiet", /*notifications=*/false);
  EvaluateAfter(kFaultMinute + kFaultMinutes - 1);
  EXPECT_THAT(Insights(), SizeIs(0));
  std::vector<Insight> quiet = Insights(quiet_id_);
  ASSERT_THAT(quiet, SizeIs(1));
  EXPECT_EQ(quiet[0].group_name, "quiet");
  EXPECT_EQ(quiet[0].root_cause, kInventory);
  EXPECT_THAT(quiet[0].group_arn, ::testing::HasSubstr(":group/quiet/"));
  EXPECT_THAT(notifications_, SizeIs(0));
}

TEST_F(InsightsTest, ResponseTimeInsightNamesTheSlowestDownstreamService) {
  EnableInsights("Default", /*notifications=*/false);
  for (int64_t minute = kFirstMinute; minute < kFaultMinute; ++minute) SealMinute(minute, 0, 0.1);
  // inventory-manager takes 1.5 s instead of 0.1 s; its callers slow down with it.
  for (int64_t minute = kFaultMinute; minute < kFaultMinute + 6; ++minute) {
    SealMinute(minute, 0, 1.5);
  }
  EvaluateAfter(kFaultMinute + 5);
  std::vector<Insight> insights = Insights();
  ASSERT_THAT(insights, SizeIs(1));
  EXPECT_EQ(insights[0].category, Category::kResponseTime);
  EXPECT_EQ(insights[0].root_cause, kInventory);
  EXPECT_EQ(insights[0].state, State::kActive);
  EXPECT_EQ(insights[0].start_time, kFaultMinute * 60);
  EXPECT_THAT(insights[0].top_anomalous_services, ElementsAre(kInventory, kProcessor, kGateway));
  EXPECT_THAT(insights[0].events.front().summary, ::testing::HasSubstr("response time"));
  EXPECT_EQ(insights[0].client_impact.fault_count, 0);
  // Fast again: closes.
  for (int64_t minute = kFaultMinute + 6; minute < kFaultMinute + 12; ++minute) {
    SealMinute(minute, 0, 0.1);
  }
  EvaluateAfter(kFaultMinute + 11);
  insights = Insights();
  ASSERT_THAT(insights, SizeIs(1));
  EXPECT_EQ(insights[0].state, State::kClosed);
  EXPECT_EQ(insights[0].end_time, (kFaultMinute + 6) * 60);
}

TEST_F(InsightsTest, ShortBlipsAndSteadyFaultRatesOpenNothing) {
  EnableInsights("Default", /*notifications=*/true);
  // A steady 10 % fault rate is the baseline, not an anomaly; two bad minutes are too short.
  for (int64_t minute = kFirstMinute; minute < kFaultMinute; ++minute) SealMinute(minute, 2);
  SealMinute(kFaultMinute, 12);
  SealMinute(kFaultMinute + 1, 12);
  for (int64_t minute = kFaultMinute + 2; minute < kFaultMinute + 10; ++minute) {
    SealMinute(minute, 2);
  }
  EvaluateAfter(kFaultMinute + 9);
  EXPECT_THAT(Insights(), SizeIs(0));
  EXPECT_THAT(notifications_, SizeIs(0));
}

TEST_F(InsightsTest, DamagedStoredRecordsAreSkipped) {
  ASSERT_TRUE(catalog_->Put("insight", kTenant, "broken", "{not json").ok());
  ASSERT_TRUE(catalog_->Put("insight", kTenant, "old", R"({"v":7})").ok());
  engine_.reset();
  OpenEngine();
  EXPECT_THAT(Insights(), SizeIs(0));
  EXPECT_EQ(engine_->Get(kTenant, "broken").error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace roentgen::insights
