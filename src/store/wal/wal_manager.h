// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "store/file_system.h"
#include "store/wal/log_reader.h"
#include "store/wal/log_writer.h"

namespace roentgen::store {

// The write-ahead log: a directory of numbered log files wal-000000000001.log,
// wal-000000000002.log, ... (docs/format/wal.md). Each appended record gets a log sequence
// number (LSN); LSNs start at 1 and increase by one per record, across files and restarts,
// and are never reused for a record that may be on disk.
//
// Lifecycle: Open() lists the directory; Recover() replays every record once, in LSN order,
// and starts a new file; then Append()/Sync()/TruncateBefore() in any order; Close().
//
// Durability: Append writes records and hands them to the operating system (they survive a
// crash of this process); Sync makes everything appended so far survive a power cut. Sync is
// the group-commit point: append many batches, sync once, then acknowledge them all.
// A batch passed to one Append is atomic: recovery returns all of its records or none.
//
// Errors: after any I/O error in Append, Sync or file rotation, the manager is failed and
// every later Append and Sync returns that error. Its unsynced records may or may not be on
// disk, and a failed fdatasync cannot be retried safely, so the only way on is to reopen
// (Open + Recover), which starts a fresh file after whatever survived.
//
// Not thread-safe: owned by one writer thread (STYLE.md 29).
class WalManager {
 public:
  struct Options {
    // A file that has reached this size is synced and closed, and the next Append starts a
    // new one. A batch is never split across files, so a file can exceed this by one batch.
    uint64_t max_file_bytes = 64ull << 20;
    // Nullable borrow; must outlive the manager. Receives every dropped range during
    // Recover, with the file path in the message. Counts are also in RecoveryStats.
    log::Reader::Reporter* reporter = nullptr;
  };

  struct RecoveryStats {
    uint64_t files = 0;              // files read
    uint64_t batches = 0;            // batches delivered
    uint64_t records = 0;            // records delivered to the callback
    uint64_t corruption_events = 0;  // reports made (mid-file damage; never a torn tail)
    uint64_t corrupted_bytes = 0;    // bytes those reports dropped (approximate)
    uint64_t torn_tail_bytes = 0;    // bytes ignored as partial records at ends of files
    uint64_t last_lsn = 0;           // highest LSN recovered; 0 if none
  };

  // Receives one recovered record. `payload` is valid only during the call.
  using RecoverCallback = std::function<void(uint64_t lsn, std::string_view payload)>;

  // Opens the WAL in dir (created if missing) and lists its files; reads nothing yet.
  // REQUIRES: the caller holds the data directory's lock (FileSystem::LockFile), so that no
  // other process writes dir. fs must outlive the manager.
  static Result<std::unique_ptr<WalManager>> Open(FileSystem& fs, std::string_view dir,
                                                  const Options& options);
  static Result<std::unique_ptr<WalManager>> Open(FileSystem& fs, std::string_view dir);

  // Closes the current file without syncing it (see Close).
  ~WalManager();
  WalManager(const WalManager&) = delete;
  WalManager& operator=(const WalManager&) = delete;

  // Replays every record in every file, oldest first, in LSN order, then creates a new
  // current file (synced, and its directory synced) so that appends never follow a torn
  // tail. Damaged ranges are skipped, reported to Options::reporter, counted, and logged as
  // warnings; a torn tail is skipped silently. Old files left holding no records are
  // deleted. What was found is in recovery_stats(). REQUIRES: called exactly once, before
  // any Append. Errors: an I/O error reading or writing a file (the manager is then unusable;
  // reopen it).
  Status Recover(const RecoverCallback& callback);

  // Appends a batch of records (atomically, see above) and returns the LSN of the last one;
  // the records get last - records.size() + 1 .. last. Does not sync. Rotates to a new file
  // first if the current one has reached max_file_bytes. Errors: InvalidArgument for an
  // empty batch or a record over 4 GiB; FailedPrecondition before Recover or after Close;
  // the sticky I/O error (see the class comment).
  Result<uint64_t> Append(std::span<const std::string_view> records);

  // Makes every record appended so far durable (fdatasync of the current file; earlier files
  // were synced when rotated). Returns at once if nothing was appended since the last Sync.
  Status Sync();

  // Deletes whole files, oldest first, while every record in the file has an LSN below
  // `lsn`; never the current file. Call it once everything below `lsn` is stored elsewhere.
  // REQUIRES: Recover has run. A crash can bring a deleted file back (deletes are synced
  // only at the end), so a consumer of Recover must tolerate LSNs it has already stored.
  Status TruncateBefore(uint64_t lsn);

  // Syncs the current file and starts a new one, so that TruncateBefore can delete every
  // earlier file (e.g. at shutdown, once every record is stored elsewhere). The new file
  // holds only its header, which carries the LSN floor. REQUIRES: Recover has run.
  Status StartNewFile();

  // Syncs and closes the current file. Later Append/Sync return FailedPrecondition.
  Status Close();

  // What Recover found; zeros before it ran.
  const RecoveryStats& recovery_stats() const { return recovery_stats_; }
  // The LSN of the last record appended or recovered; 0 if none ever was.
  uint64_t last_lsn() const { return last_lsn_; }
  // Total size of the WAL files.
  uint64_t bytes_on_disk() const;
  // Number of WAL files, including the current one.
  size_t file_count() const { return files_.size(); }
  // The number of the file appends go to; 0 before Recover.
  uint64_t current_file_number() const;

  // "wal-000000000042.log" for 42.
  static std::string FileName(uint64_t number);
  // Parses a name made by FileName; false for any other name.
  static bool ParseFileName(std::string_view name, uint64_t* number);

 private:
  enum class State { kOpened, kRecoveryFailed, kReady, kClosed };

  struct LogFile {
    uint64_t number = 0;
    uint64_t size = 0;
    // Every record in the file has an LSN <= last_lsn (the highest LSN read or written, or
    // the file header's next_lsn - 1 when it holds no batch).
    uint64_t last_lsn = 0;
  };

  WalManager(FileSystem& fs, std::string dir, const Options& options, std::vector<LogFile> files);

  // Creates file `number`, writes its header and syncs file and directory.
  Status OpenNewFile(uint64_t number);
  Status Rotate();
  Status CheckReady(std::string_view operation) const;
  std::string PathOf(uint64_t number) const;

  // Immutable after construction.
  FileSystem& fs_;
  const std::string dir_;
  const Options options_;

  // Owned by the writer thread.
  State state_ = State::kOpened;
  std::vector<LogFile> files_;  // ascending by number; back() is current once kReady
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<log::Writer> writer_;
  uint64_t last_lsn_ = 0;
  bool has_unsynced_ = false;
  Status error_;  // sticky
  RecoveryStats recovery_stats_;
  std::string batch_buffer_;  // reused encoding buffer
};

}  // namespace roentgen::store
