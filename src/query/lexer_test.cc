// SPDX-License-Identifier: Apache-2.0
#include "query/internal/lexer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace roentgen::query::internal {
namespace {

// Lexes everything; returns "kind:text" strings or the error message as the last element.
std::vector<std::string> Lex(std::string_view input) {
  Lexer lexer(input);
  std::vector<std::string> out;
  for (;;) {
    auto token = lexer.Next();
    if (!token.ok()) {
      out.push_back(std::string(token.error().message()));
      return out;
    }
    if (token->kind == TokenKind::kEnd) return out;
    std::string item;
    switch (token->kind) {
      case TokenKind::kWord:
        item = "W:" + token->value;
        break;
      case TokenKind::kString:
        item = "S:" + token->value;
        break;
      case TokenKind::kNumber:
        item = "N:" + std::to_string(token->number);
        break;
      case TokenKind::kAnnotation:
        item = "A:" + token->value;
        break;
      case TokenKind::kJson:
        item = "J:" + std::string(token->text);
        break;
      default:
        item = std::string(token->text);
        break;
    }
    item += "@" + std::to_string(token->column);
    out.push_back(item);
  }
}

using V = std::vector<std::string>;

TEST(Lexer, WordsOperatorsAndColumns) {
  EXPECT_EQ(Lex("ok !partial duration <3"),
            (V{"W:ok@1", "!@4", "W:partial@5", "W:duration@13", "<@22", "N:3.000000@23"}));
  EXPECT_EQ(Lex("a!=b<=c>=d>e=f"), (V{"W:a@1", "!=@2", "W:b@4", "<=@5", "W:c@7", ">=@8", "W:d@10",
                                      ">@11", "W:e@12", "=@13", "W:f@14"}));
  EXPECT_EQ(Lex("Http.URL CONTAINS"), (V{"W:http.url@1", "W:contains@10"}));
  EXPECT_EQ(Lex("service(id(name: \"a\"), \"b\"){}"),
            (V{"W:service@1", "(@8", "W:id@9", "(@11", "W:name@12", ":@16", "S:a@18", ")@21",
               ",@22", "S:b@24", ")@27", "{@28", "}@29"}));
}

TEST(Lexer, Strings) {
  EXPECT_EQ(Lex(R"("a \"quoted\" \\ value")"), (V{R"(S:a "quoted" \ value@1)"}));
  EXPECT_EQ(Lex(R"("")"), (V{"S:@1"}));
  EXPECT_EQ(Lex(R"(user = "alice)"),
            (V{"W:user@1", "=@6", "filter: unterminated string at column 8"}));
  EXPECT_EQ(Lex(R"("a\)"), (V{"filter: unterminated string at column 1"}));
}

TEST(Lexer, Numbers) {
  EXPECT_EQ(Lex("0.7 2.5 -1 1e3 2E-2 5."),
            (V{"N:0.700000@1", "N:2.500000@5", "N:-1.000000@9", "N:1000.000000@12", "N:0.020000@16",
               "N:5.000000@21"}));
  EXPECT_EQ(Lex("5s"), (V{"filter: invalid number \"5s\" at column 1"}));
  EXPECT_EQ(Lex("1e999"), (V{"filter: number out of range \"1e999\" at column 1"}));
  EXPECT_EQ(Lex("- 1"), (V{"filter: unexpected character \"-\" at column 1"}));
}

TEST(Lexer, AnnotationKeys) {
  EXPECT_EQ(Lex("annotation.game_id = 1"), (V{"A:game_id@1", "=@20", "N:1.000000@22"}));
  EXPECT_EQ(Lex("Annotation[aws.local.operation]=\"x\""),
            (V{"A:aws.local.operation@1", "=@32", "S:x@33"}));
  EXPECT_EQ(Lex("annotation[aws:api_id]"), (V{"A:aws:api_id@1"}));
  EXPECT_EQ(Lex("annotation[\"quoted key\"]"), (V{"A:quoted key@1"}));
  EXPECT_EQ(Lex("annotation.a-b = 1"),
            (V{"filter: invalid annotation key \"a-b\" (use annotation[a-b] for keys with "
               "characters other than letters, digits and _) at column 1"}));
  EXPECT_EQ(Lex("annotation.a.b"),
            (V{"filter: invalid annotation key \"a.b\" (use annotation[a.b] for keys with "
               "characters other than letters, digits and _) at column 1"}));
  EXPECT_EQ(Lex("annotation[]"), (V{"filter: empty annotation key at column 1"}));
  EXPECT_EQ(Lex("annotation[abc"), (V{"filter: unterminated annotation[ at column 1"}));
}

TEST(Lexer, JsonLiterals) {
  EXPECT_EQ(Lex(R"(rootcause.json = #[{"a": "]"}, [1]] ok)"),
            (V{"W:rootcause.json@1", "=@16", R"(J:[{"a": "]"}, [1]]@18)", "W:ok@37"}));
  EXPECT_EQ(Lex("#{}"), (V{"filter: expected \"[\" after \"#\" at column 2"}));
  EXPECT_EQ(Lex("#[1, 2"), (V{"filter: unterminated JSON literal at column 1"}));
}

TEST(Lexer, UnexpectedCharacters) {
  EXPECT_EQ(Lex("ok % fault"), (V{"W:ok@1", "filter: unexpected character \"%\" at column 4"}));
  EXPECT_EQ(Lex("ok \xc3\xa9"), (V{"W:ok@1", "filter: unexpected byte 0xC3 at column 4"}));
  EXPECT_EQ(Lex("'x'"), (V{"filter: unexpected character \"'\" at column 1"}));
}

}  // namespace
}  // namespace roentgen::query::internal
