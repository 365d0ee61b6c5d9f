// SPDX-License-Identifier: Apache-2.0
// Documents per second through ValidateSegmentDocument (the ingest path: full validation,
// header only) and ParseSegmentDocument (validation plus the model), compared with simdjson's
// DOM parser on the same documents: the real segment documents captured from the X-Ray SDKs
// and CLIs (shared/fixtures/clients), or a built-in sample when the fixtures are absent.
//
// BM_Ratio runs all of them on alternating rounds and reports, in thread CPU time so that
// other processes on the machine matter less,
//   validate_ratio = (ValidateSegmentDocument documents/s) / (simdjson DOM documents/s);
//                    the target is >= 0.5;
//   model_ratio    = (ParseSegmentDocument documents/s) / (simdjson DOM documents/s).
// simdjson's DOM parse is the baseline because it does what our parser must do at minimum:
// read and fully validate every byte of the document. For context, BM_Ratio also reports
// model_traverse_ratio against "DOM parse + visit every value once"
// (BM_SimdjsonDomParseAndVisit), the least any consumer of the whole document does on top of
// the parse.
#include <simdjson.h>
#include <time.h>

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "parse/internal/test_fixtures.h"
#include "parse/segment_parser.h"

namespace roentgen::parse {
namespace {

const std::vector<std::string>& Documents() {
  static const std::vector<std::string> documents = [] {
    std::vector<std::string> result;
    const auto root = internal::ClientFixturesDir(RG_SHARED_DIR);
    for (const auto& path : internal::FindFixtures(root, "", ".udp")) {
      result.push_back(internal::DatagramBody(internal::ReadFileBytes(path)));
    }
    for (const auto& path : internal::FindFixtures(root, "put-trace-segments", ".http")) {
      for (std::string& document :
           internal::PutTraceSegmentsDocuments(internal::ReadFileBytes(path))) {
        result.push_back(std::move(document));
      }
    }
    if (result.empty()) {
      result.push_back(
          R"({"name":"example.com","id":"70de5b6f19ff9a0a","start_time":1.478293361271E9,"trace_id":"1-581cf771-a006649127e371903a2de979","end_time":1.478293361449E9,"http":{"request":{"method":"GET","url":"https://example.com/"},"response":{"status":200}},"annotations":{"k":"v","n":1},"subsegments":[{"id":"53995c3f42cd8ad8","name":"api.example.com","start_time":1.478293361271E9,"end_time":1.478293361449E9,"namespace":"remote","http":{"request":{"url":"https://api.example.com/health","method":"POST","traced":true},"response":{"status":200,"content_length":861}}}]})");
    }
    return result;
  }();
  return documents;
}

size_t TotalBytes() {
  size_t bytes = 0;
  for (const std::string& document : Documents()) bytes += document.size();
  return bytes;
}

// One pass of simdjson's DOM parser over every document; returns the number parsed.
size_t SimdjsonPass(simdjson::dom::parser& parser) {
  size_t parsed = 0;
  for (const std::string& document : Documents()) {
    simdjson::dom::element root;
    // data()/size(): copies into the parser's padded buffer, as ParseSegmentDocument does.
    if (parser.parse(document.data(), document.size()).get(root) == simdjson::SUCCESS) ++parsed;
    benchmark::DoNotOptimize(root);
  }
  return parsed;
}

// Visits every value once (what any consumer of the whole document does at least).
size_t Visit(simdjson::dom::element element) {
  size_t count = 1;
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT:
      for (simdjson::dom::key_value_pair member : simdjson::dom::object(element)) {
        count += member.key.size() + Visit(member.value);
      }
      break;
    case simdjson::dom::element_type::ARRAY:
      for (simdjson::dom::element child : simdjson::dom::array(element)) count += Visit(child);
      break;
    case simdjson::dom::element_type::STRING: {
      std::string_view text;
      if (element.get_string().get(text) == simdjson::SUCCESS) count += text.size();
      break;
    }
    default:
      break;
  }
  return count;
}

size_t SimdjsonVisitPass(simdjson::dom::parser& parser) {
  size_t visited = 0;
  for (const std::string& document : Documents()) {
    simdjson::dom::element root;
    if (parser.parse(document.data(), document.size()).get(root) == simdjson::SUCCESS) {
      visited += Visit(root);
    }
  }
  return visited;
}

size_t OurPass(const ParseLimits& limits) {
  size_t parsed = 0;
  for (const std::string& document : Documents()) {
    auto result = ParseSegmentDocument(document, limits);
    parsed += result.ok() ? 1 : 0;
    benchmark::DoNotOptimize(result);
  }
  return parsed;
}

size_t ValidatePass(const ParseLimits& limits) {
  size_t parsed = 0;
  for (const std::string& document : Documents()) {
    auto result = ValidateSegmentDocument(document, limits);
    parsed += result.ok() ? 1 : 0;
    benchmark::DoNotOptimize(result);
  }
  return parsed;
}

size_t HeaderPass(const ParseLimits& limits) {
  size_t parsed = 0;
  for (const std::string& document : Documents()) {
    auto result = ParseDocumentHeader(document, limits);
    parsed += result.ok() ? 1 : 0;
    benchmark::DoNotOptimize(result);
  }
  return parsed;
}

void SetRates(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Documents().size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * TotalBytes()));
  state.counters["documents"] = static_cast<double>(Documents().size());
}

