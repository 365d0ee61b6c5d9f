// SPDX-License-Identifier: Apache-2.0
// Fuzzes the awsQuery form decoder and tree builder. Properties: no crash; re-encoding the
// decoded pairs and decoding again gives the same pairs (round trip); the tree builder either
// refuses the form or builds a tree whose serialization parses back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/internal/cloudwatch.h"
#include "parse/json_dom.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace roentgen::api::internal;  // NOLINT(google-build-using-namespace)
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto form = DecodeForm(input, 10000);
  if (!form.ok()) return 0;
  std::string encoded;
  for (const auto& [name, value] : *form) {
    if (!encoded.empty()) encoded += '&';
    encoded += EncodeFormComponent(name) + "=" + EncodeFormComponent(value);
  }
  auto again = DecodeForm(encoded, 10000);
  if (!again.ok()) std::abort();
  // Empty names are dropped only when the whole part is empty, so the pairs must match.
  std::vector<std::pair<std::string, std::string>> expected;
  for (const auto& pair : *form)
    if (!(pair.first.empty() && pair.second.empty())) expected.push_back(pair);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& pair : *again)
    if (!(pair.first.empty() && pair.second.empty())) got.push_back(pair);
  if (expected != got) std::abort();
  auto tree = FormToTree(*form);
  if (tree.ok()) {
    std::string json = roentgen::parse::SerializeJson(*tree);
    if (!roentgen::parse::ParseJson(json, 64).ok() && json.size() < 1000000) {
      // Deep nesting past 64 is allowed to fail; the tree is bounded by 16 levels * 2.
      std::abort();
    }
  }
  return 0;
}
