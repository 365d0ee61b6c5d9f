// SPDX-License-Identifier: Apache-2.0
#pragma once

// Roentgen's command-line tools besides `serve`. Each talks to a running server through its
// public API (the same requests the AWS clients send), so it works against any Roentgen.

#include <cstddef>
#include <iosfwd>
#include <string>

namespace roentgen::cli {

struct CommonOptions {
  std::string endpoint = "http://127.0.0.1:2000";
};

// `roentgen query EXPRESSION [--since 1h | --start T --end T] [--group NAME]`
struct QueryOptions {
  CommonOptions common;
  std::string expression;    // an X-Ray filter expression; empty: every trace
  std::string since = "1h";  // used when start/end are not given
  std::string start;         // epoch seconds or ISO 8601 UTC (2025-07-12T10:00:00Z)
  std::string end;           // default: now
  std::string group;         // restrict to a group: group.name = "NAME" AND (EXPRESSION)
  std::string time_range_type = "Event";  // TraceId, Event or Service
  size_t limit = 50;                      // rows printed at most
  bool json = false;                      // print the raw TraceSummaries as JSON lines
};

// Prints a table of trace summaries (id, start, response time, status, entry point) to
// `out`; errors to `err`. Returns the process exit code (0, 1 for API errors, 2 for usage).
int RunQuery(const QueryOptions& options, std::ostream& out, std::ostream& err);

// `roentgen sampling [--json]`
struct SamplingOptions {
  CommonOptions common;
  bool json = false;  // one JSON line per rule: its SamplingRuleRecord and latest statistics
};

// Prints the sampling rules (GetSamplingRules, every page) in evaluation order with their
// latest reported statistics (GetSamplingStatisticSummaries: the newest window of each rule)
// to `out`; errors to `err`. Returns the process exit code (0, or 1 for API errors).
int RunSampling(const SamplingOptions& options, std::ostream& out, std::ostream& err);

// `roentgen map [--since 1h] [--group NAME] [--json]`
struct MapOptions {
  CommonOptions common;
  std::string since = "1h";  // the window ends now
  std::string group;         // GroupName; empty: the Default group
  bool json = false;         // print each Service of GetServiceGraph as a JSON line
};

// Prints the service map (GetServiceGraph, every page): one row per node with its request
// count, error/throttle/fault percentages and average latency (client nodes: what they send),
// then one row per edge. Errors to `err`. Returns the exit code (0, 1 API error, 2 usage).
int RunMap(const MapOptions& options, std::ostream& out, std::ostream& err);

}  // namespace roentgen::cli
