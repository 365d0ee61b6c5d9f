// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace roentgen::model {

// An X-Ray trace id `1-XXXXXXXX-YYYYYYYYYYYYYYYYYYYYYYYY`: 8 hex digits of epoch seconds and
// 24 hex digits (96 bits) of randomness, held as 16 bytes in wire order (so byte order equals
// text order). Immutable value type.
struct TraceId {
  std::array<uint8_t, 16> bytes{};

  // Parses the 35-character text form; lowercase and uppercase hex are accepted.
  // Returns nullopt for anything else.
  static std::optional<TraceId> Parse(std::string_view text);
  // The canonical lowercase text form.
  std::string ToString() const;
  // The epoch-seconds part (the first 8 hex digits).
  uint32_t epoch_seconds() const {
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
           uint32_t{bytes[3]};
  }
  std::string_view AsBytes() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  static TraceId FromBytes(const char* sixteen_bytes) {
    TraceId id;
    std::memcpy(id.bytes.data(), sixteen_bytes, 16);
    return id;
  }

  auto operator<=>(const TraceId&) const = default;
  bool operator==(const TraceId&) const = default;
};

// A 64-bit segment, subsegment or exception id written as 16 lowercase hex digits.
struct SegmentId {
  uint64_t value = 0;

  static std::optional<SegmentId> Parse(std::string_view text);
  std::string ToString() const;
  auto operator<=>(const SegmentId&) const = default;
  bool operator==(const SegmentId&) const = default;
};

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    return std::hash<uint64_t>()(a * 0x9e3779b97f4a7c15ull ^ b);
  }
};

}  // namespace roentgen::model
