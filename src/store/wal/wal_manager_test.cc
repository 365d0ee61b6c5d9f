// SPDX-License-Identifier: Apache-2.0
#include "store/wal/wal_manager.h"

#include <stdlib.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/logging.h"
#include "store/file_system.h"
#include "store/wal/log_format.h"

namespace roentgen::store {
namespace {

constexpr char kDir[] = "/data/wal";

class CountingReporter : public log::Reader::Reporter {
 public:
  void Corruption(size_t bytes, const Status& status) override {
    ++events;
    dropped_bytes += bytes;
    last_message = std::string(status.message());
  }
  int events = 0;
  size_t dropped_bytes = 0;
  std::string last_message;
};

struct Recovered {
  std::vector<std::pair<uint64_t, std::string>> records;
  Status status;
};

// Opens and recovers a WAL, collecting its records.
std::unique_ptr<WalManager> OpenAndRecover(FileSystem& fs, const std::string& dir,
                                           const WalManager::Options& options, Recovered* out) {
  auto wal = WalManager::Open(fs, dir, options);
  EXPECT_TRUE(wal.ok()) << wal.error().ToString();
  if (!wal.ok()) return nullptr;
  out->status = (*wal)->Recover([&](uint64_t lsn, std::string_view payload) {
    out->records.emplace_back(lsn, std::string(payload));
  });
  return std::move(wal).value();
}

Result<uint64_t> AppendStrings(WalManager& wal, const std::vector<std::string>& records) {
  std::vector<std::string_view> views(records.begin(), records.end());
  return wal.Append(views);
}

std::string Record(uint64_t id, size_t size) {
  std::string out = "record-" + std::to_string(id) + ":";
  out.resize(std::max(size, out.size()), static_cast<char>('a' + id % 26));
  return out;
}

class WalManagerTest : public ::testing::Test {
 protected:
  WalManagerTest() : fs_(NewMemFileSystem()) { options_.reporter = &reporter_; }

  std::vector<std::string> WalFiles() {
    auto names = fs_->ListDir(kDir);
    EXPECT_TRUE(names.ok());
    return names.ok() ? *names : std::vector<std::string>{};
  }

