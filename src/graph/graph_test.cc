// SPDX-License-Identifier: Apache-2.0
#include "graph/graph.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "graph/internal/cells.h"

namespace roentgen::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr double kT0 = 1700000400.0;  // a multiple of 3600
constexpr int64_t kNanos = 1'000'000'000;

model::NodeSegment Segment(double start, double end, bool root = false) {
  model::NodeSegment segment;
  segment.start_time = start;
  segment.end_time = end;
  segment.response_time = end - start;
  segment.duration = end - start;
  segment.root = root;
  return segment;
}

model::EdgeCall Call(double start, double end) {
  model::EdgeCall call;
  call.start_time = start;
  call.end_time = end;
  call.response_time = end - start;
  return call;
}

model::ServiceNode Node(std::string name, std::string type, model::NodeKind kind,
                        std::vector<model::NodeSegment> segments = {}) {
  model::ServiceNode node;
  node.id = {std::move(name), std::move(type), ""};
  node.kind = kind;
  node.segments = std::move(segments);
  return node;
}

// client → api (root) → table (inferred unless `table_active`), starting at `start`.
model::TraceDetail ApiTrace(double start, bool fault = false, bool table_active = false) {
  model::TraceDetail detail;
  auto root = Segment(start, start + 0.2, /*root=*/true);
  root.fault = fault;
  detail.nodes.push_back(Node("api", "AWS::EC2::Instance", model::NodeKind::kActive, {root}));
  auto table = Segment(start + 0.05, start + 0.1);
  detail.nodes.push_back(Node("orders", "AWS::DynamoDB::Table",
                              table_active ? model::NodeKind::kActive : model::NodeKind::kInferred,
                              {table}));
  detail.nodes.push_back(Node("api", "client", model::NodeKind::kClient));
  model::EdgeCall root_call = Call(start, start + 0.2);
  root_call.fault = fault;
  detail.edges.push_back({2, 0, {root_call}});
  detail.edges.push_back({0, 1, {Call(start + 0.04, start + 0.11)}});
  return detail;
}

store::TraceRevision Revision(model::TraceDetail detail,
                              std::vector<model::GroupMatch> groups = {}) {
  store::TraceRevision revision;
  revision.tenant = "t";
  revision.detail = std::move(detail);
  revision.groups = std::move(groups);
  return revision;
}

class AggregatorTest : public ::testing::Test {
 protected:
  AggregatorTest() : clock_(static_cast<int64_t>(kT0 + 1800) * kNanos) {
    AggregatorOptions options;
    options.clock = &clock_;
    aggregator_ = std::make_unique<Aggregator>(options);
  }
  ServiceGraph Graph(double start, double end, std::optional<uint32_t> group = {},
                     uint32_t version = 0) {
    ServiceGraphRequest request;
    request.tenant = "t";
    request.start_time = start;
    request.end_time = end;
    request.group.group_id = group;
    request.group.current_version = version;
    return aggregator_->GetServiceGraph(request);
  }
  const GraphNode* Find(const ServiceGraph& graph, std::string_view name, std::string_view type) {
    for (const GraphNode& node : graph.nodes) {
      if (node.id.name == name && node.id.type == type) return &node;
    }
    return nullptr;
  }

  ManualClock clock_;
  std::unique_ptr<Aggregator> aggregator_;
};

TEST(HistogramValueTest, MillisecondsThenTwoSignificantDigits) {
  EXPECT_EQ(HistogramValue(0.0051), 0.005);
  EXPECT_EQ(HistogramValue(0.1574), 0.157);
  EXPECT_EQ(HistogramValue(0.9994), 0.999);
  EXPECT_EQ(HistogramValue(0.9996), 1.0);
  EXPECT_EQ(HistogramValue(1.234), 1.2);
  EXPECT_EQ(HistogramValue(12.6), 13.0);
  EXPECT_EQ(HistogramValue(1234.0), 1200.0);
  EXPECT_EQ(HistogramValue(1e9), 99000.0);
  EXPECT_EQ(HistogramValue(-1), 0.0);
  EXPECT_EQ(HistogramValue(std::nan("")), 0.0);
}

