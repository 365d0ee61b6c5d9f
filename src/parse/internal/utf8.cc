// SPDX-License-Identifier: Apache-2.0
#include "parse/internal/utf8.h"

namespace roentgen::parse::internal {

size_t FindInvalidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t pos = 0;
  while (pos < size) {
    const unsigned char lead = bytes[pos];
    if (lead < 0x80) {
      ++pos;
      continue;
    }
    size_t length = 0;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) min_second = 0xA0;  // overlong
      if (lead == 0xED) max_second = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) min_second = 0x90;  // overlong
      if (lead == 0xF4) max_second = 0x8F;  // above U+10FFFF
    } else {
      return pos;
    }
    if (size - pos < length) return pos;
    if (bytes[pos + 1] < min_second || bytes[pos + 1] > max_second) return pos;
    for (size_t idx = 2; idx < length; ++idx) {
      if ((bytes[pos + idx] & 0xC0) != 0x80) return pos;
    }
    pos += length;
  }
  return kNoInvalidUtf8;
}

size_t Utf8TruncatedSize(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  size_t end = max_bytes;
  // Step back over continuation bytes so that the cut lands on a sequence start.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return end;
}

uint32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto lead = static_cast<unsigned char>(text[*pos]);
  auto next = [&](size_t offset) -> uint32_t {
    return static_cast<unsigned char>(text[*pos + offset]) & 0x3Fu;
  };
  uint32_t code_point;
  if (lead < 0x80) {
    code_point = lead;
    *pos += 1;
  } else if (lead < 0xE0) {
    code_point = ((lead & 0x1Fu) << 6) | next(1);
    *pos += 2;
  } else if (lead < 0xF0) {
    code_point = ((lead & 0x0Fu) << 12) | (next(1) << 6) | next(2);
    *pos += 3;
  } else {
    code_point = ((lead & 0x07u) << 18) | (next(1) << 12) | (next(2) << 6) | next(3);
    *pos += 4;
  }
  return code_point;
}

void AppendUtf8(std::string* out, uint32_t code_point) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

}  // namespace roentgen::parse::internal
