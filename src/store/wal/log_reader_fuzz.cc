// SPDX-License-Identifier: Apache-2.0
// Fuzz target: arbitrary bytes as a log file, read back through MemFileSystem by
//   1. log::Reader, checking properties (STYLE.md 36), not just "no crash":
//      - every record returned can be re-assembled from the input at last_record_offset()
//        out of physical records whose checksums verify (an independent walk of the format);
//      - offsets strictly increase and the bytes returned never exceed the input (bounded
//        memory: the reader never invents or duplicates data);
//      - reports are Corruption and read errors never happen on memory;
//   2. wal::DecodeWalRecord on every record: decode(encode(decode(x))) == decode(x);
//   3. WalManager::Recover over the same bytes as a WAL file: LSNs strictly increase.
// Each input is checked as given and again with every checksum the framing finds rewritten
// to be valid, so that mutations get past the checksums.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/logging.h"
#include "store/file_system.h"
#include "store/wal/log_format.h"
#include "store/wal/log_reader.h"
#include "store/wal/wal_manager.h"
#include "store/wal/wal_record.h"

namespace roentgen::store {
namespace {

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

class CheckingReporter : public log::Reader::Reporter {
 public:
  explicit CheckingReporter(size_t input_size) : input_size_(input_size) {}
  void Corruption(size_t bytes, const Status& status) override {
    FUZZ_CHECK(status.code() == StatusCode::kCorruption);
    FUZZ_CHECK(bytes <= input_size_);
  }

