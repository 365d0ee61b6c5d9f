// SPDX-License-Identifier: Apache-2.0
#pragma once

// X-Ray Insights (xray-semantics.md §4; docs/insights.md): anomaly detection over per-minute,
// per-group aggregates of the sealed traces, and the insights it opens, updates and closes.
//
//  * Engine observes every sealed trace (store::SealObserver) and folds it, by its end
//    minute, into per (tenant, group) minute cells: client requests at the group's entry
//    (client → root calls), and per service its completed requests, faults, oks, the traces
//    it took part in, the fault traces whose FaultRootCauses end at it, and a response-time
//    histogram. Rebuild() refills the cells from the store after a restart.
//  * EvaluateOnce() (the background thread calls it every evaluate_interval) re-runs the
//    detector over the cells of every group whose InsightsConfiguration enables insights and
//    reconciles what it finds with the stored insights: new incidents open insights, ongoing
//    ones append events, ended ones close. Insights and their events live in the catalog
//    (kind "insight"), so they survive restarts; every event is notified once.
//  * Categories: FAULT (X-Ray's: the fault rate of a root-cause service above its forecast
//    band, graph::ForecastFaultBand) and RESPONSE_TIME (Roentgen's extension: a service's p90
//    response time above a median/MAD band, the root cause being the farthest downstream
//    slow service).
//
// Catalog layout: kind "insight", tenant T, name = insight id (a UUID) -> the insight with its
// events as JSON (internal/record.h).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/stats.h"
#include "base/status.h"
#include "groups/groups.h"
#include "model/tenant.h"
#include "model/trace_summary.h"
#include "store/catalog.h"
#include "store/store.h"

