// SPDX-License-Identifier: Apache-2.0
// Fuzzes the X-Amzn-Trace-Id and traceparent parsers with round-trip properties:
//   - Parse(x) ok ⇒ Parse(ToString()) == Parse(x), and ToString() is a fixed point;
//   - FromTraceparent(x) ok ⇒ its ToTraceparent() parses back to the same header.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "roentgen/sdk/trace_header.h"

namespace {

void Require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using roentgen::sdk::TraceHeader;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (std::optional<TraceHeader> header = TraceHeader::Parse(input)) {
    std::string text = header->ToString();
    std::optional<TraceHeader> again = TraceHeader::Parse(text);
    Require(again.has_value() && *again == *header && again->ToString() == text);
    if (std::optional<std::string> traceparent = header->ToTraceparent()) {
      std::optional<TraceHeader> back = TraceHeader::FromTraceparent(*traceparent);
      Require(back.has_value() && back->root == header->root && back->parent == header->parent);
    }
  }
  if (std::optional<TraceHeader> header = TraceHeader::FromTraceparent(input)) {
    std::optional<std::string> traceparent = header->ToTraceparent();
    Require(traceparent.has_value());
    std::optional<TraceHeader> back = TraceHeader::FromTraceparent(*traceparent);
    Require(back.has_value() && *back == *header);
  }
  return 0;
}
