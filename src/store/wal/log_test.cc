// SPDX-License-Identifier: Apache-2.0
// Tests for the log format: log::Writer, log::Reader, and the seed corpus of the reader's
// fuzz target (set RG_REGENERATE_CORPUS=1 to rewrite it).
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "store/file_system.h"
#include "store/wal/log_format.h"
#include "store/wal/log_reader.h"
#include "store/wal/log_writer.h"

namespace roentgen::store::log {
namespace {

// Records every report.
class RecordingReporter : public Reader::Reporter {
 public:
  void Corruption(size_t bytes, const Status& status) override {
    dropped_bytes += bytes;
    messages.emplace_back(status.message());
    EXPECT_EQ(status.code(), StatusCode::kCorruption);
  }
  size_t dropped_bytes = 0;
  std::vector<std::string> messages;
};

// A distinctive payload: size n, contents depend on the seed.
std::string Payload(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  std::mt19937 rng(seed);
  for (char& c : out) c = static_cast<char>('a' + rng() % 26);
  return out;
}

// Encodes records as a log, returning its bytes and each record's end offset.
std::string WriteLog(const std::vector<std::string>& records,
                     std::vector<uint64_t>* ends = nullptr) {
  auto fs = NewMemFileSystem();
  auto file = fs->NewWritableFile("/log");
  EXPECT_TRUE(file.ok());
  Writer writer(**file);
  for (const std::string& record : records) {
    EXPECT_TRUE(writer.AddRecord(record).ok());
    if (ends != nullptr) ends->push_back(writer.offset());
  }
  EXPECT_EQ(writer.offset(), (*file)->size());
  return *fs->ReadFileToString("/log", 1ull << 32);
}

struct ReadResult {
  std::vector<std::string> records;
  std::vector<uint64_t> offsets;
  RecordingReporter reporter;
  uint64_t dropped_tail_bytes = 0;
  Status status;
};

void ReadLog(std::string_view bytes, ReadResult* result) {
  auto fs = NewMemFileSystem();
  auto file = fs->NewWritableFile("/log");
  EXPECT_TRUE((*file)->Append(bytes).ok());
  auto input = fs->NewSequentialFile("/log");
  EXPECT_TRUE(input.ok());
  Reader reader(**input, &result->reporter);
  std::string_view record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) {
    result->records.emplace_back(record);
    result->offsets.push_back(reader.last_record_offset());
  }
  result->dropped_tail_bytes = reader.dropped_tail_bytes();
  result->status = reader.status();
}

// A physical record with a valid checksum, for crafting odd logs.
std::string PhysicalRecord(uint8_t type, std::string_view payload) {
  std::string out;
  const char type_byte = static_cast<char>(type);
  uint32_t crc = crc32c::Extend(crc32c::Value(&type_byte, 1), payload.data(), payload.size());
  coding::PutFixed32(&out, crc32c::Mask(crc));
  out.push_back(static_cast<char>(payload.size() & 0xff));
  out.push_back(static_cast<char>(payload.size() >> 8));
  out.push_back(type_byte);
  out.append(payload);
  return out;
}

TEST(LogTest, EmptyLogHasNoRecords) {
  ReadResult result;
  ReadLog("", &result);
  EXPECT_TRUE(result.records.empty());
  EXPECT_TRUE(result.reporter.messages.empty());
  EXPECT_TRUE(result.status.ok());
}

TEST(LogTest, RoundTripOfBoundarySizes) {
  // Sizes around every special case: empty, exactly filling a block, leaving a trailer
  // shorter than a header, leaving exactly a header (zero-length FIRST), spanning blocks.
  const std::vector<size_t> sizes = {0,
                                     1,
                                     100,
                                     kMaxFragmentSize - 1,
                                     kMaxFragmentSize,
                                     kMaxFragmentSize + 1,
                                     kBlockSize - 2 * kHeaderSize,
                                     kBlockSize - 2 * kHeaderSize - 1,
                                     kBlockSize - 2 * kHeaderSize + 1,
                                     kBlockSize,
                                     2 * kMaxFragmentSize,
                                     2 * kBlockSize + 3,
                                     100 * 1000,
                                     100 * 1024};
  for (size_t lead : {size_t{0}, size_t{1}, size_t{3}, kMaxFragmentSize - 20}) {
    std::vector<std::string> records;
    if (lead > 0) records.push_back(Payload(lead, 999));
    for (size_t size_idx = 0; size_idx < sizes.size(); ++size_idx) {
      records.push_back(Payload(sizes[size_idx], static_cast<uint32_t>(size_idx)));
      records.push_back("");
      records.push_back(Payload(sizes[size_idx], static_cast<uint32_t>(size_idx + 100)));
    }
    std::vector<uint64_t> ends;
    std::string log = WriteLog(records, &ends);
    ReadResult result;
    ReadLog(log, &result);
    EXPECT_TRUE(result.reporter.messages.empty()) << result.reporter.messages.front();
    EXPECT_EQ(result.dropped_tail_bytes, 0u);
    ASSERT_EQ(result.records.size(), records.size());
    for (size_t record_idx = 0; record_idx < records.size(); ++record_idx) {
      EXPECT_EQ(result.records[record_idx], records[record_idx]) << "record " << record_idx;
      // Each record starts where the previous ended, or after a skipped trailer.
      uint64_t start = record_idx == 0 ? 0 : ends[record_idx - 1];
      uint64_t offset = result.offsets[record_idx];
      EXPECT_GE(offset, start);
      EXPECT_LT(offset - start, kHeaderSize);
    }
  }
}

TEST(LogTest, RoundTripOfRandomSizes) {
  std::mt19937 rng(42);
  std::vector<std::string> records;
  for (int record_idx = 0; record_idx < 500; ++record_idx) {
    size_t size = rng() % 4 == 0 ? rng() % 150000 : rng() % 300;
    records.push_back(Payload(size, static_cast<uint32_t>(record_idx)));
  }
  ReadResult result;
  ReadLog(WriteLog(records), &result);
  EXPECT_TRUE(result.reporter.messages.empty());
  EXPECT_EQ(result.records, records);
}

TEST(LogTest, WriterResumesAnExistingLog) {
  auto fs = NewMemFileSystem();
  std::vector<std::string> records;
  for (int round = 0; round < 5; ++round) {
    auto file = fs->NewAppendableFile("/log");
    ASSERT_TRUE(file.ok());
    Writer writer(**file, (*file)->size());
    for (int record_idx = 0; record_idx < 7; ++record_idx) {
      records.push_back(Payload(static_cast<size_t>(round * 9000 + record_idx * 1111),
                                static_cast<uint32_t>(records.size())));
      ASSERT_TRUE(writer.AddRecord(records.back()).ok());
    }
  }
  ReadResult result;
  ReadLog(*fs->ReadFileToString("/log", 1 << 30), &result);
  EXPECT_TRUE(result.reporter.messages.empty());
  EXPECT_EQ(result.records, records);
}

TEST(LogTest, ChecksumMismatchDropsRestOfBlockAndResyncs) {
  // Small records spread over several blocks.
  std::vector<std::string> records;
  for (int record_idx = 0; record_idx < 400; ++record_idx) {
    records.push_back(Payload(250, static_cast<uint32_t>(record_idx)));
  }
  std::vector<uint64_t> ends;
  std::string log = WriteLog(records, &ends);
  ASSERT_GT(log.size(), 3 * kBlockSize);
  // Damage a payload byte of the first record that starts in block 1.
  size_t victim = 0;
  while (ends[victim] < kBlockSize + 10) ++victim;
  ++victim;
  const uint64_t victim_start = ends[victim - 1];
  log[victim_start + kHeaderSize + 5] ^= 0x40;

  ReadResult result;
  ReadLog(log, &result);
  ASSERT_FALSE(result.reporter.messages.empty());
  EXPECT_NE(result.reporter.messages[0].find("checksum mismatch at offset " +
                                             std::to_string(victim_start)),
            std::string::npos)
      << result.reporter.messages[0];
  // The record straddling into block 2, if any, lost its start.
  for (size_t message_idx = 1; message_idx < result.reporter.messages.size(); ++message_idx) {
    EXPECT_NE(result.reporter.messages[message_idx].find("missing start"), std::string::npos);
  }
  EXPECT_GE(result.reporter.dropped_bytes, 2 * kBlockSize - victim_start);
  // Everything before the victim, and everything that starts in a later block, survives.
  std::vector<std::string> expected(records.begin(), records.begin() + static_cast<long>(victim));
  for (size_t record_idx = victim; record_idx < records.size(); ++record_idx) {
    const uint64_t start = ends[record_idx - 1];
    if (start > 2 * kBlockSize - kHeaderSize) expected.push_back(records[record_idx]);
  }
  EXPECT_EQ(result.records, expected);
  EXPECT_GT(result.records.size(), victim + 100);
  EXPECT_TRUE(result.status.ok());
}

TEST(LogTest, DamagedFragmentOfLargeRecordIsReportedAndNextRecordsRead) {
  std::vector<std::string> records = {Payload(10, 1), Payload(100 * 1000, 2), Payload(10, 3),
                                      Payload(50000, 4), Payload(10, 5)};
  std::string log = WriteLog(records);
  log[kBlockSize + 100] ^= 1;  // inside the MIDDLE fragment of record 1
  ReadResult result;
  ReadLog(log, &result);
  EXPECT_FALSE(result.reporter.messages.empty());
  EXPECT_EQ(result.records,
            (std::vector<std::string>{records[0], records[2], records[3], records[4]}));
}

TEST(LogTest, DamagedFirstFragmentReportsMissingStart) {
  std::vector<std::string> records = {Payload(3 * kBlockSize, 1), Payload(10, 2)};
  std::string log = WriteLog(records);
  log[20] ^= 1;  // the FIRST fragment fills block 0
  ReadResult result;
  ReadLog(log, &result);
  ASSERT_GE(result.reporter.messages.size(), 2u);
  EXPECT_NE(result.reporter.messages[0].find("checksum mismatch"), std::string::npos);
  EXPECT_NE(result.reporter.messages[1].find("missing start of fragmented record"),
            std::string::npos);
  EXPECT_EQ(result.records, std::vector<std::string>{records[1]});
}

TEST(LogTest, BadLengthInMiddleIsReported) {
  std::vector<std::string> records;
  for (int record_idx = 0; record_idx < 300; ++record_idx) {
    records.push_back(Payload(300, static_cast<uint32_t>(record_idx)));
  }
  std::vector<uint64_t> ends;
  std::string log = WriteLog(records, &ends);
  // Record 3's length field claims more than the block holds.
  log[ends[2] + 4] = static_cast<char>(0xff);
  log[ends[2] + 5] = static_cast<char>(0x7f);
  ReadResult result;
  ReadLog(log, &result);
  ASSERT_FALSE(result.reporter.messages.empty());
  EXPECT_NE(result.reporter.messages[0].find("bad record length"), std::string::npos);
  for (size_t message_idx = 1; message_idx < result.reporter.messages.size(); ++message_idx) {
    EXPECT_NE(result.reporter.messages[message_idx].find("missing start"), std::string::npos);
  }
  EXPECT_EQ(result.records.front(), records[0]);
  EXPECT_EQ(result.records.back(), records.back());
}

TEST(LogTest, UnknownRecordTypeIsReported) {
  std::string log =
      PhysicalRecord(1, "before") + PhysicalRecord(9, "strange") + PhysicalRecord(1, "after");
  ReadResult result;
  ReadLog(log, &result);
  ASSERT_EQ(result.reporter.messages.size(), 1u);
  EXPECT_NE(result.reporter.messages[0].find("unknown record type 9"), std::string::npos);
  EXPECT_EQ(result.records, (std::vector<std::string>{"before", "after"}));
}

TEST(LogTest, OutOfOrderFragmentsAreReported) {
  std::string log = PhysicalRecord(3, "middle-without-first") + PhysicalRecord(2, "first") +
                    PhysicalRecord(1, "full") + PhysicalRecord(4, "last-without-first");
  ReadResult result;
  ReadLog(log, &result);
  EXPECT_EQ(result.reporter.messages.size(), 3u);
  EXPECT_EQ(result.records, std::vector<std::string>{"full"});
}

TEST(LogTest, TornTailIsSilent) {
  std::vector<std::string> records;
  std::mt19937 rng(7);
  for (int record_idx = 0; record_idx < 40; ++record_idx) {
    size_t size = record_idx % 5 == 0 ? 20000 + rng() % 50000 : rng() % 2000;
    records.push_back(Payload(size, static_cast<uint32_t>(record_idx)));
  }
  std::vector<uint64_t> ends;
  std::string log = WriteLog(records, &ends);

  // Every cut near a record end or a block boundary, plus random cuts.
  std::set<uint64_t> cuts;
  for (uint64_t end : ends) {
    for (uint64_t delta = 0; delta <= 2 * kHeaderSize; ++delta) {
      if (end >= delta) cuts.insert(end - delta);
      cuts.insert(end + delta);
    }
  }
  for (uint64_t block = kBlockSize; block < log.size(); block += kBlockSize) {
    for (uint64_t delta = 0; delta <= 2 * kHeaderSize; ++delta) {
      cuts.insert(block - delta);
      cuts.insert(block + delta);
    }
  }
  for (int sample = 0; sample < 300; ++sample) cuts.insert(rng() % log.size());

  for (uint64_t cut : cuts) {
    if (cut > log.size()) continue;
    ReadResult result;
    ReadLog(std::string_view(log).substr(0, cut), &result);
    ASSERT_TRUE(result.reporter.messages.empty())
        << "cut at " << cut << ": " << result.reporter.messages.front();
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= cut) ++complete;
    ASSERT_EQ(result.records.size(), complete) << "cut at " << cut;
    for (size_t record_idx = 0; record_idx < complete; ++record_idx) {
      ASSERT_EQ(result.records[record_idx], records[record_idx]);
    }
    const uint64_t complete_end = complete == 0 ? 0 : ends[complete - 1];
    EXPECT_LE(result.dropped_tail_bytes, cut - complete_end);
  }
}

