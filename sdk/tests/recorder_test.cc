// SPDX-License-Identifier: Apache-2.0
#include "roentgen/sdk/recorder.h"

#include <simdjson.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "test_support.h"

namespace roentgen::sdk {
namespace {

using testing::CapturingEmitter;
using testing::FakeClock;
using testing::RuleSampler;

// Key path → JSON types seen there (arrays merge their elements), the "shape" of a document.
using Shape = std::map<std::string, std::set<std::string>>;

void CollectShape(simdjson::dom::element element, const std::string& path, Shape& out) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      out[path].insert("object");
      simdjson::dom::object object = element.get_object().value();
      for (auto field : object) {
        CollectShape(field.value, path + "." + std::string(field.key), out);
      }
      break;
    }
    case simdjson::dom::element_type::ARRAY: {
      out[path].insert("array");
      simdjson::dom::array array = element.get_array().value();
      for (auto item : array) CollectShape(item, path + "[]", out);
      break;
    }
    case simdjson::dom::element_type::STRING:
      out[path].insert("string");
      break;
    case simdjson::dom::element_type::BOOL:
      out[path].insert("bool");
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      out[path].insert("null");
      break;
    default:
      out[path].insert("number");
      break;
  }
}

Shape ShapeOf(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto error = parser.parse(json).get(root);
  EXPECT_EQ(error, simdjson::SUCCESS) << json;
  Shape shape;
  if (!error) CollectShape(root, "", shape);
  return shape;
}

// The document of a captured datagram (after the daemon header line).
std::string FixtureDocument(const std::string& name) {
  std::ifstream in(std::string(RG_SHARED_DIR) + "/fixtures/clients/xray-sdk-node/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string datagram = buffer.str();
  EXPECT_EQ(datagram.substr(0, kDaemonHeader.size()), kDaemonHeader) << name;
  std::string doc = datagram.substr(datagram.find('\n') + 1);
  while (!doc.empty() && (doc.back() == '\n' || doc.back() == '\r')) doc.pop_back();
  return doc;
}

// Same key paths, and our types a subset of the fixture's at each path.
void ExpectSameShape(const std::string& ours, const std::string& fixture) {
  Shape a = ShapeOf(ours), b = ShapeOf(fixture);
  std::set<std::string> only_ours, only_fixture;
  for (const auto& [path, types] : a) {
    if (!b.count(path)) only_ours.insert(path);
  }
  for (const auto& [path, types] : b) {
    if (!a.count(path)) only_fixture.insert(path);
  }
  for (const auto& path : only_ours) ADD_FAILURE() << "only in ours: " << path;
  for (const auto& path : only_fixture) ADD_FAILURE() << "only in the fixture: " << path;
  for (const auto& [path, types] : a) {
    if (!b.count(path)) continue;
    for (const auto& type : types) {
      EXPECT_TRUE(b[path].count(type)) << path << " is " << type << " in ours";
    }
  }
}

simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  return root;
}

struct Fixture {
  FakeClock clock;
  CapturingEmitter* emitter = nullptr;
  std::unique_ptr<Recorder> recorder;
  std::vector<std::string> logs;

  explicit Fixture(std::string rule = "error-traces", bool sampled = true,
                   size_t streaming_threshold = 100) {
    RecorderOptions options;
    options.service_name = "order-processor";
    options.read_environment = false;
    options.clock = &clock;
    options.sampler = std::make_unique<RuleSampler>(std::move(rule), sampled);
    auto capture = std::make_unique<CapturingEmitter>();
    emitter = capture.get();
    options.emitter = std::move(capture);
    options.streaming_threshold = streaming_threshold;
    options.logger = [this](std::string_view line) { logs.emplace_back(line); };
    recorder = Recorder::Create(std::move(options));
  }
};

