// SPDX-License-Identifier: Apache-2.0
// TraceMetricsPublisher: per-minute service and group metrics from every first seal.

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include "analysis/analysis.h"
#include "analysis/internal/rounding.h"
#include "base/logging.h"
#include "base/periodic_thread.h"

namespace roentgen::analysis {
namespace {

// PutMetricData's limits, which the sink may enforce.
constexpr size_t kMaxDatumsPerPut = 1000;
constexpr size_t kMaxValuesPerDatum = 150;

struct CellKey {
  model::TenantId tenant;
  int64_t minute = 0;  // seconds since the epoch, a multiple of 60
  std::string_view name_space;
  std::string_view metric;
  std::vector<metrics::Dimension> dimensions;  // in a fixed order per metric family

  auto Tie() const { return std::tie(tenant, minute, name_space, metric, dimensions_key); }
  std::string dimensions_key;  // dimensions joined, for ordering
  bool operator<(const CellKey& other) const { return Tie() < other.Tie(); }
};

struct Cell {
  bool distribution = false;  // values (ResponseTime) rather than a count
  double count = 0;
  std::map<double, double> values;  // rounded value -> occurrences
};

std::string DimensionsKey(const std::vector<metrics::Dimension>& dimensions) {
  std::string key;
  for (const auto& dimension : dimensions) {
    key += dimension.name;
    key += '\x1f';
    key += dimension.value;
    key += '\x1e';
  }
  return key;
}

}  // namespace

struct TraceMetricsPublisher::Impl {
  Impl(TraceMetricsOptions o, MetricSink s) : options(std::move(o)), sink(std::move(s)) {
    if (options.clock == nullptr) options.clock = &Clock::Real();
  }

  // Adds to the cell; false when the cell would exceed max_pending_cells. REQUIRES: mutex held.
  bool Add(const model::TenantId& tenant, int64_t minute, std::string_view name_space,
           std::string_view metric, std::vector<metrics::Dimension> dimensions,
           std::optional<double> value) {
    CellKey key{tenant, minute, name_space, metric, std::move(dimensions), {}};
    key.dimensions_key = DimensionsKey(key.dimensions);
    auto it = cells.find(key);
    if (it == cells.end()) {
      if (cells.size() >= options.max_pending_cells) {
        ++stats.dropped;
        return false;
      }
      it = cells.emplace(std::move(key), Cell{}).first;
    }
    if (value) {
      it->second.distribution = true;
      it->second.values[internal::RoundResponseTime(*value)] += 1;
    } else {
      it->second.count += 1;
    }
    return true;
  }

  // Ensures a count cell exists (so that zero counts are published beside non-zero ones).
  void Touch(const model::TenantId& tenant, int64_t minute, std::string_view name_space,
             std::string_view metric, std::vector<metrics::Dimension> dimensions) {
    CellKey key{tenant, minute, name_space, metric, std::move(dimensions), {}};
    key.dimensions_key = DimensionsKey(key.dimensions);
    if (cells.count(key) == 0 && cells.size() < options.max_pending_cells) {
      cells.emplace(std::move(key), Cell{});
    }
  }

  void CountTrace(const store::TraceRevision& trace, const std::string& group, int64_t minute) {
    const model::TraceSummary& summary = trace.summary;
    std::vector<metrics::Dimension> by_group{{"GroupName", group}};
    const model::TenantId& tenant = trace.tenant;
    Add(tenant, minute, kXRayNamespace, "ApproximateTraceCount", by_group, std::nullopt);
    Add(tenant, minute, kTraceMetricsNamespace, "TraceCount", by_group, std::nullopt);
    bool ok = !summary.has_error && !summary.has_fault && !summary.has_throttle;
    for (auto [metric, counted] : {std::pair<std::string_view, bool>{"OkTraceCount", ok},
                                   {"ErrorTraceCount", summary.has_error},
                                   {"FaultTraceCount", summary.has_fault},
                                   {"ThrottleTraceCount", summary.has_throttle}}) {
      if (counted) {
        Add(tenant, minute, kTraceMetricsNamespace, metric, by_group, std::nullopt);
      } else {
        Touch(tenant, minute, kTraceMetricsNamespace, metric, by_group);
      }
    }
    if (summary.response_time) {
      Add(tenant, minute, kTraceMetricsNamespace, "ResponseTime", by_group, summary.response_time);
    }
    for (const model::ServiceNode& node : trace.detail.nodes) {
      if (node.kind == model::NodeKind::kClient) continue;
      std::vector<metrics::Dimension> by_service{
          {"GroupName", group}, {"ServiceName", node.id.name}, {"ServiceType", node.id.type}};
      for (const model::NodeSegment& segment : node.segments) {
        if (segment.in_progress || !segment.end_time) continue;
        int64_t segment_minute = static_cast<int64_t>(std::floor(*segment.end_time / 60.0)) * 60;
        bool fault = segment.fault;
        bool error = !fault && (segment.error || segment.throttle);
        bool throttle = !fault && segment.throttle;
        Add(tenant, segment_minute, kTraceMetricsNamespace, "RequestCount", by_service,
            std::nullopt);
        for (auto [metric, counted] :
             {std::pair<std::string_view, bool>{"OkCount", !fault && !error},
              {"ErrorCount", error},
              {"FaultCount", fault},
              {"ThrottleCount", throttle}}) {
          if (counted) {
            Add(tenant, segment_minute, kTraceMetricsNamespace, metric, by_service, std::nullopt);
          } else {
            Touch(tenant, segment_minute, kTraceMetricsNamespace, metric, by_service);
          }
        }
        if (segment.response_time) {
          Add(tenant, segment_minute, kTraceMetricsNamespace, "ResponseTime", by_service,
              segment.response_time);
        }
      }
    }
  }

