// SPDX-License-Identifier: Apache-2.0
#include "model/trace_detail.h"

#include <bit>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/coding.h"

namespace roentgen::model {
namespace {

SegmentId Id(uint64_t value) { return SegmentId{value}; }

Entity MakeEntity(uint64_t id, std::string name, double start, std::optional<double> end) {
  Entity entity;
  entity.id = Id(id);
  entity.name = std::move(name);
  entity.start_time = start;
  entity.end_time = end;
  entity.in_progress = !end.has_value();
  return entity;
}

SegmentDocument Segment(Entity entity, std::optional<uint64_t> parent = std::nullopt) {
  SegmentDocument doc;
  doc.kind = DocumentKind::kSegment;
  doc.entity = std::move(entity);
  if (parent) doc.parent_id = Id(*parent);
  return doc;
}

SegmentDocument Subsegment(Entity entity, uint64_t parent) {
  SegmentDocument doc;
  doc.kind = DocumentKind::kSubsegment;
  doc.entity = std::move(entity);
  doc.parent_id = Id(parent);
  return doc;
}

void SetStatus(Entity* entity, int32_t status) {
  if (!entity->http) entity->http.emplace();
  entity->http->response.emplace().status = status;
}

// xray-semantics.md §2.6: API Gateway stage → Lambda → Lambda function → DynamoDB. The names
// ("dev-todo-list-app/dev", "todo-list-tasks", ...) are that worked example's, AWS's sample
// to-do list application: data, not placeholders.
std::vector<SegmentDocument> WorkedExample() {
  std::vector<SegmentDocument> docs;
  Entity stage = MakeEntity(0xa, "dev-todo-list-app/dev", 725.263, 725.308);
  stage.origin = "AWS::ApiGateway::Stage";
  stage.http.emplace().request.emplace().url = "https://example/dev/add-task";
  stage.http->request->user_agent = "PostmanRuntime/7.31.3";
  SetStatus(&stage, 201);
  Entity lambda_call = MakeEntity(0x714627506dbbb1e4, "Lambda", 725.265, 725.307);
  lambda_call.namespace_name = "aws";
  SetStatus(&lambda_call, 201);
  stage.subsegments.push_back(lambda_call);
  docs.push_back(Segment(stage));

  Entity lambda = MakeEntity(0xb, "todo-list-app-dev-postTask", 725.275, 725.306);
  lambda.origin = "AWS::Lambda";
  SetStatus(&lambda, 200);
  docs.push_back(Segment(lambda, 0x714627506dbbb1e4));

  Entity function = MakeEntity(0xc, "todo-list-app-dev-postTask", 725.279173, 725.305393);
  function.origin = "AWS::Lambda::Function";
  Entity invocation = MakeEntity(0xd, "Invocation", 725.2792, 725.3050);
  Entity dynamo = MakeEntity(0xe, "DynamoDB", 725.280, 725.303);
  dynamo.namespace_name = "aws";
  dynamo.aws.emplace().table_name = "todo-list-tasks";
  invocation.subsegments.push_back(dynamo);
  function.subsegments.push_back(invocation);
  docs.push_back(Segment(function, 0xb));
  return docs;
}

const ServiceNode* FindNode(const TraceDetail& detail, const std::string& name,
                            const std::string& type) {
  for (const ServiceNode& node : detail.nodes) {
    if (node.id.name == name && node.id.type == type) return &node;
  }
  return nullptr;
}

TEST(TraceDetail, WorkedExampleNodesAndEdges) {
  auto docs = WorkedExample();
  TraceDetail detail = ComputeTraceDetail(docs);
  ASSERT_EQ(detail.nodes.size(), 5u);
  const ServiceNode* stage = FindNode(detail, "dev-todo-list-app/dev", "AWS::ApiGateway::Stage");
  ASSERT_NE(stage, nullptr);
  ASSERT_EQ(stage->segments.size(), 1u);
  EXPECT_TRUE(stage->segments[0].root);
  EXPECT_EQ(stage->segments[0].http_status, 201);
  EXPECT_NEAR(*stage->segments[0].response_time, 0.045, 1e-9);
  const ServiceNode* table = FindNode(detail, "todo-list-tasks", "AWS::DynamoDB::Table");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->kind, NodeKind::kInferred);
  ASSERT_EQ(table->segments.size(), 1u);
  EXPECT_TRUE(table->segments[0].inferred);
  EXPECT_NEAR(*table->segments[0].response_time, 0.023, 1e-9);
  EXPECT_NE(FindNode(detail, "todo-list-app-dev-postTask", "AWS::Lambda"), nullptr);
  EXPECT_NE(FindNode(detail, "todo-list-app-dev-postTask", "AWS::Lambda::Function"), nullptr);
  const ServiceNode* client = FindNode(detail, "dev-todo-list-app/dev", "client");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->kind, NodeKind::kClient);

