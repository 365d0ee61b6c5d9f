// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/file_system.h"
#include "store/wal/log_format.h"

namespace roentgen::store::log {

// Reads logical records back from a file in the log format (log_format.h,
// docs/format/wal.md), verifying every checksum. Damage is skipped, not fatal (STYLE.md 27):
//   - A physical record with a bad checksum or an impossible length makes the reader drop the
//     rest of its 32 KiB block (the length may be garbage, so nothing after it in the block
//     can be trusted) and resynchronize at the next block. The drop is reported.
//   - Fragments out of order (a MIDDLE or LAST without a FIRST, a FIRST while another record
//     is open) are dropped and reported, as is an unknown record type.
//   - Zero-filled space (type 0, length 0) running to the end of the file is ignored; followed
//     by more records it is reported.
//   - A torn tail, a partial record at the very end of the file (the normal result of a crash
//     in the middle of a write), is not corruption: it is ignored and counted in
//     dropped_tail_bytes(). This is LevelDB's rule, with its consequence that damage to a
//     length field in the final, partial block also reads as a torn tail.
// Every record returned passed its checksum(s).
//
// Not thread-safe; externally synchronized.
class Reader {
 public:
  // Receives the ranges the reader drops. Called from ReadRecord on the reader's thread.
  class Reporter {
   public:
    virtual ~Reporter() = default;
    // About `bytes` bytes were dropped. `status` is a Corruption whose message says why and
    // at which file offset ("checksum mismatch at offset 32768").
    virtual void Corruption(size_t bytes, const Status& status) = 0;
  };

  // Reads *file from its current position, which must be the start of the log (reads are
  // block-aligned). *file must outlive the reader. reporter is a nullable borrow; when
  // non-null it must outlive the reader.
  Reader(SequentialFile& file, Reporter* reporter);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads the next record into *record and returns true, or returns false at the end of the
  // file or on a read error (see status()). *record points into the reader's buffer or into
  // *scratch and stays valid until the next ReadRecord call or until *scratch changes.
  // Memory: *scratch grows to at most the size of the largest logical record.
  bool ReadRecord(std::string_view* record, std::string* scratch);

  // OK, or the error that made the underlying file unreadable (after which ReadRecord
  // returns false). Corruption does not appear here; it goes to the Reporter.
  Status status() const { return status_; }

  // The file offset of the first physical record of the record last returned by ReadRecord.
  uint64_t last_record_offset() const { return last_record_offset_; }

  // Bytes ignored at the end of the file as a torn tail (0 for a cleanly written log).
  uint64_t dropped_tail_bytes() const { return dropped_tail_bytes_; }

 private:
  // The result of ReadPhysicalRecord: a RecordType value or one of these.
  enum : unsigned {
    kEof = kMaxRecordType + 1,
    kBadRecord = kMaxRecordType + 2,  // dropped (already reported)
    kZeroFill = kMaxRecordType + 3,   // zero-filled space; judged later
  };

  unsigned ReadPhysicalRecord(std::string_view* fragment);
  void ReportCorruption(size_t bytes, std::string_view reason, uint64_t offset);
  // Reports the zero-filled space seen so far: records follow it, so it is not a tail.
  void ReportPendingZeros();

  SequentialFile& file_;
  Reporter* const reporter_;
  std::string backing_store_;  // the current block
  std::string_view buffer_;    // unread part of backing_store_
  bool eof_ = false;           // the last read returned less than a full block
  Status status_;
  // File offset just past the end of buffer_.
  uint64_t end_of_buffer_offset_ = 0;
  uint64_t last_record_offset_ = 0;
  uint64_t dropped_tail_bytes_ = 0;
  // Zero-filled space not yet judged: a tail if the file ends, corruption if records follow.
  uint64_t pending_zero_bytes_ = 0;
  uint64_t pending_zero_offset_ = 0;
};

}  // namespace roentgen::store::log