  static void AppendDatums(const CellKey& key, const Cell& cell,
                           std::vector<metrics::MetricDatum>* out) {
    metrics::MetricDatum datum;
    datum.namespace_name = std::string(key.name_space);
    datum.metric_name = std::string(key.metric);
    datum.dimensions = key.dimensions;
    datum.timestamp = static_cast<double>(key.minute);
    datum.storage_resolution = 60;
    if (!cell.distribution) {
      datum.value = cell.count;
      datum.unit = "Count";
      out->push_back(std::move(datum));
      return;
    }
    datum.unit = "Seconds";
    for (const auto& [value, occurrences] : cell.values) {
      datum.values.push_back(value);
      datum.counts.push_back(occurrences);
      if (datum.values.size() == kMaxValuesPerDatum) {
        out->push_back(datum);
        datum.values.clear();
        datum.counts.clear();
      }
    }
    if (!datum.values.empty()) out->push_back(std::move(datum));
  }

  Status Flush() {
    std::map<CellKey, Cell> taken;
    std::map<model::TenantId, uint64_t> scanned;
    {
      std::lock_guard lock(mutex);
      taken.swap(cells);
      scanned.swap(traces_scanned);
    }
    int64_t minute = static_cast<int64_t>(std::floor(options.clock->NowUnixSeconds() / 60)) * 60;
    std::map<model::TenantId, std::vector<metrics::MetricDatum>> by_tenant;
    for (const auto& [tenant, count] : scanned) {
      metrics::MetricDatum datum;
      datum.namespace_name = std::string(kXRayNamespace);
      datum.metric_name = "TracesScanned";
      datum.timestamp = static_cast<double>(minute);
      datum.value = static_cast<double>(count);
      datum.unit = "Count";
      by_tenant[tenant].push_back(std::move(datum));
    }
    for (const auto& [key, cell] : taken) AppendDatums(key, cell, &by_tenant[key.tenant]);
    Status first_error;
    for (auto& [tenant, datums] : by_tenant) {
      for (size_t begin = 0; begin < datums.size(); begin += kMaxDatumsPerPut) {
        size_t end = std::min(datums.size(), begin + kMaxDatumsPerPut);
        std::span<const metrics::MetricDatum> batch(datums.data() + begin, end - begin);
        Status status = sink(tenant, batch);
        std::lock_guard lock(mutex);
        if (status.ok()) {
          stats.datums_sent += batch.size();
        } else {
          ++stats.sink_failures;
          RG_LOG(kWarning, "trace metrics: publishing {} datums failed: {}", batch.size(),
                 status.message());
          if (first_error.ok()) first_error = status;
        }
      }
    }
    return first_error;
  }

  TraceMetricsOptions options;
  MetricSink sink;
  mutable std::mutex mutex;
  std::map<CellKey, Cell> cells;                       // guarded by mutex
  std::map<model::TenantId, uint64_t> traces_scanned;  // guarded by mutex
  TraceMetricsStats stats;                             // guarded by mutex
  PeriodicThread flusher;
};

TraceMetricsPublisher::TraceMetricsPublisher(TraceMetricsOptions options, MetricSink sink)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(sink))) {}

TraceMetricsPublisher::~TraceMetricsPublisher() { impl_->flusher.Stop(); }

void TraceMetricsPublisher::OnSeal(const store::TraceRevision* previous,
                                   const store::TraceRevision& current) {
  if (previous != nullptr) return;  // counted at its first seal
  double now = impl_->options.clock->NowUnixSeconds();
  const model::TraceSummary& summary = current.summary;
  std::vector<std::string> group_names{"Default"};
  if (impl_->options.group_name) {
    for (const model::GroupMatch& match : current.groups) {
      if (match.group_id == 0) continue;
      if (auto name = impl_->options.group_name(current.tenant, match.group_id)) {
        group_names.push_back(std::move(*name));
      }
    }
  }
  std::lock_guard lock(impl_->mutex);
  ++impl_->stats.traces;
  int64_t seal_minute = static_cast<int64_t>(std::floor(now / 60)) * 60;
  impl_->Add(current.tenant, seal_minute, kXRayNamespace, "TracesReceived", {}, std::nullopt);
  double end = summary.end_time > 0 ? summary.end_time : now;
  if (end < now - static_cast<double>(impl_->options.max_age.count()) || end > now + 7200) {
    ++impl_->stats.dropped;
    return;
  }
  int64_t minute = static_cast<int64_t>(std::floor(end / 60)) * 60;
  for (const std::string& group : group_names) impl_->CountTrace(current, group, minute);
}

void TraceMetricsPublisher::AddTracesScanned(const model::TenantId& tenant, uint64_t count) {
  std::lock_guard lock(impl_->mutex);
  impl_->traces_scanned[tenant] += count;
}

Status TraceMetricsPublisher::Flush() { return impl_->Flush(); }

void TraceMetricsPublisher::Start() {
  impl_->flusher.Start(impl_->options.flush_interval, [impl = impl_.get()] {
    (void)impl->Flush();  // failures are logged and counted
  });
}

void TraceMetricsPublisher::Stop() {
  impl_->flusher.Stop();
  (void)impl_->Flush();
}

TraceMetricsStats TraceMetricsPublisher::Stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace roentgen::analysis
