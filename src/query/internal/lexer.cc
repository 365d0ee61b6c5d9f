// SPDX-License-Identifier: Apache-2.0
#include "query/internal/lexer.h"

#include <charconv>
#include <cmath>
#include <string>

#include "base/status.h"

namespace roentgen::query::internal {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsWordStart(char c) { return IsLetter(c) || c == '_'; }
bool IsWordChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_' || c == '.'; }
bool IsKeyChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }
// Characters that may end an annotation key written in the dotted form.
bool IsDelimiter(char c) {
  return IsSpace(c) || c == '=' || c == '!' || c == '<' || c == '>' || c == '(' || c == ')' ||
         c == '{' || c == '}' || c == ',';
}
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Quote(std::string_view text) {
  std::string quoted = "\"";
  quoted.append(text);
  quoted.push_back('"');
  return quoted;
}

constexpr std::string_view kAnnotationWord = "annotation";

}  // namespace

Status SyntaxError(std::string_view what, size_t column) {
  std::string message = "filter: ";
  message.append(what);
  message.append(" at column ");
  message.append(std::to_string(column));
  return InvalidArgumentError(message);
}

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of expression";
    case TokenKind::kString:
      return "string " + std::string(token.text);
    case TokenKind::kNumber:
      return "number " + std::string(token.text);
    case TokenKind::kJson:
      return "JSON literal";
    default:
      return Quote(token.text);
  }
}

Result<Token> Lexer::Next() {
  while (pos_ < input_.size() && IsSpace(input_[pos_])) ++pos_;
  const size_t start = pos_;
  Token token;
  token.column = start + 1;
  if (pos_ >= input_.size()) {
    token.kind = TokenKind::kEnd;
    return token;
  }
  const char c = input_[pos_];
  if (c == '"') return LexString(start);
  if (IsDigit(c) || (c == '-' && pos_ + 1 < input_.size() && IsDigit(input_[pos_ + 1]))) {
    return LexNumber(start);
  }
  if (IsWordStart(c)) return LexWord(start);
  if (c == '#') return LexJson(start);
  auto single = [&](TokenKind kind, size_t length) {
    token.kind = kind;
    token.text = input_.substr(start, length);
    pos_ = start + length;
    return token;
  };
  const char next = pos_ + 1 < input_.size() ? input_[pos_ + 1] : '\0';
  switch (c) {
    case '(':
      return single(TokenKind::kLParen, 1);
    case ')':
      return single(TokenKind::kRParen, 1);
    case '{':
      return single(TokenKind::kLBrace, 1);
    case '}':
      return single(TokenKind::kRBrace, 1);
    case ',':
      return single(TokenKind::kComma, 1);
    case ':':
      return single(TokenKind::kColon, 1);
    case '=':
      return single(TokenKind::kEq, 1);
    case '!':
      return next == '=' ? single(TokenKind::kNe, 2) : single(TokenKind::kBang, 1);
    case '<':
      return next == '=' ? single(TokenKind::kLe, 2) : single(TokenKind::kLt, 1);
    case '>':
      return next == '=' ? single(TokenKind::kGe, 2) : single(TokenKind::kGt, 1);
    default:
      break;
  }
  if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) {
    return SyntaxError("unexpected character " + Quote(std::string_view(&c, 1)), token.column);
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string byte = "byte 0x";
  byte.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
  byte.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
  return SyntaxError("unexpected " + byte, token.column);
}

Result<Token> Lexer::LexString(size_t start) {
  Token token;
  token.kind = TokenKind::kString;
  token.column = start + 1;
  size_t pos = start + 1;
  while (pos < input_.size()) {
    const char c = input_[pos];
    if (c == '"') {
      pos_ = pos + 1;
      token.text = input_.substr(start, pos_ - start);
      return token;
    }
    // A backslash takes the next character literally (\" and \\ in practice).
    if (c == '\\') {
      if (pos + 1 >= input_.size()) break;
      token.value.push_back(input_[pos + 1]);
      pos += 2;
      continue;
    }
    token.value.push_back(c);
    ++pos;
  }
  return SyntaxError("unterminated string", token.column);
}

