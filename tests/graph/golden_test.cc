// SPDX-License-Identifier: Apache-2.0
// Golden test of the service map: the hand-built traces of testdata/golden_traces.json (API
// Gateway stage -> Lambda function -> DynamoDB table and two downstream functions, a remote
// HTTP call that fails, an in-progress root segment, a late subsegment that reseals a trace)
// folded into a graph::Aggregator through the seal hook, against testdata/golden_graph.json,
// whose every number was derived by hand from xray-semantics.md §3:
//  * nodes: one per (name, origin, account); the `client` node per root with no statistics
//    of its own; inferred nodes (orders, payments.example.com) State "unknown";
//  * node statistics from the node's own segments, edge statistics from the caller's
//    subsegment (stage -> order-processor: 0.48 s and 0.19 s, not the function's 0.46/0.18);
//  * 429 counts as ErrorStatistics.ThrottleCount, 500 as FaultStatistics; the in-progress
//    segment is in no statistics but widens the times it was seen at;
//  * the late DynamoDB subsegment adds an orders call and the first revision is subtracted
//    (stage and order-processor count 2 requests, not 3);
//  * StartTime/EndTime: floor of the first start, ceil of the last end, in whole seconds; the
//    graph's window [T, T+600) is already minute-aligned.
// Reference ids are not part of X-Ray's contract (only their consistency is), so both sides
// are compared after replacing each edge's ReferenceId by "name|type" of its target and
// sorting services and edges.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/json_writer.h"
#include "graph/graph.h"
#include "model/trace_detail.h"
#include "parse/json_dom.h"
#include "parse/segment_parser.h"

namespace roentgen::graph {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT = 1700000400;

fs::path TestdataDir() { return fs::path(RG_SOURCE_DIR) / "tests" / "graph" / "testdata"; }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

parse::JsonValue ParseOrDie(const std::string& text) {
  auto value = parse::ParseJson(text, 64);
  EXPECT_TRUE(value.ok()) << value.error().message();
  return value.ok() ? std::move(value).value() : parse::JsonValue::Null();
}

struct Trace {
  std::string name;
  std::vector<store::TraceRevision> revisions;
};

std::vector<Trace> LoadTraces() {
  parse::JsonValue root = ParseOrDie(ReadFile(TestdataDir() / "golden_traces.json"));
  std::vector<Trace> traces;
  const parse::JsonValue* list = root.Find("traces");
  if (list == nullptr) return traces;
  for (const parse::JsonValue& trace_json : list->elements()) {
    Trace trace;
    trace.name = trace_json.Find("name")->string_value();
    uint32_t number = 0;
    for (const parse::JsonValue& revision_json : trace_json.Find("revisions")->elements()) {
      store::TraceRevision revision;
      revision.tenant = "golden";
      revision.revision = ++number;
      for (const parse::JsonValue& document : revision_json.elements()) {
        std::string raw = parse::SerializeJson(document);
        auto parsed = parse::ParseSegmentDocument(raw, parse::ParseLimits{});
        EXPECT_TRUE(parsed.ok()) << trace.name << ": " << parsed.error().message();
        if (!parsed.ok()) continue;
        revision.documents.push_back(raw);
        revision.segments.push_back(std::move(parsed).value());
      }
      revision.detail = model::ComputeTraceDetail(revision.segments);
      trace.revisions.push_back(std::move(revision));
    }
    traces.push_back(std::move(trace));
  }
  return traces;
}

// Writes `value` with object keys sorted and numbers as doubles.
void WriteCanonical(const parse::JsonValue& value, JsonWriter* out) {
  switch (value.type()) {
    case parse::JsonValue::Type::kNull:
      out->Null();
      break;
    case parse::JsonValue::Type::kBool:
      out->Bool(value.bool_value());
      break;
    case parse::JsonValue::Type::kNumber:
      out->Double(value.number_as_double().value_or(0));
      break;
    case parse::JsonValue::Type::kString:
      out->String(value.string_value());
      break;
    case parse::JsonValue::Type::kArray:
      out->BeginArray();
      for (const parse::JsonValue& element : value.elements()) WriteCanonical(element, out);
      out->EndArray();
      break;
    case parse::JsonValue::Type::kObject: {
      std::vector<const parse::JsonMember*> members;
      for (const parse::JsonMember& member : value.members()) members.push_back(&member);
      std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key < b->key; });
      out->BeginObject();
      for (const parse::JsonMember* member : members) {
        out->Key(member->key);
        WriteCanonical(member->value, out);
      }
      out->EndObject();
      break;
    }
  }
}

