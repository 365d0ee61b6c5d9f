// SPDX-License-Identifier: Apache-2.0
// GetServiceGraph over a 6-hour window (issue #4's benchmark) with 1k, 1M and 10M traces in it (50
// services on a fixed call graph: client -> entry -> service -> service -> inferred table), against
// a plain scan of the same traces held as compact in-memory records (the floor of any approach that
// reads every trace of the window: one pass summing per-node counts, no histograms).
//   BM_ServiceGraph/N   the aggregator's answer (merges a bounded number of buckets)
//   BM_PlainScan/N      the scan baseline
// BM_ServiceGraph reports `scan_over_graph`: the baseline's time for N traces divided by the
// graph's, measured in the same run. The graph's time should not grow with N (compare the
// BM_ServiceGraph rows: from 1k to 1M it grows only while the cells' latency histograms fill
// up, at most 1,450 values each; from 1M to 10M it stays flat); the scan's grows linearly.
// The 10M fixture takes about a minute to fold and 0.5 GB (--benchmark_filter=/1000000$ to
// skip it).
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/clock.h"
#include "graph/graph.h"

namespace roentgen::graph {
namespace {

constexpr double kT0 = 1700000000.0 - 1700000000 % 3600;  // hour-aligned
constexpr double kWindow = 6 * 3600.0;                    // the window queried
constexpr int kServices = 50;

struct Rng {
  uint64_t state = 42;
  uint32_t Next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  }
};

// Compact record for the scan baseline.
struct PlainTrace {
  double end = 0;
  uint16_t nodes[4] = {};
  float response[4] = {};
  bool fault = false;
};

struct Fixture {
  ManualClock clock{static_cast<int64_t>((kT0 + kWindow) * 1e9)};
  std::unique_ptr<Aggregator> aggregator;
  std::vector<PlainTrace> plain;
  double seal_seconds = 0;
};

model::NodeSegment Segment(double start, double response, bool root, bool fault) {
  model::NodeSegment segment;
  segment.start_time = start;
  segment.end_time = start + response;
  segment.response_time = response;
  segment.duration = response;
  segment.root = root;
  segment.fault = fault;
  return segment;
}

Fixture& Build(int64_t traces) {
  static std::map<int64_t, std::unique_ptr<Fixture>> fixtures;
  auto& slot = fixtures[traces];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  AggregatorOptions options;
  options.clock = &f.clock;
  f.aggregator = std::make_unique<Aggregator>(options);
  std::vector<model::ServiceId> ids;
  for (int i = 0; i < kServices; ++i) {
    ids.push_back({"service-" + std::to_string(i), "AWS::EC2::Instance", ""});
  }
  Rng rng;
  store::TraceRevision revision;
  revision.tenant = "bench";
  f.plain.reserve(static_cast<size_t>(traces));
  auto started = std::chrono::steady_clock::now();
  for (int64_t t = 0; t < traces; ++t) {
    double start = kT0 + (kWindow - 10) * static_cast<double>(t) / static_cast<double>(traces);
    int a = static_cast<int>(rng.Next() % 5);  // entry points
    // A fixed call graph (about 150 edges), as real services have.
    int b = 5 + (a * 9 + static_cast<int>(rng.Next() % 3)) % 45;
    int c = 5 + (b * 7 + static_cast<int>(rng.Next() % 2)) % 45;
    bool fault = rng.Next() % 50 == 0;
    double response = 0.01 + (rng.Next() % 2000) / 1000.0;
    model::TraceDetail& d = revision.detail;
    d.nodes.clear();
    d.edges.clear();
    d.nodes.push_back({ids[static_cast<size_t>(a)],
                       model::NodeKind::kActive,
                       {Segment(start, response, true, fault)}});
    d.nodes.push_back({ids[static_cast<size_t>(b)],
                       model::NodeKind::kActive,
                       {Segment(start + 0.001, response * 0.8, false, false)}});
    d.nodes.push_back({ids[static_cast<size_t>(c)],
                       model::NodeKind::kActive,
                       {Segment(start + 0.002, response * 0.5, false, false)}});
    d.nodes.push_back({{"table-" + std::to_string(c % 5), "AWS::DynamoDB::Table", ""},
                       model::NodeKind::kInferred,
                       {Segment(start + 0.003, response * 0.1, false, false)}});
    d.nodes.push_back(
        {{ids[static_cast<size_t>(a)].name, "client", ""}, model::NodeKind::kClient, {}});
    auto call = [&](double s, double r) {
      model::EdgeCall e;
      e.start_time = s;
      e.end_time = s + r;
      e.response_time = r;
      return e;
    };
    d.edges.push_back({4, 0, {call(start, response)}});
    d.edges.push_back({0, 1, {call(start + 0.0005, response * 0.81)}});
    d.edges.push_back({1, 2, {call(start + 0.0015, response * 0.51)}});
    d.edges.push_back({2, 3, {call(start + 0.0025, response * 0.11)}});
    f.aggregator->OnSeal(nullptr, revision);
    PlainTrace plain;
    plain.end = start + response;
    plain.nodes[0] = static_cast<uint16_t>(a);
    plain.nodes[1] = static_cast<uint16_t>(b);
    plain.nodes[2] = static_cast<uint16_t>(c);
    plain.nodes[3] = static_cast<uint16_t>(kServices + c % 5);
    plain.response[0] = static_cast<float>(response);
    plain.response[1] = static_cast<float>(response * 0.8);
    plain.response[2] = static_cast<float>(response * 0.5);
    plain.response[3] = static_cast<float>(response * 0.1);
    plain.fault = fault;
    f.plain.push_back(plain);
  }
  f.seal_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return f;
}

struct ScanTotals {
  int64_t count[kServices + 5] = {};
  int64_t faults[kServices + 5] = {};
  double response[kServices + 5] = {};
};

ScanTotals PlainScan(const std::vector<PlainTrace>& traces, double start, double end) {
  ScanTotals totals;
  for (const PlainTrace& trace : traces) {
    if (trace.end < start || trace.end >= end) continue;
    for (int i = 0; i < 4; ++i) {
      ++totals.count[trace.nodes[i]];
      totals.response[trace.nodes[i]] += trace.response[i];
    }
    totals.faults[trace.nodes[0]] += trace.fault ? 1 : 0;
  }
  return totals;
}

double ScanSeconds(const Fixture& f) {
  int repeats = f.plain.size() >= 100000 ? 5 : 2000;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) {
    ScanTotals totals = PlainScan(f.plain, kT0, kT0 + kWindow);
    benchmark::DoNotOptimize(totals);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() /
         repeats;
}

void BM_ServiceGraph(benchmark::State& state) {
  Fixture& f = Build(state.range(0));
  ServiceGraphRequest request;
  request.tenant = "bench";
  request.start_time = kT0;
  request.end_time = kT0 + kWindow;
  size_t nodes = 0;
  auto started = std::chrono::steady_clock::now();
  int64_t iterations = 0;
  for (auto _ : state) {
    ServiceGraph graph = f.aggregator->GetServiceGraph(request);
    nodes = graph.nodes.size();
    benchmark::DoNotOptimize(graph);
    ++iterations;
  }
  double graph_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() /
      static_cast<double>(iterations);
  state.counters["nodes"] = static_cast<double>(nodes);
  state.counters["scan_over_graph"] = ScanSeconds(f) / graph_seconds;
  AggregatorStats stats = f.aggregator->Stats();
  state.counters["buckets"] = static_cast<double>(stats.buckets);
  state.counters["cells"] = static_cast<double>(stats.cells);
  state.counters["hist_entries"] = static_cast<double>(stats.histogram_entries);
  state.counters["seal_us_per_trace"] = f.seal_seconds * 1e6 / static_cast<double>(state.range(0));
}
BENCHMARK(BM_ServiceGraph)->Arg(1000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMicrosecond);

void BM_PlainScan(benchmark::State& state) {
  Fixture& f = Build(state.range(0));
  for (auto _ : state) {
    ScanTotals totals = PlainScan(f.plain, kT0, kT0 + kWindow);
    benchmark::DoNotOptimize(totals);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PlainScan)->Arg(1000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace roentgen::graph

BENCHMARK_MAIN();
