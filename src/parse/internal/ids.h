// SPDX-License-Identifier: Apache-2.0
#pragma once

// Id parsers for the ingest hot path. Same contract as model::SegmentId::Parse and
// model::TraceId::Parse (upper- and lowercase hex accepted), several times faster.

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "model/trace_id.h"

namespace roentgen::parse::internal {

// Decodes the 8 hex digits at `text` (any case) into *value, the first digit most
// significant; false if any of them is not a hex digit. SWAR: all 8 bytes are checked and
// converted at once in one 64-bit register.
inline bool DecodeHex8(const char* text, uint32_t* value) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t bytes;
  std::memcpy(&bytes, text, 8);
  if constexpr (std::endian::native == std::endian::big) bytes = __builtin_bswap64(bytes);
  // Byte-wise range tests, valid while every byte is below 0x80 (no carries across bytes).
  auto in_range = [&](uint64_t x, uint8_t low, uint8_t high) {
    const uint64_t at_least_low = x + kOnes * (0x80u - low);
    const uint64_t above_high = x + kOnes * (0x7Fu - high);
    return at_least_low & ~above_high & kHigh;
  };
  const uint64_t is_digit = in_range(bytes, '0', '9');
  const uint64_t is_letter = in_range(bytes | (kOnes * 0x20), 'a', 'f');  // 'A'-'F' too
  if ((bytes & kHigh) != 0 || (is_digit | is_letter) != kHigh) return false;
  // Digit values: the low nibble, plus 9 for letters (bit 6 is set only for letters).
  uint64_t nibbles = (bytes & (kOnes * 0x0F)) + 9 * ((bytes >> 6) & kOnes);
  // Merge neighbours: byte 0 holds the most significant digit.
  nibbles = ((nibbles & 0x000F000F000F000Full) << 4) | ((nibbles >> 8) & 0x000F000F000F000Full);
  nibbles = ((nibbles & 0x000000FF000000FFull) << 8) | ((nibbles >> 16) & 0x000000FF000000FFull);
  nibbles = ((nibbles & 0x000000000000FFFFull) << 16) | ((nibbles >> 32) & 0x000000000000FFFFull);
  *value = static_cast<uint32_t>(nibbles);
  return true;
}

inline std::optional<model::SegmentId> ParseSegmentIdFast(std::string_view text) {
  uint32_t high = 0;
  uint32_t low = 0;
  if (text.size() != 16 || !DecodeHex8(text.data(), &high) || !DecodeHex8(text.data() + 8, &low)) {
    return std::nullopt;
  }
  return model::SegmentId{(uint64_t{high} << 32) | low};
}

inline std::optional<model::TraceId> ParseTraceIdFast(std::string_view text) {
  if (text.size() != 35 || text[0] != '1' || text[1] != '-' || text[10] != '-') {
    return std::nullopt;
  }
  uint32_t words[4];
  if (!DecodeHex8(text.data() + 2, &words[0]) || !DecodeHex8(text.data() + 11, &words[1]) ||
      !DecodeHex8(text.data() + 19, &words[2]) || !DecodeHex8(text.data() + 27, &words[3])) {
    return std::nullopt;
  }
  model::TraceId id;
  for (size_t word = 0; word < 4; ++word) {
    for (size_t idx = 0; idx < 4; ++idx) {
      id.bytes[4 * word + idx] = static_cast<uint8_t>(words[word] >> (8 * (3 - idx)));
    }
  }
  return id;
}

}  // namespace roentgen::parse::internal
