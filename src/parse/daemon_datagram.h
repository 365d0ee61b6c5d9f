// SPDX-License-Identifier: Apache-2.0
#pragma once

// Splitting an X-Ray daemon UDP datagram into its header line and segment document
// (docs/format/udp_datagram.md).

#include <array>
#include <string_view>

#include "base/result.h"

namespace roentgen::parse {

// Why a datagram was dropped before its document was parsed. The names returned by
// DatagramDropReasonName are stable: they are used as a Prometheus label value.
enum class DatagramDropReason {
  kNone,       // not dropped
  kTooLarge,   // more than kMaxDatagramBytes bytes
  kNoNewline,  // no '\n' separating the header from the document (includes empty datagrams)
  kBadHeader,  // the header is not JSON, not an object, or not format "json" / version 1
  kEmptyBody,  // nothing but JSON whitespace after the '\n'
};

// Every reason except kNone, for registering metric series up front.
inline constexpr std::array<DatagramDropReason, 4> kAllDatagramDropReasons = {
    DatagramDropReason::kTooLarge, DatagramDropReason::kNoNewline, DatagramDropReason::kBadHeader,
    DatagramDropReason::kEmptyBody};

// "none", "too_large", "no_newline", "bad_header", "empty_body".
std::string_view DatagramDropReasonName(DatagramDropReason reason);

// Splits `datagram` at its FIRST '\n' and checks the header the way the X-Ray daemon does:
// the header must be a JSON object whose `format` member (name matched case-insensitively,
// as Go's encoding/json does) is a string equal to "json" ignoring case and whose `version`
// member is the integer 1 (the token `1`); other members are ignored, the last of duplicate
// members counts. Returns the document: everything after the '\n', unmodified (it may
// contain further newlines). The view points into `datagram`.
// On a drop returns InvalidArgument (message says why) and sets *reason when non-null;
// on success sets *reason to kNone when non-null. Never reads the document itself.
// Thread-safe. Cost: O(header size) plus a memchr for the separator.
Result<std::string_view> SplitDaemonDatagram(std::string_view datagram, DatagramDropReason* reason);

}  // namespace roentgen::parse