// The scenario of aws-xray-sdk-core's 06-segment-order-processor.udp, with this SDK.
TEST(RecorderGolden, OrderProcessorSegmentHasTheNodeShape) {
  Fixture f;
  {
    SegmentScope segment(*f.recorder);
    segment->SetHttpRequest("POST", "http://127.0.0.1:36319/orders", "", "127.0.0.1");
    segment->AddAnnotation("service", "order-processor");
    segment->AddAnnotation("operation", "create_order");
    segment->AddAnnotation("quantity", 3);
    segment->AddAnnotation("priority_customer", true);
    segment->SetUser("customer-1");
    segment->AddMetadata("order_details", Json::Object{{"order_id", "ord-0001"},
                                                       {"customer_id", "customer-1"},
                                                       {"product_id", "product-1"},
                                                       {"items", Json::Array{1, 2, 3}}});
    segment->AddMetadata("debug", Json::Object{{"build", "abc123"}}, "order-processor");
    {
      SubsegmentScope put(*f.recorder, "dynamodb_put_item");
      put->AddAnnotation("table", "orders");
      for (const char* operation : {"PutItem", "GetItem"}) {
        SubsegmentScope call(*f.recorder, "DynamoDB", "aws");
        call->SetAws("operation", operation);
        call->SetAws("region", "us-east-1");
        call->SetAws("request_id", "08473d17-b79e-47cc-89d2-fe9b7466c386");
        call->SetAws("retries", 1);
        call->SetAws("table_name", "xray-monitoring-abc123-orders");
        call->SetHttpResponse(200, 2);
      }
    }
    for (int status : {200, 503}) {
      SubsegmentScope call(*f.recorder, "127.0.0.1", "remote");
      call->SetHttpRequest("GET", "http://127.0.0.1/inventory/check");
      call->SetHttpResponse(status, 2);
      call->SetTraced(true);
    }
    {
      SubsegmentScope notify(*f.recorder, "send_notification");
      notify->AddMetadata("channel", "email");
      ExceptionInfo error{
          "Error",
          "SMTP relay refused connection",
          false,
          {{"/srv/app/main.cc", 76, "SendNotification"}, {"libc.so.6", 0, "start"}}};
      notify->AddException(error);
    }
    segment->SetHttpResponse(200);
  }
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 1u);
  ExpectSameShape(docs[0], FixtureDocument("06-segment-order-processor.udp"));

  simdjson::dom::parser parser;
  auto doc = Parse(parser, docs[0]);
  EXPECT_EQ(std::string_view(doc["name"]), "order-processor");
  EXPECT_EQ(std::string_view(doc["aws"]["xray"]["rule_name"]), "error-traces");
  EXPECT_EQ(int64_t(doc["annotations"]["quantity"]), 3);
  EXPECT_EQ(bool(doc["annotations"]["priority_customer"]), true);
  EXPECT_EQ(std::string_view(doc["metadata"]["default"]["order_details"]["order_id"]), "ord-0001");
  auto subsegments = doc["subsegments"].get_array().value();
  ASSERT_EQ(subsegments.size(), 4u);
  EXPECT_EQ(bool(subsegments.at(2)["fault"]), true);  // the 503
  EXPECT_EQ(bool(subsegments.at(3)["fault"]), true);  // the exception
  EXPECT_EQ(std::string_view(subsegments.at(3)["cause"]["exceptions"].at(0)["message"]),
            "SMTP relay refused connection");
  EXPECT_TRUE(IsValidEntityId(
      std::string(std::string_view(subsegments.at(3)["cause"]["exceptions"].at(0)["id"]))));
}

// 07: a 500 with the exception on the segment.
TEST(RecorderGolden, FaultWithCauseHasTheNodeShape) {
  Fixture f;
  {
    SegmentScope segment(*f.recorder);
    segment->SetHttpRequest("GET", "http://127.0.0.1:36319/orders/fail", "", "127.0.0.1");
    segment->AddAnnotation("operation", "create_order");
    try {
      throw std::invalid_argument("Cannot read properties of undefined (reading 'productId')");
    } catch (...) {
      ExceptionInfo info{"TypeError", "Cannot read", false, {{"app.cc", 87, "app"}}};
      segment->AddException(info);
    }
    segment->SetHttpResponse(500);
  }
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 1u);
  ExpectSameShape(docs[0], FixtureDocument("07-segment-order-processor.udp"));
}

