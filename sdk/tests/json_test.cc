// SPDX-License-Identifier: Apache-2.0
#include "roentgen/sdk/json.h"

#include <cmath>

#include <gtest/gtest.h>

#include "json_internal.h"

namespace roentgen::sdk {
namespace {

TEST(Json, ParsesAndDumps) {
  std::optional<Json> doc = Json::Parse(
      R"( {"a": [1, -2.5, true, false, null, "x\"y\\z\n\u00e9\ud83d\ude00"], "b": {}, "c": 1e3} )");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->Find("a")->AsArray().size(), 6u);
  EXPECT_EQ(doc->Find("a")->AsArray()[0].AsInt(), 1);
  EXPECT_EQ(doc->Find("a")->AsArray()[1].AsDouble(), -2.5);
  EXPECT_EQ(doc->Find("a")->AsArray()[5].AsString(), "x\"y\\z\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(doc->Find("c")->AsDouble(), 1000.0);
  EXPECT_EQ(doc->Dump(),
            "{\"a\":[1,-2.5,true,false,null,\"x\\\"y\\\\z\\n\xc3\xa9\xf0\x9f\x98\x80\"],\"b\":{},"
            "\"c\":1000}");
  EXPECT_EQ(Json::Parse(doc->Dump())->Dump(), doc->Dump());
}

TEST(Json, RejectsMalformed) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"a", "nul",
                          "[1] [2]", "\"\x01\"", "{\"a\":1,}", "1e"}) {
    EXPECT_FALSE(Json::Parse(bad).has_value()) << bad;
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_FALSE(Json::Parse(deep).has_value());  // depth limit
}

TEST(Json, EscapesControlCharacters) {
  std::string out;
  internal::AppendQuoted(out, std::string_view("a\x01\tb\"", 5));
  EXPECT_EQ(out, "\"a\\u0001\\tb\\\"\"");
  EXPECT_EQ(Json(std::nan("")).Dump(), "null");
}

TEST(Json, TimesAsTheNodeSdkWritesThem) {
  auto time = [](double t) {
    std::string out;
    internal::AppendTime(out, t);
    return out;
  };
  EXPECT_EQ(time(1795498169.668), "1795498169.668");
  EXPECT_EQ(time(1795498170.0), "1795498170");
  EXPECT_EQ(time(1795498170.000001), "1795498170.000001");
  EXPECT_EQ(time(1480615200.01), "1480615200.01");
  EXPECT_EQ(time(1795498169.9999996), "1795498170");
}

}  // namespace
}  // namespace roentgen::sdk