std::string Canonical(const parse::JsonValue& value) {
  JsonWriter out;
  WriteCanonical(value, &out);
  return out.Release();
}

std::string NodeKey(const parse::JsonValue& service) {
  const parse::JsonValue* type = service.Find("Type");
  return service.Find("Name")->string_value() + "|" + (type ? type->string_value() : "");
}

// A Services array as X-Ray writes it -> the canonical, reference-id-free form, one string
// per service, sorted.
std::vector<std::string> NormalizeServices(const parse::JsonValue& services) {
  std::map<int64_t, std::string> keys;
  for (const parse::JsonValue& service : services.elements()) {
    keys[static_cast<int64_t>(*service.Find("ReferenceId")->number_as_double())] = NodeKey(service);
  }
  EXPECT_EQ(keys.size(), services.elements().size()) << "ReferenceIds must be unique";
  std::vector<std::pair<std::string, std::string>> out;
  for (const parse::JsonValue& service : services.elements()) {
    JsonWriter writer;
    writer.BeginObject();
    std::vector<std::string> edges;
    for (const parse::JsonMember& member : service.members()) {
      if (member.key == "ReferenceId") continue;
      if (member.key != "Edges") continue;
      for (const parse::JsonValue& edge : member.value.elements()) {
        JsonWriter edge_writer;
        edge_writer.BeginObject();
        for (const parse::JsonMember& field : edge.members()) {
          if (field.key == "ReferenceId") {
            auto target = keys.find(static_cast<int64_t>(*field.value.number_as_double()));
            EXPECT_NE(target, keys.end()) << "an edge points at a node not in the answer";
            edge_writer.Key("Target");
            edge_writer.String(target == keys.end() ? "?" : target->second);
          } else {
            edge_writer.Key(field.key);
            edge_writer.Raw(parse::SerializeJson(field.value));
          }
        }
        edge_writer.EndObject();
        edges.push_back(Canonical(ParseOrDie(edge_writer.Release())));
      }
    }
    std::sort(edges.begin(), edges.end());
    for (const parse::JsonMember& member : service.members()) {
      if (member.key == "ReferenceId") continue;
      writer.Key(member.key);
      if (member.key == "Edges") {
        writer.BeginArray();
        for (const std::string& edge : edges) writer.Raw(edge);
        writer.EndArray();
      } else {
        writer.Raw(parse::SerializeJson(member.value));
      }
    }
    writer.EndObject();
    out.emplace_back(NodeKey(service), Canonical(ParseOrDie(writer.Release())));
  }
  std::sort(out.begin(), out.end());
  std::vector<std::string> result;
  for (auto& [key, text] : out) result.push_back(key + " " + text);
  return result;
}

