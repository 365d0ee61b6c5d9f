// SPDX-License-Identifier: Apache-2.0
#include "query/internal/parser.h"

#include <string>

#include <gtest/gtest.h>

#include "query/query.h"

namespace roentgen::query::internal {
namespace {

std::string Tree(std::string_view text) {
  auto parsed = ParseFilter(text, CompileOptions{});
  if (!parsed.ok()) return "ERROR " + std::string(parsed.error().message());
  return DebugString(*parsed->root);
}

std::string Error(std::string_view text, const CompileOptions& options = {}) {
  auto parsed = ParseFilter(text, options);
  if (parsed.ok()) return "OK " + DebugString(*parsed->root);
  EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
  return std::string(parsed.error().message());
}

TEST(Parser, FieldTableMatchesTheEnum) {
  for (int value = 0; value <= static_cast<int>(Field::kMessage); ++value) {
    auto field = static_cast<Field>(value);
    EXPECT_EQ(GetFieldInfo(field).field, field);
    EXPECT_EQ(FindField(GetFieldInfo(field).name), &GetFieldInfo(field));
  }
}

TEST(Parser, EmptyExpressionMatchesEverything) {
  EXPECT_EQ(Tree(""), "true");
  EXPECT_EQ(Tree("   \t\n"), "true");
}

TEST(Parser, PrecedenceNotOverAndOverOr) {
  EXPECT_EQ(Tree("ok OR fault AND error"), "(or ok (and fault error))");
  EXPECT_EQ(Tree("!ok AND fault"), "(and (not ok) fault)");
  EXPECT_EQ(Tree("NOT ok OR !!fault"), "(or (not ok) (not (not fault)))");
  EXPECT_EQ(Tree("(ok OR fault) AND error"), "(and (or ok fault) error)");
  EXPECT_EQ(Tree("!(ok or fault)"), "(not (or ok fault))");
}

TEST(Parser, ImplicitAnd) {
  EXPECT_EQ(Tree("ok !partial duration <3"), "(and ok (not partial) (< duration 3))");
  EXPECT_EQ(Tree("fault (error) OR ok"), "(or (and fault error) ok)");
}

TEST(Parser, KeywordsAndOperatorsAreCaseInsensitive) {
  EXPECT_EQ(Tree("responseTime > 1 And HTTP.URL contains \"x\" oR Fault = TRUE"),
            "(or (and (> responsetime 1) (CONTAINS http.url \"x\")) (= fault true))");
  EXPECT_EQ(Tree("SERVICE(\"a\") {Fault}"), "(service name=\"a\" {fault})");
}

TEST(Parser, Predicates) {
  EXPECT_EQ(Tree("http.status != 200"), "(!= http.status 200)");
  EXPECT_EQ(Tree("user CONTAINS \"\""), "(CONTAINS user \"\")");
  EXPECT_EQ(Tree("http.url"), "http.url");
  EXPECT_EQ(Tree("ok = false"), "(= ok false)");
  EXPECT_EQ(Tree("annotation.age > 29"), "(> annotation[age] 29)");
  EXPECT_EQ(Tree("annotation.internal = false"), "(= annotation[internal] false)");
  EXPECT_EQ(Tree("annotation[aws.local.operation] = \"GET /api\""),
            "(= annotation[aws.local.operation] \"GET /api\")");
  EXPECT_EQ(Tree("!annotation.age"), "(not annotation[age])");
  // Leniency: an unquoted word in value position is a string.
  EXPECT_EQ(Tree("rootcause.fault.service { name = traces }"),
            "(rootcause.fault.service {(= name \"traces\")})");
}

TEST(Parser, ComplexKeywords) {
  EXPECT_EQ(Tree("service()"), "(service any)");
  EXPECT_EQ(Tree("service() {}"), "(service any)");
  EXPECT_EQ(Tree("service(id(name: \"fn\", type: \"AWS::Lambda::Function\", account.id: \"1\"))"),
            "(service name=\"fn\" type=\"AWS::Lambda::Function\" account=\"1\")");
  EXPECT_EQ(Tree("edge(\"a\", id(type: \"remote\")) { error }"),
            "(edge name=\"a\", type=\"remote\" {error})");
  EXPECT_EQ(Tree("service(\"x\") { root = true and fault = true }"),
            "(service name=\"x\" {(and (= root true) (= fault true))})");
  EXPECT_EQ(Tree("group.name = \"g\" AND group.arn = \"arn:x\""),
            "(and (group.name \"g\") (group.arn \"arn:x\"))");
  EXPECT_EQ(Tree("rootcause.responsetime.entity { remote and coverage > 0.7 }"),
            "(rootcause.responsetime.entity {(and remote (> coverage 0.69999999999999996))})");
  EXPECT_EQ(Tree("rootcause.fault.exception"), "(rootcause.fault.exception)");
  EXPECT_EQ(Tree("rootcause.json = #[{\"Services\": []}, {}]"), "(rootcause.json 2)");
  EXPECT_EQ(Tree("(service(id(name: \"frontend\"))) AND (Annotation[env] = \"k8s:default\")"),
            "(and (service name=\"frontend\") (= annotation[env] \"k8s:default\"))");
}

TEST(Parser, SyntaxErrorsNameTheColumnAndWhatWasExpected) {
  EXPECT_EQ(Error("http.status = "), "filter: expected a value after \"=\" at column 15");
  EXPECT_EQ(Error("service(\"a\") AND user = )"),
            "filter: expected a value after \"=\" at column 25");
  EXPECT_EQ(Error("foo = 1"), "filter: unknown keyword \"foo\" at column 1");
  EXPECT_EQ(Error("ok AND Foo"), "filter: unknown keyword \"Foo\" at column 8");
  EXPECT_EQ(Error("service(\"a\""), "filter: expected \")\" at column 12");
  EXPECT_EQ(Error("(ok"), "filter: expected \")\" at column 4");
  EXPECT_EQ(Error("ok)"), "filter: unexpected \")\" at column 3");
  EXPECT_EQ(Error("ok AND"), "filter: expected an expression after \"AND\" at column 7");
  EXPECT_EQ(Error("OR ok"), "filter: expected an expression at column 1");
  EXPECT_EQ(Error("ok OR"), "filter: expected an expression after \"OR\" at column 6");
  EXPECT_EQ(Error("!"), "filter: expected an expression after \"!\" at column 2");
  EXPECT_EQ(Error("NOT"), "filter: expected an expression after \"NOT\" at column 4");
  EXPECT_EQ(Error("()"), "filter: expected an expression after \"(\" at column 2");
  EXPECT_EQ(Error("= 5"), "filter: expected an expression at column 1");
  EXPECT_EQ(Error("ok \"x\""), "filter: unexpected string \"x\" at column 4");
  EXPECT_EQ(Error("ok true"), "filter: unexpected \"true\" at column 4");
  EXPECT_EQ(Error("service(\"a\") { fault"), "filter: expected \"}\" at column 21");
  EXPECT_EQ(Error("service \"a\""), "filter: expected \"(\" after \"service\" at column 9");
  EXPECT_EQ(Error("service(a)"),
            "filter: expected a service name (a string) or id(...) after \"service(\" at column 9");
  EXPECT_EQ(Error("edge(\"a\")"),
            "filter: expected \",\" and the second node of edge() at column 9");
  EXPECT_EQ(Error("service(id())"),
            "filter: expected name:, type: or account.id: in id() at column 12");
  EXPECT_EQ(Error("service(id(name \"a\"))"), "filter: expected \":\" after \"name\" at column 17");
  EXPECT_EQ(Error("service(id(name: 1))"),
            "filter: expected a string after \"name:\" at column 18");
  EXPECT_EQ(Error("service(id(name: \"a\", name: \"b\"))"),
            "filter: duplicate id() argument \"name\" at column 23");
  EXPECT_EQ(Error("id(name: \"a\")"),
            "filter: id(...) is only valid inside service() or edge() at column 1");
  EXPECT_EQ(Error("annotation = 1"),
            "filter: expected annotation.KEY or annotation[KEY] at column 1");
  EXPECT_EQ(Error("http.status == 200"), "filter: expected a value after \"=\" at column 14");
  EXPECT_EQ(Error("group.name \"x\""), "filter: expected \"=\" after group.name at column 12");
  EXPECT_EQ(Error("group.arn = 5"), "filter: expected a string after \"=\" at column 13");
}

TEST(Parser, TypeErrors) {
  EXPECT_EQ(Error("responsetime > \"2\""), "filter: expected a number after \">\" at column 16");
  EXPECT_EQ(Error("http.url > 5"),
            "filter: operator \">\" is not valid for string keyword http.url at column 10");
  EXPECT_EQ(Error("ok < 1"),
            "filter: operator \"<\" is not valid for boolean keyword ok at column 4");
  EXPECT_EQ(Error("fault = 1"), "filter: expected true or false after \"=\" at column 9");
  EXPECT_EQ(Error("user = 5"), "filter: expected a string after \"=\" at column 8");
  EXPECT_EQ(Error("duration CONTAINS 5"),
            "filter: operator \"CONTAINS\" is not valid for number keyword duration at column 10");
  EXPECT_EQ(Error("annotation.x > \"a\""),
            "filter: operator \">\" is not valid for a string value at column 14");
  EXPECT_EQ(Error("annotation.x CONTAINS 1"),
            "filter: operator \"CONTAINS\" is not valid for a number value at column 14");
  EXPECT_EQ(Error("annotation.x >= true"),
            "filter: operator \">=\" is not valid for a boolean value at column 14");
  EXPECT_EQ(Error("annotation.x = AND"), "filter: expected a value after \"=\" at column 16");
}

TEST(Parser, ScopeErrors) {
  EXPECT_EQ(Error("service(\"a\") { annotation.x = 1 }"),
            "filter: annotation.x cannot be used inside a service block at column 16");
  EXPECT_EQ(Error("edge(\"a\", \"b\") { annotation[k] }"),
            "filter: annotation[k] cannot be used inside an edge block at column 18");
  EXPECT_EQ(Error("coverage > 0.5"),
            "filter: coverage is only valid inside rootcause.responsetime.entity { } at column 1");
  EXPECT_EQ(Error("root"), "filter: root is only valid inside service() { } at column 1");
  EXPECT_EQ(Error("first"), "filter: first is only valid inside rootcause blocks at column 1");
  EXPECT_EQ(Error("message = \"x\""),
            "filter: message is only valid inside rootcause.<kind>.exception { } at column 1");
  EXPECT_EQ(Error("remote"),
            "filter: remote is only valid inside rootcause.<kind>.entity { } at column 1");
  EXPECT_EQ(Error("type = \"x\""),
            "filter: type is only valid inside rootcause.<kind>.service { } at column 1");
  EXPECT_EQ(Error("rootcause.fault.entity { coverage > 0.5 }"),
            "filter: coverage cannot be used inside a rootcause.fault.entity block at column 26");
  EXPECT_EQ(Error("rootcause.fault.service { user = \"x\" }"),
            "filter: user cannot be used inside a rootcause.fault.service block at column 27");
  EXPECT_EQ(Error("edge(\"a\", \"b\") { user = \"x\" }"),
            "filter: user cannot be used inside an edge block at column 18");
  EXPECT_EQ(Error("service(\"a\") { service(\"b\") }"),
            "filter: service() cannot be used inside a service block at column 16");
  EXPECT_EQ(Error("service(\"a\") { group.name = \"g\" }"),
            "filter: group.name cannot be used inside a service block at column 16");
  EXPECT_EQ(Error("service(\"a\") { root }"), "OK (service name=\"a\" {root})");
  EXPECT_EQ(Error("rootcause.responsetime.exception { first }"),
            "filter: rootcause.responsetime has no exceptions at column 1");
  EXPECT_EQ(Error("rootcause.fault"),
            "filter: unknown keyword \"rootcause.fault\" (expected "
            "rootcause.<fault|error|responsetime>.<service|entity|exception> or rootcause.json) "
            "at column 1");
}

TEST(Parser, JsonErrors) {
  EXPECT_EQ(Error("rootcause.json = 5"), "filter: expected #[...] after \"=\" at column 18");
  EXPECT_EQ(Error("rootcause.json #[]"),
            "filter: expected \"=\" after rootcause.json at column 16");
  EXPECT_EQ(Error("rootcause.json = #[]"),
            "filter: rootcause.json: expected at least one root cause object at column 19");
  EXPECT_EQ(Error("rootcause.json = #[{\"Services\": 1}]"),
            "filter: rootcause.json: field \"Services\" must be an array at column 19");
  EXPECT_EQ(Error("rootcause.json = #[{\"Foo\": 1}]"),
            "filter: rootcause.json: unknown field \"Foo\" in a root cause object at column 19");
  EXPECT_EQ(
      Error("rootcause.json = #[{\"Services\": [{\"EntityPath\": [{\"Coverage\": \"x\"}]}]}]"),
      "filter: rootcause.json: field \"Coverage\" must be a number at column 19");
  EXPECT_EQ(Error("rootcause.json = #[{\"Services\": [1]}]"),
            "filter: rootcause.json: expected a service object at column 19");
  EXPECT_EQ(Error("rootcause.json = #[{,}]"),
            "filter: rootcause.json: expected a member name at column 21");
}

TEST(Parser, Limits) {
  std::string long_expression(2001, ' ');
  EXPECT_EQ(Error(long_expression),
            "filter: expression longer than 2000 characters at column 2001");
  std::string deep(65, '(');
  deep += "ok" + std::string(65, ')');
  EXPECT_EQ(Error(deep), "filter: nesting deeper than 64 levels at column 65");
  std::string nots;
  for (int idx = 0; idx < 70; ++idx) nots += "!";
  EXPECT_EQ(Error(nots + "ok"), "filter: nesting deeper than 64 levels at column 65");
  std::string ok_depth(64, '(');
  ok_depth += "ok" + std::string(64, ')');
  EXPECT_EQ(Error(ok_depth), "OK ok");
  CompileOptions small;
  small.max_length = 10;
  EXPECT_EQ(Error("responsetime > 1", small),
            "filter: expression longer than 10 characters at column 11");
}

TEST(Parser, UnknownGroupsFailWhenACheckIsGiven) {
  CompileOptions options;
  options.group_exists = [](GroupKey key, std::string_view value) {
    return key == GroupKey::kName && value == "known";
  };
  EXPECT_EQ(Error("group.name = \"known\"", options), "OK (group.name \"known\")");
  EXPECT_EQ(Error("ok AND group.name = \"other\"", options),
            "filter: unknown group \"other\" at column 21");
  EXPECT_EQ(Error("group.arn = \"arn:aws:xray:r:1:group/known/x\"", options),
            "filter: unknown group \"arn:aws:xray:r:1:group/known/x\" at column 13");
}

}  // namespace
}  // namespace roentgen::query::internal