// 08: a 429 is throttle and error.
TEST(RecorderGolden, ThrottleHasTheNodeShape) {
  Fixture f;
  {
    SegmentScope segment(*f.recorder);
    segment->SetHttpRequest("GET", "http://127.0.0.1:36319/orders/throttled", "", "127.0.0.1");
    segment->SetHttpResponse(429);
  }
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 1u);
  ExpectSameShape(docs[0], FixtureDocument("08-segment-order-processor.udp"));
  simdjson::dom::parser parser;
  auto doc = Parse(parser, docs[0]);
  EXPECT_TRUE(bool(doc["throttle"]));
  EXPECT_TRUE(bool(doc["error"]));
  EXPECT_TRUE(doc["fault"].error());
}

// 09: joins an upstream trace: parent_id from the header, no rule_name (decided upstream).
TEST(RecorderGolden, UpstreamTraceHasTheNodeShape) {
  Fixture f;
  auto upstream = TraceHeader::Parse(
      "Root=1-68723220-abcdefabcdefabcdefabcdef;Parent=53995c3f42cd8ad8;Sampled=1");
  ASSERT_TRUE(upstream.has_value());
  std::string response_header;
  {
    SegmentScope segment(*f.recorder, "", &*upstream);
    segment->SetHttpRequest("GET", "http://127.0.0.1:36319/orders/status", "curl/7.88.1",
                            "127.0.0.1");
    segment->AddAnnotation("operation", "get_status");
    segment->SetHttpResponse(200);
    response_header = segment->ResponseHeader();
  }
  EXPECT_EQ(response_header, "Root=1-68723220-abcdefabcdefabcdefabcdef");
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 1u);
  ExpectSameShape(docs[0], FixtureDocument("09-segment-order-processor.udp"));
  simdjson::dom::parser parser;
  auto doc = Parse(parser, docs[0]);
  EXPECT_EQ(std::string_view(doc["trace_id"]), "1-68723220-abcdefabcdefabcdefabcdef");
  EXPECT_EQ(std::string_view(doc["parent_id"]), "53995c3f42cd8ad8");
}

// 10–12: with streaming, ended subsegments go out on their own, then the segment without them.
TEST(RecorderGolden, StreamedSubsegmentsHaveTheNodeShape) {
  Fixture f("error-traces", true, /*streaming_threshold=*/0);
  std::string segment_id;
  {
    SegmentScope segment(*f.recorder);
    segment_id = segment->id();
    segment->SetHttpRequest("POST", "http://127.0.0.1:36319/orders/streamed", "", "127.0.0.1");
    { SubsegmentScope validate(*f.recorder, "validate"); }
    segment->SetHttpResponse(201);
  }
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 2u);
  ExpectSameShape(docs[0], FixtureDocument("10-subsegment-validate.udp"));
  simdjson::dom::parser parser;
  auto sub = Parse(parser, docs[0]);
  EXPECT_EQ(std::string_view(sub["type"]), "subsegment");
  EXPECT_EQ(std::string_view(sub["parent_id"]), segment_id);
  EXPECT_EQ(f.recorder->stats().subsegments_streamed, 1u);
  // The segment goes without the streamed subsegment.
  auto doc = Parse(parser, docs[1]);
  EXPECT_TRUE(doc["subsegments"].error());
  EXPECT_EQ(int64_t(doc["http"]["response"]["status"]), 201);
}

