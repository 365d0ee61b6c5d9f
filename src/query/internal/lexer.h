// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roentgen::query::internal {

enum class TokenKind {
  kEnd,
  kWord,        // [A-Za-z_][A-Za-z0-9_.]*: keywords, word operators, bare values
  kString,      // "..." (value holds the unescaped text)
  kNumber,      // -?digits[.digits][e[+-]digits] (number holds the value)
  kAnnotation,  // annotation.KEY or annotation[KEY] (value holds KEY)
  kJson,        // #[...] (text holds the JSON array, without '#')
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kComma,
  kColon,
  kBang,  // !
  kEq,    // =
  kNe,    // !=
  kLt,
  kLe,
  kGt,
  kGe,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t column = 1;      // 1-based byte column of the first character
  std::string_view text;  // the source text of the token
  std::string value;      // kString, kAnnotation, kWord (lowercased for kWord)
  double number = 0;      // kNumber
};

// How a token reads in an error message: `"AND"`, `string "x"`, `end of expression`.
std::string DescribeToken(const Token& token);

// Splits a filter expression into tokens on demand. Errors are InvalidArgument
// "filter: ... at column N". Not thread-safe; externally synchronized.
class Lexer {
 public:
  // `input` must outlive the lexer and its tokens.
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token; kEnd (repeatedly) at the end of the input.
  Result<Token> Next();

  // The column just past the end of the input.
  size_t end_column() const { return input_.size() + 1; }

 private:
  Result<Token> LexString(size_t start);
  Result<Token> LexNumber(size_t start);
  Result<Token> LexWord(size_t start);
  Result<Token> LexJson(size_t start);

  std::string_view input_;
  size_t pos_ = 0;
};

// "filter: <what> at column <column>".
Status SyntaxError(std::string_view what, size_t column);

}  // namespace roentgen::query::internal
