// SPDX-License-Identifier: Apache-2.0
#include "parse/trace_assembly.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "parse/internal/test_fixtures.h"
#include "parse/json_dom.h"
#include "parse/segment_parser.h"

namespace roentgen::parse {
namespace {

const std::filesystem::path kClients = internal::ClientFixturesDir(RG_SHARED_DIR);

std::vector<std::string> Nest(const std::vector<std::string>& documents) {
  std::vector<std::string_view> views(documents.begin(), documents.end());
  return NestIndependentSubsegments(views);
}

// The ids of `entity`'s subsegments.
std::vector<std::string> ChildIds(const model::Entity& entity) {
  std::vector<std::string> ids;
  for (const model::Entity& child : entity.subsegments) ids.push_back(child.id.ToString());
  return ids;
}

model::SegmentDocument MustParse(std::string_view json) {
  ParseFailure failure;
  auto parsed = ParseSegmentDocument(json, ParseLimits(), &failure);
  EXPECT_TRUE(parsed.ok()) << failure.message << "\n" << json;
  return parsed.ok() ? *parsed : model::SegmentDocument();
}

std::string Seg(std::string_view id, std::string_view extra = "") {
  std::string json = R"({"trace_id":"1-581cf771-a006649127e371903a2de979","id":")";
  json.append(id);
  json.append(R"(","name":"svc","start_time":1,"end_time":2)");
  json.append(extra);
  json.append("}");
  return json;
}

std::string Sub(std::string_view id, std::string_view parent, std::string_view extra = "") {
  std::string json =
      R"({"type":"subsegment","trace_id":"1-581cf771-a006649127e371903a2de979","id":")";
  json.append(id);
  json.append(R"(","parent_id":")");
  json.append(parent);
  json.append(R"(","name":"sub","start_time":1,"end_time":2)");
  json.append(extra);
  json.append("}");
  return json;
}

// `files`: two streamed subsegments, then their parent segment (arrival order).
void ExpectStreamedFixture(const std::vector<std::string>& files, const std::string& parent_id,
                           const std::vector<std::string>& expected_children) {
  std::vector<std::string> originals;
  for (const std::string& file : files) {
    originals.push_back(internal::DatagramBody(internal::ReadFileBytes(kClients / file)));
  }
  ASSERT_EQ(originals.size(), 3u);
  const std::string& parent_text = originals[2];
  // Arrival order (subsegments first), then the parent first: same result.
  std::vector<std::vector<std::string>> orders = {originals,
                                                  {originals[2], originals[0], originals[1]}};
  for (const std::vector<std::string>& documents : orders) {
    std::vector<std::string> output = Nest(documents);
    ASSERT_EQ(output.size(), 1u);
    model::SegmentDocument segment = MustParse(output[0]);
    EXPECT_EQ(segment.entity.id.ToString(), parent_id);
    EXPECT_EQ(segment.kind, model::DocumentKind::kSegment);
    EXPECT_EQ(ChildIds(segment.entity), expected_children);
    // The parent's bytes up to its subsegments' closing ']' are untouched.
    const size_t bracket = parent_text.rfind(']');
    EXPECT_EQ(output[0].substr(0, bracket), parent_text.substr(0, bracket));
    EXPECT_EQ(output[0].substr(output[0].size() - (parent_text.size() - bracket)),
              parent_text.substr(bracket));
    // The nested documents keep their own fields as sent.
    EXPECT_NE(output[0].find(originals[0]), std::string::npos);
    EXPECT_NE(output[0].find(originals[1]), std::string::npos);
  }
}

TEST(TraceAssembly, NodeStreamedSubsegments) {
  if (!std::filesystem::is_directory(kClients)) GTEST_SKIP() << "no fixtures";
  ExpectStreamedFixture(
      {"xray-sdk-node/10-subsegment-validate.udp", "xray-sdk-node/11-subsegment-reserve_stock.udp",
       "xray-sdk-node/12-segment-order-processor.udp"},
      "2136080c81a753e5", {"16ebd7a4ac80f4dd", "4fe8249477477b8e", "10aa5a53520e8e3e"});
}

TEST(TraceAssembly, PythonStreamedSubsegments) {
  if (!std::filesystem::is_directory(kClients)) GTEST_SKIP() << "no fixtures";
  ExpectStreamedFixture({"xray-sdk-python/v2.15.0-pip/09-subsegment-validate.udp",
                         "xray-sdk-python/v2.15.0-pip/10-subsegment-reserve_stock.udp",
                         "xray-sdk-python/v2.15.0-pip/11-segment-order-processor.udp"},
                        "9319ce4b529c7b13",
                        {"4fc228b2ada4223b", "f8cc7892c53a5e54", "957038a0645b9ab1"});
  ExpectStreamedFixture({"xray-sdk-python/v0.95-debian/08-subsegment-validate.udp",
                         "xray-sdk-python/v0.95-debian/09-subsegment-reserve_stock.udp",
                         "xray-sdk-python/v0.95-debian/10-segment-order-processor.udp"},
                        "c7f090cd5fcb05d1",
                        {"7615704b8c068d47", "460cf1823c407080", "16f0269cd6c6b1ae"});
}

TEST(TraceAssembly, UntouchedDocumentsAreByteIdentical) {
  const std::vector<std::string> documents = {
      " " + Seg("0000000000000001", R"(,"x" : "\u00e9" )") + "\n",
      Seg("0000000000000002", R"(,"subsegments":[ ])"),
      "not json at all",
  };
  EXPECT_EQ(Nest(documents), documents);
  EXPECT_TRUE(Nest({}).empty());
}

