// SPDX-License-Identifier: Apache-2.0
#pragma once

// Trace analysis: turns stored traces into CloudWatch metrics without user code
// (docs/trace_analysis.md).
//
//  * TraceMetricsPublisher observes every first seal (store::SealObserver) and publishes, per
//    minute, the request/error/fault/throttle counts and response times of every service and
//    every group the trace belongs to, and X-Ray's own AWS/X-Ray metrics.
//  * RuleEngine runs scheduled trace-analysis rules (what the recipe's EventBridge rule and
//    analyzer Lambda do): a filter expression, a schedule, a window, and the metrics to publish
//    (count, error count, count above a response time, ...). Rules come from a config file and
//    an HTTP API; they and their runs are kept in the catalog, so schedules survive restarts.
//
// Both publish through a MetricSink (in the server: metrics::MetricStore::Put).

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/stats.h"
#include "base/status.h"
#include "groups/groups.h"
#include "metrics/metrics.h"
#include "model/tenant.h"
#include "store/catalog.h"
#include "store/store.h"

namespace roentgen::analysis {

// Where metrics go. Called from the publishing threads; must be thread-safe.
using MetricSink =
    std::function<Status(const model::TenantId& tenant, std::span<const metrics::MetricDatum>)>;

// ------------------------------------------------------------------------------------------
// Metrics from traces.

inline constexpr std::string_view kTraceMetricsNamespace = "Roentgen/Traces";
inline constexpr std::string_view kXRayNamespace = "AWS/X-Ray";

struct TraceMetricsOptions {
  Clock* clock = nullptr;                   // nullptr: the real clock
  StatsRegistry* stats = nullptr;           // optional: roentgen_trace_metrics_* counters
  std::chrono::seconds flush_interval{10};  // how often the background thread publishes
  // Distinct (minute, metric, dimensions) cells accumulated between flushes; contributions
  // to further cells are dropped and counted.
  size_t max_pending_cells = 200000;
  // Traces ending further in the past than this are not published (CloudWatch refuses data
  // older than two weeks).
  std::chrono::seconds max_age{14 * 24 * 3600};
  // The name of a group by id (nullopt: unknown, the group is skipped). Unset: only the
  // Default group is published.
  std::function<std::optional<std::string>(const model::TenantId&, uint32_t group_id)> group_name;
};

struct TraceMetricsStats {
  uint64_t traces = 0;         // first seals counted
  uint64_t datums_sent = 0;    // metric datums handed to the sink
  uint64_t sink_failures = 0;  // sink calls that failed (their datums are lost)
  uint64_t dropped = 0;        // contributions dropped (too old, too many cells)
};

// Publishes, for each trace the first time it is sealed (later revisions, which only add
// late segments, are not counted again), in the minute of the trace's end time:
//   Roentgen/Traces, dimensions {GroupName}: TraceCount, OkTraceCount, ErrorTraceCount,
//     FaultTraceCount, ThrottleTraceCount (Count), ResponseTime (Seconds, the root's).
//   Roentgen/Traces, dimensions {GroupName, ServiceName, ServiceType}: RequestCount, OkCount,
//     ErrorCount, FaultCount, ThrottleCount (Count), ResponseTime (Seconds) over the completed
//     segments of every service node (active and inferred), partitioned as the service map's
//     statistics are (a fault beats an error; throttles are errors).
//   AWS/X-Ray, {GroupName}: ApproximateTraceCount.  AWS/X-Ray, no dimensions: TracesReceived
//     (first seals, in the minute they were sealed) and TracesScanned (AddTracesScanned).
// GroupName is "Default" for every trace plus each group the revision matched.
// Thread-safe: OnSeal runs on the sealer thread, AddTracesScanned on API threads, Flush on the
// publisher thread or the caller's.
class TraceMetricsPublisher final : public store::SealObserver {
 public:
  TraceMetricsPublisher(TraceMetricsOptions options, MetricSink sink);
  ~TraceMetricsPublisher() override;  // Stop()
  TraceMetricsPublisher(const TraceMetricsPublisher&) = delete;
  TraceMetricsPublisher& operator=(const TraceMetricsPublisher&) = delete;

  void OnSeal(const store::TraceRevision* previous, const store::TraceRevision& current) override;

  // Traces a search of `tenant` examined (GetTraceSummaries' TracesProcessedCount).
  void AddTracesScanned(const model::TenantId& tenant, uint64_t count);

  // Publishes everything accumulated so far. Returns the first sink error.
  Status Flush();

  // Starts / stops the thread that calls Flush every flush_interval. Stop flushes once more.
  void Start();
  void Stop();

  TraceMetricsStats Stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ------------------------------------------------------------------------------------------
// Scheduled trace-analysis rules.

// When a rule runs: rate(N minute|minutes|hour|hours|day|days), or an EventBridge cron
// expression cron(minutes hours day-of-month month day-of-week year) with *, ?, lists, ranges
// and steps (times in UTC; L, W and # are not supported).
class Schedule {
 public:
  // InvalidArgument naming the problem.
  static Result<Schedule> Parse(std::string_view text);

