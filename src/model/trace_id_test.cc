// SPDX-License-Identifier: Apache-2.0
#include "model/trace_id.h"

#include <gtest/gtest.h>

namespace roentgen::model {
namespace {

TEST(TraceIdTest, RoundTripsAndOrdersByEpoch) {
  auto id = TraceId::Parse("1-581cf771-a006649127e371903a2de979");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->ToString(), "1-581cf771-a006649127e371903a2de979");
  EXPECT_EQ(id->epoch_seconds(), 0x581cf771u);
  auto later = TraceId::Parse("1-581cf772-0000000000000000000000a0");
  ASSERT_TRUE(later.has_value());
  EXPECT_LT(*id, *later);
  EXPECT_EQ(TraceId::Parse("1-581CF771-A006649127E371903A2DE979")->ToString(),
            "1-581cf771-a006649127e371903a2de979");
}

TEST(TraceIdTest, RejectsMalformed) {
  for (const char* bad :
       {"", "1-581cf771-a006649127e371903a2de97", "2-581cf771-a006649127e371903a2de979",
        "1-581cf771xa006649127e371903a2de979", "1-581cf77g-a006649127e371903a2de979",
        "1-581cf771-a006649127e371903a2de9790"}) {
    EXPECT_FALSE(TraceId::Parse(bad).has_value()) << bad;
  }
}

TEST(SegmentIdTest, RoundTrips) {
  auto id = SegmentId::Parse("70de5b6f19ff9a0a");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->ToString(), "70de5b6f19ff9a0a");
  EXPECT_FALSE(SegmentId::Parse("70de5b6f19ff9a0").has_value());
  EXPECT_FALSE(SegmentId::Parse("70de5b6f19ff9a0z").has_value());
}

}  // namespace
}  // namespace roentgen::model
