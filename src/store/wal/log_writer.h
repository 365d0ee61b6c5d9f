// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "store/file_system.h"
#include "store/wal/log_format.h"

namespace roentgen::store::log {

// Appends logical records to a file in the log format (log_format.h, docs/format/wal.md).
// Not thread-safe; externally synchronized.
class Writer {
 public:
  // Writes to the end of *dest, which holds dest_length bytes already (0 for a new file; the
  // size of an existing log file to append to it). *dest must outlive the writer.
  explicit Writer(WritableFile& dest, uint64_t dest_length = 0);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends one logical record (any size, including empty) and flushes it to the operating
  // system, so that it survives a crash of this process. Does not sync: call dest.Sync() to
  // make it survive a power cut. After an error the tail of the file is undefined and every
  // later call returns the same error.
  Status AddRecord(std::string_view payload);

  // Bytes written so far, including what the file held at construction.
  uint64_t offset() const { return offset_; }

 private:
  Status EmitPhysicalRecord(RecordType type, const char* data, size_t length);

  WritableFile& dest_;
  size_t block_offset_;  // position inside the current block
  uint64_t offset_;
  Status error_;  // sticky
  // crc32c of each type byte, precomputed to save a pass per record.
  uint32_t type_crc_[kMaxRecordType + 1];
};

}  // namespace roentgen::store::log
