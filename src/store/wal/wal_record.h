// SPDX-License-Identifier: Apache-2.0
#pragma once

// The WAL's logical records: what WalManager stores inside each log record (the payload of
// a log::Writer record). docs/format/wal.md, "Logical records", is the normative description.
//
//   file header:  kind=1 (1 byte) | file_number (fixed64) | next_lsn (fixed64)
//   batch:        kind=2 (1 byte) | first_lsn (fixed64) | count (varint32, >= 1)
//                 | count x ( length (varint32) | payload bytes )
//
// The records of a batch have the sequence numbers first_lsn .. first_lsn + count - 1. All
// integers are little-endian. A logical record is exactly as long as its fields: trailing
// bytes are corruption.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace roentgen::store::wal {

enum class WalRecordKind : uint8_t {
  kFileHeader = 1,
  kBatch = 2,
};

inline constexpr size_t kFileHeaderSize = 1 + 8 + 8;
// The largest payload of one record (its length is a varint32).
inline constexpr uint64_t kMaxPayloadSize = 0xffffffffu;
// LSNs are in [1, kMaxLsn]; anything above is corruption. (2^63 records is never reached, and
// the bound keeps next-LSN arithmetic from overflowing.)
inline constexpr uint64_t kMaxLsn = (uint64_t{1} << 63) - 1;

// The first record of every WAL file. next_lsn is the sequence number the next batch will
// get; it keeps sequence numbers increasing across restarts even when every earlier file
// has been deleted.
struct FileHeader {
  uint64_t file_number = 0;
  uint64_t next_lsn = 0;
};

// A decoded logical record. For kBatch, `payloads` point into the decoded input.
struct WalRecord {
  WalRecordKind kind = WalRecordKind::kBatch;
  FileHeader header;                       // kFileHeader only
  uint64_t first_lsn = 0;                  // kBatch only
  std::vector<std::string_view> payloads;  // kBatch only
};

// Appends the encoding of a file header to *dst.
void EncodeFileHeader(const FileHeader& header, std::string* dst);
// Appends the encoding of a batch to *dst. REQUIRES: !payloads.empty(), every payload at most
// kMaxPayloadSize bytes, first_lsn >= 1.
void EncodeBatch(uint64_t first_lsn, std::span<const std::string_view> payloads, std::string* dst);

// Decodes one logical record into *out. Corruption if it is malformed: unknown kind,
// truncated field, zero count, an LSN outside [1, kMaxLsn] (a header's next_lsn may be
// kMaxLsn + 1), trailing bytes. Never reads outside
// `input`; memory used is O(input.size()).
Status DecodeWalRecord(std::string_view input, WalRecord* out);

}  // namespace roentgen::store::wal
