// SPDX-License-Identifier: Apache-2.0
// The service-map aggregates: per tenant, per group, per tier (1 min, 5 min, 1 h) buckets of
// node and edge cells, folded from sealed trace revisions (docs/service_map.md).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include "base/status_macros.h"
#include "graph/graph.h"
#include "graph/internal/cells.h"

namespace roentgen::graph {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::array<int64_t, 3> kTierSeconds = {60, 300, 3600};
constexpr uint32_t kDefaultGroup = 0;

struct Bounds {
  double min = kInf;
  double max = -kInf;
  void Widen(double start, double end) {
    min = std::min(min, start);
    max = std::max(max, end);
  }
  void Widen(const Bounds& other) {
    min = std::min(min, other.min);
    max = std::max(max, other.max);
  }
  bool empty() const { return min > max; }
};

struct NodeCell {
  int64_t contributions = 0;  // segments and edge calls touching the node
  int64_t roots = 0;
  int64_t active = 0;
  Statistics statistics;
  internal::Histogram response;
  internal::Histogram duration;
  Bounds segments;  // the node's own segments
  Bounds calls;     // edge calls (used when it has no segment in the window, e.g. clients)
};

struct EdgeCell {
  int64_t contributions = 0;
  Statistics statistics;
  internal::Histogram response;
  Bounds calls;
};

uint64_t EdgeKey(uint32_t caller, uint32_t callee) {
  return (static_cast<uint64_t>(caller) << 32) | callee;
}

struct Bucket {
  std::unordered_map<uint32_t, NodeCell> nodes;
  std::unordered_map<uint64_t, EdgeCell> edges;
  std::map<uint32_t, int64_t> versions;  // group filter version → traces (groups only)
  bool empty() const { return nodes.empty() && edges.empty() && versions.empty(); }
};

using Tier = std::map<int64_t, Bucket>;  // bucket start (seconds) → bucket

struct GroupState {
  std::array<Tier, 3> tiers;
};

struct TenantState {
  std::map<model::ServiceId, uint32_t> ids;
  std::vector<model::ServiceId> by_ref;
  std::unordered_map<uint32_t, GroupState> groups;
};

int64_t FloorTo(double t, int64_t step) {
  return static_cast<int64_t>(std::floor(t / static_cast<double>(step))) * step;
}
int64_t CeilTo(double t, int64_t step) {
  return static_cast<int64_t>(std::ceil(t / static_cast<double>(step))) * step;
}

struct MergedNode {
  int64_t contributions = 0;
  int64_t roots = 0;
  int64_t active = 0;
  Statistics statistics;
  internal::DenseHistogram response;
  internal::DenseHistogram duration;
  Bounds segments;
  Bounds calls;
};

struct MergedEdge {
  Statistics statistics;
  internal::DenseHistogram response;
  Bounds calls;
};

// The merged cells of a window.
struct Merged {
  std::map<uint32_t, MergedNode> nodes;
  std::map<uint64_t, MergedEdge> edges;
  std::set<uint32_t> versions;
};

void MergeBucket(const Bucket& bucket, Merged* into) {
  for (const auto& [ref, cell] : bucket.nodes) {
    MergedNode& out = into->nodes[ref];
    out.contributions += cell.contributions;
    out.roots += cell.roots;
    out.active += cell.active;
    out.statistics += cell.statistics;
    internal::MergeHistogram(cell.response, &out.response);
    internal::MergeHistogram(cell.duration, &out.duration);
    out.segments.Widen(cell.segments);
    out.calls.Widen(cell.calls);
  }
  for (const auto& [key, cell] : bucket.edges) {
    MergedEdge& out = into->edges[key];
    out.statistics += cell.statistics;
    internal::MergeHistogram(cell.response, &out.response);
    out.calls.Widen(cell.calls);
  }
  for (const auto& [version, count] : bucket.versions) {
    if (count > 0) into->versions.insert(version);
  }
}

}  // namespace

