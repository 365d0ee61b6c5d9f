// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace roentgen::sdk::internal {

// JSON string literal with escapes (UTF-8 passes through).
void AppendQuoted(std::string& out, std::string_view text);
void AppendInt(std::string& out, int64_t value);
// Shortest round-trip form; non-finite as null.
void AppendDouble(std::string& out, double value);
// Epoch seconds with up to 6 decimals, trailing zeros trimmed.
void AppendTime(std::string& out, double epoch_seconds);

}  // namespace roentgen::sdk::internal
