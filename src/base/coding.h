// SPDX-License-Identifier: Apache-2.0
#pragma once

// Little-endian fixed-width and varint encodings shared by every on-disk format
// (docs/format/). Decoders never read past the end of their input.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace roentgen::coding {

inline void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  std::memcpy(buf, &value, 4);  // x86-64 and aarch64 are little-endian
  dst->append(buf, 4);
}
inline void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  std::memcpy(buf, &value, 8);
  dst->append(buf, 8);
}
inline uint32_t DecodeFixed32(const char* ptr) {
  uint32_t value;
  std::memcpy(&value, ptr, 4);
  return value;
}
inline uint64_t DecodeFixed64(const char* ptr) {
  uint64_t value = 0;
  std::memcpy(&value, ptr, 8);
  return value;
}
inline void EncodeFixed32(char* dst, uint32_t value) { std::memcpy(dst, &value, 4); }
inline void EncodeFixed64(char* dst, uint64_t value) { std::memcpy(dst, &value, 8); }

inline void PutVarint64(std::string* dst, uint64_t value) {
  while (value >= 0x80) {
    dst->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  dst->push_back(static_cast<char>(value));
}
inline void PutVarint32(std::string* dst, uint32_t value) { PutVarint64(dst, value); }
// Zig-zag signed varint.
inline void PutVarsint64(std::string* dst, int64_t value) {
  PutVarint64(dst, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}

// Reads a varint from the front of *input and advances it. Returns false on truncated or
// over-long input (leaving *input unspecified).
inline bool GetVarint64(std::string_view* input, uint64_t* value) {
  uint64_t result = 0;
  for (unsigned shift = 0; shift <= 63 && !input->empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(input->front());
    input->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}
inline bool GetVarint32(std::string_view* input, uint32_t* value) {
  uint64_t wide;
  if (!GetVarint64(input, &wide) || wide > 0xffffffffu) return false;
  *value = static_cast<uint32_t>(wide);
  return true;
}
inline bool GetVarsint64(std::string_view* input, int64_t* value) {
  uint64_t raw;
  if (!GetVarint64(input, &raw)) return false;
  *value = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  return true;
}
inline bool GetFixed32(std::string_view* input, uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}
inline bool GetFixed64(std::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}
// Length-prefixed (varint32) byte string.
inline void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value);
}
inline bool GetLengthPrefixed(std::string_view* input, std::string_view* value) {
  uint32_t len;
  if (!GetVarint32(input, &len) || input->size() < len) return false;
  *value = input->substr(0, len);
  input->remove_prefix(len);
  return true;
}

}  // namespace roentgen::coding
