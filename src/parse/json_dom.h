// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small mutable JSON document model for code that must edit or re-emit JSON without losing
// anything: numbers keep their exact source token, objects keep member order and duplicate
// keys exactly as given. Parsed values also remember the byte span they came from, so that
// callers can splice text instead of re-serializing (see trace_assembly.h).
//
// This is not the ingest hot path (segment_parser.h uses simdjson there); it favours
// simplicity and exactness over speed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace roentgen::parse {

struct JsonMember;

// One JSON value. A value type: copying copies the whole tree. Destruction and serialization
// recurse once per nesting level, so trees built by hand must stay shallow (ParseJson bounds
// parsed trees by its max_depth).
// Not thread-safe; externally synchronized (const use from several threads is fine).
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // A null value.
  JsonValue();
  // Special members are defined below JsonMember, which must be complete for them.
  ~JsonValue();
  JsonValue(const JsonValue& other);
  JsonValue(JsonValue&& other) noexcept;
  JsonValue& operator=(const JsonValue& other);
  JsonValue& operator=(JsonValue&& other) noexcept;

  static JsonValue Null();
  static JsonValue Bool(bool value);
  static JsonValue String(std::string value);
  static JsonValue Array();
  static JsonValue Object();
  // A number from its JSON token. Returns nullopt unless `token` is exactly one JSON number
  // (RFC 8259 grammar: no leading '+', no leading zeros, no surrounding whitespace).
  static std::optional<JsonValue> NumberFromToken(std::string_view token);
  static JsonValue NumberFromInt(int64_t value);
  // Shortest token that reads back as `value`. Non-finite values give null.
  static JsonValue NumberFromDouble(double value);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // REQUIRES: is_bool().
  bool bool_value() const { return bool_value_; }
  // The number's source token, e.g. "1.478293361271E9". REQUIRES: is_number().
  const std::string& number_token() const { return text_; }
  // The number as a double; nullopt when it does not fit (e.g. 1e400). REQUIRES: is_number().
  std::optional<double> number_as_double() const;
  // The decoded (unescaped) UTF-8 string. REQUIRES: is_string().
  const std::string& string_value() const { return text_; }

  // Elements of an array. REQUIRES: is_array().
  const std::vector<JsonValue>& elements() const { return elements_; }
  std::vector<JsonValue>& mutable_elements() { return elements_; }
  // Members of an object in source order, duplicates included. REQUIRES: is_object().
  const std::vector<JsonMember>& members() const { return members_; }
  std::vector<JsonMember>& mutable_members() { return members_; }

  // The value of the LAST member named `key` (the usual reading of duplicate keys), or
  // nullptr. Linear in the number of members. Returns nullptr when !is_object().
  const JsonValue* Find(std::string_view key) const;
  JsonValue* FindMutable(std::string_view key);

  // Appends an element. REQUIRES: is_array().
  void Append(JsonValue value);
  // Appends a member (even when `key` exists already). REQUIRES: is_object().
  void AddMember(std::string key, JsonValue value);

  // The byte span [source_begin(), source_end()) of this value in the text given to ParseJson,
  // without surrounding whitespace. Both are 0 for values built by hand; edits do not update
  // them.
  size_t source_begin() const { return source_begin_; }
  size_t source_end() const { return source_end_; }

  bool operator==(const JsonValue& other) const;

 private:
  friend class JsonParser;

  Type type_ = Type::kNull;
  bool bool_value_ = false;
  size_t source_begin_ = 0;
  size_t source_end_ = 0;
  std::string text_;  // number token or decoded string
  std::vector<JsonValue> elements_;
  std::vector<JsonMember> members_;
};

struct JsonMember {
  std::string key;  // decoded
  JsonValue value;
  bool operator==(const JsonMember&) const = default;
};

inline JsonValue::JsonValue() = default;
inline JsonValue::~JsonValue() = default;
inline JsonValue::JsonValue(const JsonValue& other) = default;
inline JsonValue::JsonValue(JsonValue&& other) noexcept = default;
inline JsonValue& JsonValue::operator=(const JsonValue& other) = default;
inline JsonValue& JsonValue::operator=(JsonValue&& other) noexcept = default;
inline JsonValue JsonValue::Null() { return JsonValue(); }

// Parses exactly one JSON value (RFC 8259) with optional surrounding whitespace.
// Strings must be well-formed UTF-8; \u escapes must form valid code points (a lone surrogate
// is an error). Arrays and objects may nest at most `max_depth` levels (`[]` is depth 1).
// On failure returns InvalidArgument with a message naming the byte offset ("json: expected
// ':' at byte 17"), and stores that offset in *error_offset when it is non-null.
// Complexity: linear in text.size(); recursion depth at most max_depth.
Result<JsonValue> ParseJson(std::string_view text, size_t max_depth,
                            size_t* error_offset = nullptr);

// True when all of `text` is well-formed UTF-8 (what ParseJson requires of strings): for
// text that arrives in other encodings (form bodies, headers) before it becomes a JsonValue.
bool IsWellFormedUtf8(std::string_view text);

// Compact serialization: no whitespace, numbers as their tokens, strings escaped with
// JsonWriter::AppendQuoted (non-ASCII is written as raw UTF-8). ParseJson(SerializeJson(v))
// yields a value equal to v apart from source offsets.
std::string SerializeJson(const JsonValue& value);
// Appends the compact serialization of `value` to *out.
void AppendJson(std::string* out, const JsonValue& value);

}  // namespace roentgen::parse