TEST(HistogramValueTest, IndexesCoverEveryValueOnce) {
  for (uint16_t index = 0; index < kMaxHistogramEntries; ++index) {
    double value = internal::HistogramIndexValue(index);
    EXPECT_EQ(HistogramValue(value), value) << index;
    EXPECT_EQ(internal::HistogramIndex(value), index) << value;
  }
  EXPECT_EQ(internal::HistogramIndexValue(kMaxHistogramEntries - 1), 99000.0);
  EXPECT_EQ(internal::HistogramIndex(1e12), kMaxHistogramEntries - 1);
  // Coarse buckets: two significant digits below 1 s too.
  EXPECT_EQ(internal::CoarseHistogramIndex(internal::HistogramIndex(0.057)),
            internal::HistogramIndex(0.057));
  EXPECT_EQ(internal::CoarseHistogramIndex(internal::HistogramIndex(0.157)),
            internal::HistogramIndex(0.16));
  EXPECT_EQ(internal::CoarseHistogramIndex(internal::HistogramIndex(0.996)),
            internal::HistogramIndex(1.0));
  EXPECT_EQ(internal::CoarseHistogramIndex(internal::HistogramIndex(12.0)),
            internal::HistogramIndex(12.0));
}

TEST_F(AggregatorTest, FineHistogramsForMinuteWindowsCoarseBeyond) {
  model::TraceDetail detail = ApiTrace(kT0 + 10);
  detail.nodes[0].segments[0].end_time = kT0 + 10.157;
  detail.nodes[0].segments[0].response_time = 0.157;
  aggregator_->OnSeal(nullptr, Revision(detail));
  EXPECT_THAT(Find(Graph(kT0, kT0 + 60), "api", "AWS::EC2::Instance")->response_time_histogram,
              ElementsAre(HistogramEntry{0.157, 1}));
  EXPECT_THAT(Find(Graph(kT0, kT0 + 3600), "api", "AWS::EC2::Instance")->response_time_histogram,
              ElementsAre(HistogramEntry{0.16, 1}));
}

TEST_F(AggregatorTest, NodesEdgesAndStatistics) {
  aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + 10)));
  aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + 20, /*fault=*/true)));
  ServiceGraph graph = Graph(kT0, kT0 + 600);
  EXPECT_EQ(graph.start_time, static_cast<int64_t>(kT0));
  EXPECT_EQ(graph.end_time, static_cast<int64_t>(kT0) + 600);
  ASSERT_THAT(graph.nodes, SizeIs(3));
  const GraphNode* api = Find(graph, "api", "AWS::EC2::Instance");
  const GraphNode* table = Find(graph, "orders", "AWS::DynamoDB::Table");
  const GraphNode* client = Find(graph, "api", "client");
  ASSERT_TRUE(api && table && client);
  EXPECT_TRUE(api->root);
  EXPECT_TRUE(api->active);
  EXPECT_FALSE(table->active);  // inferred: State "unknown"
  EXPECT_FALSE(table->root);
  EXPECT_TRUE(client->client);
  EXPECT_EQ(api->statistics.ok_count, 1);
  EXPECT_EQ(api->statistics.fault_count, 1);
  EXPECT_EQ(api->statistics.total_count(), 2);
  EXPECT_EQ(api->statistics.total_response_micros, 400000);
  EXPECT_THAT(api->response_time_histogram, ElementsAre(HistogramEntry{0.2, 2}));
  EXPECT_EQ(api->start_time, static_cast<int64_t>(kT0) + 10);
  EXPECT_EQ(api->end_time, static_cast<int64_t>(kT0) + 21);  // ceil(20.2)
  // The client → api edge carries the root statistics; api → table the caller's call.
  ASSERT_THAT(client->edges, SizeIs(1));
  EXPECT_EQ(client->edges[0].reference_id, api->reference_id);
  EXPECT_EQ(client->edges[0].statistics.fault_count, 1);
  ASSERT_THAT(api->edges, SizeIs(1));
  EXPECT_EQ(api->edges[0].reference_id, table->reference_id);
  EXPECT_EQ(api->edges[0].statistics.ok_count, 2);
  EXPECT_THAT(api->edges[0].response_time_histogram, ElementsAre(HistogramEntry{0.07, 2}));
  EXPECT_THAT(table->response_time_histogram, ElementsAre(HistogramEntry{0.05, 2}));
}

