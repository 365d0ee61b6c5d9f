// SPDX-License-Identifier: Apache-2.0
#include "parse/json_dom.h"

#include <string>

#include <gtest/gtest.h>

namespace roentgen::parse {
namespace {

JsonValue MustParse(std::string_view text, size_t max_depth = 64) {
  auto parsed = ParseJson(text, max_depth);
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString() << "\n" << text;
  return parsed.ok() ? *parsed : JsonValue();
}

std::string RoundTrip(std::string_view text) { return SerializeJson(MustParse(text)); }

TEST(JsonDom, CompactRoundTripKeepsTokensOrderAndDuplicates) {
  EXPECT_EQ(
      RoundTrip(
          R"( { "b" : 1.478293361271E9 , "a" : [ 1 , -0 , 2e-7 , 10000000000000000000000 ] , "b" : null } )"),
      R"({"b":1.478293361271E9,"a":[1,-0,2e-7,10000000000000000000000],"b":null})");
  EXPECT_EQ(RoundTrip("true"), "true");
  EXPECT_EQ(RoundTrip(" false "), "false");
  EXPECT_EQ(RoundTrip("[]"), "[]");
  EXPECT_EQ(RoundTrip("{}"), "{}");
  EXPECT_EQ(RoundTrip(R"("")"), R"("")");
}

TEST(JsonDom, Strings) {
  JsonValue value = MustParse(R"("a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00\u0000é")");
  EXPECT_EQ(value.string_value(),
            std::string("a\"b\\c/d\b\f\n\r\t\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") +
                std::string(1, '\0') + "\xC3\xA9");
  EXPECT_EQ(SerializeJson(value),
            "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\\u0000\xC3\xA9\"");
  EXPECT_EQ(RoundTrip(SerializeJson(value)), SerializeJson(value));
}

TEST(JsonDom, Errors) {
  struct Case {
    std::string_view text;
    size_t offset;
  };
  for (const Case& bad : {Case{"", 0},
                          Case{"  ", 2},
                          Case{"{", 1},
                          Case{"[1,]", 3},
                          Case{"[1 2]", 3},
                          Case{R"({"a" 1})", 5},
                          Case{R"({"a":1,})", 7},
                          Case{"{1:2}", 1},
                          Case{"01", 1},
                          Case{"1.", 0},
                          Case{"-", 0},
                          Case{"+1", 0},
                          Case{".5", 0},
                          Case{"1e", 0},
                          Case{"tru", 0},
                          Case{"nul", 0},
                          Case{"[1] [2]", 4},
                          Case{R"("abc)", 4},
                          Case{"\"a\x01\"", 2},
                          Case{R"("\x")", 1},
                          Case{R"("\u12")", 1},
                          Case{R"("\ud800")", 1},
                          Case{R"("\udc00")", 1},
                          Case{R"("\ud800\u0041")", 1},
                          Case{"\"\xff\"", 1},
                          Case{"\"\xC0\xAF\"", 1},
                          Case{"\"\xED\xA0\x80\"", 1},
                          Case{"\"ab\xE2\x82\"", 3},
                          Case{"NaN", 0},
                          Case{"[Infinity]", 1}}) {
    size_t offset = 12345;
    auto parsed = ParseJson(bad.text, 64, &offset);
    ASSERT_FALSE(parsed.ok()) << bad.text;
    EXPECT_EQ(offset, bad.offset) << bad.text << ": " << parsed.error().message();
    EXPECT_NE(parsed.error().message().find("at byte " + std::to_string(bad.offset)),
              std::string_view::npos);
  }
}

TEST(JsonDom, DepthLimit) {
  MustParse("[[[1]]]", 3);
  size_t offset = 0;
  EXPECT_FALSE(ParseJson("[[[[1]]]]", 3, &offset).ok());
  EXPECT_EQ(offset, 3u);
  EXPECT_FALSE(ParseJson(R"({"a":{"b":{"c":{}}}})", 3).ok());
  MustParse("1", 0);
  EXPECT_FALSE(ParseJson("[]", 0).ok());
  EXPECT_FALSE(ParseJson(std::string(1000000, '['), 1000).ok());
}

TEST(JsonDom, FindAndSourceOffsets) {
  const std::string text = R"( {"a": 1, "b": {"c": [10, "x"]}, "a": 2} )";
  JsonValue value = MustParse(text);
  ASSERT_TRUE(value.is_object());
  EXPECT_EQ(value.source_begin(), 1u);
  EXPECT_EQ(value.source_end(), text.size() - 1);
  EXPECT_EQ(value.Find("a")->number_token(), "2");  // the last of duplicates
  EXPECT_EQ(value.members().size(), 3u);
  const JsonValue* list = value.Find("b")->Find("c");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(text.substr(list->source_begin(), list->source_end() - list->source_begin()),
            R"([10, "x"])");
  const JsonValue& x = list->elements()[1];
  EXPECT_EQ(text.substr(x.source_begin(), x.source_end() - x.source_begin()), R"("x")");
  EXPECT_EQ(value.Find("missing"), nullptr);
  EXPECT_EQ(list->Find("a"), nullptr);
}

TEST(JsonDom, BuildAndEdit) {
  JsonValue object = JsonValue::Object();
  object.AddMember("s", JsonValue::String("q\""));
  object.AddMember("n", JsonValue::NumberFromInt(-42));
  object.AddMember("d", JsonValue::NumberFromDouble(0.1));
  object.AddMember("inf", JsonValue::NumberFromDouble(1.0 / 0.0));
  JsonValue array = JsonValue::Array();
  array.Append(JsonValue::Bool(true));
  array.Append(JsonValue::Null());
  array.Append(*JsonValue::NumberFromToken("1E+2"));
  object.AddMember("a", std::move(array));
  EXPECT_EQ(SerializeJson(object),
            R"({"s":"q\"","n":-42,"d":0.1,"inf":null,"a":[true,null,1E+2]})");
  object.FindMutable("n")->mutable_elements();  // no-op on a number: allowed accessor
  *object.FindMutable("s") = JsonValue::String("t");
  EXPECT_EQ(object.Find("s")->string_value(), "t");
  EXPECT_EQ(MustParse(SerializeJson(object)), object);
}

TEST(JsonDom, NumberTokens) {
  for (std::string_view good :
       {"0", "-0", "1", "-12.5e+3", "1E9", "0.000", "123456789012345678901234567890"}) {
    EXPECT_TRUE(JsonValue::NumberFromToken(good).has_value()) << good;
  }
  for (std::string_view bad :
       {"", "01", "+1", "1.", ".1", "1e", " 1", "1 ", "0x10", "-", "Infinity"}) {
    EXPECT_FALSE(JsonValue::NumberFromToken(bad).has_value()) << bad;
  }
  EXPECT_EQ(*MustParse("1.478293361271E9").number_as_double(), 1478293361.271);
  EXPECT_FALSE(MustParse("1e400").number_as_double().has_value());
  EXPECT_EQ(*JsonValue::NumberFromDouble(1795498169.668).number_as_double(), 1795498169.668);
}

TEST(JsonDom, Equality) {
  EXPECT_EQ(MustParse(R"({"a":[1,2]})"), MustParse(R"( { "a" : [ 1 , 2 ] } )"));
  EXPECT_FALSE(MustParse(R"({"a":1})") == MustParse(R"({"a":1.0})"));
  EXPECT_FALSE(MustParse(R"({"a":1,"b":2})") == MustParse(R"({"b":2,"a":1})"));
}

}  // namespace
}  // namespace roentgen::parse
