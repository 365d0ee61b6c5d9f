// SPDX-License-Identifier: Apache-2.0
// PutMetricData throughput and GetMetricData latency (100 series x 24 h at 1-minute
// resolution), beside a plain in-memory scan of the same data as the baseline.
#include <unistd.h>

#include <filesystem>
#include <map>

#include <benchmark/benchmark.h>

#include "metrics/metrics.h"

namespace roentgen::metrics {
namespace {

constexpr double kNow = 1'800'000'000;

struct Fixture {
  Fixture(bool sync) : clock(static_cast<int64_t>(kNow * 1e9)) {
    dir = std::filesystem::temp_directory_path() /
          ("rg_metrics_bench_" + std::to_string(::getpid()) + (sync ? "_s" : "_n"));
    std::filesystem::remove_all(dir);
    MetricStoreOptions options;
    options.dir = dir.string();
    options.clock = &clock;
    options.sync_writes = sync;
    store = std::move(MetricStore::Open(options)).value();
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  ManualClock clock;
  std::unique_ptr<MetricStore> store;
};

MetricDatum Datum(int series, double t, double v) {
  MetricDatum d;
  d.namespace_name = "Bench";
  d.metric_name = "Latency";
  d.dimensions = {{"Service", "svc" + std::to_string(series)}};
  d.timestamp = t;
  d.value = v;
  d.unit = "Milliseconds";
  return d;
}

// One PutMetricData of 1000 datums (100 series x 10 timestamps), synced.
void BM_PutMetricData(benchmark::State& state) {
  Fixture f(state.range(0) != 0);
  double t = kNow - 86400;
  int64_t datapoints = 0;
  for (auto _ : state) {
    std::vector<MetricDatum> batch;
    for (int step = 0; step < 10; ++step, t += 1)
      for (int series = 0; series < 100; ++series) batch.push_back(Datum(series, t, step));
    if (!f.store->Put("000000000000", batch).ok()) state.SkipWithError("put failed");
    datapoints += static_cast<int64_t>(batch.size());
  }
  state.counters["datapoints/s"] =
      benchmark::Counter(static_cast<double>(datapoints), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PutMetricData)->Arg(1)->Arg(0)->ArgName("sync")->Unit(benchmark::kMillisecond);

// GetMetricData: 100 series x 1440 one-minute points, Average, plus SUM over all of them.
void BM_GetMetricData(benchmark::State& state) {
  static Fixture* f = [] {
    auto* fixture = new Fixture(false);
    for (int minute = 0; minute < 1440; minute += 10) {
      std::vector<MetricDatum> batch;
      for (int step = 0; step < 10; ++step)
        for (int series = 0; series < 100; ++series)
          batch.push_back(Datum(series, kNow - 86400 + 60.0 * (minute + step), series + step));
      (void)fixture->store->Put("000000000000", batch);
    }
    return fixture;
  }();
  GetMetricDataRequest request;
  request.start = kNow - 86400;
  request.end = kNow;
  for (int series = 0; series < 100; ++series) {
    MetricDataQuery q;
    q.id = "m" + std::to_string(series);
    q.metric_stat = MetricStat{
        {"Bench", "Latency", {{"Service", "svc" + std::to_string(series)}}}, 60, "Average", ""};
    q.return_data = false;
    request.queries.push_back(q);
  }
  MetricDataQuery sum;
  sum.id = "total";
  sum.expression = "SUM(METRICS())";
  request.queries.push_back(sum);
  size_t points = 0;
  for (auto _ : state) {
    auto response = f->store->GetMetricData("000000000000", request);
    if (!response.ok()) state.SkipWithError("query failed");
    points = response->results[0].values.size();
  }
  state.counters["points"] = static_cast<double>(points);
}
BENCHMARK(BM_GetMetricData)->Unit(benchmark::kMillisecond);

// Baseline: the same 144,000 values in a std::map per series, averaged and summed.
void BM_MemoryScanBaseline(benchmark::State& state) {
  std::vector<std::map<int64_t, std::pair<double, double>>> series(100);
  for (int s = 0; s < 100; ++s)
    for (int minute = 0; minute < 1440; ++minute)
      series[s][static_cast<int64_t>(kNow) - 86400 + 60 * minute] = {s + minute % 10, 1};
  for (auto _ : state) {
    std::map<int64_t, double> total;
    for (const auto& one : series)
      for (const auto& [t, sum_count] : one) total[t] += sum_count.first / sum_count.second;
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(BM_MemoryScanBaseline)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roentgen::metrics

BENCHMARK_MAIN();
