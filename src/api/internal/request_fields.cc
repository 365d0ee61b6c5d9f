// SPDX-License-Identifier: Apache-2.0
#include "api/internal/request_fields.h"

#include <cmath>

#include <fmt/format.h>

namespace roentgen::api::internal {
namespace {

const parse::JsonValue* Member(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = object.Find(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

}  // namespace

Status InvalidRequest(std::string_view message) { return InvalidArgumentError(message); }

Result<std::optional<std::string>> OptionalString(const parse::JsonValue& object,
                                                  std::string_view key) {
  const parse::JsonValue* value = Member(object, key);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return InvalidRequest(fmt::format("{} must be a string", key));
  return std::optional<std::string>(value->string_value());
}

Result<std::optional<bool>> OptionalBool(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = Member(object, key);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_bool()) return InvalidRequest(fmt::format("{} must be a boolean", key));
  return std::optional<bool>(value->bool_value());
}

Result<std::optional<double>> OptionalNumber(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = Member(object, key);
  if (value == nullptr) return std::optional<double>();
  std::optional<double> number = value->is_number() ? value->number_as_double() : std::nullopt;
  if (!number || !std::isfinite(*number)) {
    return InvalidRequest(fmt::format("{} must be a number", key));
  }
  return number;
}

Result<double> RequiredTime(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = Member(object, key);
  if (value == nullptr) return InvalidRequest(fmt::format("{} is required (epoch seconds)", key));
  std::optional<double> seconds = value->is_number() ? value->number_as_double() : std::nullopt;
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) {
    return InvalidRequest(fmt::format("{} must be a timestamp in epoch seconds", key));
  }
  return *seconds;
}

}  // namespace roentgen::api::internal
