// SPDX-License-Identifier: Apache-2.0
#include "cli/time_args.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

#include <fmt/format.h>

namespace roentgen::cli {

Result<double> ParseSince(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("empty duration");
  double total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    double value = 0;
    auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (error != std::errc() || value < 0) {
      return InvalidArgumentError("bad duration '" + std::string(text) +
                                  "' (e.g. 90s, 15m, 1h, 7d)");
    }
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    double unit = 1;
    if (!rest.empty()) {
      switch (rest.front()) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        default:
          return InvalidArgumentError("bad duration unit in '" + std::string(text) +
                                      "' (s, m, h or d)");
      }
      rest.remove_prefix(1);
    }
    total += value * unit;
  }
  return total;
}

Result<double> ParseTimestamp(std::string_view text) {
  double epoch = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), epoch);
  if (error == std::errc() && end == text.data() + text.size()) return epoch;
  // ISO 8601: YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]
  auto digits = [&](size_t pos, size_t count, int* out) {
    if (pos + count > text.size()) return false;
    int value = 0;
    for (size_t idx = pos; idx < pos + count; ++idx) {
      if (!std::isdigit(static_cast<unsigned char>(text[idx]))) return false;
      value = value * 10 + (text[idx] - '0');
    }
    *out = value;
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool ok = digits(0, 4, &year) && text.size() > 4 && text[4] == '-' && digits(5, 2, &month) &&
            text.size() > 7 && text[7] == '-' && digits(8, 2, &day);
  size_t pos = 10;
  if (ok && text.size() > pos && (text[pos] == 'T' || text[pos] == ' ')) {
    ok = digits(pos + 1, 2, &hour) && text.size() > pos + 3 && text[pos + 3] == ':' &&
         digits(pos + 4, 2, &minute);
    pos += 6;
    if (ok && text.size() > pos && text[pos] == ':') {
      ok = digits(pos + 1, 2, &second);
      pos += 3;
    }
  }
  double fraction = 0;
  if (ok && text.size() > pos && text[pos] == '.') {
    size_t begin = pos;
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    std::from_chars(text.data() + begin, text.data() + pos, fraction);
  }
  std::string_view zone = ok ? text.substr(std::min(pos, text.size())) : std::string_view();
  if (!ok || !(zone.empty() || zone == "Z" || zone == "+00:00") || month < 1 || month > 12 ||
      day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return InvalidArgumentError("bad time '" + std::string(text) +
                                "': epoch seconds or 2025-07-12T10:00:00Z (UTC)");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<double>(timegm(&tm)) + fraction;
}

std::string FormatTimestamp(double epoch_seconds) {
  auto whole = static_cast<std::time_t>(std::floor(epoch_seconds));
  int millis = static_cast<int>(std::llround((epoch_seconds - static_cast<double>(whole)) * 1000));
  if (millis == 1000) {
    ++whole;
    millis = 0;
  }
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

}  // namespace roentgen::cli