TEST(Recorder, AnnotationKeyRules) {
  Fixture f;
  Segment segment = f.recorder->BeginSegment("svc");
  EXPECT_TRUE(segment.AddAnnotation("ok_key_1", "v"));
  EXPECT_FALSE(segment.AddAnnotation("bad-key", "v"));
  EXPECT_FALSE(segment.AddAnnotation("bad key", 1));
  EXPECT_FALSE(segment.AddAnnotation("", true));
  EXPECT_FALSE(segment.AddAnnotation(std::string(501, 'k'), "v"));
  EXPECT_TRUE(segment.AddAnnotation(std::string(500, 'k'), "v"));
  EXPECT_FALSE(segment.AddAnnotation("nan", std::nan("")));
  EXPECT_TRUE(segment.AddAnnotation("long", std::string(1500, 'x')));
  EXPECT_TRUE(segment.AddAnnotation("ok_key_1", 2.5));  // replaces
  EXPECT_FALSE(segment.AddMetadata("k", 1, "AWS.reserved"));
  segment.End();
  EXPECT_EQ(f.recorder->stats().invalid_annotations, 5u);  // four keys and a NaN
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 1u);
  simdjson::dom::parser parser;
  auto doc = Parse(parser, docs[0]);
  EXPECT_EQ(double(doc["annotations"]["ok_key_1"]), 2.5);
  EXPECT_EQ(std::string_view(doc["annotations"]["long"]).size(), 1000u);
  EXPECT_TRUE(doc["annotations"]["bad-key"].error());
  EXPECT_EQ(doc["annotations"].get_object().value().size(), 3u);
  EXPECT_TRUE(doc["metadata"].error());
}

TEST(Recorder, ExplicitBeginEndWaitsForOpenSubsegments) {
  Fixture f;
  Segment segment = f.recorder->BeginSegment("svc");
  Subsegment db = segment.BeginSubsegment("orders", "aws");
  Subsegment inner = db.BeginSubsegment("query");
  inner.SetSql(
      {"postgresql://db/orders", "", "SELECT 1", "PostgreSQL", "15", "libpq", "app", "statement"});
  segment.End();
  EXPECT_TRUE(f.emitter->Documents().empty());  // subsegments still open
  inner.End();
  EXPECT_TRUE(f.emitter->Documents().empty());
  db.End();
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 1u);
  simdjson::dom::parser parser;
  auto doc = Parse(parser, docs[0]);
  auto query = doc["subsegments"].at(0)["subsegments"].at(0);
  EXPECT_EQ(std::string_view(query["sql"]["sanitized_query"]), "SELECT 1");
  EXPECT_EQ(std::string_view(query["sql"]["preparation"]), "statement");
  EXPECT_FALSE(query["end_time"].error());
  segment.End();  // idempotent
  EXPECT_EQ(f.emitter->Documents().size(), 1u);
}

TEST(Recorder, InProgressSegment) {
  Fixture f;
  Segment segment = f.recorder->BeginSegment("long-job");
  segment.SetOrigin("AWS::EC2::Instance");
  segment.SetServiceVersion("1.2.3");
  segment.SendInProgress();
  f.clock.Advance(2);
  segment.End();
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_EQ(docs.size(), 2u);
  simdjson::dom::parser parser;
  auto first = Parse(parser, docs[0]);
  EXPECT_TRUE(bool(first["in_progress"]));
  EXPECT_TRUE(first["end_time"].error());
  EXPECT_EQ(std::string_view(first["origin"]), "AWS::EC2::Instance");
  EXPECT_EQ(std::string_view(first["service"]["version"]), "1.2.3");
  std::string id{std::string_view(first["id"])};
  auto second = Parse(parser, docs[1]);
  EXPECT_TRUE(second["in_progress"].error());
  EXPECT_EQ(std::string_view(second["id"]), id);
  EXPECT_NEAR(double(second["end_time"]) - double(second["start_time"]), 2.0, 1e-3);
}

