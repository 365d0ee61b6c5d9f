// SPDX-License-Identifier: Apache-2.0
#include "store/wal/log_writer.h"

#include "base/coding.h"
#include "base/crc32c.h"

namespace roentgen::store::log {

Writer::Writer(WritableFile& dest, uint64_t dest_length)
    : dest_(dest), block_offset_(dest_length % kBlockSize), offset_(dest_length) {
  for (uint8_t type = 0; type <= kMaxRecordType; ++type) {
    const char byte = static_cast<char>(type);
    type_crc_[type] = crc32c::Value(&byte, 1);
  }
}

Status Writer::AddRecord(std::string_view payload) {
  if (!error_.ok()) return error_;
  const char* ptr = payload.data();
  size_t left = payload.size();
  // Fragment the record if needed. An empty record still emits one (FULL, zero-length)
  // physical record.
  bool begin = true;
  Status status;
  do {
    const size_t leftover = kBlockSize - block_offset_;
    if (leftover < kHeaderSize) {
      // Fill the trailer with zeros and switch to a new block.
      if (leftover > 0) {
        static constexpr char kZeros[kHeaderSize] = {};
        status = dest_.Append(std::string_view(kZeros, leftover));
        if (!status.ok()) break;
        offset_ += leftover;
      }
      block_offset_ = 0;
    }
    // As in LevelDB, when exactly kHeaderSize bytes remain this emits a zero-length FIRST
    // fragment; readers accept it.
    const size_t available = kBlockSize - block_offset_ - kHeaderSize;
    const size_t fragment_length = left < available ? left : available;
    const bool end = left == fragment_length;
    RecordType type;
    if (begin && end) {
      type = RecordType::kFull;
    } else if (begin) {
      type = RecordType::kFirst;
    } else if (end) {
      type = RecordType::kLast;
    } else {
      type = RecordType::kMiddle;
    }
    status = EmitPhysicalRecord(type, ptr, fragment_length);
    ptr += fragment_length;
    left -= fragment_length;
    begin = false;
  } while (status.ok() && left > 0);
  if (status.ok()) status = dest_.Flush();
  if (!status.ok()) error_ = status;
  return status;
}

Status Writer::EmitPhysicalRecord(RecordType type, const char* data, size_t length) {
  // length <= kMaxFragmentSize < 65536, so it fits the 2-byte field.
  char header[kHeaderSize];
  header[4] = static_cast<char>(length & 0xff);
  header[5] = static_cast<char>(length >> 8);
  header[6] = static_cast<char>(type);
  const uint32_t crc = crc32c::Extend(type_crc_[static_cast<uint8_t>(type)], data, length);
  coding::EncodeFixed32(header, crc32c::Mask(crc));
  Status status = dest_.Append(std::string_view(header, kHeaderSize));
  if (status.ok()) status = dest_.Append(std::string_view(data, length));
  block_offset_ += kHeaderSize + length;
  offset_ += kHeaderSize + length;
  return status;
}

}  // namespace roentgen::store::log
