// SPDX-License-Identifier: Apache-2.0
#include "store/wal/wal_record.h"

#include <algorithm>

#include "base/check.h"
#include "base/coding.h"

namespace roentgen::store::wal {

void EncodeFileHeader(const FileHeader& header, std::string* dst) {
  dst->push_back(static_cast<char>(WalRecordKind::kFileHeader));
  coding::PutFixed64(dst, header.file_number);
  coding::PutFixed64(dst, header.next_lsn);
}

void EncodeBatch(uint64_t first_lsn, std::span<const std::string_view> payloads, std::string* dst) {
  RG_DCHECK(!payloads.empty());
  RG_DCHECK(first_lsn >= 1);
  // One allocation: growing a multi-megabyte batch by doubling copied it ~10 times into
  // fresh pages, half of the WAL writer's time under UDP load (bench/README.md).
  size_t bytes = dst->size() + 1 + 8 + 5;
  for (std::string_view payload : payloads) bytes += 5 + payload.size();
  dst->reserve(bytes);
  dst->push_back(static_cast<char>(WalRecordKind::kBatch));
  coding::PutFixed64(dst, first_lsn);
  coding::PutVarint32(dst, static_cast<uint32_t>(payloads.size()));
  for (std::string_view payload : payloads) {
    RG_DCHECK(payload.size() <= kMaxPayloadSize);
    coding::PutLengthPrefixed(dst, payload);
  }
}

Status DecodeWalRecord(std::string_view input, WalRecord* out) {
  out->payloads.clear();
  if (input.empty()) return CorruptionError("wal record: empty");
  const auto kind = static_cast<uint8_t>(input.front());
  input.remove_prefix(1);
  switch (kind) {
    case static_cast<uint8_t>(WalRecordKind::kFileHeader): {
      out->kind = WalRecordKind::kFileHeader;
      if (!coding::GetFixed64(&input, &out->header.file_number) ||
          !coding::GetFixed64(&input, &out->header.next_lsn)) {
        return CorruptionError("wal record: truncated file header");
      }
      if (!input.empty()) return CorruptionError("wal record: trailing bytes after file header");
      if (out->header.next_lsn == 0 || out->header.next_lsn > kMaxLsn + 1) {
        return CorruptionError("wal record: file header lsn out of range");
      }
      return Status::Ok();
    }
    case static_cast<uint8_t>(WalRecordKind::kBatch): {
      out->kind = WalRecordKind::kBatch;
      uint32_t count;
      if (!coding::GetFixed64(&input, &out->first_lsn) || !coding::GetVarint32(&input, &count)) {
        return CorruptionError("wal record: truncated batch header");
      }
      if (count == 0) return CorruptionError("wal record: empty batch");
      if (out->first_lsn == 0 || out->first_lsn > kMaxLsn - (count - 1)) {
        return CorruptionError("wal record: batch lsn out of range");
      }
      // Each payload takes at least one byte (its length), so a count larger than the input
      // is corrupt; checking first bounds the reservation.
      if (count > input.size()) return CorruptionError("wal record: batch count too large");
      out->payloads.reserve(count);
      for (uint32_t payload_idx = 0; payload_idx < count; ++payload_idx) {
        std::string_view payload;
        if (!coding::GetLengthPrefixed(&input, &payload)) {
          return CorruptionError("wal record: truncated payload " + std::to_string(payload_idx));
        }
        out->payloads.push_back(payload);
      }
      if (!input.empty()) return CorruptionError("wal record: trailing bytes after batch");
      return Status::Ok();
    }
    default:
      return CorruptionError("wal record: unknown kind " + std::to_string(kind));
  }
}

}  // namespace roentgen::store::wal
