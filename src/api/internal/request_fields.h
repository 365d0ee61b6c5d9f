// SPDX-License-Identifier: Apache-2.0
#pragma once

// Readers of restJson1 request members shared by the X-Ray handlers. A member that is absent
// or JSON null reads as absent; a member of another type is InvalidArgument naming it (the
// handlers answer it as 400 InvalidRequestException).

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "parse/json_dom.h"

namespace roentgen::api::internal {

// InvalidArgument with `message`.
Status InvalidRequest(std::string_view message);

Result<std::optional<std::string>> OptionalString(const parse::JsonValue& object,
                                                  std::string_view key);
Result<std::optional<bool>> OptionalBool(const parse::JsonValue& object, std::string_view key);
// A finite number.
Result<std::optional<double>> OptionalNumber(const parse::JsonValue& object, std::string_view key);
// A required timestamp in epoch seconds (>= 0).
Result<double> RequiredTime(const parse::JsonValue& object, std::string_view key);

}  // namespace roentgen::api::internal