  // client → stage, stage → Lambda, Lambda → function, function → table.
  ASSERT_EQ(detail.edges.size(), 4u);
  for (const ServiceEdge& edge : detail.edges) {
    ASSERT_EQ(edge.calls.size(), 1u);
    const ServiceId& caller = detail.nodes[edge.caller].id;
    const ServiceId& callee = detail.nodes[edge.callee].id;
    if (callee.type == "AWS::Lambda") {
      EXPECT_EQ(caller.type, "AWS::ApiGateway::Stage");
      EXPECT_NEAR(*edge.calls[0].response_time, 0.042, 1e-9);  // the caller's subsegment
    } else if (callee.type == "AWS::Lambda::Function") {
      EXPECT_EQ(caller.type, "AWS::Lambda");
      EXPECT_NEAR(*edge.calls[0].response_time, 0.02622, 1e-9);  // the callee's own timing
    } else if (callee.type == "AWS::DynamoDB::Table") {
      EXPECT_EQ(caller.type, "AWS::Lambda::Function");
    } else {
      EXPECT_EQ(caller.type, "client");
      EXPECT_EQ(callee.type, "AWS::ApiGateway::Stage");
    }
  }
  EXPECT_TRUE(detail.fault_root_causes.empty());
  EXPECT_TRUE(detail.error_root_causes.empty());
}

TEST(TraceDetail, SegmentsAndCallsCarryTheirAbsoluteTimes) {
  auto docs = WorkedExample();
  docs.push_back(Segment(MakeEntity(0xf, "worker", 725.5, std::nullopt), 0xd));
  TraceDetail detail = ComputeTraceDetail(docs);
  EXPECT_TRUE(detail.has_entity_times);
  const ServiceNode* stage = FindNode(detail, "dev-todo-list-app/dev", "AWS::ApiGateway::Stage");
  ASSERT_NE(stage, nullptr);
  EXPECT_DOUBLE_EQ(stage->segments[0].start_time, 725.263);
  EXPECT_EQ(stage->segments[0].end_time, 725.308);
  const ServiceNode* table = FindNode(detail, "todo-list-tasks", "AWS::DynamoDB::Table");
  ASSERT_NE(table, nullptr);
  EXPECT_DOUBLE_EQ(table->segments[0].start_time, 725.280);  // the subsegment's times
  EXPECT_EQ(table->segments[0].end_time, 725.303);
  const ServiceNode* worker = FindNode(detail, "worker", "");
  ASSERT_NE(worker, nullptr);
  EXPECT_DOUBLE_EQ(worker->segments[0].start_time, 725.5);
  EXPECT_FALSE(worker->segments[0].end_time.has_value());
  for (const ServiceEdge& edge : detail.edges) {
    const ServiceId& callee = detail.nodes[edge.callee].id;
    if (callee.type == "AWS::Lambda") {  // timed by the stage's Lambda subsegment
      EXPECT_DOUBLE_EQ(edge.calls[0].start_time, 725.265);
      EXPECT_EQ(edge.calls[0].end_time, 725.307);
    } else if (callee.type == "AWS::Lambda::Function") {  // timed by the callee segment
      EXPECT_DOUBLE_EQ(edge.calls[0].start_time, 725.279173);
      EXPECT_EQ(edge.calls[0].end_time, 725.305393);
    } else if (callee.name == "worker") {  // called by the Invocation subsegment, in progress
      EXPECT_DOUBLE_EQ(edge.calls[0].start_time, 725.2792);
      EXPECT_EQ(edge.calls[0].end_time, 725.3050);
    }
  }
}