  std::unique_ptr<FileSystem> fs_;
  CountingReporter reporter_;
  WalManager::Options options_;
};

TEST(WalManagerFileNames, FormatAndParse) {
  EXPECT_EQ(WalManager::FileName(1), "wal-000000000001.log");
  EXPECT_EQ(WalManager::FileName(123456789012345), "wal-123456789012345.log");
  uint64_t number = 0;
  EXPECT_TRUE(WalManager::ParseFileName("wal-000000000042.log", &number));
  EXPECT_EQ(number, 42u);
  EXPECT_TRUE(WalManager::ParseFileName("wal-123456789012345.log", &number));
  EXPECT_EQ(number, 123456789012345u);
  for (const char* bad :
       {"wal-.log", "wal-12a.log", "wal-000000000001.log.tmp", "LOCK", "wal-000000000000.log",
        "wal-99999999999999999999999.log", "xwal-000000000001.log"}) {
    EXPECT_FALSE(WalManager::ParseFileName(bad, &number)) << bad;
  }
}

TEST_F(WalManagerTest, AppendAssignsIncreasingLsnsAndRecoverReplaysThem) {
  Recovered first;
  auto wal = OpenAndRecover(*fs_, kDir, options_, &first);
  ASSERT_TRUE(first.status.ok());
  EXPECT_TRUE(first.records.empty());
  EXPECT_EQ(wal->last_lsn(), 0u);
  EXPECT_EQ(*AppendStrings(*wal, {"a"}), 1u);
  EXPECT_EQ(*AppendStrings(*wal, {"b", "c", ""}), 4u);
  EXPECT_EQ(*AppendStrings(*wal, {std::string(100000, 'x')}), 5u);
  ASSERT_TRUE(wal->Sync().ok());
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();

  Recovered second;
  wal = OpenAndRecover(*fs_, kDir, options_, &second);
  ASSERT_TRUE(second.status.ok());
  std::vector<std::pair<uint64_t, std::string>> expected = {
      {1, "a"}, {2, "b"}, {3, "c"}, {4, ""}, {5, std::string(100000, 'x')}};
  EXPECT_EQ(second.records, expected);
  EXPECT_EQ(wal->recovery_stats().records, 5u);
  EXPECT_EQ(wal->recovery_stats().batches, 3u);
  EXPECT_EQ(wal->recovery_stats().last_lsn, 5u);
  EXPECT_EQ(wal->recovery_stats().corruption_events, 0u);
  EXPECT_EQ(reporter_.events, 0);
  // Numbering continues, in a new file.
  EXPECT_EQ(*AppendStrings(*wal, {"d"}), 6u);
  EXPECT_EQ(wal->current_file_number(), 2u);
}

TEST_F(WalManagerTest, MisuseIsRejected) {
  auto wal = WalManager::Open(*fs_, kDir, options_);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(AppendStrings(**wal, {"a"}).error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*wal)->Sync().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*wal)->TruncateBefore(1).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*wal)->Recover([](uint64_t, std::string_view) {}).ok());
  EXPECT_EQ((*wal)->Recover([](uint64_t, std::string_view) {}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(AppendStrings(**wal, {}).error().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*wal)->Close().ok());
  EXPECT_EQ(AppendStrings(**wal, {"a"}).error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(WalManager::Open(*fs_, kDir, {.max_file_bytes = 0}).error().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(WalManagerTest, RotatesTruncatesAndRecoversAcrossFiles) {
  options_.max_file_bytes = 10000;
  Recovered ignored;
  auto wal = OpenAndRecover(*fs_, kDir, options_, &ignored);
  for (uint64_t id = 1; id <= 200; ++id) {
    ASSERT_EQ(*AppendStrings(*wal, {Record(id, 500)}), id);
  }
  ASSERT_TRUE(wal->Sync().ok());
  // ~100 KB in files of ~10 KB.
  EXPECT_GE(wal->file_count(), 9u);
  EXPECT_EQ(WalFiles().size(), wal->file_count());
  uint64_t total = 0;
  for (const std::string& name : WalFiles()) total += *fs_->GetFileSize(JoinPath(kDir, name));
  EXPECT_EQ(wal->bytes_on_disk(), total);
  EXPECT_GT(total, 200u * 500u);

  // Drop everything below LSN 101: only whole files whose records are all below it go.
  const size_t files_before = wal->file_count();
  ASSERT_TRUE(wal->TruncateBefore(101).ok());
  EXPECT_LT(wal->file_count(), files_before);
  EXPECT_LT(wal->bytes_on_disk(), total);
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();

  Recovered recovered;
  wal = OpenAndRecover(*fs_, kDir, options_, &recovered);
  ASSERT_TRUE(recovered.status.ok());
  ASSERT_FALSE(recovered.records.empty());
  EXPECT_LE(recovered.records.front().first, 101u);  // whole files only
  EXPECT_GT(recovered.records.front().first, 50u);   // but most of the prefix is gone
  for (size_t idx = 0; idx < recovered.records.size(); ++idx) {
    const uint64_t lsn = recovered.records.front().first + idx;
    EXPECT_EQ(recovered.records[idx], std::make_pair(lsn, Record(lsn, 500)));
  }
  EXPECT_EQ(recovered.records.back().first, 200u);
  EXPECT_EQ(reporter_.events, 0);
}

TEST_F(WalManagerTest, TruncateEverythingKeepsLsnsIncreasing) {
  Recovered ignored;
  auto wal = OpenAndRecover(*fs_, kDir, options_, &ignored);
  ASSERT_EQ(*AppendStrings(*wal, {"a", "b", "c"}), 3u);
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();
  for (int restart = 0; restart < 3; ++restart) {
    Recovered recovered;
    wal = OpenAndRecover(*fs_, kDir, options_, &recovered);
    ASSERT_TRUE(recovered.status.ok());
    // Everything stored elsewhere: drop every file but the current one.
    ASSERT_TRUE(wal->TruncateBefore(wal->last_lsn() + 1).ok());
    EXPECT_EQ(wal->file_count(), 1u);
    EXPECT_EQ(wal->last_lsn(), 3u);
    ASSERT_TRUE(wal->Close().ok());
    wal.reset();
  }
  Recovered recovered;
  wal = OpenAndRecover(*fs_, kDir, options_, &recovered);
  EXPECT_TRUE(recovered.records.empty());
  EXPECT_EQ(*AppendStrings(*wal, {"d"}), 4u);  // never reused
  // Restarts did not pile up empty files.
  EXPECT_LE(WalFiles().size(), 2u);
}

TEST_F(WalManagerTest, TornTailIsSilentAndNewRecordsGoToANewFile) {
  Recovered ignored;
  auto wal = OpenAndRecover(*fs_, kDir, options_, &ignored);
  ASSERT_TRUE(AppendStrings(*wal, {Record(1, 100)}).ok());
  ASSERT_TRUE(AppendStrings(*wal, {Record(2, 70000)}).ok());
  const uint64_t file_number = wal->current_file_number();
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();
  // Cut the last record in half, as a crash would.
  const std::string path = JoinPath(kDir, WalManager::FileName(file_number));
  std::string bytes = *fs_->ReadFileToString(path, 1 << 20);
  bytes.resize(bytes.size() - 30000);
  {
    auto file = fs_->NewWritableFile(path);
    ASSERT_TRUE((*file)->Append(bytes).ok());
  }
  Recovered recovered;
  wal = OpenAndRecover(*fs_, kDir, options_, &recovered);
  ASSERT_TRUE(recovered.status.ok());
  ASSERT_EQ(recovered.records.size(), 1u);
  EXPECT_EQ(recovered.records[0].second, Record(1, 100));
  EXPECT_EQ(reporter_.events, 0);
  EXPECT_GT(wal->recovery_stats().torn_tail_bytes, 30000u);
  // LSN 2 never became durable; it is reused, in a new file after the torn one.
  EXPECT_EQ(*AppendStrings(*wal, {"new"}), 2u);
  EXPECT_GT(wal->current_file_number(), file_number);
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();
  Recovered again;
  wal = OpenAndRecover(*fs_, kDir, options_, &again);
  EXPECT_EQ(again.records,
            (std::vector<std::pair<uint64_t, std::string>>{{1, Record(1, 100)}, {2, "new"}}));
  EXPECT_EQ(reporter_.events, 0);  // the old torn tail is still silent
}

TEST_F(WalManagerTest, MidFileCorruptionIsReportedAndSkipped) {
  Recovered ignored;
  auto wal = OpenAndRecover(*fs_, kDir, options_, &ignored);
  for (uint64_t id = 1; id <= 300; ++id) ASSERT_TRUE(AppendStrings(*wal, {Record(id, 400)}).ok());
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();
  const std::string path = JoinPath(kDir, WalManager::FileName(1));
  std::string bytes = *fs_->ReadFileToString(path, 1 << 20);
  bytes[log::kBlockSize + 1000] ^= 0x55;  // somewhere in block 1
  {
    auto file = fs_->NewWritableFile(path);
    ASSERT_TRUE((*file)->Append(bytes).ok());
  }
  Recovered recovered;
  wal = OpenAndRecover(*fs_, kDir, options_, &recovered);
  ASSERT_TRUE(recovered.status.ok());
  EXPECT_GE(reporter_.events, 1);
  EXPECT_NE(reporter_.last_message.find(path), std::string::npos) << reporter_.last_message;
  EXPECT_EQ(wal->recovery_stats().corruption_events, static_cast<uint64_t>(reporter_.events));
  // Records before and after the damaged block are there, in order; some in between are not.
  EXPECT_EQ(recovered.records.front().first, 1u);
  EXPECT_EQ(recovered.records.back().first, 300u);
  EXPECT_LT(recovered.records.size(), 300u);
  EXPECT_GT(recovered.records.size(), 200u);
  for (size_t idx = 1; idx < recovered.records.size(); ++idx) {
    EXPECT_GT(recovered.records[idx].first, recovered.records[idx - 1].first);
    EXPECT_EQ(recovered.records[idx].second, Record(recovered.records[idx].first, 400));
  }
  EXPECT_EQ(*AppendStrings(*wal, {"next"}), 301u);
}

TEST_F(WalManagerTest, IgnoresUnrelatedFiles) {
  ASSERT_TRUE(fs_->CreateDirs(kDir).ok());
  ASSERT_TRUE(fs_->NewWritableFile(JoinPath(kDir, "notes.txt")).ok());
  Recovered recovered;
  auto wal = OpenAndRecover(*fs_, kDir, options_, &recovered);
  ASSERT_TRUE(recovered.status.ok());
  EXPECT_TRUE(fs_->FileExists(JoinPath(kDir, "notes.txt")));
}

TEST_F(WalManagerTest, IoErrorsAreSticky) {
  FaultInjectionFileSystem fs(*fs_);
  Recovered ignored;
  auto wal = OpenAndRecover(fs, kDir, options_, &ignored);
  ASSERT_TRUE(AppendStrings(*wal, {"a"}).ok());
  fs.InjectErrors(FaultKind::kSync, 1);
  EXPECT_EQ(wal->Sync().code(), StatusCode::kIoError);
  // No retry can vouch for the lost pages.
  EXPECT_EQ(wal->Sync().code(), StatusCode::kIoError);
  EXPECT_EQ(AppendStrings(*wal, {"b"}).error().code(), StatusCode::kIoError);
  wal.reset();
  // Reopening recovers what is there and carries on.
  Recovered recovered;
  wal = OpenAndRecover(fs, kDir, options_, &recovered);
  ASSERT_TRUE(recovered.status.ok());
  EXPECT_EQ(recovered.records.size(), 1u);
  EXPECT_EQ(*AppendStrings(*wal, {"b"}), 2u);
}

TEST(WalManagerPosix, RoundTripOnDisk) {
  char pattern[] = "/tmp/rg_wal_test.XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = JoinPath(pattern, "wal");
  auto fs = NewPosixFileSystem();
  {
    auto wal = WalManager::Open(*fs, dir, {.max_file_bytes = 64 * 1024});
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Recover([](uint64_t, std::string_view) {}).ok());
    for (uint64_t id = 1; id <= 500; ++id) {
      ASSERT_TRUE(AppendStrings(**wal, {Record(id, 1000)}).ok());
      if (id % 50 == 0) {
        ASSERT_TRUE((*wal)->Sync().ok());
      }
    }
    ASSERT_TRUE((*wal)->Close().ok());
  }
  auto wal = WalManager::Open(*fs, dir, {});
  ASSERT_TRUE(wal.ok());
  uint64_t expected = 1;
  ASSERT_TRUE((*wal)
                  ->Recover([&](uint64_t lsn, std::string_view payload) {
                    EXPECT_EQ(lsn, expected);
                    EXPECT_EQ(payload, Record(lsn, 1000));
                    ++expected;
                  })
                  .ok());
  EXPECT_EQ(expected, 501u);
  EXPECT_GT((*wal)->file_count(), 5u);
  wal->reset();
  ASSERT_TRUE(fs->DeleteDirRecursive(pattern).ok());
}

// ---- Crash consistency (STYLE.md 38) ----
//
// Random appends, syncs, truncations, rotations and injected I/O errors against a
// FaultInjectionFileSystem; power cuts at random points; then recovery is checked against an
// oracle of what was appended and what was acknowledged durable:
//   - every record appended before the last successful Sync (and at or above the truncation
//     point) is recovered, unchanged;
//   - nothing that was not appended appears; LSNs are strictly increasing and contiguous
//     (a power cut can only lose a suffix);
//   - no corruption is reported: a power cut makes torn tails, never damage.
struct Oracle {
  std::map<uint64_t, std::string> appended;  // lsn -> payload, everything Append accepted
  uint64_t durable_lsn = 0;                  // appended records up to here were synced
  uint64_t truncated_before = 0;             // TruncateBefore(x) was called with this x
};

void RunCrashIterations(FileSystem& base, const std::string& dir, uint64_t seed, int iterations) {
  SetLogLevel(LogLevel::kError);
  FaultInjectionFileSystem fs(base);
  std::mt19937_64 rng(seed);
  CountingReporter reporter;
  WalManager::Options options{.max_file_bytes = 2048 + rng() % 60000, .reporter = &reporter};
  Oracle oracle;
  uint64_t power_cuts = 0;
  uint64_t records_checked = 0;

  for (int iteration = 0; iteration < iterations; ++iteration) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(iteration));
    Recovered recovered;
    auto wal = OpenAndRecover(fs, dir, options, &recovered);
    ASSERT_NE(wal, nullptr);
    ASSERT_TRUE(recovered.status.ok()) << recovered.status.ToString();
    ASSERT_EQ(reporter.events, 0) << reporter.last_message;

    // Check the recovered records against the oracle.
    for (size_t idx = 0; idx < recovered.records.size(); ++idx) {
      const auto& [lsn, payload] = recovered.records[idx];
      auto it = oracle.appended.find(lsn);
      ASSERT_NE(it, oracle.appended.end()) << "lsn " << lsn << " was never appended";
      ASSERT_EQ(it->second, payload) << "lsn " << lsn << " changed";
      if (idx > 0) {
        ASSERT_EQ(lsn, recovered.records[idx - 1].first + 1) << "hole before " << lsn;
      }
    }
    const uint64_t first_required = std::max<uint64_t>(oracle.truncated_before, 1);
    if (oracle.durable_lsn >= first_required) {
      ASSERT_FALSE(recovered.records.empty()) << "lost durable lsns up to " << oracle.durable_lsn;
      ASSERT_LE(recovered.records.front().first, first_required);
      ASSERT_GE(recovered.records.back().first, oracle.durable_lsn);
    }
    records_checked += recovered.records.size();
    // What was recovered is the new truth: lost unsynced records' LSNs will be reused.
    const uint64_t recovered_last = wal->last_lsn();
    ASSERT_GE(recovered_last, oracle.durable_lsn);
    oracle.appended.erase(oracle.appended.upper_bound(recovered_last), oracle.appended.end());
    oracle.durable_lsn = recovered_last;

    // A random stretch of work.
    const int operations = static_cast<int>(rng() % 40);
    for (int op = 0; op < operations; ++op) {
      const uint64_t dice = rng() % 100;
      if (dice < 60) {
        std::vector<std::string> batch(1 + rng() % 4);
        for (std::string& record : batch) {
          const size_t size = rng() % 10 == 0 ? 20000 + rng() % 50000 : rng() % 1500;
          record = Record(rng(), size);
        }
        auto last = AppendStrings(*wal, batch);
        if (!last.ok()) continue;  // an injected error; the WAL is failed from now on
        for (size_t idx = 0; idx < batch.size(); ++idx) {
          oracle.appended[*last - batch.size() + 1 + idx] = batch[idx];
        }
      } else if (dice < 80) {
        if (wal->Sync().ok()) oracle.durable_lsn = wal->last_lsn();
      } else if (dice < 85) {
        const uint64_t point = rng() % (wal->last_lsn() + 2);
        // Even a failed call may have deleted some files.
        (void)wal->TruncateBefore(point);
        oracle.truncated_before = std::max(oracle.truncated_before, point);
      } else if (dice < 87) {
        const FaultKind kinds[] = {FaultKind::kWrite, FaultKind::kSync, FaultKind::kMetadata};
        fs.InjectErrors(kinds[rng() % 3], 1);
      }
    }

    // Power cut (or, sometimes, a clean shutdown).
    if (rng() % 8 == 0 && wal->Close().ok()) oracle.durable_lsn = wal->last_lsn();
    wal.reset();
    const PowerCutOptions cut{
        .unsynced_data = rng() % 2 == 0 ? UnsyncedData::kDropAll : UnsyncedData::kKeepRandomPrefix,
        .seed = rng()};
    ASSERT_TRUE(fs.SimulatePowerCut(cut).ok());
    ++power_cuts;
  }
  EXPECT_EQ(power_cuts, static_cast<uint64_t>(iterations));
  EXPECT_GT(records_checked, 0u);
}

TEST(WalCrashConsistency, RandomPowerCutsOnMemory) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    auto base = NewMemFileSystem();
    RunCrashIterations(*base, kDir, seed, 25);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(WalCrashConsistency, RandomPowerCutsOnDisk) {
  char pattern[] = "/tmp/rg_wal_crash.XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  auto base = NewPosixFileSystem();
  RunCrashIterations(*base, JoinPath(pattern, "wal"), 4242, 30);
  ASSERT_TRUE(base->DeleteDirRecursive(pattern).ok());
}

}  // namespace
}  // namespace roentgen::store
