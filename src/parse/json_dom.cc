// SPDX-License-Identifier: Apache-2.0
#include "parse/json_dom.h"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>
#include <utility>

#include "base/json_escape.h"
#include "base/json_writer.h"
#include "parse/internal/utf8.h"

// A plain recursive-descent parser. Why not simdjson's DOM: it keeps neither number tokens nor
// source offsets. The read path that uses this module (trace assembly) handles a few documents
// per request, so simplicity wins over speed.

namespace roentgen::parse {
namespace {

bool IsJsonWhitespace(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }
bool IsDigit(char ch) { return ch >= '0' && ch <= '9'; }

int HexDigitValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Length of the JSON number token at the start of `text`, or 0 if there is none.
size_t ScanNumber(std::string_view text) {
  size_t pos = 0;
  const size_t size = text.size();
  if (pos < size && text[pos] == '-') ++pos;
  if (pos >= size) return 0;
  if (text[pos] == '0') {
    ++pos;
  } else if (text[pos] >= '1' && text[pos] <= '9') {
    while (pos < size && IsDigit(text[pos])) ++pos;
  } else {
    return 0;
  }
  if (pos < size && text[pos] == '.') {
    ++pos;
    if (pos >= size || !IsDigit(text[pos])) return 0;
    while (pos < size && IsDigit(text[pos])) ++pos;
  }
  if (pos < size && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < size && (text[pos] == '+' || text[pos] == '-')) ++pos;
    if (pos >= size || !IsDigit(text[pos])) return 0;
    while (pos < size && IsDigit(text[pos])) ++pos;
  }
  return pos;
}

}  // namespace

// Not thread-safe; one instance per ParseJson call.
class JsonParser {
 public:
  JsonParser(std::string_view text, size_t max_depth) : text_(text), max_depth_(max_depth) {}

  Result<JsonValue> Run(size_t* error_offset) {
    JsonValue root;
    SkipWhitespace();
    if (ParseValue(&root, 0)) {
      SkipWhitespace();
      if (pos_ != text_.size()) Fail("unexpected text after the value");
    }
    if (!error_.empty()) {
      if (error_offset != nullptr) *error_offset = error_pos_;
      return InvalidArgumentError("json: " + error_ + " at byte " + std::to_string(error_pos_));
    }
    return root;
  }

 private:
  bool Fail(std::string_view what) { return FailAt(what, pos_); }
  bool FailAt(std::string_view what, size_t pos) {
    if (error_.empty()) {
      error_ = std::string(what);
      error_pos_ = pos;
    }
    return false;
  }

  void SkipWhitespace() {
    while (pos_ < text_.size() && IsJsonWhitespace(text_[pos_])) ++pos_;
  }