class Aggregator::Impl {
 public:
  explicit Impl(AggregatorOptions options)
      : options_(options), clock_(options.clock ? options.clock : &Clock::Real()) {
    std::random_device device;
    generation_ = (static_cast<uint64_t>(device()) << 32) | device();
    horizons_ = {options_.minute_horizon.count(), options_.five_minute_horizon.count(),
                 options_.retention.count()};
    if (options_.stats != nullptr) {
      folded_counter_ = &options_.stats->GetCounter(
          "roentgen_graph_revisions_total",
          "Trace revisions folded into the service-map aggregates (added or subtracted).");
      dropped_counter_ = &options_.stats->GetCounter(
          "roentgen_graph_dropped_nodes_total",
          "Service-map node contributions dropped at the per-tenant node limit.");
    }
  }

  // Replaces `previous` (if any) by `current` atomically: a query sees one or the other.
  void Replace(const store::TraceRevision* previous, const store::TraceRevision& current) {
    std::lock_guard lock(mu_);
    if (previous != nullptr) {
      FoldLocked(previous->tenant, previous->detail, previous->groups, -1);
    }
    FoldLocked(current.tenant, current.detail, current.groups, +1);
  }

  void Fold(const model::TenantId& tenant, const model::TraceDetail& detail,
            std::span<const model::GroupMatch> groups, int64_t sign) {
    std::lock_guard lock(mu_);
    FoldLocked(tenant, detail, groups, sign);
  }

  // REQUIRES: mu_ held.
  void FoldLocked(const model::TenantId& tenant, const model::TraceDetail& detail,
                  std::span<const model::GroupMatch> groups, int64_t sign) {
    MaybeExpire();
    if (folded_counter_ != nullptr) folded_counter_->Add();
    TenantState& state = tenants_[tenant];
    std::vector<uint32_t> refs = Intern(state, detail, sign > 0);
    double now = clock_->NowUnixSeconds();
    std::vector<std::pair<uint32_t, uint32_t>> targets;  // (group id, version)
    targets.emplace_back(kDefaultGroup, 0);
    for (const model::GroupMatch& match : groups) {
      if (match.group_id != kDefaultGroup) targets.emplace_back(match.group_id, match.version);
    }
    for (const auto& [group_id, version] : targets) {
      GroupState& group = state.groups[group_id];
      for (size_t tier = 0; tier < kTierSeconds.size(); ++tier) {
        FoldTier(detail, refs, group_id != kDefaultGroup, version, sign, now, tier,
                 &group.tiers[tier]);
      }
    }
  }

