// SPDX-License-Identifier: Apache-2.0
#include "query/internal/json_literal.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>

#include "base/json_escape.h"

namespace roentgen::query::internal {
namespace {

class JsonParser {
 public:
  JsonParser(std::string_view text, size_t max_depth) : text_(text), max_depth_(max_depth) {}

  bool ParseDocument(JsonValue* value, JsonError* error) {
    error_ = error;
    SkipSpace();
    if (!ParseValue(value, 0)) return false;
    SkipSpace();
    if (pos_ != text_.size()) return Fail("end of JSON");
    return true;
  }

 private:
  bool Fail(std::string_view expected) {
    error_->what = "expected " + std::string(expected);
    error_->offset = pos_;
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseValue(JsonValue* value, size_t depth) {
    if (pos_ >= text_.size()) return Fail("a JSON value");
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth + 1 > max_depth_) {
        error_->what = "JSON nested too deeply";
        error_->offset = pos_;
        return false;
      }
      return c == '{' ? ParseObject(value, depth + 1) : ParseArray(value, depth + 1);
    }
    if (c == '"') {
      value->type = JsonValue::Type::kString;
      return ParseString(&value->string_value);
    }
    if (Literal("true")) {
      value->type = JsonValue::Type::kBool;
      value->bool_value = true;
      return true;
    }
    if (Literal("false")) {
      value->type = JsonValue::Type::kBool;
      value->bool_value = false;
      return true;
    }
    if (Literal("null")) {
      value->type = JsonValue::Type::kNull;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(value);
    return Fail("a JSON value");
  }

  bool ParseNumber(JsonValue* value) {
    const size_t start = pos_;
    auto digits = [&] {
      size_t before = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ > before;
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return Fail("a digit");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Fail("a digit");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) return Fail("a digit");
    }
    std::string_view number = text_.substr(start, pos_ - start);
    double parsed = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), parsed);
    if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(parsed)) {
      pos_ = start;
      return Fail("a finite number");
    }
    value->type = JsonValue::Type::kNumber;
    value->number_value = parsed;
    return true;
  }

  static void AppendUtf8(uint32_t code_point, std::string* out) {
    if (code_point < 0x80) {
      out->push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (code_point >> 6)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
    } else if (code_point < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (code_point >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (code_point >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
    }
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return Fail("4 hex digits");
    uint32_t value = 0;
    for (size_t idx = 0; idx < 4; ++idx) {
      const char c = text_[pos_ + idx];
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail("4 hex digits");
      }
      value = value * 16 + digit;
    }
    pos_ += 4;
    *out = value;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // the opening quote
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("no control characters in a string");
      if (c != '\\') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= text_.size()) break;
      const char escape = text_[pos_ + 1];
      pos_ += 2;
      if (AppendSimpleJsonEscape(escape, out)) continue;
      switch (escape) {
        case 'u': {
          uint32_t code_point = 0;
          if (!Hex4(&code_point)) return false;
          if (code_point >= 0xd800 && code_point <= 0xdbff && pos_ + 1 < text_.size() &&
              text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
            pos_ += 2;
            uint32_t low = 0;
            if (!Hex4(&low)) return false;
            if (low >= 0xdc00 && low <= 0xdfff) {
              code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
            } else {
              AppendUtf8(0xfffd, out);
              code_point = low;
            }
          }
          if (code_point >= 0xd800 && code_point <= 0xdfff) code_point = 0xfffd;
          AppendUtf8(code_point, out);
          break;
        }
        default:
          pos_ -= 1;
          return Fail("a valid escape");
      }
    }
    return Fail("\" to end the string");
  }

  bool ParseArray(JsonValue* value, size_t depth) {
    value->type = JsonValue::Type::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      JsonValue element;
      if (!ParseValue(&element, depth)) return false;
      value->elements.push_back(std::move(element));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("\",\" or \"]\"");
    }
  }

  bool ParseObject(JsonValue* value, size_t depth) {
    value->type = JsonValue::Type::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("a member name");
      std::string name;
      if (!ParseString(&name)) return false;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("\":\"");
      ++pos_;
      SkipSpace();
      JsonValue member;
      if (!ParseValue(&member, depth)) return false;
      value->members.push_back(JsonMember{std::move(name), std::move(member)});
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("\",\" or \"}\"");
    }
  }

  std::string_view text_;
  size_t max_depth_;
  size_t pos_ = 0;
  JsonError* error_ = nullptr;
};

}  // namespace

bool ParseJsonLiteral(std::string_view text, size_t max_depth, JsonValue* value, JsonError* error) {
  return JsonParser(text, max_depth).ParseDocument(value, error);
}

}  // namespace roentgen::query::internal