TEST_F(AggregatorTest, ResealReplacesInferredNode) {
  store::TraceRevision first = Revision(ApiTrace(kT0 + 10));
  aggregator_->OnSeal(nullptr, first);
  ASSERT_FALSE(Find(Graph(kT0, kT0 + 600), "orders", "AWS::DynamoDB::Table")->active);
  // The callee's own segment arrives late: the reseal subtracts the first revision.
  store::TraceRevision second = Revision(ApiTrace(kT0 + 10, false, /*table_active=*/true));
  aggregator_->OnSeal(&first, second);
  ServiceGraph graph = Graph(kT0, kT0 + 600);
  ASSERT_THAT(graph.nodes, SizeIs(3));
  const GraphNode* table = Find(graph, "orders", "AWS::DynamoDB::Table");
  ASSERT_NE(table, nullptr);
  EXPECT_TRUE(table->active);
  EXPECT_EQ(table->statistics.total_count(), 1);
  EXPECT_EQ(Find(graph, "api", "AWS::EC2::Instance")->statistics.total_count(), 1);
  // Subtracting everything leaves nothing behind.
  aggregator_->OnSeal(&second, Revision(model::TraceDetail{}));
  EXPECT_THAT(Graph(kT0, kT0 + 600).nodes, SizeIs(0));
  EXPECT_EQ(aggregator_->Stats().cells, 0u);
}

TEST_F(AggregatorTest, WindowMembershipByEndTimeAndRounding) {
  aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + 130)));
  // [kT0+121.5, kT0+125) rounds outwards to the minute [kT0+120, kT0+180).
  ServiceGraph graph = Graph(kT0 + 121.5, kT0 + 125);
  EXPECT_EQ(graph.start_time, static_cast<int64_t>(kT0) + 120);
  EXPECT_EQ(graph.end_time, static_cast<int64_t>(kT0) + 180);
  EXPECT_THAT(graph.nodes, SizeIs(3));
  // Node times are clamped to the window used.
  EXPECT_THAT(Graph(kT0, kT0 + 60).nodes, SizeIs(0));
}

TEST_F(AggregatorTest, PagesKeepReferenceIds) {
  for (int i = 0; i < 5; ++i) aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + i)));
  ServiceGraph full = Graph(kT0, kT0 + 3600);
  std::vector<GraphNode> paged;
  ServiceGraphRequest request;
  request.tenant = "t";
  request.start_time = kT0;
  request.end_time = kT0 + 3600;
  request.max_nodes = 1;
  for (int pages = 0; pages < 10; ++pages) {
    ServiceGraph page = aggregator_->GetServiceGraph(request);
    for (auto& node : page.nodes) paged.push_back(node);
    if (!page.next_reference_id) break;
    request.first_reference_id = *page.next_reference_id;
  }
  ASSERT_EQ(paged.size(), full.nodes.size());
  for (size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i].reference_id, full.nodes[i].reference_id);
    EXPECT_EQ(paged[i].id, full.nodes[i].id);
    EXPECT_EQ(paged[i].statistics, full.nodes[i].statistics);
  }
}

TEST_F(AggregatorTest, CoarseBucketsServeLongWindows) {
  for (int i = 0; i < 100; ++i) aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + i * 17)));
  // One hour aligned: served by one hour bucket, same totals as the minute buckets.
  ServiceGraph hour = Graph(kT0, kT0 + 3600);
  ServiceGraph minutes = Graph(kT0 + 60, kT0 + 3540);  // 58 minutes: 5-min and 1-min buckets
  const GraphNode* api_hour = Find(hour, "api", "AWS::EC2::Instance");
  ASSERT_NE(api_hour, nullptr);
  EXPECT_EQ(api_hour->statistics.total_count(), 100);
  int64_t in_minutes = 0;
  for (int i = 0; i < 100; ++i) {
    double end = kT0 + i * 17 + 0.2;
    if (end >= kT0 + 60 && end < kT0 + 3540) ++in_minutes;
  }
  EXPECT_EQ(Find(minutes, "api", "AWS::EC2::Instance")->statistics.total_count(), in_minutes);
}

TEST_F(AggregatorTest, GroupsAndOldVersions) {
  aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + 10), {{7, 1}}));
  aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + 20), {}));
  EXPECT_EQ(Find(Graph(kT0, kT0 + 600), "api", "AWS::EC2::Instance")->statistics.total_count(), 2);
  ServiceGraph group = Graph(kT0, kT0 + 600, 7, 1);
  EXPECT_EQ(Find(group, "api", "AWS::EC2::Instance")->statistics.total_count(), 1);
  EXPECT_FALSE(group.contains_old_group_versions);
  EXPECT_TRUE(Graph(kT0, kT0 + 600, 7, 2).contains_old_group_versions);
  EXPECT_THAT(Graph(kT0, kT0 + 600, 8, 1).nodes, SizeIs(0));
}

