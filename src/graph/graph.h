// SPDX-License-Identifier: Apache-2.0
#pragma once

// The service map (xray-semantics.md §3; docs/service_map.md): nodes, edges, statistics and
// latency histograms built from the per-trace TraceDetail.
//
//  * Aggregator observes every sealed trace (store::SealObserver) and folds it into time
//    buckets per tenant and group (1 minute, 5 minutes, 1 hour), subtracting the revision a
//    reseal replaces. GetServiceGraph and GetTimeSeries merge a bounded number of buckets, so
//    their cost does not grow with the number of traces in the window.
//  * BuildTraceGraph builds the same shapes from a few traces' details (GetTraceGraph).
//  * ParseEntitySelector reads GetTimeSeriesServiceStatistics' EntitySelectorExpression.
//  * WriteServicesJson and friends write the X-Ray JSON shapes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/json_writer.h"
#include "base/result.h"
#include "base/stats.h"
#include "base/status.h"
#include "model/tenant.h"
#include "model/trace_detail.h"
#include "model/trace_summary.h"
#include "store/store.h"

namespace roentgen::graph {

// ServiceStatistics / EdgeStatistics (§3.5): completed requests only, partitioned so that
// total = ok + errors + faults; a fault (flag or 5xx) beats an error, throttles (flag or 429)
// are errors. Response times are summed in whole microseconds, so adding and subtracting
// revisions is exact.
struct Statistics {
  int64_t ok_count = 0;
  int64_t error_throttle_count = 0;  // ErrorStatistics.ThrottleCount
  int64_t error_other_count = 0;     // ErrorStatistics.OtherCount
  int64_t fault_count = 0;           // FaultStatistics.TotalCount (= OtherCount)
  int64_t total_response_micros = 0;

