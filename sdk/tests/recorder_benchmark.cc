// SPDX-License-Identifier: Apache-2.0
// SDK overhead on the request thread (issue 6: ≤ 2 µs added per traced request): a segment with
// three subsegments carrying annotations, ended and handed to the emitter, against the same
// request untraced.
#include <string>

#include <benchmark/benchmark.h>

#include "roentgen/sdk.h"

namespace roentgen::sdk {
namespace {

// Accepts and discards: the request-thread cost without the UDP sender.
class NullEmitter final : public Emitter {
 public:
  bool Send(std::string document) override {
    benchmark::DoNotOptimize(document.data());
    return true;
  }
};

// Takes the deferred builder and never runs it: the request-thread cost when serialization
// happens on the emitter's thread (as with UdpEmitter), without that thread competing.
class DeferringNullEmitter final : public Emitter {
 public:
  bool Send(std::string document) override {
    benchmark::DoNotOptimize(document.data());
    return true;
  }
  bool SendLater(DocumentBuilder build) override {
    benchmark::DoNotOptimize(&build);
    return true;
  }
};

std::string Work(int step) {
  std::string out = "order-";
  out += std::to_string(step);
  benchmark::DoNotOptimize(out.data());
  return out;
}

void BM_Untraced(benchmark::State& state) {
  for (auto _ : state) {
    for (int step = 0; step < 3; ++step) benchmark::DoNotOptimize(Work(step));
  }
}
BENCHMARK(BM_Untraced);

void Traced(benchmark::State& state, std::unique_ptr<Emitter> emitter) {
  RecorderOptions options;
  options.service_name = "bench";
  options.read_environment = false;
  options.sampler = std::make_unique<ConstantSampler>(true);
  options.emitter = std::move(emitter);
  auto recorder = Recorder::Create(std::move(options));
  for (auto _ : state) {
    SegmentScope segment(*recorder, "order-processor");
    segment->AddAnnotation("operation", "create_order");
    for (int step = 0; step < 3; ++step) {
      SubsegmentScope sub(*recorder, "step");
      sub->AddAnnotation("step", step);
      sub->AddAnnotation("ok", true);
      benchmark::DoNotOptimize(Work(step));
    }
  }
  state.counters["dropped"] = static_cast<double>(recorder->stats().documents_dropped);
}

void BM_TracedNullEmitter(benchmark::State& state) {
  Traced(state, std::make_unique<NullEmitter>());
}
BENCHMARK(BM_TracedNullEmitter);

void BM_TracedDeferredSerialization(benchmark::State& state) {
  Traced(state, std::make_unique<DeferringNullEmitter>());
}
BENCHMARK(BM_TracedDeferredSerialization);

// The real emitter towards a local port; its sender thread competes for the queue.
void BM_TracedUdpEmitter(benchmark::State& state) {
  Traced(state, std::make_unique<UdpEmitter>(UdpEmitter::Options{"127.0.0.1", 2999, 4096}));
}
BENCHMARK(BM_TracedUdpEmitter);

void BM_NotSampled(benchmark::State& state) {
  RecorderOptions options;
  options.read_environment = false;
  options.sampler = std::make_unique<ConstantSampler>(false);
  options.emitter = std::make_unique<NullEmitter>();
  auto recorder = Recorder::Create(std::move(options));
  for (auto _ : state) {
    SegmentScope segment(*recorder, "order-processor");
    for (int step = 0; step < 3; ++step) {
      SubsegmentScope sub(*recorder, "step");
      sub->AddAnnotation("step", step);
      benchmark::DoNotOptimize(Work(step));
    }
  }
}
BENCHMARK(BM_NotSampled);

void BM_ParseTraceHeader(benchmark::State& state) {
  const std::string header =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  for (auto _ : state) benchmark::DoNotOptimize(TraceHeader::Parse(header));
}
BENCHMARK(BM_ParseTraceHeader);

}  // namespace
}  // namespace roentgen::sdk

BENCHMARK_MAIN();