  ServiceGraph GetServiceGraph(const ServiceGraphRequest& request) const {
    std::lock_guard lock(mu_);
    ServiceGraph graph;
    int64_t start = 0;
    int64_t end = 0;
    Merged merged;
    const TenantState* state = FindTenant(request.tenant);
    MergeWindow(state, request.group, request.start_time, request.end_time, &merged, &start, &end);
    graph.start_time = start;
    graph.end_time = end;
    graph.contains_old_group_versions = HasOldVersions(request.group, merged.versions);
    if (state == nullptr) return graph;
    auto clamp_floor = [&](double t) {
      return std::clamp<int64_t>(static_cast<int64_t>(std::floor(t)), start, end);
    };
    auto clamp_ceil = [&](double t) {
      return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(t)), start, end);
    };
    size_t max_nodes = std::max<size_t>(1, request.max_nodes);
    auto first = merged.nodes.lower_bound(request.first_reference_id);
    for (auto it = first; it != merged.nodes.end(); ++it) {
      if (graph.nodes.size() == max_nodes) {
        graph.next_reference_id = it->first;
        break;
      }
      const auto& [ref, cell] = *it;
      GraphNode node;
      node.reference_id = ref;
      node.id = state->by_ref[ref];
      node.client = internal::IsClientType(node.id.type);
      node.root = cell.roots > 0;
      node.active = cell.active > 0;
      const Bounds& bounds = cell.segments.empty() ? cell.calls : cell.segments;
      if (!bounds.empty()) {
        node.start_time = clamp_floor(bounds.min);
        node.end_time = clamp_ceil(bounds.max);
      }
      if (!node.client) {
        node.statistics = cell.statistics;
        node.response_time_histogram = internal::ToEntries(cell.response);
        node.duration_histogram = internal::ToEntries(cell.duration);
      }
      for (auto edge_it = merged.edges.lower_bound(EdgeKey(ref, 0));
           edge_it != merged.edges.end() && (edge_it->first >> 32) == ref; ++edge_it) {
        const MergedEdge& edge_cell = edge_it->second;
        GraphEdge edge;
        edge.reference_id = static_cast<uint32_t>(edge_it->first & 0xffffffffu);
        if (!edge_cell.calls.empty()) {
          edge.start_time = clamp_floor(edge_cell.calls.min);
          edge.end_time = clamp_ceil(edge_cell.calls.max);
        }
        edge.statistics = edge_cell.statistics;
        edge.response_time_histogram = internal::ToEntries(edge_cell.response);
        node.edges.push_back(std::move(edge));
      }
      graph.nodes.push_back(std::move(node));
    }
    return graph;
  }

  Result<TimeSeries> GetTimeSeries(const TimeSeriesRequest& request) const {
    size_t tier = 0;
    for (; tier < kTierSeconds.size(); ++tier) {
      if (kTierSeconds[tier] == request.period_seconds) break;
    }
    if (tier == kTierSeconds.size()) {
      return InvalidArgumentError("Period must be 60, 300 or 3600 seconds");
    }
    std::lock_guard lock(mu_);
    double now = clock_->NowUnixSeconds();
    int64_t period = kTierSeconds[tier];
    int64_t start = FloorTo(request.start_time, period);
    int64_t end = CeilTo(request.end_time, period);
    if (static_cast<double>(start) < now - static_cast<double>(horizons_[tier])) {
      return InvalidArgumentError("Period " + std::to_string(period) +
                                  " is only kept for the last " + std::to_string(horizons_[tier]) +
                                  " seconds; use a longer period");
    }
    TimeSeries series;
    series.edge_statistics = request.selector.kind != EntitySelector::Kind::kService;
    const TenantState* state = FindTenant(request.tenant);
    if (state == nullptr) return series;
    uint32_t group_id = request.group.group_id.value_or(kDefaultGroup);
    auto group_it = state->groups.find(group_id);
    if (group_it == state->groups.end()) return series;
    const Tier& buckets = group_it->second.tiers[tier];
    // Which nodes the selector names (by reference id).
    std::vector<char> matches_node(state->by_ref.size(), 0);
    std::vector<char> matches_caller(state->by_ref.size(), 0);
    std::vector<char> matches_callee(state->by_ref.size(), 0);
    for (size_t ref = 0; ref < state->by_ref.size(); ++ref) {
      const model::ServiceId& id = state->by_ref[ref];
      switch (request.selector.kind) {
        case EntitySelector::Kind::kService:
          matches_node[ref] = request.selector.node.Matches(id);
          break;
        case EntitySelector::Kind::kEdge:
          matches_caller[ref] = request.selector.caller.Matches(id);
          matches_callee[ref] = request.selector.callee.Matches(id);
          break;
        case EntitySelector::Kind::kNone:
          matches_caller[ref] = internal::IsClientType(id.type);
          matches_callee[ref] = 1;
          break;
      }
    }
    auto sum_bucket = [&](const Bucket& bucket, Statistics* stats, internal::DenseHistogram* hist) {
      bool any = false;
      if (request.selector.kind == EntitySelector::Kind::kService) {
        for (const auto& [ref, cell] : bucket.nodes) {
          if (!matches_node[ref]) continue;
          any = true;
          *stats += cell.statistics;
          if (hist) internal::MergeHistogram(cell.response, hist);
        }
      } else {
        for (const auto& [key, cell] : bucket.edges) {
          if (!matches_caller[key >> 32] || !matches_callee[key & 0xffffffffu]) continue;
          any = true;
          *stats += cell.statistics;
          if (hist) internal::MergeHistogram(cell.response, hist);
        }
      }
      return any;
    };
    std::optional<FaultBaseline> baseline;
    if (request.forecast) {
      // History: the hour before the first bucket, from the same tier.
      Statistics history;
      for (auto it = buckets.lower_bound(start - 3600); it != buckets.end() && it->first < start;
           ++it) {
        sum_bucket(it->second, &history, nullptr);
      }
      baseline.emplace(history.fault_count, history.total_count(), period);
    }
    std::set<uint32_t> versions;
    for (auto it = buckets.lower_bound(start); it != buckets.end() && it->first < end; ++it) {
      for (const auto& [version, count] : it->second.versions) {
        if (count > 0) versions.insert(version);
      }
      TimeSeriesPoint point;
      point.timestamp = it->first;
      internal::DenseHistogram histogram;
      if (!sum_bucket(it->second, &point.statistics, &histogram)) continue;
      point.response_time_histogram = internal::ToEntries(histogram);
      if (baseline) {
        point.forecast =
            baseline->Next(point.statistics.fault_count, point.statistics.total_count());
      }
      series.points.push_back(std::move(point));
    }
    series.contains_old_group_versions = HasOldVersions(request.group, versions);
    return series;
  }

  uint64_t generation() const { return generation_; }

  AggregatorStats Stats() const {
    std::lock_guard lock(mu_);
    AggregatorStats stats;
    stats.dropped = dropped_;
    for (const auto& [tenant, state] : tenants_) {
      stats.nodes += state.by_ref.size();
      for (const auto& [group_id, group] : state.groups) {
        for (const Tier& tier : group.tiers) {
          stats.buckets += tier.size();
          for (const auto& [start, bucket] : tier) {
            stats.cells += bucket.nodes.size() + bucket.edges.size();
            for (const auto& [ref, cell] : bucket.nodes) {
              stats.histogram_entries += cell.response.size() + cell.duration.size();
            }
            for (const auto& [key, cell] : bucket.edges) {
              stats.histogram_entries += cell.response.size();
            }
          }
        }
      }
    }
    return stats;
  }

 private:
  const TenantState* FindTenant(const model::TenantId& tenant) const {
    auto it = tenants_.find(tenant);
    return it == tenants_.end() ? nullptr : &it->second;
  }

  // Reference ids of detail.nodes; UINT32_MAX for a node past the limit (or unknown when
  // removing).
  std::vector<uint32_t> Intern(TenantState& state, const model::TraceDetail& detail, bool create) {
    std::vector<uint32_t> refs;
    refs.reserve(detail.nodes.size());
    for (const model::ServiceNode& node : detail.nodes) {
      auto it = state.ids.find(node.id);
      if (it != state.ids.end()) {
        refs.push_back(it->second);
      } else if (create && state.ids.size() < options_.max_nodes_per_tenant) {
        uint32_t ref = static_cast<uint32_t>(state.by_ref.size());
        state.ids.emplace(node.id, ref);
        state.by_ref.push_back(node.id);
        refs.push_back(ref);
      } else {
        if (create) {
          ++dropped_;
          if (dropped_counter_ != nullptr) dropped_counter_->Add();
        }
        refs.push_back(std::numeric_limits<uint32_t>::max());
      }
    }
    return refs;
  }

  // The bucket at `start` of a tier for a contribution of `sign`: created for additions
  // inside the tier's horizon; null when a removal finds nothing (it expired) or an addition
  // is too old for the tier.
  Bucket* BucketFor(Tier* tier, size_t tier_index, int64_t start, int64_t sign, double now) {
    if (sign > 0) {
      if (static_cast<double>(start + kTierSeconds[tier_index]) <
          now - static_cast<double>(horizons_[tier_index])) {
        return nullptr;
      }
      return &(*tier)[start];
    }
    auto it = tier->find(start);
    return it == tier->end() ? nullptr : &it->second;
  }

  template <typename Cell, typename Map, typename Key>
  static Cell* CellFor(Map& cells, Key key, int64_t sign) {
    if (sign > 0) return &cells[key];
    auto it = cells.find(key);
    return it == cells.end() ? nullptr : &it->second;
  }

  static void EraseEmpty(Tier* tier, int64_t start) {
    auto it = tier->find(start);
    if (it != tier->end() && it->second.empty()) tier->erase(it);
  }

  void FoldTier(const model::TraceDetail& detail, const std::vector<uint32_t>& refs, bool is_group,
                uint32_t version, int64_t sign, double now, size_t tier_index, Tier* tier) {
    const int64_t step = kTierSeconds[tier_index];
    auto histogram_index = [tier_index](double seconds) {
      uint16_t index = internal::HistogramIndex(seconds);
      return tier_index == 0 ? index : internal::CoarseHistogramIndex(index);
    };
    std::set<int64_t> touched;
    auto node_cell = [&](uint32_t ref, double time, int64_t* bucket_start) -> NodeCell* {
      *bucket_start = FloorTo(time, step);
      Bucket* bucket = BucketFor(tier, tier_index, *bucket_start, sign, now);
      if (bucket == nullptr) return nullptr;
      touched.insert(*bucket_start);
      NodeCell* cell = CellFor<NodeCell>(bucket->nodes, ref, sign);
      if (cell == nullptr) return nullptr;
      return cell;
    };
    auto finish_node = [&](uint32_t ref, int64_t bucket_start, NodeCell* cell) {
      if (cell->contributions == 0) {
        auto& nodes = (*tier)[bucket_start].nodes;
        nodes.erase(ref);
      }
    };
    for (size_t i = 0; i < detail.nodes.size(); ++i) {
      uint32_t ref = refs[i];
      if (ref == std::numeric_limits<uint32_t>::max()) continue;
      const model::ServiceNode& node = detail.nodes[i];
      bool active = node.kind == model::NodeKind::kActive;
      for (const model::NodeSegment& segment : node.segments) {
        double time = segment.end_time.value_or(segment.start_time);
        int64_t bucket_start = 0;
        NodeCell* cell = node_cell(ref, time, &bucket_start);
        if (cell == nullptr) continue;
        cell->contributions += sign;
        cell->roots += segment.root ? sign : 0;
        cell->active += active ? sign : 0;
        if (sign > 0) cell->segments.Widen(segment.start_time, time);
        if (segment.end_time && segment.response_time) {
          internal::AddCall(segment.error, segment.fault, segment.throttle, *segment.response_time,
                            sign, &cell->statistics);
          internal::AddHistogram(histogram_index(*segment.response_time), sign, &cell->response);
          internal::AddHistogram(histogram_index(segment.duration.value_or(*segment.response_time)),
                                 sign, &cell->duration);
        }
        finish_node(ref, bucket_start, cell);
      }
    }
    for (const model::ServiceEdge& service_edge : detail.edges) {
      if (service_edge.caller >= refs.size() || service_edge.callee >= refs.size()) continue;
      uint32_t caller = refs[service_edge.caller];
      uint32_t callee = refs[service_edge.callee];
      if (caller == std::numeric_limits<uint32_t>::max() ||
          callee == std::numeric_limits<uint32_t>::max()) {
        continue;
      }
      bool caller_active = detail.nodes[service_edge.caller].kind == model::NodeKind::kActive;
      bool callee_active = detail.nodes[service_edge.callee].kind == model::NodeKind::kActive;
      for (const model::EdgeCall& call : service_edge.calls) {
        double time = call.end_time.value_or(call.start_time);
        int64_t bucket_start = FloorTo(time, step);
        Bucket* bucket = BucketFor(tier, tier_index, bucket_start, sign, now);
        if (bucket == nullptr) continue;
        touched.insert(bucket_start);
        // Presence of both ends, so that an edge never points at a node missing from the
        // window.
        for (auto [ref, active] : {std::pair{caller, caller_active}, {callee, callee_active}}) {
          NodeCell* cell = CellFor<NodeCell>(bucket->nodes, ref, sign);
          if (cell == nullptr) continue;
          cell->contributions += sign;
          cell->active += active ? sign : 0;
          if (sign > 0) cell->calls.Widen(call.start_time, time);
          if (cell->contributions == 0) bucket->nodes.erase(ref);
        }
        uint64_t key = EdgeKey(caller, callee);
        EdgeCell* cell = CellFor<EdgeCell>(bucket->edges, key, sign);
        if (cell == nullptr) continue;
        cell->contributions += sign;
        if (sign > 0) cell->calls.Widen(call.start_time, time);
        if (call.end_time && call.response_time) {
          internal::AddCall(call.error, call.fault, call.throttle, *call.response_time, sign,
                            &cell->statistics);
          internal::AddHistogram(histogram_index(*call.response_time), sign, &cell->response);
        }
        if (cell->contributions == 0) bucket->edges.erase(key);
      }
    }
    for (int64_t bucket_start : touched) {
      if (is_group) {
        auto it = tier->find(bucket_start);
        if (it != tier->end()) {
          int64_t& count = it->second.versions[version];
          count += sign;
          if (count == 0) it->second.versions.erase(version);
        }
      }
      EraseEmpty(tier, bucket_start);
    }
  }

  // Drops buckets past their tier's horizon, at most once a minute.
  void MaybeExpire() {
    double now = clock_->NowUnixSeconds();
    if (now - last_expiry_ < 60) return;
    last_expiry_ = now;
    for (auto& [tenant, state] : tenants_) {
      for (auto& [group_id, group] : state.groups) {
        for (size_t tier = 0; tier < kTierSeconds.size(); ++tier) {
          int64_t cutoff = FloorTo(now - static_cast<double>(horizons_[tier]), kTierSeconds[tier]) -
                           kTierSeconds[tier];
          auto& buckets = group.tiers[tier];
          buckets.erase(buckets.begin(), buckets.lower_bound(cutoff));
        }
      }
    }
  }

  // Merges the buckets covering [start_time, end_time), rounded outwards to the finest tier
  // that still holds the window's start, largest buckets first where they fit.
  void MergeWindow(const TenantState* state, const GroupSelection& selection, double start_time,
                   double end_time, Merged* merged, int64_t* start, int64_t* end) const {
    double now = clock_->NowUnixSeconds();
    size_t finest = 0;
    while (finest + 1 < kTierSeconds.size() &&
           start_time < now - static_cast<double>(horizons_[finest])) {
      ++finest;
    }
    int64_t step = kTierSeconds[finest];
    *start = FloorTo(start_time, step);
    *end = std::max(*start + step, CeilTo(end_time, step));
    if (state == nullptr) return;
    auto group_it = state->groups.find(selection.group_id.value_or(kDefaultGroup));
    if (group_it == state->groups.end()) return;
    const GroupState& group = group_it->second;
    for (int64_t t = *start; t < *end;) {
      size_t tier = kTierSeconds.size() - 1;
      while (tier > finest && (t % kTierSeconds[tier] != 0 || t + kTierSeconds[tier] > *end)) {
        --tier;
      }
      auto it = group.tiers[tier].find(t);
      if (it != group.tiers[tier].end()) MergeBucket(it->second, merged);
      t += kTierSeconds[tier];
    }
  }

  static bool HasOldVersions(const GroupSelection& selection, const std::set<uint32_t>& versions) {
    if (selection.group_id.value_or(kDefaultGroup) == kDefaultGroup) return false;
    if (!selection.current_version) return versions.size() > 1;
    for (uint32_t version : versions) {
      if (version != *selection.current_version) return true;
    }
    return false;
  }

  AggregatorOptions options_;
  Clock* clock_;
  uint64_t generation_ = 0;
  std::array<int64_t, 3> horizons_{};
  mutable std::mutex mu_;
  std::map<model::TenantId, TenantState> tenants_;
  uint64_t dropped_ = 0;
  Counter* folded_counter_ = nullptr;
  Counter* dropped_counter_ = nullptr;
  double last_expiry_ = -kInf;
};

