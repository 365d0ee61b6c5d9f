// SPDX-License-Identifier: Apache-2.0
#pragma once

// Constants of the X-Ray daemon UDP datagram format, shared by the splitter and its tests.
// The format is described in docs/format/udp_datagram.md.

#include <cstddef>
#include <string_view>

namespace roentgen::parse {

// Largest datagram accepted, header included: the X-Ray daemon's 64 KiB receive buffer.
// (An IPv4 UDP payload cannot exceed 65,507 bytes anyway.)
inline constexpr size_t kMaxDatagramBytes = 64 * 1024;

// The header and the document are separated by the first line feed.
inline constexpr char kHeaderSeparator = '\n';

// The header every known SDK sends (Node, Python); the Go SDK adds spaces after ':' and ','.
inline constexpr std::string_view kCanonicalHeader = R"({"format":"json","version":1})";

// Header field values that are accepted: `format` compared case-insensitively, `version`
// exactly the integer 1.
inline constexpr std::string_view kHeaderFormat = "json";
inline constexpr std::string_view kHeaderVersionToken = "1";

}  // namespace roentgen::parse