  // The first run strictly after `after` (seconds since the epoch). For rates: after +
  // period, aligned to whole seconds. nullopt: a cron expression that never fires again
  // (within 5 years).
  std::optional<int64_t> NextAfter(int64_t after) const;

  const std::string& text() const { return text_; }
  bool is_rate() const { return rate_seconds_ > 0; }
  int64_t rate_seconds() const { return rate_seconds_; }

 private:
  bool fields_match_day(const std::tm& tm) const;

  std::string text_;
  int64_t rate_seconds_ = 0;
  // cron fields as bit sets: minutes 0-59, hours 0-23, days 1-31, months 1-12, weekdays 0-6
  // (Sunday 0), years 1970-2199 as offsets (empty = any). days_ / weekdays_ are 0 for the
  // field given as "?" (no constraint).
  uint64_t minutes_ = 0;
  uint32_t hours_ = 0;
  uint32_t days_ = 0;  // bit d for day d
  uint16_t months_ = 0;
  uint8_t weekdays_ = 0;
  std::vector<bool> years_;  // index year - 1970; empty = any
};

// What a rule publishes for the traces its filter matches in the window.
enum class RuleMetricKind : uint8_t {
  kCount,          // matching traces
  kOkCount,        // ... without error, fault or throttle
  kErrorCount,     // ... with HasError (the summary's; 4xx, throttles included)
  kFaultCount,     // ... with HasFault
  kThrottleCount,  // ... with HasThrottle
  kCountAbove,     // ... whose response time is above `threshold` seconds
  kResponseTime,   // the matching traces' response times (Seconds; all statistics)
};

struct RuleMetric {
  std::string name;  // CloudWatch MetricName
  RuleMetricKind kind = RuleMetricKind::kCount;
  double threshold = 0;  // kCountAbove: seconds
};

struct AnalysisRule {
  std::string name;  // 1-64 of [A-Za-z0-9_.-]
  std::string filter;
  std::string schedule;  // Schedule::Parse text
  int64_t window_seconds = 3600;
  // Which time of a trace the window selects on, as GetTraceSummaries' TimeRangeType.
  store::TimeRangeKind time_range = store::TimeRangeKind::kEvent;
  std::string name_space = "XRay/Analysis";
  std::vector<metrics::Dimension> dimensions;  // added to every metric (at most 10)
  std::vector<RuleMetric> metrics;             // 1-20
  bool enabled = true;
  std::string source = "api";  // "api" or "file"
  double created_at = 0;       // seconds since the epoch
};

// Parses a rule from its JSON form (docs/trace_analysis.md); InvalidArgument naming the
// field. `name` (when not empty) overrides/must match the body's name.
Result<AnalysisRule> ParseRuleJson(std::string_view json, std::string_view name = {});
std::string RuleToJson(const AnalysisRule& rule);

struct RuleRun {
  std::string rule;
  double scheduled_time = 0;  // the run's nominal time (window end)
  double started_at = 0;
  double window_start = 0;
  double window_end = 0;
  bool ok = true;
  std::string error;
  uint64_t traces_scanned = 0;  // traces the window selected
  uint64_t traces_matched = 0;
  std::vector<std::pair<std::string, double>> values;  // metric name -> published value
  double duration_seconds = 0;
};
std::string RunToJson(const RuleRun& run);

struct RuleStatus {
  AnalysisRule rule;
  std::optional<double> next_run;
  std::vector<RuleRun> recent_runs;  // newest first, at most RuleEngineOptions::runs_kept
};

struct RuleEngineOptions {
  Clock* clock = nullptr;  // nullptr: the real clock
  model::TenantId tenant = std::string(model::kDefaultTenant);
  size_t max_rules = 100;
  size_t runs_kept = 20;
  std::chrono::milliseconds tick{1000};  // how often the thread looks for due rules
};

// Keeps the rules of one tenant and runs them when due. Rules and their last runs are stored
// in the catalog (kinds "analysis_rule", "analysis_run"); after a restart each rule's next
// run follows from its last one, and a run missed while the server was down is made once,
// at start. Thread-safe.
class RuleEngine {
 public:
  // `groups` (optional) resolves group.name / group.arn in filters.
  static Result<std::unique_ptr<RuleEngine>> Open(RuleEngineOptions options, store::Store* store,
                                                  store::Catalog* catalog,
                                                  groups::GroupRegistry* groups, MetricSink sink);
  ~RuleEngine();  // stops the thread

  // Loads the rules of a config file (a JSON array of rules, or {"rules": [...]}): they are
  // created or replaced with source "file". Returns the number loaded.
  Result<size_t> LoadFile(const std::string& path);

  // Creates or replaces a rule (validated, its filter compiled).
  Status Put(AnalysisRule rule);
  // NotFound when absent.
  Status Delete(std::string_view name);
  Result<RuleStatus> Get(std::string_view name) const;
  std::vector<RuleStatus> List() const;

  // Runs a rule now for the window ending at `now` (publishing its metrics) and records it.
  Result<RuleRun> RunNow(std::string_view name);
  // Runs every enabled rule whose next run is at or before `now`. Returns the runs made.
  std::vector<RuleRun> RunDue(double now);

  void Start();
  void Stop();

 private:
  struct Impl;
  explicit RuleEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace roentgen::analysis