TEST(TraceDetail, InferredServiceIdNamesTheResource) {
  Entity dynamo = MakeEntity(1, "DynamoDB", 1, 2);
  dynamo.namespace_name = "aws";
  EXPECT_EQ(InferredServiceId(dynamo), (ServiceId{"DynamoDB", "AWS::DynamoDB", ""}));
  dynamo.aws.emplace().table_name = "orders";
  dynamo.aws->account_id = "123456789012";
  EXPECT_EQ(InferredServiceId(dynamo),
            (ServiceId{"orders", "AWS::DynamoDB::Table", "123456789012"}));
  Entity remote = MakeEntity(2, "api.example.com", 1, 2);
  remote.namespace_name = "remote";
  EXPECT_EQ(InferredServiceId(remote), (ServiceId{"api.example.com", "remote", ""}));
  Entity sns = MakeEntity(3, "SNS", 1, 2);
  sns.namespace_name = "aws";
  EXPECT_EQ(InferredServiceId(sns), (ServiceId{"SNS", "AWS::SNS", ""}));
}

TEST(TraceDetail, ResponseTimeRootCauseDescendsToTheSlowestChild) {
  auto docs = WorkedExample();
  TraceDetail detail = ComputeTraceDetail(docs);
  ASSERT_EQ(detail.response_time_root_causes.size(), 1u);
  const RootCause& cause = detail.response_time_root_causes[0];
  EXPECT_TRUE(cause.client_impacting);
  ASSERT_EQ(cause.services.size(), 4u);
  EXPECT_EQ(cause.services[0].id.type, "AWS::ApiGateway::Stage");
  ASSERT_EQ(cause.services[0].entity_path.size(), 2u);
  EXPECT_DOUBLE_EQ(cause.services[0].entity_path[0].coverage, 1.0);
  EXPECT_EQ(cause.services[0].entity_path[1].name, "Lambda");
  EXPECT_TRUE(cause.services[0].entity_path[1].remote);
  EXPECT_EQ(cause.services[1].id.type, "AWS::Lambda");
  EXPECT_EQ(cause.services[2].id.type, "AWS::Lambda::Function");
  ASSERT_EQ(cause.services[2].entity_path.size(), 3u);  // function, Invocation, DynamoDB
  EXPECT_EQ(cause.services[3].id.name, "todo-list-tasks");
  EXPECT_TRUE(cause.services[3].inferred);
  ASSERT_EQ(cause.services[3].entity_path.size(), 1u);
  EXPECT_EQ(cause.services[3].entity_path[0].name, "DynamoDB");
  EXPECT_NEAR(cause.services[3].entity_path[0].coverage, 0.023 / 0.045, 1e-6);
}

TEST(TraceDetail, FaultRootCauseIsTheDeepestFaultingEntity) {
  std::vector<SegmentDocument> docs;
  Entity root = MakeEntity(1, "frontend", 10, 12);
  root.fault = true;
  Entity call = MakeEntity(2, "backend", 10.1, 11.9);
  call.namespace_name = "remote";
  call.fault = true;
  root.subsegments.push_back(call);
  docs.push_back(Segment(root));
  Entity backend = MakeEntity(3, "backend", 10.2, 11.8);
  SetStatus(&backend, 503);
  Entity query = MakeEntity(4, "query", 10.3, 11.7);
  query.fault = true;
  query.cause.emplace().exceptions.push_back(
      ExceptionInfo{"e1", "boom", "IOError", true, 0, 0, "", {}});
  backend.subsegments.push_back(query);
  Entity fine = MakeEntity(5, "fine", 10.3, 10.4);
  backend.subsegments.push_back(fine);
  docs.push_back(Segment(backend, 2));

  TraceDetail detail = ComputeTraceDetail(docs);
  // backend was called through a traced subsegment: no inferred node.
  EXPECT_EQ(FindNode(detail, "backend", "remote"), nullptr);
  ASSERT_EQ(detail.fault_root_causes.size(), 1u);
  const RootCause& cause = detail.fault_root_causes[0];
  EXPECT_TRUE(cause.client_impacting);
  ASSERT_EQ(cause.services.size(), 2u);
  EXPECT_EQ(cause.services[0].id.name, "frontend");
  ASSERT_EQ(cause.services[1].entity_path.size(), 2u);
  const RootCauseEntity& culprit = cause.services[1].entity_path[1];
  EXPECT_EQ(culprit.name, "query");
  EXPECT_TRUE(culprit.remote);  // its exception is remote
  ASSERT_EQ(culprit.exceptions.size(), 1u);
  EXPECT_EQ(culprit.exceptions[0].name, "IOError");
  EXPECT_EQ(culprit.exceptions[0].message, "boom");
  EXPECT_TRUE(detail.error_root_causes.empty());
}