TEST_F(AggregatorTest, OldWindowsRoundToCoarserBuckets) {
  aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + 130)));
  clock_.Advance(std::chrono::hours(10));                         // past the 1-minute horizon (8 h)
  aggregator_->OnSeal(nullptr, Revision(ApiTrace(kT0 + 36000)));  // expires old minute buckets
  ServiceGraph graph = Graph(kT0 + 121.5, kT0 + 125);
  EXPECT_EQ(graph.start_time, static_cast<int64_t>(kT0) + 0);  // 5-minute buckets
  EXPECT_EQ(graph.end_time, static_cast<int64_t>(kT0) + 300);
  ASSERT_NE(Find(graph, "api", "AWS::EC2::Instance"), nullptr);
  EXPECT_EQ(Find(graph, "api", "AWS::EC2::Instance")->statistics.total_count(), 1);
  TimeSeriesRequest request;
  request.tenant = "t";
  request.start_time = kT0;
  request.end_time = kT0 + 600;
  request.period_seconds = 60;
  auto series = aggregator_->GetTimeSeries(request);
  ASSERT_FALSE(series.ok());
  EXPECT_THAT(series.status().message(), ::testing::HasSubstr("longer period"));
}

TEST(AggregatorStatsTest, CountsFoldsInTheRegistry) {
  StatsRegistry stats;
  ManualClock clock(static_cast<int64_t>(kT0) * kNanos);
  AggregatorOptions options;
  options.clock = &clock;
  options.stats = &stats;
  Aggregator aggregator(options);
  store::TraceRevision first = Revision(ApiTrace(kT0 + 10));
  aggregator.OnSeal(nullptr, first);
  aggregator.OnSeal(&first, Revision(ApiTrace(kT0 + 10, true)));
  EXPECT_EQ(stats.CounterValue("roentgen_graph_revisions_total"), 3u);  // add, subtract, add
  EXPECT_EQ(aggregator.Stats().nodes, 3u);
}

TEST_F(AggregatorTest, InProgressSegmentsShowNodesButNoStatistics) {
  model::TraceDetail detail = ApiTrace(kT0 + 10);
  detail.nodes[0].segments[0].end_time.reset();
  detail.nodes[0].segments[0].response_time.reset();
  detail.nodes[0].segments[0].in_progress = true;
  aggregator_->OnSeal(nullptr, Revision(detail));
  const ServiceGraph graph = Graph(kT0, kT0 + 600);  // Find points into it
  const GraphNode* api = Find(graph, "api", "AWS::EC2::Instance");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->statistics.total_count(), 0);
  EXPECT_TRUE(api->root);
}

TEST_F(AggregatorTest, TimeSeriesAndForecast) {
  for (int minute = 0; minute < 10; ++minute) {
    for (int i = 0; i < 10; ++i) {
      aggregator_->OnSeal(nullptr,
                          Revision(ApiTrace(kT0 + minute * 60 + i, /*fault=*/minute == 9)));
    }
  }
  TimeSeriesRequest request;
  request.tenant = "t";
  request.start_time = kT0;
  request.end_time = kT0 + 600;
  request.period_seconds = 60;
  auto edges = aggregator_->GetTimeSeries(request);
  ASSERT_TRUE(edges.ok());
  EXPECT_TRUE(edges->edge_statistics);
  ASSERT_THAT(edges->points, SizeIs(10));
  EXPECT_EQ(edges->points[0].timestamp, static_cast<int64_t>(kT0));
  EXPECT_EQ(edges->points[0].statistics.total_count(), 10);  // the client → api edge only
  request.selector = *ParseEntitySelector(R"(id(name: "api", type: "AWS::EC2::Instance"))");
  request.forecast = true;
  auto service = aggregator_->GetTimeSeries(request);
  ASSERT_TRUE(service.ok());
  EXPECT_FALSE(service->edge_statistics);
  ASSERT_THAT(service->points, SizeIs(10));
  // No history: p = 0.001, n = 10 → E = 0.01, σ ≈ 0.0999 → high = ceil(2.31) = 3, low = 0.
  EXPECT_EQ(service->points[0].forecast, (FaultBand{3, 0}));
  EXPECT_EQ(service->points[9].statistics.fault_count, 10);
  request.period_seconds = 300;
  auto five = aggregator_->GetTimeSeries(request);
  ASSERT_TRUE(five.ok());
  ASSERT_THAT(five->points, SizeIs(2));
  EXPECT_EQ(five->points[1].statistics.fault_count, 10);
  request.period_seconds = 120;
  EXPECT_FALSE(aggregator_->GetTimeSeries(request).ok());
}