TEST(TraceAssembly, InsertionShapes) {
  // No subsegments member; an empty array; a non-array value; a whitespace-rich array.
  const std::vector<std::string> documents = {
      Seg("0000000000000001"),
      Seg("0000000000000002", R"(,"subsegments":[])"),
      Seg("0000000000000003", R"(,"subsegments":"junk")"),
      Seg("0000000000000004",
          R"(, "subsegments" : [ {"id":"0000000000000005","name":"e","start_time":1,"end_time":2} ] )"),
      Sub("00000000000000a1", "0000000000000001"),
      Sub("00000000000000a2", "0000000000000002"),
      Sub("00000000000000a3", "0000000000000003"),
      Sub("00000000000000a4", "0000000000000004"),
      Sub("00000000000000a5", "0000000000000005"),
  };
  std::vector<std::string> output = Nest(documents);
  ASSERT_EQ(output.size(), 4u);
  for (size_t idx = 0; idx < 3; ++idx) {
    model::SegmentDocument parsed = MustParse(output[idx]);
    EXPECT_EQ(ChildIds(parsed.entity),
              (std::vector<std::string>{"00000000000000a" + std::to_string(idx + 1)}))
        << output[idx];
  }
  EXPECT_EQ(output[0], Seg("0000000000000001", ",\"subsegments\":[" + documents[4] + "]"));
  model::SegmentDocument fourth = MustParse(output[3]);
  EXPECT_EQ(ChildIds(fourth.entity),
            (std::vector<std::string>{"0000000000000005", "00000000000000a4"}));
  EXPECT_EQ(ChildIds(fourth.entity.subsegments[0]), (std::vector<std::string>{"00000000000000a5"}));
}

TEST(TraceAssembly, ChainsOfIndependentSubsegments) {
  // c's parent is an embedded subsegment of b; b's parent is a; input order scrambled.
  const std::vector<std::string> documents = {
      Sub("000000000000000c", "00000000000000b1"),
      Sub("000000000000000b", "000000000000000a",
          R"(,"subsegments":[{"id":"00000000000000b1","name":"inner","start_time":1,"end_time":2}])"),
      Seg("000000000000000a"),
      Sub("000000000000000d", "000000000000000a"),
  };
  std::vector<std::string> output = Nest(documents);
  ASSERT_EQ(output.size(), 1u);
  model::SegmentDocument root = MustParse(output[0]);
  ASSERT_EQ(ChildIds(root.entity),
            (std::vector<std::string>{"000000000000000b", "000000000000000d"}));
  const model::Entity& b = root.entity.subsegments[0];
  ASSERT_EQ(ChildIds(b), (std::vector<std::string>{"00000000000000b1"}));
  EXPECT_EQ(ChildIds(b.subsegments[0]), (std::vector<std::string>{"000000000000000c"}));
}

TEST(TraceAssembly, OrphansAndOddDocumentsStayTopLevel) {
  const std::vector<std::string> documents = {
      Sub("0000000000000001", "00000000000000ff"),                    // parent never arrived
      Sub("0000000000000002", "0000000000000002"),                    // its own parent
      Seg("0000000000000003", R"(,"parent_id":"0000000000000001")"),  // segments never nest
      R"({"type":"subsegment","parent_id":"0000000000000003")",       // broken JSON
      Sub("0000000000000004", "not-an-id"),
  };
  EXPECT_EQ(Nest(documents), documents);
}

TEST(TraceAssembly, CyclesAreBroken) {
  const std::vector<std::string> documents = {
      Seg("0000000000000009"),
      Sub("000000000000000a", "000000000000000b"),
      Sub("000000000000000b", "000000000000000a"),
  };
  std::vector<std::string> output = Nest(documents);
  ASSERT_EQ(output.size(), 2u);
  EXPECT_EQ(output[0], documents[0]);
  model::SegmentDocument a = MustParse(output[1]);
  EXPECT_EQ(a.entity.id.ToString(), "000000000000000a");
  EXPECT_EQ(ChildIds(a.entity), (std::vector<std::string>{"000000000000000b"}));
  EXPECT_TRUE(a.entity.subsegments[0].subsegments.empty());
}

TEST(TraceAssembly, DeepChainsAreCut) {
  std::vector<std::string> documents = {Seg("1000000000000000")};
  for (int level = 1; level <= 100; ++level) {
    char id[17];
    char parent[17];
    std::snprintf(id, sizeof(id), "%016x", static_cast<unsigned>(0x1000 + level));
    std::snprintf(parent, sizeof(parent), "%016x", static_cast<unsigned>(0x1000 + level - 1));
    documents.push_back(Sub(id, level == 1 ? "1000000000000000" : parent));
  }
  std::vector<std::string> output = Nest(documents);
  ASSERT_GE(output.size(), 2u);
  // Nothing is lost: every id appears exactly once.
  std::string all;
  for (const std::string& text : output) all += text;
  for (const std::string& document : documents) {
    const std::string id = document.substr(document.find("\"id\":\"") + 6, 16);
    const std::string needle = "\"id\":\"" + id + "\"";
    EXPECT_NE(all.find(needle), std::string::npos) << id;
    EXPECT_EQ(all.find(needle), all.rfind(needle)) << id;
  }
  for (const std::string& text : output) EXPECT_TRUE(ParseJson(text, 1000).ok());
}

}  // namespace
}  // namespace roentgen::parse
