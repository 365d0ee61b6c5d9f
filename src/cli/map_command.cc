// SPDX-License-Identifier: Apache-2.0
// `roentgen map`: GetServiceGraph (every page), printed as a node table and an edge table.

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

struct Counts {
  double total = 0;
  double errors = 0;  // throttles included
  double throttles = 0;
  double faults = 0;
  double response_time = 0;
};

Counts ReadStatistics(const parse::JsonValue* statistics) {
  Counts counts;
  if (statistics == nullptr || !statistics->is_object()) return counts;
  counts.total = internal::NumberField(*statistics, "TotalCount");
  counts.response_time = internal::NumberField(*statistics, "TotalResponseTime");
  if (const parse::JsonValue* errors = statistics->Find("ErrorStatistics"); errors != nullptr) {
    counts.errors = internal::NumberField(*errors, "TotalCount");
    counts.throttles = internal::NumberField(*errors, "ThrottleCount");
  }
  if (const parse::JsonValue* faults = statistics->Find("FaultStatistics"); faults != nullptr) {
    counts.faults = internal::NumberField(*faults, "TotalCount");
  }
  return counts;
}

std::string Percent(double part, double total) {
  return total > 0 ? fmt::format("{:.1f}%", 100.0 * part / total) : "-";
}

std::string Latency(const Counts& counts) {
  if (counts.total <= 0) return "-";
  double seconds = counts.response_time / counts.total;
  return seconds < 1 ? fmt::format("{:.1f} ms", seconds * 1000) : fmt::format("{:.3f} s", seconds);
}

std::string NodeLabel(const parse::JsonValue& service) {
  std::string label = internal::StringField(service, "Name");
  std::string type = internal::StringField(service, "Type");
  if (!type.empty()) label += " (" + type + ")";
  return label;
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
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
}

std::vector<std::string> CountsRow(std::string label, const Counts& counts) {
  return {std::move(label),
          fmt::format("{}", static_cast<int64_t>(counts.total)),
          Percent(counts.errors - counts.throttles, counts.total),
          Percent(counts.throttles, counts.total),
          Percent(counts.faults, counts.total),
          Latency(counts)};
}

}  // namespace

int RunMap(const MapOptions& options, std::ostream& out, std::ostream& err) {
  double end = Clock::Real().NowUnixSeconds();
  auto since = ParseSince(options.since);
  if (!since.ok()) return err << "roentgen map: --since: " << since.error().message() << "\n", 2;
  double start = end - *since;

  std::vector<parse::JsonValue> services;
  double window_start = start;
  double window_end = end;
  std::string token;
  do {
    JsonWriter body;
    body.BeginObject();
    body.Key("StartTime");
    body.Double(start);
    body.Key("EndTime");
    body.Double(end);
    if (!options.group.empty()) {
      body.Key("GroupName");
      body.String(options.group);
    }
    if (!token.empty()) {
      body.Key("NextToken");
      body.String(token);
    }
    body.EndObject();
    auto answer = internal::CallXRay(options.common.endpoint, "/ServiceGraph", body.Release());
    if (!answer.ok()) {
      err << "roentgen map: " << answer.error().message() << "\n";
      return 1;
    }
    window_start = internal::NumberField(*answer, "StartTime", start);
    window_end = internal::NumberField(*answer, "EndTime", end);
    token = internal::StringField(*answer, "NextToken");
    if (const parse::JsonValue* page = answer->Find("Services"); page && page->is_array()) {
      for (const parse::JsonValue& service : page->elements()) services.push_back(service);
    }
  } while (!token.empty());

  if (options.json) {
    for (const parse::JsonValue& service : services) out << parse::SerializeJson(service) << "\n";
    return 0;
  }
  std::map<int64_t, std::string> labels;
  for (const parse::JsonValue& service : services) {
    labels[static_cast<int64_t>(internal::NumberField(service, "ReferenceId", -1))] =
        NodeLabel(service);
  }
  std::vector<std::vector<std::string>> node_rows;
  std::vector<std::vector<std::string>> edge_rows;
  for (const parse::JsonValue& service : services) {
    std::string label = NodeLabel(service);
    if (internal::BoolField(service, "Root")) label += " [root]";
    // Client nodes have no statistics of their own: show what they send (their edges).
    Counts counts = ReadStatistics(service.Find("SummaryStatistics"));
    const parse::JsonValue* edges = service.Find("Edges");
    if (service.Find("SummaryStatistics") == nullptr && edges && edges->is_array()) {
      for (const parse::JsonValue& edge : edges->elements()) {
        Counts edge_counts = ReadStatistics(edge.Find("SummaryStatistics"));
        counts.total += edge_counts.total;
        counts.errors += edge_counts.errors;
        counts.throttles += edge_counts.throttles;
        counts.faults += edge_counts.faults;
        counts.response_time += edge_counts.response_time;
      }
    }
    node_rows.push_back(CountsRow(label, counts));
    if (edges == nullptr || !edges->is_array()) continue;
    for (const parse::JsonValue& edge : edges->elements()) {
      auto target = static_cast<int64_t>(internal::NumberField(edge, "ReferenceId", -1));
      auto it = labels.find(target);
      std::string callee = it == labels.end() ? fmt::format("#{}", target) : it->second;
      edge_rows.push_back(CountsRow(NodeLabel(service) + " -> " + callee,
                                    ReadStatistics(edge.Find("SummaryStatistics"))));
    }
  }
  const std::vector<std::string> kColumns = {"REQUESTS", "ERROR", "THROTTLE", "FAULT",
                                             "AVG LATENCY"};
  std::vector<std::string> node_header = {"NODE"};
  node_header.insert(node_header.end(), kColumns.begin(), kColumns.end());
  std::vector<std::string> edge_header = {"EDGE"};
  edge_header.insert(edge_header.end(), kColumns.begin(), kColumns.end());
  PrintTable(node_header, node_rows, out);
  out << "\n";
  PrintTable(edge_header, edge_rows, out);
  out << fmt::format("{} node{}, {} edge{} between {} and {}\n", node_rows.size(),
                     node_rows.size() == 1 ? "" : "s", edge_rows.size(),
                     edge_rows.size() == 1 ? "" : "s", FormatTimestamp(window_start),
                     FormatTimestamp(window_end));
  return 0;
}

}  // namespace roentgen::cli