  bool Consume(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  bool ParseValue(JsonValue* out, size_t depth) {
    if (pos_ >= text_.size()) return Fail("unexpected end of input");
    out->source_begin_ = pos_;
    const char ch = text_[pos_];
    bool ok;
    switch (ch) {
      case '{':
        ok = ParseObject(out, depth + 1);
        break;
      case '[':
        ok = ParseArray(out, depth + 1);
        break;
      case '"':
        out->type_ = JsonValue::Type::kString;
        ok = ParseString(&out->text_);
        break;
      case 't':
      case 'f':
      case 'n':
        ok = ParseLiteral(out);
        break;
      default: {
        const size_t length = ScanNumber(text_.substr(pos_));
        if (length == 0) return Fail("expected a value");
        out->type_ = JsonValue::Type::kNumber;
        out->text_.assign(text_.data() + pos_, length);
        pos_ += length;
        ok = true;
        break;
      }
    }
    out->source_end_ = pos_;
    return ok;
  }

  bool ParseLiteral(JsonValue* out) {
    if (Consume("true")) {
      out->type_ = JsonValue::Type::kBool;
      out->bool_value_ = true;
    } else if (Consume("false")) {
      out->type_ = JsonValue::Type::kBool;
      out->bool_value_ = false;
    } else if (Consume("null")) {
      out->type_ = JsonValue::Type::kNull;
    } else {
      return Fail("invalid literal");
    }
    return true;
  }

  bool ParseArray(JsonValue* out, size_t depth) {
    if (depth > max_depth_) return Fail("nesting deeper than the limit");
    out->type_ = JsonValue::Type::kArray;
    ++pos_;  // '['
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      out->elements_.emplace_back();
      if (!ParseValue(&out->elements_.back(), depth)) return false;
      SkipWhitespace();
      if (pos_ >= text_.size()) return Fail("unexpected end of input in an array");
      if (text_[pos_] == ',') {
        ++pos_;
        SkipWhitespace();
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool ParseObject(JsonValue* out, size_t depth) {
    if (depth > max_depth_) return Fail("nesting deeper than the limit");
    out->type_ = JsonValue::Type::kObject;
    ++pos_;  // '{'
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a member name");
      out->members_.emplace_back();
      JsonMember& member = out->members_.back();
      if (!ParseString(&member.key)) return false;
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      SkipWhitespace();
      if (!ParseValue(&member.value, depth)) return false;
      SkipWhitespace();
      if (pos_ >= text_.size()) return Fail("unexpected end of input in an object");
      if (text_[pos_] == ',') {
        ++pos_;
        SkipWhitespace();
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  // Reads 4 hex digits at pos_; false if they are not there.
  bool ReadHex4(uint32_t* value) {
    if (text_.size() - pos_ < 4) return false;
    uint32_t result = 0;
    for (size_t idx = 0; idx < 4; ++idx) {
      const int digit = HexDigitValue(text_[pos_ + idx]);
      if (digit < 0) return false;
      result = (result << 4) | static_cast<uint32_t>(digit);
    }
    pos_ += 4;
    *value = result;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      // Copy the run of plain bytes in one go.
      const size_t run_begin = pos_;
      while (pos_ < text_.size()) {
        const auto byte = static_cast<unsigned char>(text_[pos_]);
        if (byte == '"' || byte == '\\' || byte < 0x20) break;
        ++pos_;
      }
      if (pos_ > run_begin) {
        const std::string_view run = text_.substr(run_begin, pos_ - run_begin);
        const size_t bad = internal::FindInvalidUtf8(run);
        if (bad != internal::kNoInvalidUtf8) return FailAt("invalid UTF-8", run_begin + bad);
        out->append(run);
      }
      if (pos_ >= text_.size()) return Fail("unterminated string");
      const char ch = text_[pos_];
      if (ch == '"') {
        ++pos_;
        return true;
      }
      if (ch != '\\') return Fail("control character in a string");
      const size_t escape_pos = pos_;
      ++pos_;
      if (pos_ >= text_.size()) return Fail("unterminated string");
      const char escape = text_[pos_++];
      if (AppendSimpleJsonEscape(escape, out)) continue;
      switch (escape) {
        case 'u': {
          uint32_t code_point;
          if (!ReadHex4(&code_point)) return FailAt("invalid \\u escape", escape_pos);
          if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
            return FailAt("lone low surrogate", escape_pos);
          }
          if (code_point >= 0xD800 && code_point <= 0xDBFF) {
            uint32_t low;
            if (!Consume("\\u") || !ReadHex4(&low) || low < 0xDC00 || low > 0xDFFF) {
              return FailAt("lone high surrogate", escape_pos);
            }
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
          }
          internal::AppendUtf8(out, code_point);
          break;
        }
        default:
          return FailAt("invalid escape", escape_pos);
      }
    }
  }

  std::string_view text_;
  size_t max_depth_;
  size_t pos_ = 0;
  std::string error_;
  size_t error_pos_ = 0;
};

JsonValue JsonValue::Bool(bool value) {
  JsonValue result;
  result.type_ = Type::kBool;
  result.bool_value_ = value;
  return result;
}

JsonValue JsonValue::String(std::string value) {
  JsonValue result;
  result.type_ = Type::kString;
  result.text_ = std::move(value);
  return result;
}

JsonValue JsonValue::Array() {
  JsonValue result;
  result.type_ = Type::kArray;
  return result;
}

JsonValue JsonValue::Object() {
  JsonValue result;
  result.type_ = Type::kObject;
  return result;
}

std::optional<JsonValue> JsonValue::NumberFromToken(std::string_view token) {
  if (token.empty() || ScanNumber(token) != token.size()) return std::nullopt;
  JsonValue result;
  result.type_ = Type::kNumber;
  result.text_ = std::string(token);
  return result;
}

JsonValue JsonValue::NumberFromInt(int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  JsonValue result;
  result.type_ = Type::kNumber;
  result.text_.assign(buf, end);
  return result;
}

JsonValue JsonValue::NumberFromDouble(double value) {
  if (!std::isfinite(value)) return JsonValue();
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  JsonValue result;
  result.type_ = Type::kNumber;
  result.text_.assign(buf, end);
  // to_chars writes "1e+30"; JSON allows the '+', so the token is valid as is.
  return result;
}

std::optional<double> JsonValue::number_as_double() const {
  if (type_ != Type::kNumber) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (ec != std::errc() || end != text_.data() + text_.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (size_t idx = members_.size(); idx-- > 0;) {
    if (members_[idx].key == key) return &members_[idx].value;
  }
  return nullptr;
}

JsonValue* JsonValue::FindMutable(std::string_view key) {
  return const_cast<JsonValue*>(static_cast<const JsonValue*>(this)->Find(key));
}

void JsonValue::Append(JsonValue value) { elements_.push_back(std::move(value)); }

void JsonValue::AddMember(std::string key, JsonValue value) {
  members_.push_back(JsonMember{std::move(key), std::move(value)});
}

bool JsonValue::operator==(const JsonValue& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return bool_value_ == other.bool_value_;
    case Type::kNumber:
    case Type::kString:
      return text_ == other.text_;
    case Type::kArray:
      return elements_ == other.elements_;
    case Type::kObject:
      return members_ == other.members_;
  }
  return false;
}

Result<JsonValue> ParseJson(std::string_view text, size_t max_depth, size_t* error_offset) {
  return JsonParser(text, max_depth).Run(error_offset);
}

void AppendJson(std::string* out, const JsonValue& value) {
  switch (value.type()) {
    case JsonValue::Type::kNull:
      out->append("null");
      return;
    case JsonValue::Type::kBool:
      out->append(value.bool_value() ? "true" : "false");
      return;
    case JsonValue::Type::kNumber:
      out->append(value.number_token());
      return;
    case JsonValue::Type::kString:
      JsonWriter::AppendQuoted(out, value.string_value());
      return;
    case JsonValue::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const JsonValue& element : value.elements()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, element);
      }
      out->push_back(']');
      return;
    }
    case JsonValue::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const JsonMember& member : value.members()) {
        if (!first) out->push_back(',');
        first = false;
        JsonWriter::AppendQuoted(out, member.key);
        out->push_back(':');
        AppendJson(out, member.value);
      }
      out->push_back('}');
      return;
    }
  }
}

bool IsWellFormedUtf8(std::string_view text) {
  return internal::FindInvalidUtf8(text) == internal::kNoInvalidUtf8;
}

std::string SerializeJson(const JsonValue& value) {
  std::string out;
  AppendJson(&out, value);
  return out;
}

}  // namespace roentgen::parse
