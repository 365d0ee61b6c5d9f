// SPDX-License-Identifier: Apache-2.0
// WAL append throughput on the posix filesystem in /tmp: 1 KiB records, one record per
// Append, with a Sync (fdatasync, the group-commit point) every N records, or never.
// Reports bytes/s (payload) and records/s per wall-clock second (UseRealTime). Old files are
// truncated as the run goes so the disk use stays near one or two 64 MiB files.
#include <stdlib.h>

#include <string>

#include <benchmark/benchmark.h>

#include "store/file_system.h"
#include "store/wal/wal_manager.h"

namespace roentgen::store {
namespace {

constexpr size_t kRecordBytes = 1024;

class TempWal {
 public:
  TempWal() : fs_(NewPosixFileSystem()) {
    char pattern[] = "/tmp/rg_wal_bench.XXXXXX";
    if (::mkdtemp(pattern) != nullptr) root_ = pattern;
  }
  ~TempWal() {
    wal_.reset();
    if (!root_.empty()) (void)fs_->DeleteDirRecursive(root_);
  }
  bool Open() {
    if (root_.empty()) return false;
    auto wal = WalManager::Open(*fs_, JoinPath(root_, "wal"), {});
    if (!wal.ok()) return false;
    wal_ = std::move(wal).value();
    return wal_->Recover([](uint64_t, std::string_view) {}).ok();
  }
  WalManager& wal() { return *wal_; }

 private:
  std::unique_ptr<FileSystem> fs_;
  std::string root_;
  std::unique_ptr<WalManager> wal_;
};

// range(0): records per Sync; 0 means never sync.
void BM_WalAppend(benchmark::State& state) {
  const auto sync_every = static_cast<uint64_t>(state.range(0));
  TempWal temp;
  if (!temp.Open()) {
    state.SkipWithError("cannot open a WAL under /tmp");
    return;
  }
  WalManager& wal = temp.wal();
  const std::string record(kRecordBytes, 'r');
  const std::string_view view(record);
  uint64_t appended = 0;
  for (auto _ : state) {
    auto lsn = wal.Append({&view, 1});
    if (!lsn.ok()) {
      state.SkipWithError(lsn.error().ToString().c_str());
      return;
    }
    ++appended;
    if (sync_every != 0 && appended % sync_every == 0 && !wal.Sync().ok()) {
      state.SkipWithError("sync failed");
      return;
    }
    if (appended % 65536 == 0) {
      // Keep /tmp small: everything appended is "stored elsewhere".
      state.PauseTiming();
      (void)wal.TruncateBefore(*lsn);
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(appended * kRecordBytes));
  state.SetItemsProcessed(static_cast<int64_t>(appended));
  state.counters["bytes_on_disk"] = static_cast<double>(wal.bytes_on_disk());
}
BENCHMARK(BM_WalAppend)
    ->ArgName("sync_every")
    ->Arg(0)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime();  // I/O bound: throughput per wall-clock second

// Batches of 100 records per Append, synced after each batch: the store's group commit.
void BM_WalAppendBatch100SyncEachBatch(benchmark::State& state) {
  TempWal temp;
  if (!temp.Open()) {
    state.SkipWithError("cannot open a WAL under /tmp");
    return;
  }
  WalManager& wal = temp.wal();
  const std::string record(kRecordBytes, 'r');
  std::vector<std::string_view> batch(100, record);
  uint64_t appended = 0;
  for (auto _ : state) {
    auto lsn = wal.Append(batch);
    if (!lsn.ok() || !wal.Sync().ok()) {
      state.SkipWithError("append or sync failed");
      return;
    }
    appended += batch.size();
    if (appended % 65536 < batch.size()) {
      state.PauseTiming();
      (void)wal.TruncateBefore(*lsn);
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(appended * kRecordBytes));
  state.SetItemsProcessed(static_cast<int64_t>(appended));
}
BENCHMARK(BM_WalAppendBatch100SyncEachBatch)->UseRealTime();

}  // namespace
}  // namespace roentgen::store

BENCHMARK_MAIN();