TEST(Recorder, ContextMissingLogsOrIgnores) {
  Fixture f;
  Subsegment orphan = f.recorder->BeginSubsegment("orphan");
  EXPECT_FALSE(orphan.valid());
  orphan.AddAnnotation("k", "v");  // no-op, no crash
  orphan.End();
  EXPECT_EQ(f.recorder->stats().context_missing, 1u);
  ASSERT_EQ(f.logs.size(), 1u);
  EXPECT_NE(f.logs[0].find("context missing"), std::string::npos);

  RecorderOptions options;
  options.read_environment = false;
  options.context_missing = ContextMissingStrategy::kIgnoreError;
  options.sampler = std::make_unique<ConstantSampler>(true);
  options.emitter = std::make_unique<CapturingEmitter>();
  std::vector<std::string> logs;
  options.logger = [&logs](std::string_view line) { logs.emplace_back(line); };
  auto quiet = Recorder::Create(std::move(options));
  {
    SubsegmentScope scope(*quiet, "orphan");
    scope->SetFault();
  }
  EXPECT_EQ(quiet->stats().context_missing, 1u);
  EXPECT_TRUE(logs.empty());
}

TEST(Recorder, UnsampledSegmentPropagatesButSendsNothing) {
  Fixture f("rule", /*sampled=*/false);
  TraceHeader downstream;
  std::string response;
  {
    SegmentScope segment(*f.recorder);
    EXPECT_FALSE(segment->is_sampled());
    SubsegmentScope call(*f.recorder, "downstream", "remote");
    EXPECT_TRUE(call->valid());
    downstream = call->DownstreamHeader();
    EXPECT_EQ(downstream.parent, call->id());
    response = segment->ResponseHeader();
  }
  EXPECT_EQ(downstream.sampled, SampledFlag::kNotSampled);
  EXPECT_NE(response.find(";Sampled=0"), std::string::npos);
  EXPECT_TRUE(f.emitter->Documents().empty());
}

