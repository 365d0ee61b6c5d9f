// SPDX-License-Identifier: Apache-2.0
#include "parse/daemon_datagram.h"

#include <cstring>
#include <string>

#include "parse/json_dom.h"
#include "parse/udp_datagram_format.h"

namespace roentgen::parse {
namespace {

// The header is a handful of bytes; deeper nesting than this is certainly not a header.
constexpr size_t kMaxHeaderDepth = 8;

char AsciiLower(char ch) {
  return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
}

bool EqualsIgnoreCase(std::string_view left, std::string_view right) {
  if (left.size() != right.size()) return false;
  for (size_t idx = 0; idx < left.size(); ++idx) {
    if (AsciiLower(left[idx]) != AsciiLower(right[idx])) return false;
  }
  return true;
}

bool IsBlank(std::string_view text) {
  for (char ch : text) {
    if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') return false;
  }
  return true;
}

Status Drop(DatagramDropReason why, DatagramDropReason* reason, std::string_view message) {
  if (reason != nullptr) *reason = why;
  return InvalidArgumentError(message);
}

// Checks a header that is not byte-for-byte the canonical one. Returns an empty string when
// it is acceptable, else what is wrong with it.
std::string CheckHeader(std::string_view header) {
  auto parsed = ParseJson(header, kMaxHeaderDepth);
  if (!parsed.ok()) return "header is not JSON (" + std::string(parsed.error().message()) + ")";
  const JsonValue& root = *parsed;
  if (!root.is_object()) return "header is not a JSON object";
  // Go's encoding/json semantics: case-insensitive member names, the last one wins, and a
  // member of the wrong type fails the whole header.
  const JsonValue* format = nullptr;
  const JsonValue* version = nullptr;
  for (const JsonMember& member : root.members()) {
    if (EqualsIgnoreCase(member.key, "format")) format = &member.value;
    if (EqualsIgnoreCase(member.key, "version")) version = &member.value;
  }
  if (format == nullptr || !format->is_string() ||
      !EqualsIgnoreCase(format->string_value(), kHeaderFormat)) {
    return "header format is not \"json\"";
  }
  if (version == nullptr || !version->is_number() ||
      version->number_token() != kHeaderVersionToken) {
    return "header version is not 1";
  }
  return std::string();
}

}  // namespace

std::string_view DatagramDropReasonName(DatagramDropReason reason) {
  switch (reason) {
    case DatagramDropReason::kNone:
      return "none";
    case DatagramDropReason::kTooLarge:
      return "too_large";
    case DatagramDropReason::kNoNewline:
      return "no_newline";
    case DatagramDropReason::kBadHeader:
      return "bad_header";
    case DatagramDropReason::kEmptyBody:
      return "empty_body";
  }
  return "unknown";
}

Result<std::string_view> SplitDaemonDatagram(std::string_view datagram,
                                             DatagramDropReason* reason) {
  if (datagram.size() > kMaxDatagramBytes) {
    return Drop(DatagramDropReason::kTooLarge, reason,
                "datagram of " + std::to_string(datagram.size()) + " bytes exceeds " +
                    std::to_string(kMaxDatagramBytes));
  }
  const void* separator =
      datagram.empty() ? nullptr : std::memchr(datagram.data(), kHeaderSeparator, datagram.size());
  if (separator == nullptr) {
    return Drop(DatagramDropReason::kNoNewline, reason, "datagram has no header line");
  }
  const auto header_size =
      static_cast<size_t>(static_cast<const char*>(separator) - datagram.data());
  const std::string_view header = datagram.substr(0, header_size);
  const std::string_view body = datagram.substr(header_size + 1);
  if (header != kCanonicalHeader) {
    std::string problem = CheckHeader(header);
    if (!problem.empty()) return Drop(DatagramDropReason::kBadHeader, reason, problem);
  }
  if (IsBlank(body)) {
    return Drop(DatagramDropReason::kEmptyBody, reason, "datagram has no segment document");
  }
  if (reason != nullptr) *reason = DatagramDropReason::kNone;
  return body;
}

}  // namespace roentgen::parse
