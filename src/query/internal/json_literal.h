// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "query/internal/ast.h"

namespace roentgen::query::internal {

// Why a JSON literal did not parse: what was expected and where (byte offset into the text).
struct JsonError {
  std::string what;
  size_t offset = 0;
};

// Parses one complete JSON value (RFC 8259) nested at most `max_depth` arrays/objects deep.
// Returns false and fills *error on failure. Never asserts on any input.
bool ParseJsonLiteral(std::string_view text, size_t max_depth, JsonValue* value, JsonError* error);

}  // namespace roentgen::query::internal
