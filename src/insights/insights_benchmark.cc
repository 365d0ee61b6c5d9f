// SPDX-License-Identifier: Apache-2.0
// The insights engine's costs with the demo's shape (client -> gateway -> order-processor ->
// inventory-manager, notification-service) plus `services` extra leaf services called by
// order-processor:
//   BM_OnSeal/S        folding one sealed trace (on the store's sealer thread)
//   BM_Evaluate/S      one evaluation over 6 hours of 300 traces a minute (the detector's full
//                      re-run for the Default group; nothing to store)
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/clock.h"
#include "groups/groups.h"
#include "insights/insights.h"
#include "store/catalog.h"

namespace roentgen::insights {
namespace {

constexpr int64_t kNanos = 1'000'000'000;
constexpr int64_t kT0 = 1'800'000'000 - 1'800'000'000 % 3600;
constexpr int kPerMinute = 300;
constexpr int kMinutes = 360;

model::NodeSegment Segment(double start, double end) {
  model::NodeSegment segment;
  segment.start_time = start;
  segment.end_time = end;
  segment.response_time = end - start;
  return segment;
}

store::TraceRevision Trace(double start, int services, int variant) {
  store::TraceRevision revision;
  revision.tenant = "000000000000";
  model::TraceDetail& detail = revision.detail;
  const char* names[] = {"xray-monitoring-api/prod", "order-processor", "inventory-manager",
                         "notification-service"};
  for (const char* name : names) {
    model::ServiceNode node;
    node.id = {name, "AWS::Lambda::Function", ""};
    node.segments.push_back(Segment(start, start + 0.1 + 0.001 * (variant % 50)));
    detail.nodes.push_back(node);
  }
  model::ServiceNode extra;
  extra.id = {"leaf-" + std::to_string(variant % std::max(services, 1)), "remote", ""};
  extra.kind = model::NodeKind::kInferred;
  extra.segments.push_back(Segment(start, start + 0.02));
  if (services > 0) detail.nodes.push_back(extra);
  model::ServiceNode client;
  client.id = {names[0], "client", ""};
  client.kind = model::NodeKind::kClient;
  detail.nodes.push_back(client);
  model::EdgeCall call;
  call.start_time = start;
  call.end_time = start + 0.2;
  call.response_time = 0.2;
  auto client_index = static_cast<uint32_t>(detail.nodes.size() - 1);
  detail.edges.push_back({client_index, 0, {call}});
  detail.edges.push_back({0, 1, {call}});
  detail.edges.push_back({1, 2, {call}});
  detail.edges.push_back({1, 3, {call}});
  if (services > 0) detail.edges.push_back({1, 4, {call}});
  revision.summary.start_time = start;
  revision.summary.end_time = start + 0.2;
  return revision;
}

struct Fixture {
  explicit Fixture(const std::string& name) : clock((kT0 + kMinutes * 60 + 120) * kNanos) {
    dir = std::filesystem::temp_directory_path() /
          ("insights_benchmark_" + std::to_string(::getpid()) + name);
    std::filesystem::remove_all(dir);
    catalog = store::Catalog::Open(dir.string()).value();
    groups = groups::GroupRegistry::Open(catalog.get(), {}).value();
    groups::UpdateGroupRequest enable;
    enable.insights_enabled = true;
    (void)groups->Update("000000000000", {.name = "Default", .arn = std::nullopt}, enable);
    EngineOptions options;
    options.catalog = catalog.get();
    options.groups = groups.get();
    options.clock = &clock;
    engine = Engine::Open(options, "000000000000").value();
  }
  ~Fixture() {
    engine.reset();
    groups.reset();
    catalog.reset();
    std::filesystem::remove_all(dir);
  }
  ManualClock clock;
  std::filesystem::path dir;
  std::unique_ptr<store::Catalog> catalog;
  std::unique_ptr<groups::GroupRegistry> groups;
  std::unique_ptr<Engine> engine;
};

void BM_OnSeal(benchmark::State& state) {
  Fixture fixture("seal");
  int services = static_cast<int>(state.range(0));
  std::vector<store::TraceRevision> traces;
  for (int i = 0; i < 1000; ++i) {
    traces.push_back(Trace(static_cast<double>(kT0 + kMinutes * 60) + i * 0.05, services, i));
  }
  size_t next = 0;
  for (auto _ : state) {
    fixture.engine->OnSeal(nullptr, traces[next]);
    next = (next + 1) % traces.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OnSeal)->Arg(0)->Arg(50);

void BM_Evaluate(benchmark::State& state) {
  Fixture fixture("evaluate");
  int services = static_cast<int>(state.range(0));
  for (int minute = 0; minute < kMinutes; ++minute) {
    for (int i = 0; i < kPerMinute; ++i) {
      double start = static_cast<double>(kT0 + minute * 60) + i * 0.19;
      fixture.engine->OnSeal(nullptr, Trace(start, services, i + minute));
    }
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fixture.engine->EvaluateOnce(kT0 + kMinutes * 60 + 120));
  }
}
BENCHMARK(BM_Evaluate)->Arg(0)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roentgen::insights

BENCHMARK_MAIN();
