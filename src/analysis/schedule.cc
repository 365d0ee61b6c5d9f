// SPDX-License-Identifier: Apache-2.0
// Schedule: rate(...) and EventBridge cron(...) expressions (UTC).

#include <charconv>
#include <ctime>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "base/status_macros.h"

namespace roentgen::analysis {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

const char* const kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// One cron field into the set of allowed values in [low, high]. Day-of-week values are
// EventBridge's 1-7 (Sunday = 1) or names; they are stored as 0-6.
Result<std::vector<bool>> ParseField(std::string_view field, int low, int high,
                                     std::string_view what, bool weekday, bool month) {
  std::vector<bool> allowed(static_cast<size_t>(high + 1), false);
  auto value_of = [&](std::string_view token) -> std::optional<int64_t> {
    if (auto number = ParseInt(token)) return weekday ? *number - 1 : *number;
    std::string upper(token);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (month) {
      for (int i = 0; i < 12; ++i) {
        if (upper == kMonthNames[i]) return i + 1;
      }
    }
    if (weekday) {
      for (int i = 0; i < 7; ++i) {
        if (upper == kDayNames[i]) return i;
      }
    }
    return std::nullopt;
  };
  int64_t value_low = low, value_high = high;
  if (weekday) {
    value_low = 0;
    value_high = 6;
  }
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    std::string_view part = field.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? field.size() + 1 : comma + 1;
    int64_t step = 1;
    size_t slash = part.find('/');
    if (slash != std::string_view::npos) {
      auto parsed = ParseInt(part.substr(slash + 1));
      if (!parsed || *parsed < 1) {
        return InvalidArgumentError("cron: bad step in the " + std::string(what) + " field");
      }
      step = *parsed;
      part = part.substr(0, slash);
    }
    int64_t first = value_low, last = value_high;
    if (part != "*") {
      size_t dash = part.find('-');
      auto a = value_of(part.substr(0, dash));
      auto b = dash == std::string_view::npos ? a : value_of(part.substr(dash + 1));
      if (!a || !b || *a < value_low || *b > value_high || *a > *b) {
        return InvalidArgumentError("cron: bad value \"" + std::string(part) + "\" in the " +
                                    std::string(what) + " field");
      }
      first = *a;
      last = dash == std::string_view::npos && slash != std::string_view::npos ? value_high : *b;
    }
    for (int64_t v = first; v <= last; v += step) allowed[static_cast<size_t>(v)] = true;
  }
  return allowed;
}

template <typename Bits>
Bits ToBits(const std::vector<bool>& allowed) {
  Bits bits = 0;
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (allowed[i]) bits = static_cast<Bits>(bits | (Bits{1} << i));
  }
  return bits;
}

}  // namespace