TEST(Recorder, UpstreamDecisionWinsAndLineageIsForwarded) {
  Fixture f("rule", /*sampled=*/false);  // the sampler would say no
  auto upstream = TraceHeader::Parse(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;"
      "Lineage=a87bd80c:1");
  TraceHeader downstream;
  {
    SegmentScope segment(*f.recorder, "", &*upstream);
    EXPECT_TRUE(segment->is_sampled());
    downstream = segment->DownstreamHeader();
  }
  EXPECT_EQ(downstream.root, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(downstream.lineage, "a87bd80c:1");
  EXPECT_EQ(downstream.sampled, SampledFlag::kSampled);
  EXPECT_EQ(f.emitter->Documents().size(), 1u);

  // Sampled=? asks this service to decide and say so in the response.
  auto requested = TraceHeader::Parse("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?");
  Segment segment = f.recorder->BeginSegment("svc", &*requested);
  EXPECT_EQ(segment.ResponseHeader(), "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0");
  segment.End();
}

TEST(Recorder, StandardExceptionIsRecordedAsCause) {
  Fixture f;
  Segment segment = f.recorder->BeginSegment("svc");
  try {
    throw std::out_of_range("index 7");
  } catch (...) {
    EXPECT_EQ(segment.AddCurrentException().size(), 16u);
  }
  EXPECT_EQ(segment.AddCurrentException(), "");  // nothing in flight
  segment.End();
  simdjson::dom::parser parser;
  auto doc = Parse(parser, f.emitter->Documents().at(0));
  EXPECT_TRUE(bool(doc["fault"]));
  auto exception = doc["cause"]["exceptions"].at(0);
  EXPECT_EQ(std::string_view(exception["type"]), "std::out_of_range");
  EXPECT_EQ(std::string_view(exception["message"]), "index 7");
}

// Every document stays under the datagram limit; nothing is lost.
TEST(RecorderStreaming, LargeSegmentSplitsUnder64KiB) {
  Fixture f("rule", true, /*streaming_threshold=*/100000);  // size, not count, must split
  std::string segment_id;
  {
    SegmentScope segment(*f.recorder, "big");
    segment_id = segment->id();
    for (int outer = 0; outer < 40; ++outer) {
      SubsegmentScope group(*f.recorder, "group");
      for (int inner = 0; inner < 20; ++inner) {
        SubsegmentScope leaf(*f.recorder, "leaf");
        leaf->AddMetadata("payload", std::string(400, 'x'));
      }
    }
  }
  std::vector<std::string> docs = f.emitter->Documents();
  ASSERT_GT(docs.size(), 1u);
  size_t total_leaves = 0, total_groups = 0;
  simdjson::dom::parser parser;
  for (const std::string& doc : docs) {
    EXPECT_LE(doc.size() + kDaemonHeader.size(), kMaxDatagramBytes);
    EXPECT_LE(kMaxDatagramBytes, 64u * 1024u);
    auto root = Parse(parser, doc);
    std::function<void(simdjson::dom::element)> count = [&](simdjson::dom::element e) {
      std::string_view name = e["name"];
      if (name == "leaf") ++total_leaves;
      if (name == "group") ++total_groups;
      simdjson::dom::array children;
      if (!e["subsegments"].get_array().get(children)) {
        for (auto child : children) count(child);
      }
    };
    count(root);
    if (!root["type"].error()) {
      EXPECT_EQ(std::string_view(root["type"]), "subsegment");
      EXPECT_FALSE(root["parent_id"].error());
    }
  }
  EXPECT_EQ(total_groups, 40u);
  EXPECT_EQ(total_leaves, 800u);
  EXPECT_EQ(f.recorder->stats().documents_dropped, 0u);
}

TEST(RecorderStreaming, CountThresholdStreamsEndedSubsegments) {
  Fixture f("rule", true, /*streaming_threshold=*/5);
  {
    SegmentScope segment(*f.recorder, "svc");
    for (int idx = 0; idx < 20; ++idx) SubsegmentScope(*f.recorder, "step");
  }
  std::vector<std::string> docs = f.emitter->Documents();
  // Streaming starts once more than 5 are attached: 6th..20th go on their own.
  EXPECT_EQ(docs.size(), 16u);
  EXPECT_EQ(f.recorder->stats().subsegments_streamed, 15u);
  simdjson::dom::parser parser;
  auto root = Parse(parser, docs.back());
  EXPECT_EQ(root["subsegments"].get_array().value().size(), 5u);
}

TEST(RecorderStreaming, OversizedSingleEntityIsDroppedNotSent) {
  Fixture f;
  Segment segment = f.recorder->BeginSegment("svc");
  segment.AddMetadata("huge", std::string(70000, 'x'));
  segment.End();
  EXPECT_TRUE(f.emitter->Documents().empty());
  EXPECT_EQ(f.recorder->stats().documents_dropped, 1u);
}

TEST(Recorder, EmitterRefusalIsCounted) {
  Fixture f;
  f.emitter->Refuse(true);
  f.recorder->BeginSegment("svc").End();
  EXPECT_EQ(f.recorder->stats().documents_dropped, 1u);
}

TEST(Recorder, NoOpHandlesAreSafe) {
  Segment segment;
  Subsegment sub = segment.BeginSubsegment("x");
  EXPECT_FALSE(sub.valid());
  segment.SetHttpResponse(500);
  segment.SetUser("u");
  segment.SendInProgress();
  EXPECT_EQ(segment.ResponseHeader(), "");
  EXPECT_FALSE(segment.AddAnnotation("k", 1));
  segment.End();
  sub.End();
  EXPECT_TRUE(segment.DownstreamHeader().root.empty());
}

TEST(DaemonAddress, Forms) {
  auto single = ParseDaemonAddress("xray-daemon:2001");
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(single->udp_host, "xray-daemon");
  EXPECT_EQ(single->tcp_port, 2001);
  auto split = ParseDaemonAddress("tcp:127.0.0.1:2000 udp:127.0.0.2:2001");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->tcp_host, "127.0.0.1");
  EXPECT_EQ(split->tcp_port, 2000);
  EXPECT_EQ(split->udp_host, "127.0.0.2");
  EXPECT_EQ(split->udp_port, 2001);
  auto reversed = ParseDaemonAddress("udp:10.0.0.1:3000 tcp:10.0.0.2:4000");
  ASSERT_TRUE(reversed.has_value());
  EXPECT_EQ(reversed->udp_port, 3000);
  EXPECT_EQ(reversed->tcp_host, "10.0.0.2");
  for (const char* bad :
       {"", "2000", ":2000", "host:", "host:0", "host:70000", "host:2x", "udp:127.0.0.1:2000",
        "tcp:a:1 tcp:b:2", "tcp:a:1 udp:b:2 udp:c:3", "tcp:a:1 foo:b:2", "::1:2000"}) {
    EXPECT_FALSE(ParseDaemonAddress(bad).has_value()) << bad;
  }
}