void BM_SimdjsonDomParse(benchmark::State& state) {
  simdjson::dom::parser parser;
  for (auto _ : state) benchmark::DoNotOptimize(SimdjsonPass(parser));
  SetRates(state);
}
BENCHMARK(BM_SimdjsonDomParse);

void BM_SimdjsonDomParseAndVisit(benchmark::State& state) {
  simdjson::dom::parser parser;
  for (auto _ : state) benchmark::DoNotOptimize(SimdjsonVisitPass(parser));
  SetRates(state);
}
BENCHMARK(BM_SimdjsonDomParseAndVisit);

void BM_ParseSegmentDocument(benchmark::State& state) {
  const ParseLimits limits;
  if (OurPass(limits) != Documents().size()) state.SkipWithError("a document failed to parse");
  for (auto _ : state) benchmark::DoNotOptimize(OurPass(limits));
  SetRates(state);
}
BENCHMARK(BM_ParseSegmentDocument);

void BM_ValidateSegmentDocument(benchmark::State& state) {
  const ParseLimits limits;
  if (ValidatePass(limits) != Documents().size()) {
    state.SkipWithError("a document failed to validate");
  }
  for (auto _ : state) benchmark::DoNotOptimize(ValidatePass(limits));
  SetRates(state);
}
BENCHMARK(BM_ValidateSegmentDocument);

void BM_ParseDocumentHeader(benchmark::State& state) {
  const ParseLimits limits;
  if (HeaderPass(limits) != Documents().size()) state.SkipWithError("a header failed to parse");
  for (auto _ : state) benchmark::DoNotOptimize(HeaderPass(limits));
  SetRates(state);
}
BENCHMARK(BM_ParseDocumentHeader);

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Alternates rounds of the parsers so that all see the same machine conditions.
void BM_Ratio(benchmark::State& state) {
  simdjson::dom::parser parser;
  const ParseLimits limits;
  double simdjson_seconds = 0;
  double visit_seconds = 0;
  double validate_seconds = 0;
  double model_seconds = 0;
  for (auto _ : state) {
    const double start = ThreadCpuSeconds();
    benchmark::DoNotOptimize(SimdjsonPass(parser));
    const double after_simdjson = ThreadCpuSeconds();
    benchmark::DoNotOptimize(SimdjsonVisitPass(parser));
    const double after_visit = ThreadCpuSeconds();
    benchmark::DoNotOptimize(ValidatePass(limits));
    const double after_validate = ThreadCpuSeconds();
    benchmark::DoNotOptimize(OurPass(limits));
    const double end = ThreadCpuSeconds();
    simdjson_seconds += after_simdjson - start;
    visit_seconds += after_visit - after_simdjson;
    validate_seconds += after_validate - after_visit;
    model_seconds += end - after_validate;
  }
  const double documents = static_cast<double>(state.iterations() * Documents().size());
  state.counters["simdjson_docs_per_s"] = documents / simdjson_seconds;
  state.counters["validate_docs_per_s"] = documents / validate_seconds;
  state.counters["validate_ratio"] = simdjson_seconds / validate_seconds;
  state.counters["model_docs_per_s"] = documents / model_seconds;
  state.counters["model_ratio"] = simdjson_seconds / model_seconds;
  state.counters["model_traverse_ratio"] = visit_seconds / model_seconds;
}
BENCHMARK(BM_Ratio)->MinTime(2.0);

}  // namespace
}  // namespace roentgen::parse

BENCHMARK_MAIN();