TEST(LogTest, ZeroFilledTailIsSilent) {
  std::vector<std::string> records = {Payload(100, 1), Payload(40000, 2), Payload(5, 3)};
  std::string log = WriteLog(records) + std::string(50000, '\0');
  ReadResult result;
  ReadLog(log, &result);
  EXPECT_TRUE(result.reporter.messages.empty());
  EXPECT_EQ(result.records, records);
  EXPECT_GT(result.dropped_tail_bytes, 0u);
}

TEST(LogTest, ZeroFilledRegionFollowedByRecordsIsReported) {
  std::vector<std::string> first = {Payload(100, 1), Payload(200, 2)};
  std::vector<std::string> second = {Payload(300, 3), Payload(40000, 4)};
  std::string log = WriteLog(first);
  log.resize(kBlockSize, '\0');  // a hole up to the next block
  log += WriteLog(second);       // starts at a block boundary, so its framing holds
  ReadResult result;
  ReadLog(log, &result);
  ASSERT_EQ(result.reporter.messages.size(), 1u);
  EXPECT_NE(result.reporter.messages[0].find("zero-filled region"), std::string::npos);
  std::vector<std::string> expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(result.records, expected);
}

TEST(LogTest, GarbageDoesNotCrash) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::string garbage(rng() % (3 * kBlockSize), '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    ReadResult result;
    ReadLog(garbage, &result);
    EXPECT_TRUE(result.status.ok());
  }
}