Result<Token> Lexer::LexNumber(size_t start) {
  size_t pos = start;
  if (input_[pos] == '-') ++pos;
  while (pos < input_.size() && IsDigit(input_[pos])) ++pos;
  if (pos < input_.size() && input_[pos] == '.') {
    ++pos;
    while (pos < input_.size() && IsDigit(input_[pos])) ++pos;
  }
  if (pos < input_.size() && (input_[pos] == 'e' || input_[pos] == 'E')) {
    size_t exponent = pos + 1;
    if (exponent < input_.size() && (input_[exponent] == '+' || input_[exponent] == '-')) {
      ++exponent;
    }
    if (exponent < input_.size() && IsDigit(input_[exponent])) {
      pos = exponent;
      while (pos < input_.size() && IsDigit(input_[pos])) ++pos;
    }
  }
  size_t end = pos;
  while (end < input_.size() && IsWordChar(input_[end])) ++end;
  Token token;
  token.kind = TokenKind::kNumber;
  token.column = start + 1;
  token.text = input_.substr(start, end - start);
  if (end != pos) return SyntaxError("invalid number " + Quote(token.text), token.column);
  std::string_view digits = token.text;
  // from_chars does not take a leading '+', and '-' it handles itself.
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), token.number);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(token.number)) {
    return SyntaxError("number out of range " + Quote(token.text), token.column);
  }
  pos_ = pos;
  return token;
}

Result<Token> Lexer::LexWord(size_t start) {
  size_t pos = start;
  while (pos < input_.size() && IsWordChar(input_[pos])) ++pos;
  Token token;
  token.kind = TokenKind::kWord;
  token.column = start + 1;
  token.text = input_.substr(start, pos - start);
  token.value.reserve(token.text.size());
  for (char c : token.text) token.value.push_back(Lower(c));

  if (token.value == kAnnotationWord && pos < input_.size() && input_[pos] == '[') {
    size_t close = input_.find(']', pos + 1);
    if (close == std::string_view::npos) {
      return SyntaxError("unterminated annotation[", token.column);
    }
    std::string_view key = input_.substr(pos + 1, close - pos - 1);
    // annotation["key"] is accepted too.
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') {
      key = key.substr(1, key.size() - 2);
    }
    if (key.empty()) return SyntaxError("empty annotation key", token.column);
    token.kind = TokenKind::kAnnotation;
    token.value = std::string(key);
    pos_ = close + 1;
    token.text = input_.substr(start, pos_ - start);
    return token;
  }
  if (token.value.size() > kAnnotationWord.size() &&
      token.value.compare(0, kAnnotationWord.size(), kAnnotationWord) == 0 &&
      token.value[kAnnotationWord.size()] == '.') {
    // annotation.KEY: KEY is [A-Za-z0-9_]+. Take everything up to a delimiter so that the
    // message shows the whole key the user meant.
    size_t key_end = pos;
    while (key_end < input_.size() && !IsDelimiter(input_[key_end])) ++key_end;
    std::string_view key = input_.substr(start + kAnnotationWord.size() + 1,
                                         key_end - start - kAnnotationWord.size() - 1);
    bool valid = !key.empty();
    for (char c : key) valid = valid && IsKeyChar(c);
    if (key.empty()) return SyntaxError("empty annotation key", token.column);
    if (!valid) {
      return SyntaxError("invalid annotation key " + Quote(key) + " (use annotation[" +
                             std::string(key) +
                             "] for keys with characters other than letters, digits and _)",
                         token.column);
    }
    token.kind = TokenKind::kAnnotation;
    token.value = std::string(key);
    pos_ = key_end;
    token.text = input_.substr(start, pos_ - start);
    return token;
  }
  pos_ = pos;
  return token;
}

Result<Token> Lexer::LexJson(size_t start) {
  Token token;
  token.kind = TokenKind::kJson;
  token.column = start + 1;
  if (start + 1 >= input_.size() || input_[start + 1] != '[') {
    return SyntaxError("expected \"[\" after \"#\"", start + 2);
  }
  size_t depth = 0;
  size_t pos = start + 1;
  while (pos < input_.size()) {
    const char c = input_[pos];
    if (c == '"') {
      ++pos;
      while (pos < input_.size() && input_[pos] != '"') pos += input_[pos] == '\\' ? 2u : 1u;
      if (pos >= input_.size()) break;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) {
        pos_ = pos + 1;
        token.text = input_.substr(start + 1, pos_ - start - 1);
        return token;
      }
    }
    ++pos;
  }
  return SyntaxError("unterminated JSON literal", token.column);
}

}  // namespace roentgen::query::internal
