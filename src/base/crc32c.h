// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace roentgen::crc32c {

// Returns the CRC-32C (Castagnoli) of data, continuing from init_crc (the crc of earlier
// bytes, 0 for none). Uses the SSE4.2 instruction where the CPU has it. Thread-safe.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// A stored CRC is masked, as LevelDB does, so that the CRC of a string containing embedded
// CRCs stays well distributed.
inline uint32_t Mask(uint32_t crc) {
  static constexpr uint32_t kMaskDelta = 0xa282ead8u;
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline uint32_t Unmask(uint32_t masked_crc) {
  static constexpr uint32_t kMaskDelta = 0xa282ead8u;
  uint32_t rot = masked_crc - kMaskDelta;
  return ((rot >> 17) | (rot << 15));
}

}  // namespace roentgen::crc32c