TEST(Recorder, EnvironmentOverridesOptions) {
  ::setenv("AWS_XRAY_DAEMON_ADDRESS", "tcp:127.0.0.1:2100 udp:127.0.0.1:2101", 1);
  ::setenv("AWS_XRAY_TRACING_NAME", "from-env", 1);
  ::setenv("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR", 1);
  RecorderOptions options;
  options.service_name = "from-options";
  options.daemon_address = "127.0.0.1:9999";
  options.sampler = std::make_unique<ConstantSampler>(true);
  auto capture = std::make_unique<CapturingEmitter>();
  CapturingEmitter* emitter = capture.get();
  options.emitter = std::move(capture);
  std::vector<std::string> logs;
  options.logger = [&logs](std::string_view line) { logs.emplace_back(line); };
  auto recorder = Recorder::Create(std::move(options));
  ::unsetenv("AWS_XRAY_DAEMON_ADDRESS");
  ::unsetenv("AWS_XRAY_TRACING_NAME");
  ::unsetenv("AWS_XRAY_CONTEXT_MISSING");
  EXPECT_EQ(recorder->service_name(), "from-env");
  EXPECT_EQ(recorder->tcp_port(), 2100);
  EXPECT_EQ(recorder->udp_port(), 2101);
  (void)recorder->BeginSubsegment("orphan");
  EXPECT_TRUE(logs.empty());
  recorder->BeginSegment().End();
  simdjson::dom::parser parser;
  auto doc = Parse(parser, emitter->Documents().at(0));
  EXPECT_EQ(std::string_view(doc["name"]), "from-env");
}

// The options are aggregates meant for designated initializers; with -Wextra -Werror (as this
// test is built) a member without a default initializer would break the build.
TEST(Recorder, DesignatedInitializers) {
  auto recorder = Recorder::Create({.service_name = "designated",
                                    .sampler = std::make_unique<ConstantSampler>(true),
                                    .emitter = std::make_unique<CapturingEmitter>(),
                                    .read_environment = false});
  Segment segment =
      recorder->BeginSegment("", nullptr, {.host = "h", .http_method = "GET", .url_path = "/"});
  EXPECT_TRUE(segment.is_sampled());
  Subsegment sub = segment.BeginSubsegment("q");
  sub.SetSql({.url = "postgresql://db", .sanitized_query = "SELECT 1"});
  sub.End();
  segment.AddException({.type = "E", .message = "m"});
  segment.End();
  EXPECT_EQ(recorder->stats().segments_sent, 1u);
}

TEST(Recorder, BadDaemonAddressFallsBackToDefault) {
  RecorderOptions options;
  options.read_environment = false;
  options.daemon_address = "udp:nonsense";
  options.sampler = std::make_unique<ConstantSampler>(false);
  options.emitter = std::make_unique<CapturingEmitter>();
  std::vector<std::string> logs;
  options.logger = [&logs](std::string_view line) { logs.emplace_back(line); };
  auto recorder = Recorder::Create(std::move(options));
  EXPECT_EQ(recorder->udp_host(), "127.0.0.1");
  EXPECT_EQ(recorder->udp_port(), 2000);
  EXPECT_EQ(logs.size(), 1u);
}

}  // namespace
}  // namespace roentgen::sdk