  int64_t error_count() const { return error_throttle_count + error_other_count; }
  int64_t total_count() const { return ok_count + error_count() + fault_count; }
  double total_response_time() const { return static_cast<double>(total_response_micros) / 1e6; }
  Statistics& operator+=(const Statistics& other);
  bool operator==(const Statistics&) const = default;
};

// One HistogramEntry: requests whose latency rounds to `value` seconds (§3.6).
struct HistogramEntry {
  double value = 0;
  int64_t count = 0;
  bool operator==(const HistogramEntry&) const = default;
};

// The value a latency is counted under: whole milliseconds below 1 s, two significant digits
// from 1 s up, at most 99,000 s. So a histogram never has more than kMaxHistogramEntries
// entries. Negative or NaN latencies count as 0.
double HistogramValue(double seconds);
inline constexpr size_t kMaxHistogramEntries = 1450;

struct GraphEdge {
  uint32_t reference_id = 0;  // the callee node's
  int64_t start_time = 0;     // whole seconds (floor of the first call's start)
  int64_t end_time = 0;       // whole seconds (ceil of the last call's end)
  Statistics statistics;
  std::vector<HistogramEntry> response_time_histogram;  // ascending values
};

struct GraphNode {
  uint32_t reference_id = 0;
  model::ServiceId id;
  bool root = false;    // owns a root segment in the window
  bool active = false;  // State "active" (sent segments) rather than "unknown"
  bool client = false;  // a client node: no statistics or histograms of its own
  int64_t start_time = 0;
  int64_t end_time = 0;
  Statistics statistics;
  std::vector<HistogramEntry> response_time_histogram;
  std::vector<HistogramEntry> duration_histogram;
  std::vector<GraphEdge> edges;  // ascending callee reference ids
};

struct ServiceGraph {
  int64_t start_time = 0;  // the window actually used (rounded outwards to buckets)
  int64_t end_time = 0;
  std::vector<GraphNode> nodes;  // ascending reference ids
  bool contains_old_group_versions = false;
  // Set when more nodes follow: pass it as ServiceGraphRequest::first_reference_id.
  std::optional<uint32_t> next_reference_id;
};

// Which traces a graph covers: the Default group (all traces) or one group, by the numeric id
// the groups component assigns, with the filter version that is current now (traces stored
// under another version set ServiceGraph::contains_old_group_versions).
struct GroupSelection {
  std::optional<uint32_t> group_id;  // nullopt (or 0): the Default group
  // The group's current filter version; unknown (nullopt): old versions are reported when
  // the window mixes several versions.
  std::optional<uint32_t> current_version;
};

struct ServiceGraphRequest {
  model::TenantId tenant;
  GroupSelection group;
  double start_time = 0;  // seconds since the epoch; REQUIRES: start_time < end_time
  double end_time = 0;
  uint32_t first_reference_id = 0;  // pagination: nodes from this reference id on
  size_t max_nodes = 100;           // nodes per page (at least 1)
};

// An EntitySelectorExpression (§3.10): nothing, one node, or one edge. A node is given as a
// quoted name or id(name: ..., type: ..., account.id: ...) with any subset of the parts.
struct NodeMatcher {
  std::optional<std::string> name;
  std::optional<std::string> type;
  std::optional<std::string> account_id;
  // Whether `id` matches: every given part is equal; client nodes match only when a type is
  // given (as in the filter language, docs/query_language.md §4.2).
  bool Matches(const model::ServiceId& id) const;
  bool operator==(const NodeMatcher&) const = default;
};

struct EntitySelector {
  enum class Kind : uint8_t {
    kNone,     // the group's client → root edges
    kService,  // service(NODE) or NODE (a bare id(...) call)
    kEdge,     // edge(NODE, NODE)
  };
  Kind kind = Kind::kNone;
  NodeMatcher node;    // kService
  NodeMatcher caller;  // kEdge
  NodeMatcher callee;  // kEdge
  bool operator==(const EntitySelector&) const = default;
};

// Parses an EntitySelectorExpression: `service("x")`, `service(id(name: "x", type: "T"))`,
// `id(name: "x")`, `edge("a", "b")`, `edge(id(...), id(...))`; whitespace anywhere between
// tokens; keywords case-insensitive; strings in double quotes with \" and \\ escapes. Empty or
// blank text is Kind::kNone. InvalidArgument naming the column of the first problem.
Result<EntitySelector> ParseEntitySelector(std::string_view text);

// FaultCountHigh / FaultCountLow for one bucket (xray-semantics.md §4.2): with n requests and
// baseline fault probability p, E = n·p, σ = sqrt(n·p·(1−p)); high = ceil(E + 3σ + 2),
// low = max(0, floor(E − 3σ)). Insights uses the same band.
struct FaultBand {
  int64_t high = 0;
  int64_t low = 0;
  bool operator==(const FaultBand&) const = default;
};
FaultBand ForecastFaultBand(double fault_probability, int64_t requests);

// The baseline fault probability a forecast starts from and how it moves: an exponentially
// weighted mean of the per-bucket fault ratio with a half-life of one hour, never below
// kMinFaultProbability; buckets above their band (anomalies) and empty buckets leave it
// unchanged. Not thread-safe.
class FaultBaseline {
 public:
  static constexpr double kMinFaultProbability = 0.001;
  // `faults` of `requests` in the history before the first bucket (any length; none: the floor).
  FaultBaseline(int64_t history_faults, int64_t history_requests, int64_t period_seconds);
  double probability() const { return probability_; }
  // The band of a bucket with `requests`, then learns the bucket's `faults`.
  FaultBand Next(int64_t faults, int64_t requests);

