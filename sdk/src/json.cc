// SPDX-License-Identifier: Apache-2.0
// A small JSON DOM: the SDK needs to parse only sampling responses and to write segment
// documents, so a 200-line recursive-descent parser beats a dependency in the public API.
#include "roentgen/sdk/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "json_internal.h"

namespace roentgen::sdk {
namespace {

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<Json> ParseDocument() {
    std::optional<Json> value = ParseValue(0);
    SkipSpace();
    if (!value || pos_ != text_.size()) return std::nullopt;
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::optional<Json> ParseValue(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    SkipSpace();
    if (pos_ >= text_.size()) return std::nullopt;
    char c = text_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      std::optional<std::string> s = ParseString();
      if (!s) return std::nullopt;
      return Json(std::move(*s));
    }
    if (Consume("true")) return Json(true);
    if (Consume("false")) return Json(false);
    if (Consume("null")) return Json(nullptr);
    return ParseNumber();
  }

  std::optional<Json> ParseNumber() {
    size_t start = pos_;
    bool is_integer = true;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    size_t digits = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == digits) return std::nullopt;
    if (text_[digits] == '0' && pos_ - digits > 1) return std::nullopt;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_integer = false;
      ++pos_;
      size_t frac = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == frac) return std::nullopt;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      is_integer = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      size_t exp = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == exp) return std::nullopt;
    }
    std::string_view number = text_.substr(start, pos_ - start);
    if (is_integer) {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
      if (ec == std::errc() && ptr == number.data() + number.size()) return Json(value);
    }
    // strtod needs a terminated string; numbers are short.
    std::string copy(number);
    return Json(std::strtod(copy.c_str(), nullptr));
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  std::optional<uint32_t> ParseHex4() {
    if (pos_ + 4 > text_.size()) return std::nullopt;
    uint32_t value = 0;
    for (int digit = 0; digit < 4; ++digit) {
      int v = HexValue(text_[pos_++]);
      if (v < 0) return std::nullopt;
      value = value * 16 + static_cast<uint32_t>(v);
    }
    return value;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::optional<std::string> ParseString() {
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return std::nullopt;
      char esc = text_[pos_++];
      switch (esc) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          std::optional<uint32_t> cp = ParseHex4();
          if (!cp) return std::nullopt;
          if (*cp >= 0xD800 && *cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            std::optional<uint32_t> low = ParseHex4();
            if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
          }
          AppendUtf8(out, *cp);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<Json> ParseArray(int depth) {
    ++pos_;
    Json::Array items;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return Json(std::move(items));
    }
    while (true) {
      std::optional<Json> item = ParseValue(depth + 1);
      if (!item) return std::nullopt;
      items.push_back(std::move(*item));
      SkipSpace();
      if (pos_ >= text_.size()) return std::nullopt;
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return Json(std::move(items));
      }
      return std::nullopt;
    }
  }

  std::optional<Json> ParseObject(int depth) {
    ++pos_;
    Json::Object members;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return Json(std::move(members));
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return std::nullopt;
      std::optional<std::string> key = ParseString();
      if (!key) return std::nullopt;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return std::nullopt;
      ++pos_;
      std::optional<Json> value = ParseValue(depth + 1);
      if (!value) return std::nullopt;
      members.emplace_back(std::move(*key), std::move(*value));
      SkipSpace();
      if (pos_ >= text_.size()) return std::nullopt;
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return Json(std::move(members));
      }
      return std::nullopt;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

double Json::AsDouble() const {
  if (is_double()) return std::get<double>(value_);
  if (is_int()) return static_cast<double>(std::get<int64_t>(value_));
  return 0;
}

int64_t Json::AsInt() const {
  if (is_int()) return std::get<int64_t>(value_);
  if (is_double()) {
    double d = std::get<double>(value_);
    if (std::isfinite(d) && d > -9.2e18 && d < 9.2e18) return static_cast<int64_t>(d);
  }
  return 0;
}

const std::string& Json::AsString() const {
  return is_string() ? std::get<std::string>(value_) : EmptyString();
}

const Json::Array& Json::AsArray() const {
  static const Array* const kEmpty = new Array();
  return is_array() ? std::get<Array>(value_) : *kEmpty;
}

const Json::Object& Json::AsObject() const {
  static const Object* const kEmpty = new Object();
  return is_object() ? std::get<Object>(value_) : *kEmpty;
}

const Json* Json::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [name, value] : std::get<Object>(value_)) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string Json::Dump() const {
  std::string out;
  AppendTo(out);
  return out;
}

void Json::AppendTo(std::string& out) const {
  switch (value_.index()) {
    case 0:
      out += "null";
      break;
    case 1:
      out += std::get<bool>(value_) ? "true" : "false";
      break;
    case 2:
      internal::AppendInt(out, std::get<int64_t>(value_));
      break;
    case 3:
      internal::AppendDouble(out, std::get<double>(value_));
      break;
    case 4:
      internal::AppendQuoted(out, std::get<std::string>(value_));
      break;
    case 5: {
      out.push_back('[');
      bool first = true;
      for (const Json& item : std::get<Array>(value_)) {
        if (!first) out.push_back(',');
        first = false;
        item.AppendTo(out);
      }
      out.push_back(']');
      break;
    }
    default: {
      out.push_back('{');
      bool first = true;
      for (const auto& [name, value] : std::get<Object>(value_)) {
        if (!first) out.push_back(',');
        first = false;
        internal::AppendQuoted(out, name);
        out.push_back(':');
        value.AppendTo(out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::optional<Json> Json::Parse(std::string_view text) { return Parser(text).ParseDocument(); }

namespace internal {

void AppendQuoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of characters that need no escape are appended at once (the common case: all of it).
  size_t run = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    auto u = static_cast<unsigned char>(text[pos]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(text.data() + run, pos - run);
    run = pos + 1;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        char escape[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xF]};
        out.append(escape, sizeof(escape));
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out.append(buf, ptr);
}

void AppendDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out.append(buf, ptr);
}

void AppendTime(std::string& out, double epoch_seconds) {
  // Microsecond precision, trailing zeros trimmed: 1795498169.668 as the Node SDK writes it.
  // Integer formatting: printf("%.6f") was a third of the cost of a traced request.
  if (!std::isfinite(epoch_seconds) || epoch_seconds < 0 || epoch_seconds > 1e12) {
    epoch_seconds = 0;
  }
  auto micros = static_cast<int64_t>(std::llround(epoch_seconds * 1e6));
  AppendInt(out, micros / 1000000);
  auto fraction = static_cast<int>(micros % 1000000);
  if (fraction == 0) return;
  char digits[7] = {'.', '0', '0', '0', '0', '0', '0'};
  for (int idx = 6; idx >= 1; --idx) {
    digits[idx] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  size_t length = 7;
  while (digits[length - 1] == '0') --length;
  out.append(digits, length);
}

}  // namespace internal
}  // namespace roentgen::sdk