TEST(ForecastTest, BandFollowsTheFormula) {
  // p = 0.1, n = 100: E = 10, σ = 3 → high = ceil(10 + 9 + 2) = 21, low = floor(1) = 1.
  EXPECT_EQ(ForecastFaultBand(0.1, 100), (FaultBand{21, 1}));
  EXPECT_EQ(ForecastFaultBand(0.0, 0), (FaultBand{2, 0}));
  FaultBaseline baseline(10, 100, 60);
  EXPECT_DOUBLE_EQ(baseline.probability(), 0.1);
  baseline.Next(100, 100);  // an anomaly (above 21) does not move the baseline
  EXPECT_DOUBLE_EQ(baseline.probability(), 0.1);
  baseline.Next(0, 100);
  EXPECT_LT(baseline.probability(), 0.1);
  EXPECT_GE(FaultBaseline(0, 0, 60).probability(), FaultBaseline::kMinFaultProbability);
}

TEST(EntitySelectorTest, Parses) {
  auto none = ParseEntitySelector("  ");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->kind, EntitySelector::Kind::kNone);
  auto service = ParseEntitySelector(R"(SERVICE( "a\"b" ))");
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->kind, EntitySelector::Kind::kService);
  EXPECT_EQ(service->node.name, "a\"b");
  auto edge = ParseEntitySelector(
      R"(edge(id(name: "x", type: "client"), id(name:"y", account.id: "123")))");
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->kind, EntitySelector::Kind::kEdge);
  EXPECT_EQ(edge->caller.type, "client");
  EXPECT_EQ(edge->callee.account_id, "123");
  auto bare = ParseEntitySelector(R"(id(name: "z"))");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->kind, EntitySelector::Kind::kService);
  EXPECT_EQ(bare->node.name, "z");
  for (const char* bad : {"service(", "edge(\"a\")", "id()", "id(color: \"x\")", "foo(\"x\")",
                          "service(\"a\") x", "\"unterminated"}) {
    auto result = ParseEntitySelector(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_THAT(result.status().message(), ::testing::HasSubstr("column"));
    }
  }
}

TEST(NodeMatcherTest, ClientNodesOnlyWithType) {
  NodeMatcher by_name{"api", std::nullopt, std::nullopt};
  EXPECT_TRUE(by_name.Matches({"api", "AWS::EC2::Instance", ""}));
  EXPECT_FALSE(by_name.Matches({"api", "client", ""}));
  NodeMatcher client{"api", "client", std::nullopt};
  EXPECT_TRUE(client.Matches({"api", "client", ""}));
}

TEST(TraceGraphTest, EveryEntityCounts) {
  std::vector<model::TraceDetail> details = {ApiTrace(kT0 + 10), ApiTrace(kT0 + 5000, true)};
  ServiceGraph graph = BuildTraceGraph(details);
  ASSERT_THAT(graph.nodes, SizeIs(3));
  EXPECT_EQ(graph.nodes[0].id.name, "api");
  EXPECT_EQ(graph.nodes[0].reference_id, 0u);
  EXPECT_EQ(graph.nodes[0].statistics.total_count(), 2);
  EXPECT_EQ(graph.nodes[0].statistics.fault_count, 1);
  EXPECT_EQ(graph.start_time, static_cast<int64_t>(kT0) + 10);
  EXPECT_EQ(graph.end_time, static_cast<int64_t>(kT0) + 5001);
  ASSERT_THAT(graph.nodes[2].edges, SizeIs(1));
  EXPECT_EQ(graph.nodes[2].edges[0].reference_id, 0u);
}

TEST(JsonTest, ClientNodesHaveNoStatistics) {
  std::vector<model::TraceDetail> details = {ApiTrace(kT0 + 10)};
  ServiceGraph graph = BuildTraceGraph(details);
  JsonWriter out;
  WriteServicesJson(graph.nodes, &out);
  const std::string& json = out.str();
  EXPECT_THAT(json, ::testing::HasSubstr(R"("Name":"api","Names":["api"],"Root":true)"));
  EXPECT_THAT(json,
              ::testing::HasSubstr(R"("Type":"client","State":"unknown","StartTime":1700000410,)"
                                   R"("EndTime":1700000411,"Edges":[{"ReferenceId":0,)"));
  // Three nodes, the client without node statistics or histograms.
  size_t histograms = 0;
  for (size_t pos = 0; (pos = json.find("DurationHistogram", pos)) != std::string::npos; ++pos) {
    ++histograms;
  }
  EXPECT_EQ(histograms, 2u);
  EXPECT_THAT(json, ::testing::HasSubstr(
                        R"("FaultStatistics":{"OtherCount":0,"TotalCount":0},"TotalCount":1,)"
                        R"("TotalResponseTime":0.2})"));
}

}  // namespace
}  // namespace roentgen::graph