Aggregator::Aggregator(AggregatorOptions options) : impl_(std::make_unique<Impl>(options)) {}
Aggregator::~Aggregator() = default;

void Aggregator::OnSeal(const store::TraceRevision* previous, const store::TraceRevision& current) {
  impl_->Replace(previous, current);
}

Result<uint64_t> Aggregator::Rebuild(store::Store& store, const model::TenantId& tenant) {
  store::ScanRequest request;
  request.range = {0, 1e12};
  request.kind = store::TimeRangeKind::kEvent;
  request.include_open = false;
  request.want_detail = true;
  uint64_t count = 0;
  RG_RETURN_IF_ERROR(store.ScanSummaries(tenant, request, [&](const store::SummaryRow& row) {
    if (row.detail != nullptr && !row.is_open) {
      impl_->Fold(tenant, *row.detail, row.groups, +1);
      ++count;
    }
    return true;
  }));
  return count;
}

ServiceGraph Aggregator::GetServiceGraph(const ServiceGraphRequest& request) const {
  return impl_->GetServiceGraph(request);
}

Result<TimeSeries> Aggregator::GetTimeSeries(const TimeSeriesRequest& request) const {
  return impl_->GetTimeSeries(request);
}

uint64_t Aggregator::generation() const { return impl_->generation(); }

AggregatorStats Aggregator::Stats() const { return impl_->Stats(); }

}  // namespace roentgen::graph