std::vector<std::string> ExpectedServices() {
  parse::JsonValue expected = ParseOrDie(ReadFile(TestdataDir() / "golden_graph.json"));
  // The expected file names edge targets already; give it reference ids the same way.
  std::vector<std::string> out;
  for (const parse::JsonValue& service : expected.Find("Services")->elements()) {
    out.push_back(NodeKey(service) + " " + [&] {
      JsonWriter writer;
      writer.BeginObject();
      for (const parse::JsonMember& member : service.members()) {
        writer.Key(member.key);
        if (member.key == "Edges") {
          std::vector<std::string> edges;
          for (const parse::JsonValue& edge : member.value.elements()) {
            edges.push_back(Canonical(edge));
          }
          std::sort(edges.begin(), edges.end());
          writer.BeginArray();
          for (const std::string& edge : edges) writer.Raw(edge);
          writer.EndArray();
        } else {
          writer.Raw(parse::SerializeJson(member.value));
        }
      }
      writer.EndObject();
      return Canonical(ParseOrDie(writer.Release()));
    }());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ServicesJson(std::span<const GraphNode> nodes) {
  JsonWriter out;
  WriteServicesJson(nodes, &out);
  return out.Release();
}

class GoldenGraphTest : public ::testing::Test {
 protected:
  GoldenGraphTest() : clock_((kT + 1800) * int64_t{1'000'000'000}) {
    AggregatorOptions options;
    options.clock = &clock_;
    aggregator_ = std::make_unique<Aggregator>(options);
    traces_ = LoadTraces();
  }

  // Seals every revision of every trace, in `order` (indexes into traces_), each revision
  // replacing the one before.
  void SealAll(const std::vector<size_t>& order) {
    for (size_t index : order) {
      const Trace& trace = traces_[index];
      for (size_t r = 0; r < trace.revisions.size(); ++r) {
        aggregator_->OnSeal(r == 0 ? nullptr : &trace.revisions[r - 1], trace.revisions[r]);
      }
    }
  }

  ServiceGraph Graph(size_t max_nodes, uint32_t first = 0) {
    ServiceGraphRequest request;
    request.tenant = "golden";
    request.start_time = kT;
    request.end_time = kT + 600;
    request.max_nodes = max_nodes;
    request.first_reference_id = first;
    return aggregator_->GetServiceGraph(request);
  }

  ManualClock clock_;
  std::unique_ptr<Aggregator> aggregator_;
  std::vector<Trace> traces_;
};

TEST_F(GoldenGraphTest, ServiceGraphMatchesHandDerivedJson) {
  ASSERT_EQ(traces_.size(), 3u);
  SealAll({0, 1, 2});
  ServiceGraph graph = Graph(100);
  EXPECT_EQ(graph.start_time, kT);
  EXPECT_EQ(graph.end_time, kT + 600);
  EXPECT_FALSE(graph.contains_old_group_versions);
  EXPECT_FALSE(graph.next_reference_id.has_value());
  std::vector<std::string> actual = NormalizeServices(ParseOrDie(ServicesJson(graph.nodes)));
  std::vector<std::string> expected = ExpectedServices();
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_EQ(actual[i], expected[i]);
}

TEST_F(GoldenGraphTest, SealOrderAndPagesDoNotMatter) {
  // The late revision of C first, then the others; then read two nodes per page.
  SealAll({2, 1, 0});
  std::vector<GraphNode> nodes;
  std::optional<uint32_t> next = 0;
  int pages = 0;
  while (next && pages < 10) {
    ServiceGraph page = Graph(2, *next);
    EXPECT_LE(page.nodes.size(), 2u);
    nodes.insert(nodes.end(), page.nodes.begin(), page.nodes.end());
    next = page.next_reference_id;
    ++pages;
  }
  EXPECT_EQ(pages, 4);  // 7 nodes
  EXPECT_EQ(NormalizeServices(ParseOrDie(ServicesJson(nodes))), ExpectedServices());
}

TEST_F(GoldenGraphTest, TraceGraphOfTheFinalRevisionsMatchesToo) {
  std::vector<model::TraceDetail> details;
  for (const Trace& trace : traces_) details.push_back(trace.revisions.back().detail);
  ServiceGraph graph = BuildTraceGraph(details);
  EXPECT_EQ(NormalizeServices(ParseOrDie(ServicesJson(graph.nodes))), ExpectedServices());
}

TEST_F(GoldenGraphTest, WindowWithoutTheTracesIsEmpty) {
  SealAll({0, 1, 2});
  ServiceGraphRequest request;
  request.tenant = "golden";
  request.start_time = kT + 60;
  request.end_time = kT + 600;
  EXPECT_TRUE(aggregator_->GetServiceGraph(request).nodes.empty());
}

}  // namespace
}  // namespace roentgen::graph