 private:
  size_t input_size_;
};

// Re-assembles the logical record starting at `offset` straight from the format, verifying
// each fragment's checksum. Returns false if that is impossible.
bool AssembleAt(std::string_view input, uint64_t offset, std::string* out) {
  out->clear();
  uint64_t pos = offset;
  bool first = true;
  while (true) {
    const uint64_t left_in_block = log::kBlockSize - pos % log::kBlockSize;
    if (left_in_block < log::kHeaderSize) {
      if (first) return false;  // a record never starts in a trailer
      pos += left_in_block;
      continue;
    }
    if (pos + log::kHeaderSize > input.size()) return false;
    const char* header = input.data() + pos;
    const size_t length = static_cast<uint8_t>(header[4]) |
                          (static_cast<size_t>(static_cast<uint8_t>(header[5])) << 8);
    const auto type = static_cast<uint8_t>(header[6]);
    if (log::kHeaderSize + length > left_in_block) return false;
    if (pos + log::kHeaderSize + length > input.size()) return false;
    const uint32_t crc = crc32c::Value(header + 6, 1 + length);
    if (crc32c::Unmask(coding::DecodeFixed32(header)) != crc) return false;
    const auto record_type = static_cast<log::RecordType>(type);
    if (first) {
      if (record_type != log::RecordType::kFull && record_type != log::RecordType::kFirst) {
        return false;
      }
    } else if (record_type != log::RecordType::kMiddle && record_type != log::RecordType::kLast) {
      return false;
    }
    out->append(header + log::kHeaderSize, length);
    pos += log::kHeaderSize + length;
    first = false;
    if (record_type == log::RecordType::kFull || record_type == log::RecordType::kLast) {
      return true;
    }
  }
}

// Rewrites the checksum of every physical record the framing finds, so that mutations of
// lengths, types and payloads reach the fragment assembly, the WAL record decoder and
// recovery instead of stopping at the checksum.
std::string FixChecksums(std::string_view input) {
  std::string out(input);
  size_t pos = 0;
  while (pos + log::kHeaderSize <= out.size()) {
    const size_t left_in_block = log::kBlockSize - pos % log::kBlockSize;
    const size_t length = static_cast<uint8_t>(out[pos + 4]) |
                          (static_cast<size_t>(static_cast<uint8_t>(out[pos + 5])) << 8);
    if (left_in_block < log::kHeaderSize || log::kHeaderSize + length > left_in_block ||
        pos + log::kHeaderSize + length > out.size()) {
      pos += left_in_block;
      continue;
    }
    const uint32_t crc = crc32c::Value(out.data() + pos + 6, 1 + length);
    coding::EncodeFixed32(out.data() + pos, crc32c::Mask(crc));
    pos += log::kHeaderSize + length;
  }
  return out;
}

void CheckDecoder(std::string_view record) {
  wal::WalRecord decoded;
  if (!wal::DecodeWalRecord(record, &decoded).ok()) return;
  std::string reencoded;
  if (decoded.kind == wal::WalRecordKind::kFileHeader) {
    wal::EncodeFileHeader(decoded.header, &reencoded);
  } else {
    FUZZ_CHECK(!decoded.payloads.empty());
    for (std::string_view payload : decoded.payloads) {
      FUZZ_CHECK(payload.data() >= record.data() &&
                 payload.data() + payload.size() <= record.data() + record.size());
    }
    wal::EncodeBatch(decoded.first_lsn, decoded.payloads, &reencoded);
  }
  wal::WalRecord again;
  FUZZ_CHECK(wal::DecodeWalRecord(reencoded, &again).ok());
  FUZZ_CHECK(again.kind == decoded.kind);
  FUZZ_CHECK(again.header.file_number == decoded.header.file_number);
  FUZZ_CHECK(again.header.next_lsn == decoded.header.next_lsn);
  FUZZ_CHECK(again.first_lsn == decoded.first_lsn);
  FUZZ_CHECK(again.payloads == decoded.payloads);
}

void CheckReader(FileSystem& fs, std::string_view input) {
  auto file = fs.NewSequentialFile("/fuzz.log");
  FUZZ_CHECK(file.ok());
  CheckingReporter reporter(input.size());
  log::Reader reader(**file, &reporter);
  std::string_view record;
  std::string scratch;
  std::string assembled;
  uint64_t returned_bytes = 0;
  bool have_previous = false;
  uint64_t previous_offset = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    returned_bytes += record.size();
    FUZZ_CHECK(returned_bytes <= input.size());
    FUZZ_CHECK(scratch.size() <= input.size());
    const uint64_t offset = reader.last_record_offset();
    FUZZ_CHECK(!have_previous || offset > previous_offset);
    have_previous = true;
    previous_offset = offset;
    FUZZ_CHECK(AssembleAt(input, offset, &assembled));
    FUZZ_CHECK(assembled == record);
    CheckDecoder(record);
  }
  FUZZ_CHECK(reader.status().ok());
  FUZZ_CHECK(reader.dropped_tail_bytes() <= input.size());
}

void CheckRecovery(FileSystem& fs, std::string_view input) {
  FUZZ_CHECK(fs.CreateDirs("/wal").ok());
  {
    auto file = fs.NewWritableFile("/wal/" + WalManager::FileName(1));
    FUZZ_CHECK(file.ok());
    FUZZ_CHECK((*file)->Append(input).ok());
  }
  auto wal = WalManager::Open(fs, "/wal");
  FUZZ_CHECK(wal.ok());
  uint64_t previous_lsn = 0;
  uint64_t payload_bytes = 0;
  Status status = (*wal)->Recover([&](uint64_t lsn, std::string_view payload) {
    FUZZ_CHECK(lsn > previous_lsn);
    previous_lsn = lsn;
    payload_bytes += payload.size();
    FUZZ_CHECK(payload_bytes <= input.size());
  });
  FUZZ_CHECK(status.ok());
  FUZZ_CHECK((*wal)->last_lsn() >= previous_lsn);
  // Appending after recovery continues above every recovered LSN.
  std::string_view record = "after";
  auto appended = (*wal)->Append({&record, 1});
  if (appended.ok()) FUZZ_CHECK(*appended > previous_lsn);
}

void CheckAll(std::string_view input) {
  auto fs = NewMemFileSystem();
  {
    auto file = fs->NewWritableFile("/fuzz.log");
    FUZZ_CHECK(file.ok());
    FUZZ_CHECK((*file)->Append(input).ok());
  }
  CheckReader(*fs, input);
  CheckRecovery(*fs, input);
}

}  // namespace
}  // namespace roentgen::store

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  roentgen::SetLogLevel(roentgen::LogLevel::kOff);  // recovery warns about every corruption
  std::string_view input(reinterpret_cast<const char*>(data), size);
  roentgen::store::CheckAll(input);
  // The same bytes with valid checksums, to get past them.
  std::string fixed = roentgen::store::FixChecksums(input);
  if (fixed != input) roentgen::store::CheckAll(fixed);
  return 0;
}
