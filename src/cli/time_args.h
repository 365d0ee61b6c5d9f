// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "base/result.h"

namespace roentgen::cli {

// "90s", "15m", "1h", "7d", "1h30m" or plain seconds -> seconds.
Result<double> ParseSince(std::string_view text);

// Epoch seconds ("1752314400", "1752314400.5") or ISO 8601 UTC ("2025-07-12T10:00:00",
// optional fraction, optional "Z" or "+00:00") -> epoch seconds.
Result<double> ParseTimestamp(std::string_view text);

// 2025-07-12T10:00:00.123Z
std::string FormatTimestamp(double epoch_seconds);

}  // namespace roentgen::cli