TEST(TraceDetail, IndependentSubsegmentsBelongToTheirSegmentsNode) {
  std::vector<SegmentDocument> docs;
  docs.push_back(Segment(MakeEntity(1, "svc", 1, 3)));
  Entity sub = MakeEntity(2, "work", 1.5, 4);
  Entity remote = MakeEntity(3, "api.example.com", 1.6, 1.9);
  remote.namespace_name = "remote";
  remote.error = true;
  sub.subsegments.push_back(remote);
  docs.push_back(Subsegment(sub, 1));
  // An orphan whose parent never arrived, and two subsegments naming each other.
  docs.push_back(Subsegment(MakeEntity(4, "orphan", 1, 2), 0x99));
  docs.push_back(Subsegment(MakeEntity(5, "loop-a", 1, 2), 6));
  docs.push_back(Subsegment(MakeEntity(6, "loop-b", 1, 2), 5));

  TraceDetail detail = ComputeTraceDetail(docs);
  const ServiceNode* svc = FindNode(detail, "svc", "");
  ASSERT_NE(svc, nullptr);
  ASSERT_EQ(svc->segments.size(), 1u);
  EXPECT_DOUBLE_EQ(*svc->segments[0].duration, 3.0);  // extends to the subsegment's end
  EXPECT_DOUBLE_EQ(*svc->segments[0].response_time, 2.0);
  const ServiceNode* api = FindNode(detail, "api.example.com", "remote");
  ASSERT_NE(api, nullptr);
  EXPECT_TRUE(api->segments[0].error);
  bool found_edge = false;
  for (const ServiceEdge& edge : detail.edges) {
    if (detail.nodes[edge.caller].id.name == "svc" &&
        detail.nodes[edge.callee].id.name == "api.example.com") {
      found_edge = true;
      EXPECT_TRUE(edge.calls[0].error);
    }
  }
  EXPECT_TRUE(found_edge);
  ASSERT_EQ(detail.error_root_causes.size(), 1u);
  const auto& services = detail.error_root_causes[0].services;
  ASSERT_EQ(services.size(), 2u);
  EXPECT_FALSE(detail.error_root_causes[0].client_impacting);
  ASSERT_EQ(services[0].entity_path.size(), 3u);  // svc, work, api.example.com
  EXPECT_EQ(services[1].id.type, "remote");
  EXPECT_TRUE(services[1].inferred);
}

TEST(TraceDetail, InProgressRootHasNoResponseTime) {
  std::vector<SegmentDocument> docs;
  docs.push_back(Segment(MakeEntity(1, "svc", 1, std::nullopt)));
  TraceDetail detail = ComputeTraceDetail(docs);
  ASSERT_EQ(detail.nodes.size(), 2u);
  EXPECT_FALSE(detail.nodes[0].segments[0].response_time.has_value());
  EXPECT_TRUE(detail.nodes[0].segments[0].in_progress);
  EXPECT_TRUE(detail.response_time_root_causes.empty());
}

TEST(TraceDetail, ManyDownstreamCalls) {
  // 5000 calls to distinct hosts: one inferred node and one edge each (kept cheap by indexes).
  Entity root = MakeEntity(1, "fanout", 0, 10);
  for (uint64_t call_idx = 0; call_idx < 5000; ++call_idx) {
    Entity call = MakeEntity(100 + call_idx, "host-" + std::to_string(call_idx), 1, 2);
    call.namespace_name = "remote";
    root.subsegments.push_back(std::move(call));
  }
  std::vector<SegmentDocument> docs;
  docs.push_back(Segment(std::move(root)));
  TraceDetail detail = ComputeTraceDetail(docs);
  EXPECT_EQ(detail.nodes.size(), 5002u);  // fanout, 5000 hosts, client
  EXPECT_EQ(detail.edges.size(), 5001u);
  ASSERT_EQ(detail.response_time_root_causes.size(), 1u);
  EXPECT_EQ(detail.response_time_root_causes[0].services.size(), 2u);  // fanout → host-0
}

