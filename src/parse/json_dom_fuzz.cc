// SPDX-License-Identifier: Apache-2.0
// Fuzz target for json_dom. Properties checked on every input that parses:
//  1. parse → serialize → parse gives an equal value, and serializing that again gives the
//     same text (compact serialization is a fixed point);
//  2. every value's recorded source span, parsed on its own, gives an equal value (checked
//     for the root and its direct children, to stay linear).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parse/json_dom.h"

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

namespace {

constexpr size_t kMaxDepth = 64;

void CheckSpan(std::string_view text, const roentgen::parse::JsonValue& value) {
  FUZZ_CHECK(value.source_begin() <= value.source_end() && value.source_end() <= text.size());
  auto alone = roentgen::parse::ParseJson(
      text.substr(value.source_begin(), value.source_end() - value.source_begin()), kMaxDepth);
  FUZZ_CHECK(alone.ok() && *alone == value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = roentgen::parse::ParseJson(text, kMaxDepth);
  if (!first.ok()) return 0;
  const std::string once = roentgen::parse::SerializeJson(*first);
  auto second = roentgen::parse::ParseJson(once, kMaxDepth);
  FUZZ_CHECK(second.ok());
  FUZZ_CHECK(*second == *first);
  FUZZ_CHECK(roentgen::parse::SerializeJson(*second) == once);

  CheckSpan(text, *first);
  if (first->is_array()) {
    for (const auto& element : first->elements()) CheckSpan(text, element);
  } else if (first->is_object()) {
    for (const auto& member : first->members()) CheckSpan(text, member.value);
  }
  return 0;
}
