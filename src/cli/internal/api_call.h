// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "parse/json_dom.h"

namespace roentgen::cli::internal {

// POSTs `json_body` to `path` of the endpoint (an X-Ray restJson1 operation) and parses the
// answer. An API error becomes a Status whose message is "<__type>: <Message>".
Result<parse::JsonValue> CallXRay(std::string_view endpoint, std::string_view path,
                                  std::string json_body);

// Member `key` of `object` as a string / number / bool, or the fallback.
std::string StringField(const parse::JsonValue& object, std::string_view key);
double NumberField(const parse::JsonValue& object, std::string_view key, double fallback = 0);
bool BoolField(const parse::JsonValue& object, std::string_view key);

}  // namespace roentgen::cli::internal