TEST(TraceDetail, EmptyTrace) {
  TraceDetail detail = ComputeTraceDetail({});
  EXPECT_TRUE(detail.nodes.empty());
  std::string encoded;
  EncodeTraceDetail(detail, &encoded);
  auto decoded = DecodeTraceDetail(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, detail);
}

TEST(TraceDetail, EncodeDecodeRoundTrip) {
  auto docs = WorkedExample();
  Entity extra = MakeEntity(0x20, "worker", 725.0, 726.0);
  extra.user = "alice";
  extra.resource_arn = "arn:aws:ec2:::instance/i-1";
  extra.aws.emplace().ec2_instance_id = "i-1";
  extra.aws->ec2_availability_zone = "us-east-1a";
  extra.aws->ecs_availability_zone = "us-east-1b";
  extra.throttle = true;
  SetStatus(&extra, -7);
  extra.cause.emplace().exceptions.push_back(
      ExceptionInfo{"x", "slow down", "Throttled", false, 0, 0, "", {}});
  docs.push_back(Segment(extra, 0xe));
  TraceDetail detail = ComputeTraceDetail(docs);
  EXPECT_FALSE(detail.error_root_causes.empty());
  std::string encoded;
  EncodeTraceDetail(detail, &encoded);
  auto decoded = DecodeTraceDetail(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, detail);

  // Every strict prefix fails cleanly, and so does trailing garbage.
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(DecodeTraceDetail(std::string_view(encoded).substr(0, size)).ok()) << size;
  }
  EXPECT_FALSE(DecodeTraceDetail(encoded + "x").ok());
  // Arbitrary single-byte corruption never crashes.
  for (size_t pos = 0; pos < encoded.size(); ++pos) {
    std::string corrupt = encoded;
    corrupt[pos] = static_cast<char>(corrupt[pos] ^ 0x5a);
    (void)DecodeTraceDetail(corrupt);
  }
}

// Details written before the absolute times existed (format version 1) still decode.
TEST(TraceDetail, DecodesFormatVersion1) {
  std::string v1;
  coding::PutVarint32(&v1, 1);  // version
  coding::PutVarint32(&v1, 1);  // one node
  for (const char* text : {"svc", "AWS::EC2::Instance", ""}) {
    coding::PutLengthPrefixed(&v1, text);
  }
  v1.push_back(0);                           // kind: active
  coding::PutVarint32(&v1, 1);               // one segment
  coding::PutVarint32(&v1, (1u << 6) | 1u);  // has response time, error
  coding::PutFixed64(&v1, std::bit_cast<uint64_t>(0.25));
  for (int field = 0; field < 7; ++field) coding::PutLengthPrefixed(&v1, "");
  coding::PutVarint32(&v1, 0);  // zones
  coding::PutVarint32(&v1, 0);  // edges
  for (int causes = 0; causes < 3; ++causes) coding::PutVarint32(&v1, 0);

  auto decoded = DecodeTraceDetail(v1);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_FALSE(decoded->has_entity_times);
  ASSERT_EQ(decoded->nodes.size(), 1u);
  EXPECT_EQ(decoded->nodes[0].id, (ServiceId{"svc", "AWS::EC2::Instance", ""}));
  ASSERT_EQ(decoded->nodes[0].segments.size(), 1u);
  const NodeSegment& segment = decoded->nodes[0].segments[0];
  EXPECT_EQ(segment.response_time, 0.25);
  EXPECT_TRUE(segment.error);
  EXPECT_EQ(segment.start_time, 0);
  EXPECT_FALSE(segment.end_time.has_value());

  // An unknown version is corruption.
  std::string v4 = v1;
  v4[0] = 4;
  EXPECT_FALSE(DecodeTraceDetail(v4).ok());
}

