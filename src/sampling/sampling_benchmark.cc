// SPDX-License-Identifier: Apache-2.0
// GetSamplingTargets cost as the fleet grows: each call is one client's report of one rule,
// with N clients sharing the rule (the water-filling is O(N log N) per report).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/clock.h"
#include "sampling/sampling.h"

namespace roentgen::sampling {
namespace {

// A 24-character ClientID, as the SDKs make them.
std::string ClientId(int64_t idx) {
  std::string id = std::to_string(idx);
  return std::string(24 - id.size(), '0') + id;
}

void BM_GetTargets(benchmark::State& state) {
  ManualClock clock(int64_t{1'795'497'600} * 1'000'000'000);
  MemoryRuleStore store;
  SamplingOptions options;
  options.clock = &clock;
  auto registry = SamplingRegistry::Open(&store, options).value();
  SamplingRule rule;
  rule.name = "fleet";
  rule.priority = 1;
  rule.reservoir_size = 100;
  (void)registry->Create("123456789012", rule);
  std::vector<StatisticsDocument> documents;
  for (int64_t idx = 0; idx < state.range(0); ++idx) {
    documents.push_back(StatisticsDocument{"fleet", ClientId(idx), 0, 500, 10, 0});
  }
  size_t next = 0;
  for (auto _ : state) {
    StatisticsDocument& document = documents[next];
    document.timestamp = clock.NowUnixSeconds();
    benchmark::DoNotOptimize(registry->GetTargets("123456789012", {&document, 1}));
    if (++next == documents.size()) {
      next = 0;
      clock.Advance(std::chrono::seconds(10));
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_GetTargets)->Arg(3)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace roentgen::sampling

BENCHMARK_MAIN();
