// SPDX-License-Identifier: Apache-2.0
// `roentgen sampling`: GetSamplingRules and GetSamplingStatisticSummaries, printed as a table.

#include <algorithm>
#include <map>
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

// Every element of `list_key` over all pages of `path`.
Result<std::vector<parse::JsonValue>> CallPaged(std::string_view endpoint, std::string_view path,
                                                std::string_view list_key) {
  std::vector<parse::JsonValue> items;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    JsonWriter body;
    body.BeginObject();
    if (!token.empty()) {
      body.Key("NextToken");
      body.String(token);
    }
    body.EndObject();
    auto answer = internal::CallXRay(endpoint, path, body.Release());
    if (!answer.ok()) return answer.error();
    if (const parse::JsonValue* list = answer->Find(list_key); list && list->is_array()) {
      for (const parse::JsonValue& item : list->elements()) items.push_back(item);
    }
    std::string next = internal::StringField(*answer, "NextToken");
    if (next.empty() || next == token) break;
    token = std::move(next);
  }
  return items;
}

std::string Number(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = object.Find(key);
  return value != nullptr && value->is_number() ? value->number_token() : "-";
}

}  // namespace

int RunSampling(const SamplingOptions& options, std::ostream& out, std::ostream& err) {
  auto records = CallPaged(options.common.endpoint, "/GetSamplingRules", "SamplingRuleRecords");
  if (!records.ok()) {
    err << "roentgen sampling: " << records.error().message() << "\n";
    return 1;
  }
  auto summaries = CallPaged(options.common.endpoint, "/SamplingStatisticSummaries",
                             "SamplingStatisticSummaries");
  if (!summaries.ok()) {
    err << "roentgen sampling: " << summaries.error().message() << "\n";
    return 1;
  }
  // The newest window of each rule.
  std::map<std::string, const parse::JsonValue*> latest;
  for (const parse::JsonValue& summary : *summaries) {
    std::string name = internal::StringField(summary, "RuleName");
    auto [it, inserted] = latest.emplace(name, &summary);
    if (!inserted && internal::NumberField(summary, "Timestamp") >
                         internal::NumberField(*it->second, "Timestamp")) {
      it->second = &summary;
    }
  }
  // Evaluation order: priority, then name (xray-protocol.md §6.2).
  std::vector<const parse::JsonValue*> rules;
  for (const parse::JsonValue& record : *records) {
    if (const parse::JsonValue* rule = record.Find("SamplingRule"); rule && rule->is_object()) {
      rules.push_back(&record);
    }
  }
  auto rule_of = [](const parse::JsonValue* record) { return record->Find("SamplingRule"); };
  std::stable_sort(rules.begin(), rules.end(), [&](const auto* a, const auto* b) {
    double pa = internal::NumberField(*rule_of(a), "Priority");
    double pb = internal::NumberField(*rule_of(b), "Priority");
    if (pa != pb) return pa < pb;
    return internal::StringField(*rule_of(a), "RuleName") <
           internal::StringField(*rule_of(b), "RuleName");
  });

  if (options.json) {
    for (const parse::JsonValue* record : rules) {
      std::string name = internal::StringField(*rule_of(record), "RuleName");
      auto found = latest.find(name);
      out << "{\"SamplingRuleRecord\":" << parse::SerializeJson(*record) << ",\"Statistics\":"
          << (found == latest.end() ? std::string("null") : parse::SerializeJson(*found->second))
          << "}\n";
    }
    return 0;
  }
  std::vector<std::string> header = {"RULE",   "PRIORITY", "RATE",    "RESERVOIR", "MATCHES",
                                     "WINDOW", "REQUESTS", "SAMPLED", "BORROWED"};
  std::vector<std::vector<std::string>> rows;
  double now = Clock::Real().NowUnixSeconds();
  for (const parse::JsonValue* record : rules) {
    const parse::JsonValue& rule = *rule_of(record);
    std::string name = internal::StringField(rule, "RuleName");
    std::string matches = fmt::format(
        "service={} type={} host={} {} {}", internal::StringField(rule, "ServiceName"),
        internal::StringField(rule, "ServiceType"), internal::StringField(rule, "Host"),
        internal::StringField(rule, "HTTPMethod"), internal::StringField(rule, "URLPath"));
    std::vector<std::string> row = {name, Number(rule, "Priority"), Number(rule, "FixedRate"),
                                    Number(rule, "ReservoirSize") + "/s", matches};
    auto found = latest.find(name);
    if (found == latest.end()) {
      row.insert(row.end(), {"-", "-", "-", "-"});
    } else {
      const parse::JsonValue& summary = *found->second;
      double start = internal::NumberField(summary, "Timestamp");
      row.push_back(
          fmt::format("{} ({:.0f} s ago)", FormatTimestamp(start), std::max(0.0, now - start)));
      row.push_back(Number(summary, "RequestCount"));
      row.push_back(Number(summary, "SampledCount"));
      row.push_back(Number(summary, "BorrowCount"));
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(header.size());
  for (size_t col = 0; col < header.size(); ++col) widths[col] = header[col].size();
  for (const auto& row : rows) {
    for (size_t col = 0; col < row.size(); ++col) {
      widths[col] = std::max(widths[col], row[col].size());
    }
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
  out << fmt::format("{} rule{}; statistics are the newest window the SDKs reported\n", rows.size(),
                     rows.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace roentgen::cli
