// SPDX-License-Identifier: Apache-2.0
// The insights engine (docs/insights.md).
//
// Detection is re-run from the minute cells on every evaluation rather than advanced one
// minute at a time from a persisted cursor: traces arrive late (a trace is sealed a quiet
// period after its last document, clients send with past timestamps, a restart replays the
// WAL), and a cursor would have to ignore whatever lands behind it. Re-running over the
// horizon costs (services × minutes) per group, a few milliseconds, and is deterministic, so
// the incidents it finds ("episodes") are matched against the stored insights by group,
// category, root cause and overlapping time: a match gets the episode's newer events, a new
// episode becomes a new insight, and an ACTIVE insight no episode explains any more is closed.
// Stored CLOSED insights never change.

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "base/logging.h"
#include "base/periodic_thread.h"
#include "base/status_macros.h"
#include "graph/graph.h"
#include "insights/insights.h"
#include "insights/internal/record.h"

namespace roentgen::insights {
namespace {

constexpr int64_t kMinute = 60;
constexpr std::string_view kCatalogKind = "insight";

struct ServiceCell {
  int64_t requests = 0;  // completed segments of the service
  int64_t faults = 0;
  int64_t oks = 0;
  int64_t traces = 0;                 // traces with a completed segment of (or a root cause at) it
  int64_t root_cause_faults = 0;      // fault traces whose FaultRootCauses end at the service
  std::map<double, int64_t> latency;  // coarse response time -> segments
};

struct MinuteCell {
  RequestImpact client;  // client -> root calls of the group's traces
  std::map<model::ServiceId, ServiceCell> services;
  // Caller -> callee pairs seen (presence only: a reseal never removes one).
  std::set<std::pair<model::ServiceId, model::ServiceId>> edges;
};

using Series = std::map<int64_t, MinuteCell>;  // by minute index (start / 60)

// A response time rounded to two significant digits (about 90 values per decade), so that a
// minute's histogram stays small; the band's tolerance is far wider than the rounding.
double CoarseLatency(double seconds) {
  if (!(seconds > 1e-6)) return 0;
  double scale = std::pow(10.0, std::floor(std::log10(seconds)) - 1);
  return std::round(seconds / scale) * scale;
}

struct ServiceContribution {
  model::ServiceId id;
  int64_t requests = 0;
  int64_t faults = 0;
  int64_t oks = 0;
  bool root_cause = false;
  std::vector<double> latencies;
};

struct Contribution {
  int64_t minute = 0;
  RequestImpact client;
  std::vector<ServiceContribution> services;
  std::vector<std::pair<model::ServiceId, model::ServiceId>> edges;
};

Contribution Contribute(const store::TraceRevision& revision) {
  Contribution out;
  const model::TraceDetail& detail = revision.detail;
  double end = revision.summary.end_time;
  if (end <= 0) {
    for (const model::ServiceNode& node : detail.nodes) {
      for (const model::NodeSegment& segment : node.segments) {
        end = std::max(end, segment.end_time.value_or(segment.start_time));
      }
    }
  }
  out.minute = static_cast<int64_t>(std::floor(end / kMinute));
  std::set<model::ServiceId> root_causes;
  for (const model::RootCause& cause : detail.fault_root_causes) {
    if (!cause.services.empty()) root_causes.insert(cause.services.back().id);
  }
  for (const model::ServiceEdge& edge : detail.edges) {
    if (edge.caller >= detail.nodes.size() || edge.callee >= detail.nodes.size()) continue;
    const model::ServiceNode& caller = detail.nodes[edge.caller];
    if (caller.kind == model::NodeKind::kClient) {
      for (const model::EdgeCall& call : edge.calls) {
        if (!call.response_time) continue;
        ++out.client.total_count;
        if (call.fault) {
          ++out.client.fault_count;
        } else if (!call.error && !call.throttle) {
          ++out.client.ok_count;
        }
      }
    } else {
      out.edges.emplace_back(caller.id, detail.nodes[edge.callee].id);
    }
  }
  for (const model::ServiceNode& node : detail.nodes) {
    if (node.kind == model::NodeKind::kClient) continue;
    ServiceContribution service;
    service.id = node.id;
    for (const model::NodeSegment& segment : node.segments) {
      if (!segment.response_time) continue;
      ++service.requests;
      if (segment.fault) {
        ++service.faults;
      } else if (!segment.error && !segment.throttle) {
        ++service.oks;
      }
      service.latencies.push_back(*segment.response_time);
    }
    service.root_cause = root_causes.contains(node.id);
    if (service.requests > 0 || service.root_cause) out.services.push_back(std::move(service));
  }
  return out;
}

void Apply(const Contribution& contribution, int sign, MinuteCell* cell) {
  cell->client.total_count += sign * contribution.client.total_count;
  cell->client.fault_count += sign * contribution.client.fault_count;
  cell->client.ok_count += sign * contribution.client.ok_count;
  for (const ServiceContribution& service : contribution.services) {
    ServiceCell& target = cell->services[service.id];
    target.requests += sign * service.requests;
    target.faults += sign * service.faults;
    target.oks += sign * service.oks;
    target.traces += sign;
    target.root_cause_faults += service.root_cause ? sign : 0;
    for (double latency : service.latencies) {
      auto it = target.latency.try_emplace(CoarseLatency(latency), 0).first;
      it->second += sign;
      if (it->second <= 0) target.latency.erase(it);
    }
  }
  if (sign > 0) {
    for (const auto& edge : contribution.edges) cell->edges.insert(edge);
  }
}

double Quantile(const std::map<double, int64_t>& histogram, double quantile) {
  int64_t total = 0;
  for (const auto& [value, count] : histogram) total += count;
  if (total <= 0) return 0;
  auto rank = static_cast<int64_t>(std::ceil(quantile * static_cast<double>(total)));
  rank = std::max<int64_t>(rank, 1);
  int64_t seen = 0;
  for (const auto& [value, count] : histogram) {
    seen += count;
    if (seen >= rank) return value;
  }
  return histogram.rbegin()->first;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string ServiceLabel(const model::ServiceId& id) {
  return id.type.empty() ? id.name : fmt::format("{} ({})", id.name, id.type);
}

std::string FormatTime(int64_t unix_seconds) {
  std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string NewInsightId(std::mt19937_64& rng) {
  uint64_t high = rng();
  uint64_t low = rng();
  high = (high & ~uint64_t{0xF000}) | 0x4000;                    // version 4
  low = (low & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xFFFF,
                     high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFull);
}

// One incident the detector found in the minute cells of one group.
struct Episode {
  Category category = Category::kFault;
  model::ServiceId root;
  int64_t start_time = 0;
  std::optional<int64_t> end_time;  // set when it ended within the evaluated minutes
  RequestImpact client;
  RequestImpact root_impact;
  std::vector<model::ServiceId> top;
  std::vector<Event> events;
};

// Per (category, service): the open/close state machine of docs/insights.md.
struct KeyState {
  int streak = 0;  // consecutive anomalous minutes while not active
  bool active = false;
  int calm = 0;  // consecutive normal minutes while active
  int64_t start_minute = 0;
  int64_t last_anomalous = 0;
  RequestImpact client, root;                  // over the anomalous stretch
  RequestImpact pending_client, pending_root;  // normal minutes not yet known to be inside
  std::vector<model::ServiceId> top;
  double last_metric = 0;
  Episode episode;
};

struct FaultTrack {
  int warm = 0;
  int64_t warm_faults = 0;
  int64_t warm_requests = 0;
  std::optional<graph::FaultBaseline> baseline;
};

struct ServiceTrack {
  FaultTrack root_cause;  // root-cause faults of the traces through the service
  FaultTrack segments;    // faults of the service's own requests
  std::deque<double> latency_history;
};

struct MinuteFindings {
  struct Anomaly {
    double observed = 0;  // faults, or the latency quantile in seconds
    double high = 0;      // the band's upper edge
    int64_t requests = 0;
  };
  std::map<model::ServiceId, Anomaly> fault_roots;
  std::set<model::ServiceId> segment_anomalous;
  std::map<model::ServiceId, Anomaly> slow;  // latency above the band
};

class Detector {
 public:
  explicit Detector(const EngineOptions& options) : options_(options) {}

  // Runs over minutes [first, last] of `series`; returns the episodes (ended and ongoing).
  std::vector<Episode> Run(const Series& series, int64_t first, int64_t last) {
    std::set<model::ServiceId> services;
    for (auto it = series.lower_bound(first); it != series.end() && it->first <= last; ++it) {
      for (const auto& [id, cell] : it->second.services) services.insert(id);
    }
    for (const model::ServiceId& id : services) tracks_[id];
    static const MinuteCell kEmpty;
    for (int64_t minute = first; minute <= last; ++minute) {
      auto found = series.find(minute);
      const MinuteCell& cell = found == series.end() ? kEmpty : found->second;
      MinuteFindings findings = Observe(cell);
      Step(minute, cell, findings);
    }
    for (auto& [key, state] : states_) {
      if (state.active) episodes_.push_back(std::move(state.episode));
    }
    std::sort(episodes_.begin(), episodes_.end(),
              [](const Episode& a, const Episode& b) { return a.start_time < b.start_time; });
    return std::move(episodes_);
  }

 private:
  bool FaultStep(FaultTrack& track, int64_t faults, int64_t requests, double* high) {
    if (requests <= 0) return false;
    if (!track.baseline) {
      track.warm_faults += faults;
      track.warm_requests += requests;
      if (++track.warm >= options_.warmup_minutes) {
        track.baseline.emplace(track.warm_faults, track.warm_requests, kMinute);
      }
      return false;
    }
    graph::FaultBand band = track.baseline->Next(faults, requests);
    *high = static_cast<double>(band.high);
    return faults > band.high && faults >= options_.min_faults;
  }

  bool LatencyStep(std::deque<double>& history, const ServiceCell& cell, double* observed,
                   double* high) {
    if (cell.requests < options_.latency_min_requests) return false;
    *observed = Quantile(cell.latency, options_.latency_quantile);
    if (history.size() < static_cast<size_t>(std::max(options_.warmup_minutes, 1))) {
      history.push_back(*observed);
      return false;
    }
    std::vector<double> values(history.begin(), history.end());
    double median = Median(values);
    for (double& value : values) value = std::fabs(value - median);
    double mad = Median(std::move(values));
    *high = median + std::max({options_.latency_mad_factor * 1.4826 * mad,
                               options_.latency_min_increase * median,
                               options_.latency_min_increase_seconds});
    if (*observed > *high) return true;
    history.push_back(*observed);
    while (history.size() > static_cast<size_t>(std::max(options_.latency_baseline_minutes, 1))) {
      history.pop_front();
    }
    return false;
  }

  MinuteFindings Observe(const MinuteCell& cell) {
    MinuteFindings findings;
    for (const auto& [id, service] : cell.services) {
      ServiceTrack& track = tracks_[id];
      double high = 0;
      if (FaultStep(track.root_cause, service.root_cause_faults, service.traces, &high)) {
        findings.fault_roots[id] = {static_cast<double>(service.root_cause_faults), high,
                                    service.traces};
      }
      if (FaultStep(track.segments, service.faults, service.requests, &high)) {
        findings.segment_anomalous.insert(id);
      }
      double observed = 0;
      if (LatencyStep(track.latency_history, service, &observed, &high)) {
        findings.slow[id] = {observed, high, service.requests};
      }
    }
    return findings;
  }

  // `root` followed by the members of `anomalous` upstream of it (callers, transitively).
  static std::vector<model::ServiceId> TopServices(const model::ServiceId& root,
                                                   const std::set<model::ServiceId>& anomalous,
                                                   const MinuteCell& cell) {
    std::vector<model::ServiceId> top = {root};
    std::set<model::ServiceId> seen = {root};
    std::vector<model::ServiceId> frontier = {root};
    while (!frontier.empty()) {
      model::ServiceId callee = std::move(frontier.back());
      frontier.pop_back();
      for (const auto& [caller, to] : cell.edges) {
        if (to != callee || seen.contains(caller)) continue;
        seen.insert(caller);
        frontier.push_back(caller);
        if (anomalous.contains(caller)) top.push_back(caller);
      }
    }
    return top;
  }

  static bool Merge(const std::vector<model::ServiceId>& add, std::vector<model::ServiceId>* top) {
    bool grew = false;
    for (const model::ServiceId& id : add) {
      if (std::find(top->begin(), top->end(), id) == top->end()) {
        top->push_back(id);
        grew = true;
      }
    }
    return grew;
  }

  static RequestImpact ServiceImpact(const MinuteCell& cell, const model::ServiceId& id) {
    auto it = cell.services.find(id);
    if (it == cell.services.end()) return {};
    return {it->second.faults, it->second.oks, it->second.requests};
  }

  std::string EventSummary(EventKind kind, Category category, const model::ServiceId& root,
                           const MinuteFindings::Anomaly* anomaly, int64_t minute,
                           const KeyState& state) const {
    std::string label = ServiceLabel(root);
    std::string client =
        fmt::format("{} of {} client requests faulted since {}", state.client.fault_count,
                    state.client.total_count, FormatTime(state.start_minute * kMinute));
    if (kind == EventKind::kClosed) {
      return fmt::format(
          "Closed: {} back within the expected range for {} minutes; {}",
          category == Category::kFault ? "fault rate of " + label : "response time of " + label,
          options_.close_after_minutes, client);
    }
    std::string verb = kind == EventKind::kOpened ? "Opened" : "Updated";
    std::string minute_text = FormatTime((minute + 1) * kMinute);
    if (category == Category::kFault) {
      return fmt::format(
          "{}: {} was the root cause of {} faults in {} traces in the minute to {} (expected at "
          "most {}); {}",
          verb, label, static_cast<int64_t>(anomaly->observed), anomaly->requests, minute_text,
          static_cast<int64_t>(anomaly->high), client);
    }
    return fmt::format(
        "{}: p{:g} response time of {} was {:.3f} s over {} requests in the minute to {} "
        "(expected at most {:.3f} s); {}",
        verb, options_.latency_quantile * 100, label, anomaly->observed, anomaly->requests,
        minute_text, anomaly->high, client);
  }

  Event MakeEvent(EventKind kind, const Category category, const model::ServiceId& root,
                  const MinuteFindings::Anomaly* anomaly, int64_t minute,
                  const KeyState& state) const {
    Event event;
    event.kind = kind;
    event.event_time = (minute + 1) * kMinute;
    event.summary = EventSummary(kind, category, root, anomaly, minute, state);
    event.client_impact = state.client;
    event.root_cause_impact = state.root;
    event.top_anomalous_services = state.top;
    return event;
  }

  void Step(int64_t minute, const MinuteCell& cell, const MinuteFindings& findings) {
    // The anomalies that are root causes: for faults every service the fault traces blame;
    // for response time the slow services with no slow callee.
    std::map<std::pair<Category, model::ServiceId>, const MinuteFindings::Anomaly*> roots;
    std::set<model::ServiceId> slow;
    for (const auto& [id, anomaly] : findings.slow) slow.insert(id);
    for (const auto& [id, anomaly] : findings.fault_roots) {
      roots[{Category::kFault, id}] = &anomaly;
    }
    for (const auto& [id, anomaly] : findings.slow) {
      bool slow_callee = false;
      for (const auto& [caller, callee] : cell.edges) {
        if (caller == id && callee != id && slow.contains(callee)) slow_callee = true;
      }
      if (!slow_callee) roots[{Category::kResponseTime, id}] = &anomaly;
    }
    for (const auto& [key, anomaly] : roots) states_[key];
    for (auto& [key, state] : states_) {
      const auto& [category, service] = key;
      auto found = roots.find(key);
      const MinuteFindings::Anomaly* anomaly = found == roots.end() ? nullptr : found->second;
      RequestImpact client = cell.client;
      RequestImpact root = ServiceImpact(cell, service);
      if (anomaly != nullptr) {
        std::vector<model::ServiceId> top = TopServices(
            service, category == Category::kFault ? findings.segment_anomalous : slow, cell);
        double metric = category == Category::kFault ? 0 : anomaly->observed;
        if (!state.active) {
          if (state.streak == 0) {
            state.start_minute = minute;
            state.client = state.root = {};
            state.top.clear();
          }
          ++state.streak;
          state.client += client;
          state.root += root;
          Merge(top, &state.top);
          if (state.streak < options_.open_after_minutes) continue;
          state.active = true;
          state.calm = 0;
          state.last_anomalous = minute;
          state.pending_client = state.pending_root = {};
          if (category == Category::kFault) metric = FaultRatio(state.client);
          state.last_metric = metric;
          state.episode = Episode();
          state.episode.category = category;
          state.episode.root = service;
          state.episode.start_time = state.start_minute * kMinute;
          state.episode.events.push_back(
              MakeEvent(EventKind::kOpened, category, service, anomaly, minute, state));
        } else {
          state.client += state.pending_client;
          state.client += client;
          state.root += state.pending_root;
          state.root += root;
          state.pending_client = state.pending_root = {};
          state.calm = 0;
          state.last_anomalous = minute;
          bool grew = Merge(top, &state.top);
          if (category == Category::kFault) metric = FaultRatio(state.client);
          double change =
              std::fabs(metric - state.last_metric) / std::max(std::fabs(state.last_metric), 1e-9);
          if (grew || change > options_.update_change) {
            state.last_metric = metric;
            state.episode.events.push_back(
                MakeEvent(EventKind::kUpdated, category, service, anomaly, minute, state));
          }
        }
        state.episode.client = state.client;
        state.episode.root_impact = state.root;
        state.episode.top = state.top;
        continue;
      }
      if (!state.active) {
        state.streak = 0;
        continue;
      }
      state.pending_client += client;
      state.pending_root += root;
      if (++state.calm < options_.close_after_minutes) continue;
      state.episode.end_time = (state.last_anomalous + 1) * kMinute;
      state.episode.events.push_back(
          MakeEvent(EventKind::kClosed, category, service, nullptr, minute, state));
      episodes_.push_back(std::move(state.episode));
      state = KeyState();
    }
  }

  static double FaultRatio(const RequestImpact& impact) {
    return impact.total_count > 0
               ? static_cast<double>(impact.fault_count) / static_cast<double>(impact.total_count)
               : 0;
  }

  const EngineOptions& options_;
  std::map<model::ServiceId, ServiceTrack> tracks_;
  std::map<std::pair<Category, model::ServiceId>, KeyState> states_;
  std::vector<Episode> episodes_;
};

std::string InsightSummary(Category category, const model::ServiceId& root) {
  return category == Category::kFault
             ? fmt::format("Fault rate of {} is above the expected range", ServiceLabel(root))
             : fmt::format("Response time of {} is above the expected range", ServiceLabel(root));
}

}  // namespace

std::string_view CategoryName(Category category) {
  return category == Category::kFault ? "FAULT" : "RESPONSE_TIME";
}

std::string_view StateName(State state) { return state == State::kActive ? "ACTIVE" : "CLOSED"; }

RequestImpact& RequestImpact::operator+=(const RequestImpact& other) {
  fault_count += other.fault_count;
  ok_count += other.ok_count;
  total_count += other.total_count;
  return *this;
}

namespace {

// The members an insight and each of its events share: the impact statistics and the top
// anomalous services, as X-Ray writes them.
void WriteEventImpact(const Event& event, JsonWriter* out) {
  out->Key("ClientRequestImpactStatistics");
  internal::WriteImpact(event.client_impact, out);
  out->Key("RootCauseServiceRequestImpactStatistics");
  internal::WriteImpact(event.root_cause_impact, out);
  out->Key("TopAnomalousServices");
  out->BeginArray();
  for (const model::ServiceId& id : event.top_anomalous_services) {
    out->BeginObject();
    out->Key("ServiceId");
    model::WriteServiceIdJson(id, out);
    out->EndObject();
  }
  out->EndArray();
}

}  // namespace

std::string NotificationBody(const Insight& insight, const Event& event, std::string_view region) {
  JsonWriter out;
  out.BeginObject();
  out.Key("version");
  out.String("0");
  out.Key("id");
  out.String(fmt::format("{}-{}", insight.id, event.event_time));
  out.Key("detail-type");
  out.String("AWS X-Ray Insight Update");
  out.Key("source");
  out.String("aws.xray");
  out.Key("account");
  out.String(insight.tenant);
  out.Key("time");
  out.String(FormatTime(event.event_time));
  out.Key("region");
  out.String(region);
  out.Key("resources");
  out.BeginArray();
  out.String(insight.group_arn);
  out.EndArray();
  out.Key("detail");
  out.BeginObject();
  out.Key("InsightId");
  out.String(insight.id);
  out.Key("GroupName");
  out.String(insight.group_name);
  out.Key("GroupARN");
  out.String(insight.group_arn);
  // The state, end and impact as of the event (an insight found late notifies its past events).
  const bool closed = event.kind == EventKind::kClosed;
  out.Key("State");
  out.String(StateName(closed ? State::kClosed : State::kActive));
  out.Key("Categories");
  out.BeginArray();
  out.String(CategoryName(insight.category));
  out.EndArray();
  out.Key("Category");  // what the developer guide's sample rule filters on
  out.String(CategoryName(insight.category));
  out.Key("Summary");
  out.String(insight.summary);
  out.Key("StartTime");
  out.Int(insight.start_time);
  if (closed && insight.end_time) {
    out.Key("EndTime");
    out.Int(*insight.end_time);
  }
  out.Key("RootCauseServiceId");
  model::WriteServiceIdJson(insight.root_cause, &out);
  WriteEventImpact(event, &out);
  out.Key("Event");
  out.BeginObject();
  out.Key("Summary");
  out.String(event.summary);
  out.Key("EventTime");
  out.Int(event.event_time);
  WriteEventImpact(event, &out);
  out.EndObject();
  out.EndObject();
  out.EndObject();
  return out.Release();
}

class Engine::Impl {
 public:
  explicit Impl(EngineOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &Clock::Real()),
        rng_(std::random_device{}()) {
    if (options_.stats != nullptr) {
      opened_ = &options_.stats->GetCounter("roentgen_insights_opened_total",
                                            "Insights opened, by every category.");
      notifications_ = &options_.stats->GetCounter("roentgen_insights_notifications_total",
                                                   "Insight events handed to the notifier.");
      evaluations_ = &options_.stats->GetCounter("roentgen_insights_evaluations_total",
                                                 "Evaluations of the insights detector.");
    }
  }

  ~Impl() { Stop(); }

  int64_t HorizonStartMinute(int64_t now) const {
    return (now - options_.horizon.count()) / kMinute;
  }

  void OnSeal(const store::TraceRevision* previous, const store::TraceRevision& current) {
    int64_t oldest = HorizonStartMinute(clock_->NowUnixNanos() / 1'000'000'000);
    std::optional<Contribution> before;
    if (previous != nullptr) before = Contribute(*previous);
    Contribution after = Contribute(current);
    std::lock_guard lock(data_mu_);
    if (before && before->minute >= oldest) Fold(previous->tenant, previous->groups, *before, -1);
    if (after.minute >= oldest) Fold(current.tenant, current.groups, after, +1);
  }

  // REQUIRES: data_mu_ held.
  void Fold(const model::TenantId& tenant, std::span<const model::GroupMatch> matches,
            const Contribution& contribution, int sign) {
    auto& tenant_series = data_[tenant];
    auto apply = [&](uint32_t group_id) {
      Series& series = tenant_series[group_id];
      if (sign < 0) {
        auto it = series.find(contribution.minute);
        if (it != series.end()) Apply(contribution, sign, &it->second);
        return;
      }
      Apply(contribution, sign, &series[contribution.minute]);
    };
    apply(groups::kDefaultGroupId);
    for (const model::GroupMatch& match : matches) {
      if (match.group_id != groups::kDefaultGroupId) apply(match.group_id);
    }
  }

  Result<uint64_t> Rebuild(store::Store& store, const model::TenantId& tenant) {
    int64_t now = clock_->NowUnixNanos() / 1'000'000'000;
    store::ScanRequest request;
    request.range = {static_cast<double>(HorizonStartMinute(now) * kMinute), 1e12};
    request.kind = store::TimeRangeKind::kEvent;
    request.include_open = false;
    request.want_detail = true;
    uint64_t count = 0;
    int64_t oldest = HorizonStartMinute(now);
    RG_RETURN_IF_ERROR(store.ScanSummaries(tenant, request, [&](const store::SummaryRow& row) {
      if (row.detail == nullptr || row.summary == nullptr || row.is_open) return true;
      store::TraceRevision revision;
      revision.tenant = tenant;
      revision.summary = *row.summary;
      revision.detail = *row.detail;
      Contribution contribution = Contribute(revision);
      if (contribution.minute < oldest) return true;
      std::lock_guard lock(data_mu_);
      Fold(tenant, row.groups, contribution, +1);
      ++count;
      return true;
    }));
    return count;
  }

  // REQUIRES: state_mu_ held.
  Status EnsureLoaded(const model::TenantId& tenant) {
    if (loaded_.contains(tenant)) return Status();
    RG_ASSIGN_OR_RETURN(auto records, options_.catalog->List(kCatalogKind, tenant));
    auto& insights = insights_[tenant];
    for (const auto& [name, value] : records) {
      auto insight = internal::DecodeInsight(value);
      if (!insight.ok()) {
        RG_LOG(kWarning, "insights: skipping stored insight {}: {}", name,
               insight.error().ToString());
        continue;
      }
      insight->tenant = tenant;
      insights[insight->id] = std::move(insight).value();
    }
    loaded_.insert(tenant);
    return Status();
  }

  Status Persist(const Insight& insight) {
    return options_.catalog->Put(kCatalogKind, insight.tenant, insight.id,
                                 internal::EncodeInsight(insight));
  }

  Status EvaluateOnce(int64_t now) {
    std::lock_guard evaluation(eval_mu_);
    if (evaluations_ != nullptr) evaluations_->Add();
    int64_t last = (now - options_.settle.count()) / kMinute - 1;
    int64_t first_allowed = HorizonStartMinute(now);
    // The groups with insights, per tenant.
    std::shared_ptr<const groups::GroupSnapshot> snapshot;
    if (options_.groups != nullptr) snapshot = options_.groups->snapshot();
    std::set<model::TenantId> tenants;
    {
      std::lock_guard lock(data_mu_);
      for (auto& [tenant, per_group] : data_) {
        tenants.insert(tenant);
        for (auto& [group_id, series] : per_group) {
          series.erase(series.begin(), series.lower_bound(first_allowed));
        }
      }
    }
    {
      std::lock_guard lock(state_mu_);
      for (const auto& [tenant, insights] : insights_) tenants.insert(tenant);
    }
    Status first_error;
    std::vector<std::string> notifications;
    for (const model::TenantId& tenant : tenants) {
      std::vector<std::shared_ptr<const groups::Group>> enabled;
      if (snapshot != nullptr) {
        for (auto& group : snapshot->List(tenant)) {
          if (group->insights.insights_enabled) enabled.push_back(group);
        }
      }
      std::map<uint32_t, std::vector<Episode>> found;
      {
        std::lock_guard lock(data_mu_);
        auto tenant_it = data_.find(tenant);
        for (const auto& group : enabled) {
          std::vector<Episode>& episodes = found[group->id];
          if (tenant_it == data_.end()) continue;
          auto series_it = tenant_it->second.find(group->id);
          if (series_it == tenant_it->second.end() || series_it->second.empty()) continue;
          const Series& series = series_it->second;
          int64_t first = std::max(first_allowed, series.begin()->first);
          if (first > last) continue;
          episodes = Detector(options_).Run(series, first, last);
        }
      }
      std::lock_guard lock(state_mu_);
      Status loaded = EnsureLoaded(tenant);
      if (!loaded.ok()) {
        if (first_error.ok()) first_error = loaded;
        continue;
      }
      for (const auto& group : enabled) {
        Status status =
            Reconcile(tenant, *group, found[group->id], (last + 1) * kMinute, &notifications);
        if (!status.ok() && first_error.ok()) first_error = status;
      }
      // ACTIVE insights of groups that no longer have insights (or no longer exist) close.
      for (auto& entry : insights_[tenant]) {
        Insight& insight = entry.second;
        if (insight.state != State::kActive || insight.events.empty()) continue;
        bool still = std::any_of(enabled.begin(), enabled.end(),
                                 [&](const auto& group) { return group->id == insight.group_id; });
        if (still) continue;
        Event event = insight.events.back();
        event.kind = EventKind::kClosed;
        event.event_time = std::max(insight.last_update_time, (last + 1) * kMinute);
        event.summary = "Closed: insights are no longer enabled for the group";
        CloseInsight(&insight, std::move(event));
        Status status = Persist(insight);
        if (!status.ok() && first_error.ok()) first_error = status;
      }
    }
    if (options_.notify) {
      for (const std::string& body : notifications) {
        options_.notify(body);
        if (notifications_ != nullptr) notifications_->Add();
      }
    }
    return first_error;
  }

  static void CloseInsight(Insight* insight, Event event) {
    insight->state = State::kClosed;
    if (!insight->end_time) insight->end_time = insight->last_update_time;
    insight->last_update_time = event.event_time;
    insight->events.push_back(std::move(event));
  }

  // REQUIRES: state_mu_ held; the tenant loaded.
  Status Reconcile(const model::TenantId& tenant, const groups::Group& group,
                   std::vector<Episode>& episodes, int64_t evaluated_until,
                   std::vector<std::string>* notifications) {
    auto& insights = insights_[tenant];
    const bool notify = group.insights.notifications_enabled && options_.notify != nullptr;
    std::set<std::string> matched;
    Status first_error;
    auto queue = [&](const Insight& insight, size_t from_event) {
      if (!notify) return;
      for (size_t i = from_event; i < insight.events.size(); ++i) {
        notifications->push_back(NotificationBody(insight, insight.events[i], options_.region));
      }
    };
    constexpr int64_t kForever = std::numeric_limits<int64_t>::max();
    for (Episode& episode : episodes) {
      Insight* match = nullptr;
      for (auto& [id, insight] : insights) {
        if (matched.contains(id) || insight.group_id != group.id ||
            insight.category != episode.category || insight.root_cause != episode.root) {
          continue;
        }
        int64_t insight_end =
            insight.state == State::kActive ? kForever : insight.end_time.value_or(0);
        int64_t episode_end = episode.end_time.value_or(kForever);
        if (insight.start_time < episode_end && episode.start_time < insight_end) {
          match = &insight;
          break;
        }
      }
      if (match != nullptr) {
        matched.insert(match->id);
        if (match->state == State::kClosed) continue;
        size_t before = match->events.size();
        int64_t newest = match->events.back().event_time;
        for (Event& event : episode.events) {
          if (event.event_time > newest && event.kind != EventKind::kOpened) {
            match->events.push_back(std::move(event));
          }
        }
        Insight updated = *match;
        updated.client_impact = episode.client;
        updated.root_cause_impact = episode.root_impact;
        updated.top_anomalous_services = episode.top;
        if (episode.end_time && updated.events.back().kind == EventKind::kClosed) {
          updated.state = State::kClosed;
          updated.end_time = episode.end_time;
        }
        updated.last_update_time = updated.events.back().event_time;
        if (updated == *match && before == match->events.size()) continue;
        *match = std::move(updated);
        Status status = Persist(*match);
        if (!status.ok()) {
          if (first_error.ok()) first_error = status;
          continue;
        }
        queue(*match, before);
        continue;
      }
      Insight insight;
      insight.id = NewInsightId(rng_);
      insight.tenant = tenant;
      insight.group_id = group.id;
      insight.group_name = group.name;
      insight.group_arn = group.arn;
      insight.category = episode.category;
      insight.root_cause = episode.root;
      insight.start_time = episode.start_time;
      insight.summary = InsightSummary(episode.category, episode.root);
      insight.client_impact = episode.client;
      insight.root_cause_impact = episode.root_impact;
      insight.top_anomalous_services = episode.top;
      insight.events = std::move(episode.events);
      if (insight.events.empty()) continue;  // cannot happen: an episode starts with kOpened
      insight.last_update_time = insight.events.back().event_time;
      if (episode.end_time) {
        insight.state = State::kClosed;
        insight.end_time = episode.end_time;
      }
      Status status = Persist(insight);
      if (!status.ok()) {
        if (first_error.ok()) first_error = status;
        continue;
      }
      if (opened_ != nullptr) opened_->Add();
      RG_LOG(kInfo, "insights: {} insight {} on group {}: {}", CategoryName(insight.category),
             insight.id, insight.group_name, insight.events.front().summary);
      matched.insert(insight.id);
      queue(insight, 0);
      insights[insight.id] = std::move(insight);
    }
    // ACTIVE insights no episode explains any more (their minutes left the horizon, or the
    // traces are gone) close at the last evaluated minute.
    for (auto& [id, insight] : insights) {
      if (matched.contains(id) || insight.group_id != group.id || insight.state != State::kActive) {
        continue;
      }
      size_t before = insight.events.size();
      Event event = insight.events.back();
      event.kind = EventKind::kClosed;
      event.event_time = std::max(insight.last_update_time, evaluated_until);
      event.summary = "Closed: the anomaly is no longer observed";
      CloseInsight(&insight, std::move(event));
      Status status = Persist(insight);
      if (!status.ok()) {
        if (first_error.ok()) first_error = status;
        continue;
      }
      queue(insight, before);
    }
    return first_error;
  }

  void Start() {
    evaluator_.Start(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.evaluate_interval),
        [this] {
          Status status = EvaluateOnce(clock_->NowUnixNanos() / 1'000'000'000);
          if (!status.ok()) RG_LOG(kWarning, "insights: evaluation: {}", status.ToString());
        },
        PeriodicThread::FirstTick::kImmediately);
  }

  void Stop() { evaluator_.Stop(); }

  std::vector<Insight> List(const ListRequest& request) {
    std::lock_guard lock(state_mu_);
    std::vector<Insight> out;
    if (!EnsureLoaded(request.tenant).ok()) return out;
    for (const auto& [id, insight] : insights_[request.tenant]) {
      if (insight.group_id != request.group_id) continue;
      if (request.state && insight.state != *request.state) continue;
      int64_t end = insight.end_time.value_or(std::numeric_limits<int64_t>::max());
      if (insight.start_time >= request.end_time || end < request.start_time) continue;
      out.push_back(insight);
    }
    std::sort(out.begin(), out.end(), [](const Insight& a, const Insight& b) {
      return a.start_time != b.start_time ? a.start_time > b.start_time : a.id < b.id;
    });
    return out;
  }

  Result<Insight> Get(const model::TenantId& tenant, std::string_view id) {
    std::lock_guard lock(state_mu_);
    RG_RETURN_IF_ERROR(EnsureLoaded(tenant));
    auto& insights = insights_[tenant];
    auto it = insights.find(std::string(id));
    if (it == insights.end()) return NotFoundError(fmt::format("Insight not found: {}", id));
    return it->second;
  }

 private:
  // Immutable after construction.
  const EngineOptions options_;
  Clock* const clock_;
  Counter* opened_ = nullptr;
  Counter* notifications_ = nullptr;
  Counter* evaluations_ = nullptr;

  std::mutex eval_mu_;   // serializes evaluations; taken before the two below
  std::mt19937_64 rng_;  // guarded by eval_mu_

  std::mutex data_mu_;
  // Guarded by data_mu_: tenant -> group id -> minute cells.
  std::map<model::TenantId, std::map<uint32_t, Series>> data_;

  std::mutex state_mu_;
  // Guarded by state_mu_: tenant -> insight id -> insight; tenants read from the catalog.
  std::map<model::TenantId, std::map<std::string, Insight>> insights_;
  std::set<model::TenantId> loaded_;

  PeriodicThread evaluator_;
};

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Open(EngineOptions options, const model::TenantId& tenant) {
  if (options.catalog == nullptr) return InvalidArgumentError("insights: a catalog is required");
  if (options.open_after_minutes < 1 || options.close_after_minutes < 1 ||
      options.evaluate_interval.count() < 1 || options.horizon.count() < 3600) {
    return InvalidArgumentError("insights: bad detector options");
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(options)));
  // Read the tenant's stored insights now, so that a broken catalog fails at start.
  auto loaded = engine->Get(tenant, "");
  if (!loaded.ok() && loaded.error().code() != StatusCode::kNotFound) return loaded.error();
  return engine;
}

void Engine::OnSeal(const store::TraceRevision* previous, const store::TraceRevision& current) {
  impl_->OnSeal(previous, current);
}

Result<uint64_t> Engine::Rebuild(store::Store& store, const model::TenantId& tenant) {
  return impl_->Rebuild(store, tenant);
}

Status Engine::EvaluateOnce(int64_t now_unix_seconds) {
  return impl_->EvaluateOnce(now_unix_seconds);
}

void Engine::Start() { impl_->Start(); }
void Engine::Stop() { impl_->Stop(); }

std::vector<Insight> Engine::List(const ListRequest& request) { return impl_->List(request); }

Result<Insight> Engine::Get(const model::TenantId& tenant, std::string_view id) {
  return impl_->Get(tenant, id);
}

}  // namespace roentgen::insights