// A file whose second read fails.
class FailingFile : public SequentialFile {
 public:
  explicit FailingFile(std::string data) : data_(std::move(data)) {}
  Result<std::string_view> Read(size_t n, std::string* scratch) override {
    if (reads_++ > 0) return IoError("read /log: injected");
    scratch->assign(data_.substr(0, n));
    return std::string_view(*scratch);
  }
  Status Skip(uint64_t) override { return Status::Ok(); }

 private:
  std::string data_;
  int reads_ = 0;
};

TEST(LogTest, ReadErrorStopsTheReaderWithStatus) {
  std::vector<std::string> records = {Payload(100, 1), Payload(3 * kBlockSize, 2)};
  FailingFile file(WriteLog(records));
  RecordingReporter reporter;
  Reader reader(file, &reporter);
  std::string_view record;
  std::string scratch;
  ASSERT_TRUE(reader.ReadRecord(&record, &scratch));
  EXPECT_EQ(record, records[0]);
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
  EXPECT_EQ(reader.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(reporter.messages.empty());
}

TEST(LogTest, WriterErrorIsSticky) {
  auto base = NewMemFileSystem();
  FaultInjectionFileSystem fs(*base);
  auto file = fs.NewWritableFile("/log");
  ASSERT_TRUE(file.ok());
  Writer writer(**file);
  ASSERT_TRUE(writer.AddRecord("ok").ok());
  fs.InjectErrors(FaultKind::kWrite, 1);
  EXPECT_FALSE(writer.AddRecord("fails").ok());
  EXPECT_FALSE(writer.AddRecord("still fails").ok());
}

// ---- The fuzz target's seed corpus ----

std::string CorpusDir() {
  return std::string(RG_SOURCE_DIR) + "/src/store/wal/testdata/log_reader_corpus";
}

// name -> bytes, deterministic.
std::vector<std::pair<std::string, std::string>> CorpusSeeds() {
  std::vector<std::pair<std::string, std::string>> seeds;
  seeds.emplace_back("empty_record", WriteLog({""}));
  seeds.emplace_back("small_records", WriteLog({"a", "bc", Payload(100, 1), Payload(1000, 2)}));
  std::string spanning = WriteLog({Payload(10, 3), Payload(70000, 4), Payload(20, 5)});
  seeds.emplace_back("spanning_blocks", spanning);
  seeds.emplace_back(
      "trailer_and_zero_first",
      WriteLog({Payload(kBlockSize - 2 * kHeaderSize, 6), Payload(50, 7),
                Payload(kBlockSize - (kHeaderSize + 50) - kHeaderSize - 3, 8), Payload(9, 9)}));
  std::string damaged = spanning;
  damaged[kBlockSize + 200] ^= 0x10;
  seeds.emplace_back("bad_checksum_middle", damaged);
  seeds.emplace_back("torn_tail", spanning.substr(0, kBlockSize + 1000));
  seeds.emplace_back("torn_header", spanning.substr(0, kHeaderSize + 10 + 3));
  seeds.emplace_back("zero_tail", WriteLog({Payload(30, 10)}) + std::string(100, '\0'));
  seeds.emplace_back("odd_fragments", PhysicalRecord(3, "m") + PhysicalRecord(2, "f") +
                                          PhysicalRecord(1, "full") + PhysicalRecord(9, "x") +
                                          PhysicalRecord(4, "l"));
  // Logical WAL records (wal_record.h) inside log records, for the decoder half of the target.
  std::string header("\x01", 1);
  coding::PutFixed64(&header, 1);
  coding::PutFixed64(&header, 1);
  std::string batch("\x02", 1);
  coding::PutFixed64(&batch, 1);
  coding::PutVarint32(&batch, 2);
  coding::PutLengthPrefixed(&batch, "first");
  coding::PutLengthPrefixed(&batch, "second");
  seeds.emplace_back("wal_file", WriteLog({header, batch}));
  return seeds;
}

TEST(LogReaderCorpus, SeedsAreCheckedInAndCurrent) {
  const bool regenerate = std::getenv("RG_REGENERATE_CORPUS") != nullptr;
  for (const auto& [name, bytes] : CorpusSeeds()) {
    const std::string path = CorpusDir() + "/" + name;
    if (regenerate) {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      ASSERT_TRUE(out.good()) << path;
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in.good()) << path << " is missing; run with RG_REGENERATE_CORPUS=1";
    std::string stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(stored, bytes) << path << " is stale; run with RG_REGENERATE_CORPUS=1";
  }
}

}  // namespace
}  // namespace roentgen::store::log