 private:
  double probability_;
  double alpha_;
};

struct TimeSeriesRequest {
  model::TenantId tenant;
  GroupSelection group;
  double start_time = 0;  // REQUIRES: start_time < end_time
  double end_time = 0;
  int64_t period_seconds = 60;  // 60, 300 or 3600
  EntitySelector selector;
  bool forecast = false;  // REQUIRES: selector.kind == kService when set
};

struct TimeSeriesPoint {
  int64_t timestamp = 0;  // bucket start, a multiple of the period
  Statistics statistics;  // the service's (kService) or the edges' (kEdge, kNone)
  std::vector<HistogramEntry> response_time_histogram;
  std::optional<FaultBand> forecast;
};

struct TimeSeries {
  bool edge_statistics = false;         // statistics are EdgeSummaryStatistics, not Service...
  std::vector<TimeSeriesPoint> points;  // ascending timestamps; buckets without data omitted
  bool contains_old_group_versions = false;
};

struct AggregatorOptions {
  Clock* clock = nullptr;                                   // nullptr: the real clock
  StatsRegistry* stats = nullptr;                           // optional: roentgen_graph_* counters
  std::chrono::seconds retention{30 * 24 * 3600};           // the store's retention: hour buckets
  std::chrono::seconds minute_horizon{8 * 3600};            // 1-minute buckets are kept this long
  std::chrono::seconds five_minute_horizon{3 * 24 * 3600};  // 5-minute buckets
  // Distinct nodes ever interned per tenant (the console's limit); contributions of further
  // nodes, and edges touching them, are dropped and counted in AggregatorStats::dropped.
  size_t max_nodes_per_tenant = 10000;
};

struct AggregatorStats {
  uint64_t buckets = 0;
  uint64_t cells = 0;  // (bucket, node or edge) entries
  uint64_t histogram_entries = 0;
  uint64_t nodes = 0;    // interned, all tenants
  uint64_t dropped = 0;  // node contributions dropped at the node limit
};

// The service-map aggregates. Thread-safe: OnSeal runs on the store's sealer thread, queries
// on API threads; one mutex guards everything (queries hold it while merging, a few ms).
//
// Invariants:
//  1. Every bucket of every tier holds exactly the sum of the contributions of the current
//     revisions of the traces whose entities fall in it (by end time; in-progress entities by
//     start time), except for contributions that arrived after the bucket left its tier's
//     horizon (dropped) and StartTime/EndTime bounds, which only widen.
//  2. A (bucket, key) cell exists iff some contribution counts in it (an edge call also
//     counts as presence of its two nodes, so edges never point at a missing node).
//  3. Reference ids (node keys) are never reused or freed within one Aggregator: a
//     reference id names the same node on every page and in every call.
class Aggregator final : public store::SealObserver {
 public:
  explicit Aggregator(AggregatorOptions options);
  ~Aggregator() override;
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // Subtracts `previous` (if any) and adds `current`, for the Default group and every group
  // each revision matched.
  void OnSeal(const store::TraceRevision* previous, const store::TraceRevision& current) override;

  // Adds every sealed trace of `tenant` that the store holds (the aggregates are not
  // persisted; this rebuilds them after a restart). REQUIRES: called before store.Start(),
  // so that no seal races with the scan. Returns the number of traces folded in.
  Result<uint64_t> Rebuild(store::Store& store, const model::TenantId& tenant);

  // The graph of the window [start_time, end_time), rounded outwards to the buckets kept
  // (1 minute where 1-minute buckets exist, else 5 minutes, else 1 hour). Reference ids are
  // stable across pages and calls (see Invariant 3).
  ServiceGraph GetServiceGraph(const ServiceGraphRequest& request) const;

  // Per-period statistics of the selected entity. Periods: 60 (1-minute buckets, only within
  // the minute horizon), 300, 3600.
  Result<TimeSeries> GetTimeSeries(const TimeSeriesRequest& request) const;

  // A random number fixed for this Aggregator: pagination tokens from another process (whose
  // reference ids differ) can be told apart.
  uint64_t generation() const;

  AggregatorStats Stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The graph of a few traces (GetTraceGraph, §3.9): every entity counts, whatever its time;
// reference ids in order of first appearance; start_time/end_time cover the traces.
ServiceGraph BuildTraceGraph(std::span<const model::TraceDetail> details);

// Writes `nodes` as the X-Ray `Services` array value (§3.1) to *out.
void WriteServicesJson(std::span<const GraphNode> nodes, JsonWriter* out);
// Writes a ServiceStatistics/EdgeStatistics object value.
void WriteStatisticsJson(const Statistics& statistics, JsonWriter* out);
// Writes a list of HistogramEntry as an array value.
void WriteHistogramJson(std::span<const HistogramEntry> histogram, JsonWriter* out);

}  // namespace roentgen::graph
