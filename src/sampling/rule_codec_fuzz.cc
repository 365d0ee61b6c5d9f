// SPDX-License-Identifier: Apache-2.0
// Feeds arbitrary bytes to the stored-rule decoder: it must never crash, and whatever it
// accepts must survive an encode/decode round trip unchanged (the input itself may use
// non-minimal varints, so the check compares the re-encoded bytes).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sampling/internal/rule_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto rule = roentgen::sampling::internal::DecodeRule(bytes);
  if (!rule.ok()) return 0;
  std::string encoded = roentgen::sampling::internal::EncodeRule(*rule);
  auto again = roentgen::sampling::internal::DecodeRule(encoded);
  if (!again.ok() || !(*again == *rule) ||
      roentgen::sampling::internal::EncodeRule(*again) != encoded) {
    std::abort();
  }
  return 0;
}