// Format version 2 wrote every time as the 8 bytes of a double.
TEST(TraceDetail, DecodesFormatVersion2) {
  std::string v2;
  coding::PutVarint32(&v2, 2);  // version
  coding::PutVarint32(&v2, 1);  // one node
  for (const char* text : {"svc", "AWS::EC2::Instance", ""}) {
    coding::PutLengthPrefixed(&v2, text);
  }
  v2.push_back(0);                                       // kind: active
  coding::PutVarint32(&v2, 1);                           // one segment
  coding::PutVarint32(&v2, (1u << 6) | (1u << 9) | 2u);  // response time, end, fault
  for (double value : {0.25, 1795557709.166592, 1795557709.416592}) {
    coding::PutFixed64(&v2, std::bit_cast<uint64_t>(value));
  }
  for (int field = 0; field < 7; ++field) coding::PutLengthPrefixed(&v2, "");
  coding::PutVarint32(&v2, 0);  // zones
  coding::PutVarint32(&v2, 0);  // edges
  for (int causes = 0; causes < 3; ++causes) coding::PutVarint32(&v2, 0);

  auto decoded = DecodeTraceDetail(v2);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_TRUE(decoded->has_entity_times);
  ASSERT_EQ(decoded->nodes.size(), 1u);
  ASSERT_EQ(decoded->nodes[0].segments.size(), 1u);
  const NodeSegment& segment = decoded->nodes[0].segments[0];
  EXPECT_TRUE(segment.fault);
  EXPECT_EQ(segment.response_time, 0.25);
  EXPECT_EQ(segment.start_time, 1795557709.166592);
  EXPECT_EQ(segment.end_time, 1795557709.416592);
}

// Version 3 writes whole microseconds as varint deltas and anything else as a double: both
// come back bit for bit.
TEST(TraceDetail, TimesComeBackExactlyAndMicrosecondsAreCompact) {
  // Times as a parser makes them from text: the double nearest to the decimal.
  auto make = [](int64_t start_micros, int64_t end_micros, double fine) {
    const double response_time = static_cast<double>(end_micros - start_micros) / 1e6 + fine;
    TraceDetail detail;
    ServiceNode node;
    node.id = ServiceId{"svc", "AWS::Lambda::Function", ""};
    for (int i = 0; i < 10; ++i) {
      NodeSegment segment;
      segment.start_time = static_cast<double>(start_micros + i * 1000) / 1e6 + fine;
      segment.end_time = static_cast<double>(end_micros + i * 1000) / 1e6 + fine;
      segment.response_time = response_time;
      segment.duration = response_time;
      node.segments.push_back(segment);
    }
    detail.nodes.push_back(node);
    return detail;
  };
  const TraceDetail micros = make(1795557709166592, 1795557709416593, 0);
  const TraceDetail finer = make(1795557709166592, 1795557709416593, 3e-7);
  std::string micros_encoded;
  std::string finer_encoded;
  EncodeTraceDetail(micros, &micros_encoded);
  EncodeTraceDetail(finer, &finer_encoded);
  for (const auto& [detail, encoded] :
       {std::pair{&micros, &micros_encoded}, std::pair{&finer, &finer_encoded}}) {
    auto decoded = DecodeTraceDetail(*encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
    ASSERT_EQ(decoded->nodes.size(), 1u);
    for (size_t i = 0; i < 10; ++i) {
      const NodeSegment& want = detail->nodes[0].segments[i];
      const NodeSegment& got = decoded->nodes[0].segments[i];
      EXPECT_EQ(std::bit_cast<uint64_t>(got.start_time), std::bit_cast<uint64_t>(want.start_time));
      EXPECT_EQ(std::bit_cast<uint64_t>(*got.end_time), std::bit_cast<uint64_t>(*want.end_time));
      EXPECT_EQ(std::bit_cast<uint64_t>(*got.response_time),
                std::bit_cast<uint64_t>(*want.response_time));
    }
  }
  // 40 times: at most 4 bytes each in microseconds, 9 (tag + double) otherwise.
  EXPECT_LT(micros_encoded.size() + 40 * 4, finer_encoded.size());
}

}  // namespace
}  // namespace roentgen::model
