// SPDX-License-Identifier: Apache-2.0
#pragma once

// The physical log format shared by log::Writer and log::Reader; docs/format/wal.md is the
// normative description. It is LevelDB's log format (doc/log_format.md there): the file is a
// sequence of 32 KiB blocks; each block holds physical records
//
//   +---------------+-------------+-----------+--- ... ---+
//   | masked crc32c | length      | type      | payload   |
//   | fixed32 LE    | fixed16 LE  | 1 byte    | length    |
//   +---------------+-------------+-----------+--- ... ---+
//
// where the crc covers the type byte and the payload and is stored masked
// (base/crc32c.h Mask). A record never crosses a block boundary: a logical record that does
// not fit is split into FIRST, MIDDLE..., LAST fragments. When fewer than kHeaderSize bytes
// remain in a block they are written as zeros (the trailer) and skipped by readers.

#include <cstddef>
#include <cstdint>

namespace roentgen::store::log {

enum class RecordType : uint8_t {
  // Reserved: zero-filled (preallocated or never-written) space. Never written as a record.
  kZero = 0,
  kFull = 1,    // a whole logical record
  kFirst = 2,   // first fragment of a logical record
  kMiddle = 3,  // interior fragment
  kLast = 4,    // final fragment
};
inline constexpr uint8_t kMaxRecordType = static_cast<uint8_t>(RecordType::kLast);

inline constexpr size_t kBlockSize = 32768;
// checksum (4) + length (2) + type (1).
inline constexpr size_t kHeaderSize = 4 + 2 + 1;
// The largest payload of one physical record.
inline constexpr size_t kMaxFragmentSize = kBlockSize - kHeaderSize;

}  // namespace roentgen::store::log