Result<Schedule> Schedule::Parse(std::string_view text) {
  Schedule schedule;
  schedule.text_ = std::string(Trim(text));
  std::string_view body = schedule.text_;
  auto inner = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (body.size() < prefix.size() + 1 || body.substr(0, prefix.size()) != prefix ||
        body.back() != ')') {
      return std::nullopt;
    }
    return Trim(body.substr(prefix.size(), body.size() - prefix.size() - 1));
  };
  if (auto rate = inner("rate(")) {
    size_t space = rate->find(' ');
    auto amount = ParseInt(rate->substr(0, space));
    std::string_view unit = space == std::string_view::npos ? "" : Trim(rate->substr(space));
    if (!amount || *amount < 1 || *amount > 365 * 24 * 60) {
      return InvalidArgumentError("schedule: rate needs a positive whole number: " +
                                  schedule.text_);
    }
    int64_t seconds = 0;
    if (unit == "minute" || unit == "minutes") seconds = 60;
    if (unit == "hour" || unit == "hours") seconds = 3600;
    if (unit == "day" || unit == "days") seconds = 86400;
    if (seconds == 0) {
      return InvalidArgumentError("schedule: rate unit must be minute(s), hour(s) or day(s): " +
                                  schedule.text_);
    }
    if ((*amount == 1) != (unit.back() != 's')) {
      return InvalidArgumentError(
          "schedule: use the singular unit for 1 and the plural otherwise (rate(1 hour), "
          "rate(5 minutes)): " +
          schedule.text_);
    }
    schedule.rate_seconds_ = *amount * seconds;
    return schedule;
  }
  auto cron = inner("cron(");
  if (!cron) {
    return InvalidArgumentError("schedule: expected rate(...) or cron(...), got \"" +
                                schedule.text_ + "\"");
  }
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start < cron->size()) {
    size_t space = cron->find(' ', start);
    if (space == std::string_view::npos) space = cron->size();
    if (space > start) fields.push_back(cron->substr(start, space - start));
    start = space + 1;
  }
  if (fields.size() != 6) {
    return InvalidArgumentError(
        "schedule: cron needs six fields (minutes hours day-of-month month day-of-week year)");
  }
  for (std::string_view field : fields) {
    if (field.find_first_of("LW#") != std::string_view::npos) {
      return InvalidArgumentError("schedule: cron L, W and # are not supported");
    }
  }
  if ((fields[2] == "?") == (fields[4] == "?")) {
    return InvalidArgumentError(
        "schedule: cron needs ? in exactly one of day-of-month and day-of-week");
  }
  RG_ASSIGN_OR_RETURN(auto minutes, ParseField(fields[0], 0, 59, "minutes", false, false));
  RG_ASSIGN_OR_RETURN(auto hours, ParseField(fields[1], 0, 23, "hours", false, false));
  schedule.minutes_ = ToBits<uint64_t>(minutes);
  schedule.hours_ = ToBits<uint32_t>(hours);
  if (fields[2] != "?") {
    RG_ASSIGN_OR_RETURN(auto days, ParseField(fields[2], 1, 31, "day-of-month", false, false));
    schedule.days_ = ToBits<uint32_t>(days);
  }
  RG_ASSIGN_OR_RETURN(auto months, ParseField(fields[3], 1, 12, "month", false, true));
  schedule.months_ = ToBits<uint16_t>(months);
  if (fields[4] != "?") {
    RG_ASSIGN_OR_RETURN(auto weekdays, ParseField(fields[4], 1, 7, "day-of-week", true, false));
    schedule.weekdays_ = ToBits<uint8_t>(weekdays);
  }
  if (fields[5] != "*") {
    RG_ASSIGN_OR_RETURN(auto years, ParseField(fields[5], 1970, 2199, "year", false, false));
    schedule.years_.assign(years.begin() + 1970, years.end());
  }
  return schedule;
}

std::optional<int64_t> Schedule::NextAfter(int64_t after) const {
  if (rate_seconds_ > 0) return after + rate_seconds_;
  // Walk forward from the next whole minute, skipping whole days and hours that cannot match.
  int64_t t = (after / 60 + 1) * 60;
  const int64_t limit = after + int64_t{5} * 366 * 86400;
  while (t <= limit) {
    time_t seconds = static_cast<time_t>(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    int year = tm.tm_year + 1900;
    bool year_ok =
        years_.empty() || (year >= 1970 && static_cast<size_t>(year - 1970) < years_.size() &&
                           years_[static_cast<size_t>(year - 1970)]);
    bool month_ok = (months_ >> (tm.tm_mon + 1)) & 1;
    bool day_ok = fields_match_day(tm);
    int64_t day_start = t - tm.tm_hour * 3600 - tm.tm_min * 60;
    if (!year_ok || !month_ok || !day_ok) {
      t = day_start + 86400;
      continue;
    }
    if (!((hours_ >> tm.tm_hour) & 1)) {
      t = day_start + (tm.tm_hour + 1) * 3600;
      continue;
    }
    if ((minutes_ >> tm.tm_min) & 1) return t;
    t += 60;
  }
  return std::nullopt;
}

bool Schedule::fields_match_day(const std::tm& tm) const {
  if (days_ != 0 && !((days_ >> tm.tm_mday) & 1)) return false;
  if (weekdays_ != 0 && !((weekdays_ >> tm.tm_wday) & 1)) return false;
  return true;
}

}  // namespace roentgen::analysis
