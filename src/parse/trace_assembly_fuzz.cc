// SPDX-License-Identifier: Apache-2.0
// Fuzz target for trace assembly. The input is split at 0x1E (record separator) into at most
// 32 documents. Properties:
//  1. the output is deterministic and has at most as many documents as the input;
//  2. when every input is a JSON object, every output is valid JSON;
//  3. inputs that are not JSON objects come back unchanged, as top-level documents;
//  4. segments (objects without "type": "subsegment") stay top-level, in input order.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "parse/json_dom.h"
#include "parse/trace_assembly.h"

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> documents;
  size_t start = 0;
  while (documents.size() < 32) {
    const size_t end = input.find('\x1e', start);
    documents.push_back(input.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  bool all_objects = true;
  std::vector<std::string_view> opaque;
  size_t segments = 0;
  for (std::string_view document : documents) {
    auto parsed = roentgen::parse::ParseJson(document, 512);
    if (!parsed.ok() || !parsed->is_object()) {
      all_objects = false;
      opaque.push_back(document);
      continue;
    }
    const roentgen::parse::JsonValue* type = parsed->Find("type");
    if (type == nullptr || !type->is_string() || type->string_value() != "subsegment") {
      ++segments;
    }
  }
  const std::vector<std::string> output = roentgen::parse::NestIndependentSubsegments(documents);
  FUZZ_CHECK(output.size() <= documents.size());
  FUZZ_CHECK(output.size() >= segments + opaque.size());
  FUZZ_CHECK(output == roentgen::parse::NestIndependentSubsegments(documents));
  for (const std::string& text : output) {
    if (all_objects) FUZZ_CHECK(roentgen::parse::ParseJson(text, 4096).ok());
  }
  // Opaque inputs appear unchanged, in input order, among the outputs.
  size_t next_output = 0;
  for (std::string_view document : opaque) {
    while (next_output < output.size() && output[next_output] != document) ++next_output;
    FUZZ_CHECK(next_output < output.size());
    ++next_output;
  }
  return 0;
}
