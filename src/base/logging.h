// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace roentgen {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Sets the minimum level written to stderr. Thread-safe.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning", "error", "off"; returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);
// Writes one line "<time> <level> <message>" to stderr. Thread-safe.
void LogLine(LogLevel level, std::string_view message);

}  // namespace roentgen

#define RG_LOG(level, ...)                                                        \
  do {                                                                            \
    if (::roentgen::LogLevel::level >= ::roentgen::GetLogLevel())                 \
      ::roentgen::LogLine(::roentgen::LogLevel::level, fmt::format(__VA_ARGS__)); \
  } while (false)
