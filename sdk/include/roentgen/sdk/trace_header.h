// SPDX-License-Identifier: Apache-2.0
// The X-Amzn-Trace-Id header and its W3C traceparent mapping (xray-protocol.md §5):
//   X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1
//   traceparent:     00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roentgen::sdk {

inline constexpr std::string_view kTraceHeaderName = "X-Amzn-Trace-Id";
inline constexpr std::string_view kTraceparentName = "traceparent";

// The upstream sampling decision carried by `Sampled=`.
enum class SampledFlag {
  kUnknown,     // field absent (or unrecognised): the receiver decides by its own rules
  kSampled,     // Sampled=1
  kNotSampled,  // Sampled=0
  kRequested,   // Sampled=?: decide here and return the decision in the response header
};

// A parsed X-Amzn-Trace-Id header. Plain value type; not thread-safe.
struct TraceHeader {
  std::string root;      // "1-XXXXXXXX-YYYYYYYYYYYYYYYYYYYYYYYY" (lowercase)
  std::string parent{};  // 16 lowercase hex, or empty
  SampledFlag sampled = SampledFlag::kUnknown;
  std::string lineage{};  // opaque, forwarded unchanged; empty if absent
  // Other `Key=Value` fields in arrival order, forwarded unchanged. `Self` is dropped.
  std::vector<std::pair<std::string, std::string>> extra{};

  // Parses a header value. Fields are `;`-separated `Key=Value`, whitespace around fields and
  // around `=` is ignored, keys are case-insensitive. Returns nullopt when there is no valid
  // Root (the header is then ignored, as the X-Ray SDKs do). An invalid Parent is dropped; an
  // unrecognised Sampled value reads as kUnknown. Linear in the input; never throws.
  static std::optional<TraceHeader> Parse(std::string_view value);

  // Emits `Root=…[;Parent=…][;Sampled=1|0|?][;Lineage=…][;K=V…]`. Parse(ToString()) == *this.
  std::string ToString() const;

  // The W3C traceparent for this header: requires a Parent (nullopt otherwise). Sampled=1
  // gives flags 01, anything else 00.
  std::optional<std::string> ToTraceparent() const;

  // Reads a W3C traceparent (version 00 exactly 55 chars; higher versions may carry more after
  // a '-'; version ff, all-zero ids and non-hex digits are rejected). Flags bit 0 → Sampled.
  static std::optional<TraceHeader> FromTraceparent(std::string_view value);

  bool operator==(const TraceHeader&) const = default;
};

// True for `1-` + 8 hex + `-` + 24 hex (lowercase or uppercase).
bool IsValidTraceId(std::string_view id);
// True for exactly 16 hex digits.
bool IsValidEntityId(std::string_view id);

// A new trace id whose epoch part is `epoch_seconds`; 96 random bits. Thread-safe.
std::string NewTraceId(int64_t epoch_seconds);
// A new 16-hex (sub)segment / exception id, never all zeros. Thread-safe.
std::string NewEntityId();

}  // namespace roentgen::sdk
