// SPDX-License-Identifier: Apache-2.0
// Statistics, histogram values, the graph of a few traces (GetTraceGraph) and the JSON shapes.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "graph/graph.h"
#include "graph/internal/cells.h"

namespace roentgen::graph {

Statistics& Statistics::operator+=(const Statistics& other) {
  ok_count += other.ok_count;
  error_throttle_count += other.error_throttle_count;
  error_other_count += other.error_other_count;
  fault_count += other.fault_count;
  total_response_micros += other.total_response_micros;
  return *this;
}

double HistogramValue(double seconds) {
  if (!(seconds > 0)) return 0;  // negative and NaN
  double ms = std::round(seconds * 1000.0);
  if (ms < 1000.0) return ms / 1000.0;
  if (seconds >= 99000.0) return 99000.0;
  double exponent = std::floor(std::log10(seconds));
  double scale = std::pow(10.0, exponent - 1);
  double value = std::round(seconds / scale) * scale;
  // Re-round through whole milliseconds so that equal buckets give bit-identical doubles.
  return std::min(99000.0, std::round(value * 1000.0) / 1000.0);
}

namespace internal {

uint16_t HistogramIndex(double seconds) {
  int64_t ms = std::llround(HistogramValue(seconds) * 1000.0);
  if (ms < 1000) return static_cast<uint16_t>(std::max<int64_t>(0, ms));
  int64_t scale = 100;  // the unit of the two significant digits, in ms
  int decade = 0;
  while (ms / scale >= 100) {
    scale *= 10;
    ++decade;
  }
  int64_t mantissa = ms / scale;  // 10..99
  return static_cast<uint16_t>(
      std::min<int64_t>(kMaxHistogramEntries - 1, 1000 + decade * 90 + (mantissa - 10)));
}

uint16_t CoarseHistogramIndex(uint16_t index) {
  if (index < 100 || index >= 1000) return index;
  return static_cast<uint16_t>(std::min(1000, (index + 5) / 10 * 10));
}

double HistogramIndexValue(uint16_t index) {
  if (index < 1000) return static_cast<double>(index) / 1000.0;
  int decade = (index - 1000) / 90;
  int64_t mantissa = 10 + (index - 1000) % 90;
  int64_t ms = mantissa * 100;
  for (int i = 0; i < decade; ++i) ms *= 10;
  return static_cast<double>(ms) / 1000.0;
}

void AddCall(bool error, bool fault, bool throttle, double response_time, int64_t sign,
             Statistics* stats) {
  if (fault) {
    stats->fault_count += sign;
  } else if (error || throttle) {
    // A throttle is an error (429 sets both; a bare throttle flag counts as one too).
    (throttle ? stats->error_throttle_count : stats->error_other_count) += sign;
  } else {
    stats->ok_count += sign;
  }
  stats->total_response_micros += sign * std::llround(std::max(0.0, response_time) * 1e6);
}

void AddHistogram(uint16_t index, int64_t sign, Histogram* histogram) {
  auto it = std::lower_bound(histogram->begin(), histogram->end(), index,
                             [](uint64_t entry, uint16_t key) { return EntryIndex(entry) < key; });
  if (it == histogram->end() || EntryIndex(*it) != index) {
    if (sign <= 0) return;
    it = histogram->insert(it, uint64_t{index} << 48);
  }
  int64_t count = EntryCount(*it) + sign;
  if (count <= 0) {
    histogram->erase(it);
    return;
  }
  *it = (uint64_t{index} << 48) | static_cast<uint64_t>(count);
}

void MergeHistogram(const Histogram& from, DenseHistogram* into) {
  if (from.empty()) return;
  if (into->empty()) into->assign(kMaxHistogramEntries, 0);
  for (uint64_t entry : from) (*into)[EntryIndex(entry)] += EntryCount(entry);
}

std::vector<HistogramEntry> ToEntries(const Histogram& histogram) {
  std::vector<HistogramEntry> out;
  out.reserve(histogram.size());
  for (uint64_t entry : histogram) {
    out.push_back({HistogramIndexValue(EntryIndex(entry)), EntryCount(entry)});
  }
  return out;
}

std::vector<HistogramEntry> ToEntries(const DenseHistogram& histogram) {
  std::vector<HistogramEntry> out;
  for (size_t index = 0; index < histogram.size(); ++index) {
    if (histogram[index] > 0) {
      out.push_back({HistogramIndexValue(static_cast<uint16_t>(index)), histogram[index]});
    }
  }
  return out;
}

bool IsClientType(std::string_view type) {
  return type == "client" || type.starts_with("client::");
}

}  // namespace internal

namespace {

struct TraceNodeAgg {
  GraphNode node;
  internal::Histogram response;
  internal::Histogram duration;
  double min_start = std::numeric_limits<double>::infinity();
  double max_end = -std::numeric_limits<double>::infinity();
};

struct TraceEdgeAgg {
  GraphEdge edge;
  internal::Histogram response;
  double min_start = std::numeric_limits<double>::infinity();
  double max_end = -std::numeric_limits<double>::infinity();
};

void Widen(double start, std::optional<double> end, double* min_start, double* max_end) {
  *min_start = std::min(*min_start, start);
  *max_end = std::max(*max_end, end.value_or(start));
}

int64_t FloorSeconds(double t) { return static_cast<int64_t>(std::floor(t)); }
int64_t CeilSeconds(double t) { return static_cast<int64_t>(std::ceil(t)); }

}  // namespace

ServiceGraph BuildTraceGraph(std::span<const model::TraceDetail> details) {
  std::map<model::ServiceId, uint32_t> ids;
  std::vector<TraceNodeAgg> nodes;
  std::map<std::pair<uint32_t, uint32_t>, TraceEdgeAgg> edges;
  double graph_start = std::numeric_limits<double>::infinity();
  double graph_end = -std::numeric_limits<double>::infinity();
  for (const model::TraceDetail& detail : details) {
    std::vector<uint32_t> refs;
    refs.reserve(detail.nodes.size());
    for (const model::ServiceNode& service : detail.nodes) {
      auto [it, inserted] = ids.try_emplace(service.id, static_cast<uint32_t>(nodes.size()));
      if (inserted) {
        TraceNodeAgg agg;
        agg.node.reference_id = it->second;
        agg.node.id = service.id;
        agg.node.client = service.kind == model::NodeKind::kClient;
        nodes.push_back(std::move(agg));
      }
      TraceNodeAgg& agg = nodes[it->second];
      refs.push_back(it->second);
      if (service.kind == model::NodeKind::kActive) agg.node.active = true;
      for (const model::NodeSegment& segment : service.segments) {
        if (segment.root) agg.node.root = true;
        Widen(segment.start_time, segment.end_time, &agg.min_start, &agg.max_end);
        Widen(segment.start_time, segment.end_time, &graph_start, &graph_end);
        if (!segment.end_time || !segment.response_time) continue;  // completed only
        internal::AddCall(segment.error, segment.fault, segment.throttle, *segment.response_time, 1,
                          &agg.node.statistics);
        internal::AddHistogram(internal::HistogramIndex(*segment.response_time), 1, &agg.response);
        internal::AddHistogram(
            internal::HistogramIndex(segment.duration.value_or(*segment.response_time)), 1,
            &agg.duration);
      }
    }
    for (const model::ServiceEdge& service_edge : detail.edges) {
      if (service_edge.caller >= refs.size() || service_edge.callee >= refs.size()) continue;
      uint32_t caller = refs[service_edge.caller];
      uint32_t callee = refs[service_edge.callee];
      TraceEdgeAgg& agg = edges[{caller, callee}];
      agg.edge.reference_id = callee;
      for (const model::EdgeCall& call : service_edge.calls) {
        Widen(call.start_time, call.end_time, &agg.min_start, &agg.max_end);
        // Client nodes have no segments: their times are their calls'.
        if (nodes[caller].node.client) {
          Widen(call.start_time, call.end_time, &nodes[caller].min_start, &nodes[caller].max_end);
        }
        if (!call.end_time || !call.response_time) continue;
        internal::AddCall(call.error, call.fault, call.throttle, *call.response_time, 1,
                          &agg.edge.statistics);
        internal::AddHistogram(internal::HistogramIndex(*call.response_time), 1, &agg.response);
      }
    }
  }
  ServiceGraph graph;
  if (graph_start <= graph_end) {
    graph.start_time = FloorSeconds(graph_start);
    graph.end_time = CeilSeconds(graph_end);
  }
  for (auto& [key, agg] : edges) {
    if (agg.min_start <= agg.max_end) {
      agg.edge.start_time = FloorSeconds(agg.min_start);
      agg.edge.end_time = CeilSeconds(agg.max_end);
    }
    agg.edge.response_time_histogram = internal::ToEntries(agg.response);
    nodes[key.first].node.edges.push_back(std::move(agg.edge));  // callee order: map order
  }
  for (TraceNodeAgg& agg : nodes) {
    if (agg.min_start <= agg.max_end) {
      agg.node.start_time = FloorSeconds(agg.min_start);
      agg.node.end_time = CeilSeconds(agg.max_end);
    }
    agg.node.response_time_histogram = internal::ToEntries(agg.response);
    agg.node.duration_histogram = internal::ToEntries(agg.duration);
    graph.nodes.push_back(std::move(agg.node));
  }
  return graph;
}

void WriteStatisticsJson(const Statistics& statistics, JsonWriter* out) {
  out->BeginObject();
  out->Key("OkCount");
  out->Int(statistics.ok_count);
  out->Key("ErrorStatistics");
  out->BeginObject();
  out->Key("ThrottleCount");
  out->Int(statistics.error_throttle_count);
  out->Key("OtherCount");
  out->Int(statistics.error_other_count);
  out->Key("TotalCount");
  out->Int(statistics.error_count());
  out->EndObject();
  out->Key("FaultStatistics");
  out->BeginObject();
  out->Key("OtherCount");
  out->Int(statistics.fault_count);
  out->Key("TotalCount");
  out->Int(statistics.fault_count);
  out->EndObject();
  out->Key("TotalCount");
  out->Int(statistics.total_count());
  out->Key("TotalResponseTime");
  out->Double(statistics.total_response_time());
  out->EndObject();
}

void WriteHistogramJson(std::span<const HistogramEntry> histogram, JsonWriter* out) {
  out->BeginArray();
  for (const HistogramEntry& entry : histogram) {
    out->BeginObject();
    out->Key("Value");
    out->Double(entry.value);
    out->Key("Count");
    out->Int(entry.count);
    out->EndObject();
  }
  out->EndArray();
}

void WriteServicesJson(std::span<const GraphNode> nodes, JsonWriter* out) {
  out->BeginArray();
  for (const GraphNode& node : nodes) {
    out->BeginObject();
    out->Key("ReferenceId");
    out->Uint(node.reference_id);
    out->Key("Name");
    out->String(node.id.name);
    out->Key("Names");
    out->BeginArray();
    out->String(node.id.name);
    out->EndArray();
    if (node.root) {
      out->Key("Root");
      out->Bool(true);
    }
    if (!node.id.account_id.empty()) {
      out->Key("AccountId");
      out->String(node.id.account_id);
    }
    if (!node.id.type.empty()) {
      out->Key("Type");
      out->String(node.id.type);
    }
    out->Key("State");
    out->String(node.active ? "active" : "unknown");
    out->Key("StartTime");
    out->Int(node.start_time);
    out->Key("EndTime");
    out->Int(node.end_time);
    out->Key("Edges");
    out->BeginArray();
    for (const GraphEdge& edge : node.edges) {
      out->BeginObject();
      out->Key("ReferenceId");
      out->Uint(edge.reference_id);
      out->Key("StartTime");
      out->Int(edge.start_time);
      out->Key("EndTime");
      out->Int(edge.end_time);
      out->Key("SummaryStatistics");
      WriteStatisticsJson(edge.statistics, out);
      out->Key("ResponseTimeHistogram");
      WriteHistogramJson(edge.response_time_histogram, out);
      out->Key("Aliases");
      out->BeginArray();
      out->EndArray();
      out->EndObject();
    }
    out->EndArray();
    if (!node.client) {
      out->Key("SummaryStatistics");
      WriteStatisticsJson(node.statistics, out);
      out->Key("DurationHistogram");
      WriteHistogramJson(node.duration_histogram, out);
      out->Key("ResponseTimeHistogram");
      WriteHistogramJson(node.response_time_histogram, out);
    }
    out->EndObject();
  }
  out->EndArray();
}

}  // namespace roentgen::graph