namespace roentgen::insights {

enum class Category : uint8_t {
  kFault,         // "FAULT"
  kResponseTime,  // "RESPONSE_TIME" (a Roentgen extension; X-Ray only has FAULT)
};
std::string_view CategoryName(Category category);

enum class State : uint8_t { kActive, kClosed };
std::string_view StateName(State state);  // "ACTIVE", "CLOSED"

// RequestImpactStatistics: completed requests, total = ok + faults + errors/throttles.
struct RequestImpact {
  int64_t fault_count = 0;
  int64_t ok_count = 0;
  int64_t total_count = 0;
  RequestImpact& operator+=(const RequestImpact& other);
  bool operator==(const RequestImpact&) const = default;
};

enum class EventKind : uint8_t { kOpened, kUpdated, kClosed };

// One InsightEvent: a notable state of the insight at `event_time`.
struct Event {
  EventKind kind = EventKind::kOpened;
  int64_t event_time = 0;  // seconds since the epoch (a minute boundary)
  std::string summary;
  RequestImpact client_impact;      // ClientRequestImpactStatistics, since StartTime
  RequestImpact root_cause_impact;  // RootCauseServiceRequestImpactStatistics, since StartTime
  std::vector<model::ServiceId> top_anomalous_services;  // the root cause first
  bool operator==(const Event&) const = default;
};

// One insight with its events (oldest first). Plain value type.
struct Insight {
  std::string id;  // a version-4 UUID
  model::TenantId tenant;
  uint32_t group_id = groups::kDefaultGroupId;
  std::string group_name;
  std::string group_arn;
  Category category = Category::kFault;
  model::ServiceId root_cause;
  State state = State::kActive;
  int64_t start_time = 0;           // start of the first anomalous minute
  std::optional<int64_t> end_time;  // CLOSED: end of the last anomalous minute
  std::string summary;
  RequestImpact client_impact;  // over [start_time, end_time or now)
  RequestImpact root_cause_impact;
  std::vector<model::ServiceId> top_anomalous_services;
  int64_t last_update_time = 0;  // the newest event's time
  std::vector<Event> events;     // never empty; events.front().kind == kOpened
  bool operator==(const Insight&) const = default;
};

// The body POSTed to the notification webhooks for `event` of `insight`: an EventBridge
// event `{"version":"0","id","detail-type":"AWS X-Ray Insight Update","source":"aws.xray",
// "account","time","region","resources":[group ARN],"detail":{...}}` whose detail has the
// fields of xray-semantics.md §4.1 (docs/insights.md shows one). State, EndTime, the impact
// statistics and TopAnomalousServices are those as of the event (ACTIVE until the kClosed
// event), so an insight found late notifies its past events as they happened.
std::string NotificationBody(const Insight& insight, const Event& event, std::string_view region);

struct EngineOptions {
  store::Catalog* catalog = nullptr;        // required; must outlive the engine
  groups::GroupRegistry* groups = nullptr;  // nullptr: no group has insights enabled
  Clock* clock = nullptr;                   // nullptr: the real clock
  StatsRegistry* stats = nullptr;           // optional: roentgen_insights_* counters
  // Called once for every new event of an insight whose group has NotificationsEnabled, with
  // NotificationBody's text, on the evaluating thread, after the event is stored.
  std::function<void(const std::string& body)> notify;
  std::string region = "us-east-1";  // for notification bodies
  // The detector (docs/insights.md).
  std::chrono::seconds evaluate_interval{60};  // the background thread's period
  std::chrono::seconds horizon{6 * 3600};      // minutes of history kept and evaluated
  // A minute is evaluated this long after it ends (traces are sealed after their quiet
  // period, so its cells are complete by then).
  std::chrono::seconds settle{60};
  int warmup_minutes = 10;      // non-empty minutes a service needs before it can be anomalous
  int open_after_minutes = 3;   // consecutive anomalous minutes that open an insight
  int close_after_minutes = 5;  // consecutive normal minutes that close it
  int64_t min_faults = 3;       // a fault anomaly needs at least this many faults in a minute
  double update_change = 0.25;  // relative change of the impact that makes an update event
  // Response time: the p90 of a minute with at least latency_min_requests requests is
  // anomalous above median + max(latency_mad_factor * 1.4826 * MAD,
  // latency_min_increase * median, latency_min_increase_seconds) of the last
  // latency_baseline_minutes normal minutes.
  double latency_quantile = 0.9;
  int64_t latency_min_requests = 10;
  double latency_mad_factor = 4;
  double latency_min_increase = 0.5;
  double latency_min_increase_seconds = 0.05;
  int latency_baseline_minutes = 60;
};

struct ListRequest {
  model::TenantId tenant;
  uint32_t group_id = groups::kDefaultGroupId;
  std::optional<State> state;  // nullopt: both
  // Insights whose [start_time, end_time or now] overlaps [start_time, end_time).
  int64_t start_time = 0;
  int64_t end_time = 0;
};

// The insights engine. Thread-safe: OnSeal runs on the store's sealer thread, List/Get on API
// threads, EvaluateOnce on the engine's thread (or a test's); the cells and the insights have
// one mutex each, and evaluations are serialized.
//
// Invariants:
//  1. Each minute cell holds the sum of the contributions of the current revisions of the
//     traces that ended in that minute, for minutes within the horizon at the time of the seal.
//  2. The stored insights of a tenant equal the in-memory ones after every evaluation; an
//     event is notified only after it is stored, and never again.
//  3. At most one ACTIVE insight exists per (tenant, group, category, root-cause service).
class Engine final : public store::SealObserver {
 public:
  // Loads the stored insights of `tenant` (others load when first evaluated or read).
  static Result<std::unique_ptr<Engine>> Open(EngineOptions options, const model::TenantId& tenant);
  ~Engine() override;  // stops the thread
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void OnSeal(const store::TraceRevision* previous, const store::TraceRevision& current) override;

  // Folds in the sealed traces of `tenant` that ended within the horizon. REQUIRES: called
  // before store.Start(). Returns the number of traces folded in.
  Result<uint64_t> Rebuild(store::Store& store, const model::TenantId& tenant);

  // Evaluates every minute that has settled by `now_unix_seconds` and stores and notifies
  // what changed. Returns the first catalog error (the rest of the evaluation still runs).
  Status EvaluateOnce(int64_t now_unix_seconds);

  // Starts / stops the background thread that calls EvaluateOnce(clock now) every
  // evaluate_interval. Stop is idempotent.
  void Start();
  void Stop();

  // Insights of one group, newest start first.
  std::vector<Insight> List(const ListRequest& request);
  // NotFound when `tenant` has no insight `id`.
  Result<Insight> Get(const model::TenantId& tenant, std::string_view id);

 private:
  explicit Engine(EngineOptions options);
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roentgen::insights
