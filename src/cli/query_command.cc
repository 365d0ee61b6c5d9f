// SPDX-License-Identifier: Apache-2.0
// `roentgen query`: GetTraceSummaries, printed as a table.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/json_writer.h"
#include "cli/cli.h"
#include "cli/internal/api_call.h"
#include "cli/time_args.h"

namespace roentgen::cli {
namespace {

std::string Status(const parse::JsonValue& summary) {
  std::string status = internal::BoolField(summary, "HasFault")      ? "fault"
                       : internal::BoolField(summary, "HasThrottle") ? "throttle"
                       : internal::BoolField(summary, "HasError")    ? "error"
                                                                     : "ok";
  if (const parse::JsonValue* http = summary.Find("Http"); http != nullptr) {
    double code = internal::NumberField(*http, "HttpStatus", -1);
    if (code >= 0) status += fmt::format(" {}", static_cast<int>(code));
  }
  if (internal::BoolField(summary, "IsPartial")) status += " partial";
  return status;
}

std::string EntryPoint(const parse::JsonValue& summary) {
  const parse::JsonValue* entry = summary.Find("EntryPoint");
  if (entry == nullptr) return "-";
  std::string text = internal::StringField(*entry, "Name");
  std::string type = internal::StringField(*entry, "Type");
  if (!type.empty()) text += " (" + type + ")";
  return text;
}

std::string ResponseTime(const parse::JsonValue& summary) {
  const parse::JsonValue* value = summary.Find("ResponseTime");
  if (value == nullptr || !value->is_number()) return "-";
  double seconds = value->number_as_double().value_or(0);
  return seconds < 1 ? fmt::format("{:.1f} ms", seconds * 1000) : fmt::format("{:.3f} s", seconds);
}

}  // namespace

int RunQuery(const QueryOptions& options, std::ostream& out, std::ostream& err) {
  double end = Clock::Real().NowUnixSeconds();
  double start = 0;
  if (!options.end.empty()) {
    auto parsed = ParseTimestamp(options.end);
    if (!parsed.ok())
      return err << "roentgen query: --end: " << parsed.error().message() << "\n", 2;
    end = *parsed;
  }
  if (!options.start.empty()) {
    auto parsed = ParseTimestamp(options.start);
    if (!parsed.ok()) {
      return err << "roentgen query: --start: " << parsed.error().message() << "\n", 2;
    }
    start = *parsed;
  } else {
    auto since = ParseSince(options.since);
    if (!since.ok())
      return err << "roentgen query: --since: " << since.error().message() << "\n", 2;
    start = end - *since;
  }
  if (start > end) return err << "roentgen query: the start is after the end\n", 2;
  std::string expression = options.expression;
  if (!options.group.empty()) {
    std::string group_filter;
    JsonWriter::AppendQuoted(&group_filter, options.group);
    group_filter = "group.name = " + group_filter;
    expression = expression.empty() ? group_filter : group_filter + " AND (" + expression + ")";
  }

  std::vector<std::vector<std::string>> rows;
  uint64_t processed = 0;
  std::string token;
  size_t printed = 0;
  bool more = false;
  do {
    JsonWriter body;
    body.BeginObject();
    body.Key("StartTime");
    body.Double(start);
    body.Key("EndTime");
    body.Double(end);
    body.Key("TimeRangeType");
    body.String(options.time_range_type);
    if (!expression.empty()) {
      body.Key("FilterExpression");
      body.String(expression);
    }
    if (!token.empty()) {
      body.Key("NextToken");
      body.String(token);
    }
    body.EndObject();
    auto answer = internal::CallXRay(options.common.endpoint, "/TraceSummaries", body.Release());
    if (!answer.ok()) {
      err << "roentgen query: " << answer.error().message() << "\n";
      return 1;
    }
    processed += static_cast<uint64_t>(internal::NumberField(*answer, "TracesProcessedCount"));
    token = internal::StringField(*answer, "NextToken");
    const parse::JsonValue* summaries = answer->Find("TraceSummaries");
    if (summaries != nullptr && summaries->is_array()) {
      for (const parse::JsonValue& summary : summaries->elements()) {
        if (printed == options.limit) {
          more = true;
          break;
        }
        ++printed;
        if (options.json) {
          out << parse::SerializeJson(summary) << "\n";
          continue;
        }
        rows.push_back({internal::StringField(summary, "Id"),
                        FormatTimestamp(internal::NumberField(summary, "StartTime")),
                        ResponseTime(summary), Status(summary), EntryPoint(summary)});
      }
    }
  } while (!token.empty() && !more);
  if (options.json) return 0;

  std::vector<std::string> header = {"ID", "START (UTC)", "RESPONSE", "STATUS", "ENTRY POINT"};
  std::vector<size_t> widths(header.size());
  for (size_t col = 0; col < header.size(); ++col) widths[col] = header[col].size();
  for (const auto& row : rows) {
    for (size_t col = 0; col < row.size(); ++col)
      widths[col] = std::max(widths[col], row[col].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t col = 0; col < row.size(); ++col) {
      line += col + 1 == row.size() ? row[col] : fmt::format("{:<{}}  ", row[col], widths[col]);
    }
    out << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
  out << fmt::format("{} trace{} shown{}; {} scanned between {} and {}\n", rows.size(),
                     rows.size() == 1 ? "" : "s",
                     more || !token.empty() ? " (more match: --limit)" : "", processed,
                     FormatTimestamp(start), FormatTimestamp(end));
  return 0;
}

}  // namespace roentgen::cli
