// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace roentgen::sdk {

// A JSON value: the SDK's currency for metadata, the `aws` namespace and sampling responses.
// Objects keep insertion order (documents come out in the order fields were set).
// Immutable once built; safe to share between threads for reading.
class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool value) : value_(value) {}
  Json(int value) : value_(static_cast<int64_t>(value)) {}
  Json(int64_t value) : value_(value) {}
  Json(uint32_t value) : value_(static_cast<int64_t>(value)) {}
  Json(double value) : value_(value) {}
  Json(const char* value) : value_(std::string(value)) {}
  Json(std::string_view value) : value_(std::string(value)) {}
  Json(std::string value) : value_(std::move(value)) {}
  Json(Array value) : value_(std::move(value)) {}
  Json(Object value) : value_(std::move(value)) {}

  bool is_null() const { return value_.index() == 0; }
  bool is_bool() const { return value_.index() == 1; }
  bool is_int() const { return value_.index() == 2; }
  bool is_double() const { return value_.index() == 3; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return value_.index() == 4; }
  bool is_array() const { return value_.index() == 5; }
  bool is_object() const { return value_.index() == 6; }

  // Accessors return a neutral value (false, 0, "", empty) when the type differs.
  bool AsBool() const { return is_bool() ? std::get<bool>(value_) : false; }
  double AsDouble() const;
  int64_t AsInt() const;
  const std::string& AsString() const;
  const Array& AsArray() const;
  const Object& AsObject() const;

  // Member `key` of an object, or nullptr (not an object, or no such key). First match wins.
  const Json* Find(std::string_view key) const;

  // Compact JSON text. Non-finite doubles are written as null.
  std::string Dump() const;
  void AppendTo(std::string& out) const;

  // Parses one JSON text (RFC 8259; depth limited to 64). nullopt on any syntax error.
  static std::optional<Json> Parse(std::string_view text);

 private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> value_;
};

}  // namespace roentgen::sdk
