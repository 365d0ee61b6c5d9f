// SPDX-License-Identifier: Apache-2.0
#include "model/trace_id.h"

namespace roentgen::model {
namespace {

int HexValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

constexpr char kHexDigits[] = "0123456789abcdef";

// Decodes 2*n hex digits into n bytes; false on a non-hex digit.
bool DecodeHex(std::string_view hex, uint8_t* out) {
  for (size_t idx = 0; idx < hex.size() / 2; ++idx) {
    int high = HexValue(hex[2 * idx]);
    int low = HexValue(hex[2 * idx + 1]);
    if (high < 0 || low < 0) return false;
    out[idx] = static_cast<uint8_t>((high << 4) | low);
  }
  return true;
}

}  // namespace

std::optional<TraceId> TraceId::Parse(std::string_view text) {
  if (text.size() != 35 || text[0] != '1' || text[1] != '-' || text[10] != '-') return std::nullopt;
  TraceId id;
  if (!DecodeHex(text.substr(2, 8), id.bytes.data())) return std::nullopt;
  if (!DecodeHex(text.substr(11, 24), id.bytes.data() + 4)) return std::nullopt;
  return id;
}

std::string TraceId::ToString() const {
  std::string out = "1-";
  out.reserve(35);
  for (size_t idx = 0; idx < 16; ++idx) {
    if (idx == 4) out.push_back('-');
    out.push_back(kHexDigits[bytes[idx] >> 4]);
    out.push_back(kHexDigits[bytes[idx] & 0xf]);
  }
  return out;
}

std::optional<SegmentId> SegmentId::Parse(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  uint64_t value = 0;
  for (char ch : text) {
    int digit = HexValue(ch);
    if (digit < 0) return std::nullopt;
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return SegmentId{value};
}

std::string SegmentId::ToString() const {
  std::string out(16, '0');
  uint64_t rest = value;
  for (size_t idx = 16; idx-- > 0;) {
    out[idx] = kHexDigits[rest & 0xf];
    rest >>= 4;
  }
  return out;
}

}  // namespace roentgen::model
