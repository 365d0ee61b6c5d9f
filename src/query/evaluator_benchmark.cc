// SPDX-License-Identifier: Apache-2.0
// Traces evaluated per second by compiled filters, against a hand-written loop over the same
// fields (the floor any evaluator could reach on these in-memory structures):
//   BM_Filter/service_and_responsetime   service("order-processor") AND responsetime > 1
//   BM_Filter/annotation                 annotation.operation = "create_order"
//   BM_Filter/service_block              service("order-processor") { responsetime > 1 }
//   BM_Plain*                            the same tests as plain C++ loops
// The data set is 100k synthetic traces built in memory (summary + detail), about a fifth of
// them touching order-processor; items_per_second is traces per second, single thread.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "query/internal/test_util.h"
#include "query/query.h"

namespace roentgen::query {
namespace {

using testing::Trace;

const std::vector<Trace>& Traces() {
  static const std::vector<Trace> traces = [] {
    std::vector<Trace> result;
    constexpr const char* kServices[] = {"order-processor", "inventory-manager",
                                         "notification-service", "payments", "catalog"};
    constexpr const char* kOperations[] = {"create_order", "get_order", "list_orders"};
    uint64_t state = 42;
    auto next = [&] {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<uint32_t>(state >> 33);
    };
    for (int trace_idx = 0; trace_idx < 100000; ++trace_idx) {
      std::vector<model::SegmentDocument> docs;
      double start = 1700000000.0 + trace_idx;
      double root_time = 0.05 + (next() % 3000) / 1000.0;
      auto root = testing::MakeEntity(1, "api-gateway", start, start + root_time);
      root.origin = "AWS::ApiGateway::Stage";
      testing::SetRequest(&root, "POST", "https://api.example.com/orders", "curl/8.0", "10.0.0.1");
      testing::SetStatus(&root, next() % 20 == 0 ? 500 : 200);
      testing::Annotate(&root, "operation", std::string(kOperations[next() % 3]));
      testing::Annotate(&root, "tenant", static_cast<double>(next() % 100));
      auto call = testing::MakeEntity(2, "Lambda", start + 0.001, start + root_time - 0.001);
      call.namespace_name = "aws";
      root.subsegments.push_back(call);
      docs.push_back(testing::MakeSegment(root));
      const char* service = kServices[next() % 5];
      auto function = testing::MakeEntity(3, service, start + 0.002, start + root_time - 0.002);
      function.origin = "AWS::Lambda::Function";
      auto table = testing::MakeEntity(4, "DynamoDB", start + 0.003, start + 0.01);
      table.namespace_name = "aws";
      table.aws.emplace().table_name = "orders";
      function.subsegments.push_back(table);
      docs.push_back(testing::MakeSegment(function, 2));
      result.push_back(testing::MakeTrace(std::move(docs)));
    }
    return result;
  }();
  return traces;
}

void RunFilter(benchmark::State& state, const char* expression) {
  const auto& traces = Traces();
  auto filter = Compile(expression);
  if (!filter.ok()) {
    state.SkipWithError(filter.error().ToString().c_str());
    return;
  }
  size_t matches = 0;
  for (auto _ : state) {
    for (const Trace& trace : traces) matches += filter->Matches(trace.summary, trace.detail);
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.size()));
}

void BM_Filter_ServiceAndResponseTime(benchmark::State& state) {
  RunFilter(state, "service(\"order-processor\") AND responsetime > 1");
}
void BM_Filter_Annotation(benchmark::State& state) {
  RunFilter(state, "annotation.operation = \"create_order\"");
}
void BM_Filter_ServiceBlock(benchmark::State& state) {
  RunFilter(state, "service(\"order-processor\") { responsetime > 1 }");
}

bool HasNode(const model::TraceDetail& detail, const std::string& name) {
  for (const model::ServiceNode& node : detail.nodes) {
    if (node.kind != model::NodeKind::kClient && node.id.name == name) return true;
  }
  return false;
}

void BM_Plain_ServiceAndResponseTime(benchmark::State& state) {
  const auto& traces = Traces();
  const std::string service = "order-processor";
  size_t matches = 0;
  for (auto _ : state) {
    for (const Trace& trace : traces) {
      matches += trace.summary.response_time && *trace.summary.response_time > 1 &&
                 HasNode(trace.detail, service);
    }
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.size()));
}

void BM_Plain_Annotation(benchmark::State& state) {
  const auto& traces = Traces();
  const std::string key = "operation";
  const std::string wanted = "create_order";
  size_t matches = 0;
  for (auto _ : state) {
    for (const Trace& trace : traces) {
      for (const model::AnnotationSummary& annotation : trace.summary.annotations) {
        if (annotation.key != key) continue;
        for (const auto& value : annotation.values) {
          if (value.value.type == model::AnnotationType::kString &&
              value.value.string_value == wanted) {
            ++matches;
            break;
          }
        }
        break;
      }
    }
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.size()));
}

void BM_Plain_ServiceBlock(benchmark::State& state) {
  const auto& traces = Traces();
  const std::string service = "order-processor";
  size_t matches = 0;
  for (auto _ : state) {
    for (const Trace& trace : traces) {
      matches += [&] {
        for (const model::ServiceNode& node : trace.detail.nodes) {
          if (node.kind == model::NodeKind::kClient || node.id.name != service) continue;
          for (const model::NodeSegment& segment : node.segments) {
            if (segment.response_time && *segment.response_time > 1) return true;
          }
        }
        return false;
      }();
    }
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(traces.size()));
}

void BM_Compile(benchmark::State& state) {
  for (auto _ : state) {
    auto filter = Compile(
        "service(\"order-processor\") { fault AND responsetime > 1 } AND annotation.operation = "
        "\"create_order\" OR http.url CONTAINS \"/api/\"");
    benchmark::DoNotOptimize(filter);
  }
}

BENCHMARK(BM_Filter_ServiceAndResponseTime);
BENCHMARK(BM_Plain_ServiceAndResponseTime);
BENCHMARK(BM_Filter_Annotation);
BENCHMARK(BM_Plain_Annotation);
BENCHMARK(BM_Filter_ServiceBlock);
BENCHMARK(BM_Plain_ServiceBlock);
BENCHMARK(BM_Compile);

}  // namespace
}  // namespace roentgen::query

BENCHMARK_MAIN();
