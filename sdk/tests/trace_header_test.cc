// SPDX-License-Identifier: Apache-2.0
#include "roentgen/sdk/trace_header.h"

#include <set>

#include <gtest/gtest.h>

namespace roentgen::sdk {
namespace {

TEST(TraceHeader, ParsesTheReferenceExample) {
  // xray-protocol.md §5.2.
  auto header = TraceHeader::Parse(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->root, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(header->parent, "53995c3f42cd8ad8");
  EXPECT_EQ(header->sampled, SampledFlag::kSampled);
  EXPECT_TRUE(header->lineage.empty());
  EXPECT_EQ(header->ToString(),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
}

TEST(TraceHeader, SampledValues) {
  const std::string root = "Root=1-5759e988-bd862e3fe1be46a994272793";
  EXPECT_EQ(TraceHeader::Parse(root + ";Sampled=0")->sampled, SampledFlag::kNotSampled);
  EXPECT_EQ(TraceHeader::Parse(root + ";Sampled=?")->sampled, SampledFlag::kRequested);
  EXPECT_EQ(TraceHeader::Parse(root)->sampled, SampledFlag::kUnknown);
  EXPECT_EQ(TraceHeader::Parse(root + ";Sampled=yes")->sampled, SampledFlag::kUnknown);
  EXPECT_EQ(TraceHeader::Parse(root + ";Sampled=?")->ToString(), root + ";Sampled=?");
}

TEST(TraceHeader, WhitespaceCaseLineageAndExtraFields) {
  auto header = TraceHeader::Parse(
      "  root = 1-5759E988-BD862E3FE1BE46A994272793 ; Parent=53995C3F42CD8AD8 ;Self=1-5759e988-"
      "bd862e3fe1be46a994272793; Lineage=a87bd80c:1|68fd508a:5 ;app=blue;;");
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->root, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(header->parent, "53995c3f42cd8ad8");
  EXPECT_EQ(header->lineage, "a87bd80c:1|68fd508a:5");
  ASSERT_EQ(header->extra.size(), 1u);  // Self is dropped
  EXPECT_EQ(header->extra[0].first, "app");
  EXPECT_EQ(header->ToString(),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
            "Lineage=a87bd80c:1|68fd508a:5;app=blue");
}

TEST(TraceHeader, RoundTrips) {
  TraceHeader header;
  header.root = "1-58406520-a006649127e371903a2de979";
  header.parent = "defdfd9912dc5a56";
  header.sampled = SampledFlag::kRequested;
  header.lineage = "1:fe460cdd:0";
  header.extra = {{"k", "v"}};
  auto parsed = TraceHeader::Parse(header.ToString());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, header);
}

TEST(TraceHeader, RejectsBadInput) {
  EXPECT_FALSE(TraceHeader::Parse("").has_value());
  EXPECT_FALSE(TraceHeader::Parse(";;;").has_value());
  EXPECT_FALSE(TraceHeader::Parse("Parent=53995c3f42cd8ad8;Sampled=1").has_value());
  EXPECT_FALSE(TraceHeader::Parse("Root=1-5759e988-bd862e3fe1be46a99427279").has_value());
  EXPECT_FALSE(TraceHeader::Parse("Root=2-5759e988-bd862e3fe1be46a994272793").has_value());
  EXPECT_FALSE(TraceHeader::Parse("Root=1_5759e988-bd862e3fe1be46a994272793").has_value());
  EXPECT_FALSE(TraceHeader::Parse("Root=1-5759e98g-bd862e3fe1be46a994272793").has_value());
  EXPECT_FALSE(TraceHeader::Parse("Root").has_value());
  // A bad Parent is dropped, the header kept.
  auto header = TraceHeader::Parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz");
  ASSERT_TRUE(header.has_value());
  EXPECT_TRUE(header->parent.empty());
}

TEST(TraceHeader, Traceparent) {
  // xray-protocol.md §5.3.
  auto header = TraceHeader::Parse(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->ToTraceparent(), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
  auto back =
      TraceHeader::FromTraceparent("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->root, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(back->parent, "53995c3f42cd8ad8");
  EXPECT_EQ(back->sampled, SampledFlag::kSampled);
  EXPECT_EQ(TraceHeader::FromTraceparent("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00")
                ->sampled,
            SampledFlag::kNotSampled);
  header->sampled = SampledFlag::kRequested;
  EXPECT_EQ(header->ToTraceparent(), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00");
  header->parent.clear();
  EXPECT_FALSE(header->ToTraceparent().has_value());
}

TEST(TraceHeader, TraceparentRejectsBadInput) {
  for (const char* bad : {
           "",
           "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-0",
           "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01-extra",
           "ff-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
           "00-00000000000000000000000000000000-53995c3f42cd8ad8-01",
           "00-5759e988bd862e3fe1be46a994272793-0000000000000000-01",
           "00-5759e988bd862e3fe1be46a99427279z-53995c3f42cd8ad8-01",
           "00_5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
       }) {
    EXPECT_FALSE(TraceHeader::FromTraceparent(bad).has_value()) << bad;
  }
  // A later version may append fields after a dash.
  EXPECT_TRUE(
      TraceHeader::FromTraceparent("01-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01-ab")
          .has_value());
}

TEST(Ids, Shapes) {
  std::string trace = NewTraceId(1480615200);
  EXPECT_TRUE(IsValidTraceId(trace));
  EXPECT_EQ(trace.substr(0, 11), "1-58406520-");
  std::set<std::string> ids;
  for (int idx = 0; idx < 1000; ++idx) {
    std::string id = NewEntityId();
    EXPECT_TRUE(IsValidEntityId(id));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace roentgen::sdk
