// SPDX-License-Identifier: Apache-2.0
#include "store/wal/log_reader.h"

#include <algorithm>

#include "base/coding.h"
#include "base/crc32c.h"

namespace roentgen::store::log {

Reader::Reader(SequentialFile& file, Reporter* reporter) : file_(file), reporter_(reporter) {}

bool Reader::ReadRecord(std::string_view* record, std::string* scratch) {
  scratch->clear();
  *record = {};
  bool in_fragmented_record = false;
  // Offset of the first fragment of the record being assembled.
  uint64_t prospective_record_offset = 0;

  std::string_view fragment;
  while (true) {
    const unsigned record_type = ReadPhysicalRecord(&fragment);
    // Offset of the physical record just read (meaningless for kEof and kBadRecord).
    const uint64_t physical_record_offset =
        end_of_buffer_offset_ - buffer_.size() - kHeaderSize - fragment.size();
    switch (record_type) {
      case static_cast<unsigned>(RecordType::kFull):
        if (in_fragmented_record && !scratch->empty()) {
          ReportCorruption(scratch->size(), "partial record without end",
                           prospective_record_offset);
        }
        scratch->clear();
        *record = fragment;
        last_record_offset_ = physical_record_offset;
        return true;

      case static_cast<unsigned>(RecordType::kFirst):
        if (in_fragmented_record && !scratch->empty()) {
          ReportCorruption(scratch->size(), "partial record without end",
                           prospective_record_offset);
        }
        prospective_record_offset = physical_record_offset;
        scratch->assign(fragment);
        in_fragmented_record = true;
        break;

      case static_cast<unsigned>(RecordType::kMiddle):
        if (!in_fragmented_record) {
          ReportCorruption(fragment.size(), "missing start of fragmented record",
                           physical_record_offset);
        } else {
          scratch->append(fragment);
        }
        break;

      case static_cast<unsigned>(RecordType::kLast):
        if (!in_fragmented_record) {
          ReportCorruption(fragment.size(), "missing start of fragmented record",
                           physical_record_offset);
        } else {
          scratch->append(fragment);
          *record = *scratch;
          last_record_offset_ = prospective_record_offset;
          return true;
        }
        break;

      case kEof:
        // A record cut off by the end of the file is a torn tail, not corruption.
        if (in_fragmented_record) dropped_tail_bytes_ += scratch->size();
        scratch->clear();
        return false;

      case kBadRecord:
        if (in_fragmented_record) {
          ReportCorruption(scratch->size(), "error in middle of record", prospective_record_offset);
          in_fragmented_record = false;
          scratch->clear();
        }
        break;

      case kZeroFill:
        // The open record can only be finished by fragments after the zeros; if the file
        // ends there it was a torn tail, otherwise ReportPendingZeros reports it.
        if (in_fragmented_record) {
          pending_zero_offset_ = std::min(pending_zero_offset_, prospective_record_offset);
          pending_zero_bytes_ += scratch->size();
          in_fragmented_record = false;
          scratch->clear();
        }
        break;

      default:
        ReportCorruption(fragment.size() + (in_fragmented_record ? scratch->size() : 0),
                         "unknown record type " + std::to_string(record_type),
                         physical_record_offset);
        in_fragmented_record = false;
        scratch->clear();
        break;
    }
  }
}

unsigned Reader::ReadPhysicalRecord(std::string_view* fragment) {
  *fragment = {};
  while (true) {
    if (buffer_.size() < kHeaderSize) {
      if (!eof_) {
        // The last read was a full block, so what is left of it is a trailer: skip it.
        buffer_ = {};
        Result<std::string_view> read = file_.Read(kBlockSize, &backing_store_);
        if (!read.ok()) {
          status_ = read.error();
          eof_ = true;
          return kEof;
        }
        buffer_ = *read;
        end_of_buffer_offset_ += buffer_.size();
        if (buffer_.size() < kBlockSize) eof_ = true;
        continue;
      }
      // A header cut off by the end of the file: the writer died while writing it.
      dropped_tail_bytes_ += buffer_.size() + pending_zero_bytes_;
      pending_zero_bytes_ = 0;
      buffer_ = {};
      return kEof;
    }

    const uint64_t header_offset = end_of_buffer_offset_ - buffer_.size();
    const char* header = buffer_.data();
    const uint32_t length = static_cast<uint32_t>(static_cast<uint8_t>(header[4])) |
                            (static_cast<uint32_t>(static_cast<uint8_t>(header[5])) << 8);
    const auto type = static_cast<uint8_t>(header[6]);

    if (kHeaderSize + length > buffer_.size()) {
      const size_t drop_size = buffer_.size();
      buffer_ = {};
      if (eof_) {
        // The payload runs past the end of the file: a torn tail.
        dropped_tail_bytes_ += drop_size + pending_zero_bytes_;
        pending_zero_bytes_ = 0;
        return kEof;
      }
      ReportPendingZeros();
      ReportCorruption(drop_size, "bad record length", header_offset);
      return kBadRecord;
    }

    if (type == static_cast<uint8_t>(RecordType::kZero) && length == 0) {
      // Zero-filled space (a file that grew before its data reached the disk). Drop the rest
      // of the block; whether that is a tail or corruption depends on what follows.
      if (pending_zero_bytes_ == 0) pending_zero_offset_ = header_offset;
      pending_zero_bytes_ += buffer_.size();
      buffer_ = {};
      return kZeroFill;
    }
    ReportPendingZeros();

    const uint32_t expected_crc = crc32c::Unmask(coding::DecodeFixed32(header));
    const uint32_t actual_crc = crc32c::Value(header + 6, 1 + length);
    if (actual_crc != expected_crc) {
      // The length may be garbage too, so nothing after this header in the block can be
      // trusted: drop the rest of the block and resynchronize at the next one.
      const size_t drop_size = buffer_.size();
      buffer_ = {};
      ReportCorruption(drop_size, "checksum mismatch", header_offset);
      return kBadRecord;
    }

    buffer_.remove_prefix(kHeaderSize + length);
    *fragment = std::string_view(header + kHeaderSize, length);
    return type;
  }
}

void Reader::ReportPendingZeros() {
  if (pending_zero_bytes_ == 0) return;
  const uint64_t bytes = pending_zero_bytes_;
  pending_zero_bytes_ = 0;
  ReportCorruption(static_cast<size_t>(bytes), "zero-filled region followed by records",
                   pending_zero_offset_);
}

void Reader::ReportCorruption(size_t bytes, std::string_view reason, uint64_t offset) {
  if (reporter_ == nullptr) return;
  std::string message(reason);
  message += " at offset ";
  message += std::to_string(offset);
  reporter_->Corruption(bytes, CorruptionError(message));
}

}  // namespace roentgen::store::log
