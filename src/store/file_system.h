// SPDX-License-Identifier: Apache-2.0
#pragma once

// The filesystem seam of the store (STYLE.md 5): every byte the store reads or writes goes
// through a FileSystem, so tests can run on memory and crash-consistency tests can drop
// unsynced data at a simulated power cut. Three implementations:
//   NewPosixFileSystem()       the real one (open/pread/write/fdatasync/flock).
//   NewMemFileSystem()         in memory, for tests.
//   FaultInjectionFileSystem   wraps another FileSystem; tracks what is durable and can
//                              simulate a power cut or inject I/O errors.
//
// Paths are plain strings ("/var/lib/roentgen/wal/wal-000000000001.log"); directory
// separators are '/'. No function throws; errors are Status values whose messages name the
// operation and the path ("open /data/wal/x.log: No such file or directory").
//
// Thread-safety: every FileSystem implementation is thread-safe. A WritableFile or
// SequentialFile is not thread-safe (externally synchronized); RandomAccessFile::Read is
// thread-safe. The FileSystem must outlive every file and lock it hands out.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace roentgen::store {

// A file opened for appending. Bytes pass through three stages: Append() (may stay in a
// user-space buffer), Flush() (handed to the operating system: they survive a crash of this
// process but not a power cut), Sync() (on stable storage: they survive a power cut, provided
// the file's directory entry is durable too, see FileSystem::SyncDir).
// Not thread-safe; externally synchronized.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  // Appends data at the end of the file. An error leaves the file's contents after the
  // last successful Flush() undefined; the posix implementation then fails every later call.
  virtual Status Append(std::string_view data) = 0;
  // Hands buffered bytes to the operating system.
  virtual Status Flush() = 0;
  // Flush() and then fdatasync(2): on success every byte appended so far is on stable
  // storage. A failed Sync() is sticky: later Syncs fail too, because the kernel may have
  // dropped the dirty pages and a later successful fdatasync would not vouch for them.
  virtual Status Sync() = 0;
  // Flush() and close. Idempotent; later Append/Flush/Sync return FailedPrecondition. The
  // destructor closes an open file and ignores errors, so call Close() to see them.
  virtual Status Close() = 0;
  // Bytes in the file as seen through this handle: the size at open plus everything
  // appended since, buffered or not.
  virtual uint64_t size() const = 0;

 protected:
  WritableFile() = default;
};

// A file read at arbitrary offsets. Read is thread-safe (pread); the rest is immutable.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  // Reads up to n bytes at offset. The result points into *scratch (which is resized as
  // needed) and stays valid until *scratch changes. Returns fewer than n bytes only at the
  // end of the file, and an empty view when offset is at or past it.
  virtual Result<std::string_view> Read(uint64_t offset, size_t n, std::string* scratch) const = 0;
  // The file's size when it was opened.
  virtual uint64_t size() const = 0;

 protected:
  RandomAccessFile() = default;
};

// A file read from front to back. Not thread-safe; externally synchronized.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  SequentialFile(const SequentialFile&) = delete;
  SequentialFile& operator=(const SequentialFile&) = delete;

  // Reads up to n bytes from the current position and advances past them. The result points
  // into *scratch and stays valid until *scratch changes. Returns fewer than n bytes only at
  // the end of the file (an empty view means the end).
  virtual Result<std::string_view> Read(size_t n, std::string* scratch) = 0;
  // Skips n bytes. Skipping past the end is allowed; later Reads return empty views.
  virtual Status Skip(uint64_t n) = 0;

 protected:
  SequentialFile() = default;
};

// An advisory lock on a file, held until this object is destroyed. Not thread-safe.
class FileLock {
 public:
  virtual ~FileLock() = default;  // releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 protected:
  FileLock() = default;
};

// The filesystem seam, after LevelDB's Env. Thread-safe (every implementation).
// Errors: NotFound when a path that must exist does not; IoError for other failures of the
// operating system; FailedPrecondition for a lock held elsewhere.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;

  // Creates path, or truncates it to zero bytes if it exists. REQUIRES: the parent directory
  // exists. The new directory entry is durable only after SyncDir(parent).
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(std::string_view path) = 0;
  // Opens path for appending at its end, creating it (empty) if it does not exist.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(std::string_view path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(std::string_view path) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(std::string_view path) = 0;

  // Reads a whole file. OutOfRange if it holds more than max_bytes.
  virtual Result<std::string> ReadFileToString(std::string_view path, uint64_t max_bytes) = 0;
  // True if path names an existing file or directory. False also when it cannot be checked.
  virtual bool FileExists(std::string_view path) = 0;
  virtual Result<uint64_t> GetFileSize(std::string_view path) = 0;
  // The names (not paths) of the entries in a directory, without "." and "..", sorted.
  virtual Result<std::vector<std::string>> ListDir(std::string_view path) = 0;
  // Creates path and any missing parents (mkdir -p). OK if it exists already.
  virtual Status CreateDirs(std::string_view path) = 0;
  // Removes one file. NotFound if it does not exist.
  virtual Status DeleteFile(std::string_view path) = 0;
  // Removes a directory and everything below it (rm -rf). OK if it does not exist.
  virtual Status DeleteDirRecursive(std::string_view path) = 0;
  // Renames a file, atomically replacing target if it exists (rename(2)). The new name is
  // durable only after SyncDir of target's directory (and of src's, if different).
  virtual Status RenameFile(std::string_view src, std::string_view target) = 0;
  // fsync(2)s a directory, so that the entries created, renamed or removed in it so far are
  // durable. Creating a file and syncing its data is not enough for it to survive a power
  // cut; its directory must be synced too.
  virtual Status SyncDir(std::string_view path) = 0;
  // Takes an exclusive advisory lock on path (creating the file if needed). A second
  // LockFile on the same path, from this process or another one, fails with
  // FailedPrecondition until the returned lock is destroyed. The posix implementation uses
  // flock(2), which the kernel releases when the process dies, and writes the holder's pid
  // into the file for the error message.
  virtual Result<std::unique_ptr<FileLock>> LockFile(std::string_view path) = 0;

 protected:
  FileSystem() = default;
};

// The operating system's filesystem. Files are opened with O_CLOEXEC; reads and writes retry
// on EINTR and short transfers; Sync is fdatasync(2); SyncDir is fsync(2) on the directory.
std::unique_ptr<FileSystem> NewPosixFileSystem();

// A filesystem in memory, for tests. Behaves like the posix one where tests can tell the
// difference: parent directories must exist, an open handle keeps a deleted file's bytes,
// locks conflict. The root "/" and the current directory "" always exist. Sync and SyncDir
// are no-ops (use FaultInjectionFileSystem to model durability).
std::unique_ptr<FileSystem> NewMemFileSystem();

// "dir/name", without doubling a trailing '/' of dir. An empty dir yields name.
std::string JoinPath(std::string_view dir, std::string_view name);

// How SimulatePowerCut treats bytes appended since a file's last Sync.
enum class UnsyncedData {
  // All are lost (LevelDB's fault_injection_test model).
  kDropAll,
  // Each file keeps a random prefix (possibly empty, possibly all) of its unsynced bytes: the
  // kernel had written some dirty pages back in order. This makes torn records.
  kKeepRandomPrefix,
};

struct PowerCutOptions {
  UnsyncedData unsynced_data = UnsyncedData::kDropAll;
  uint64_t seed = 0;  // for kKeepRandomPrefix
};

// Which operations InjectErrors makes fail.
enum class FaultKind {
  kWrite,     // WritableFile::Append
  kSync,      // WritableFile::Sync, FileSystem::SyncDir
  kMetadata,  // NewWritableFile, NewAppendableFile, RenameFile, DeleteFile, CreateDirs,
              // DeleteDirRecursive
};

// Wraps another FileSystem and remembers, for every file written through it, how many bytes
// are durable (synced) and whether its directory entry is durable (its directory was synced
// after it was created or renamed). SimulatePowerCut() then turns the base filesystem into
// what a machine would find after losing power: unsynced bytes dropped, files whose entries
// were never synced removed, unsynced renames undone. After LevelDB's fault_injection_test.
//
// The model:
//   - Files that existed before this wrapper first saw them are durable as they are.
//   - NewWritableFile on an existing file makes its old contents lost at a power cut until
//     the new contents are synced; its directory entry stays as durable as it was.
//   - WritableFile::Sync makes the bytes appended through this wrapper durable, not the entry.
//   - SyncDir(d) makes durable every entry created in d, and every rename into d.
//   - A rename not yet made durable is undone at a power cut: the file goes back to its old
//     name and the file it replaced (if that one was durable) comes back.
//   - Deletions and directory creation are durable at once (not modelled).
// Every Append is flushed to the base filesystem at once, so the base files always hold every
// byte appended, and a power cut only has to cut them back.
//
// Thread-safe. Operations take one mutex, so they are serialized (this is a test tool).
class FaultInjectionFileSystem final : public FileSystem {
 public:
  // *base must outlive this object and every file it hands out.
  explicit FaultInjectionFileSystem(FileSystem& base);
  ~FaultInjectionFileSystem() override;

  // Rewrites the base filesystem to its state after a power cut at this instant (see the
  // class comment), then forgets all tracking: what is left is durable. Every WritableFile
  // opened before this call becomes dead: its operations return IoError and touch nothing.
  // Pending injected errors are cleared. Returns an error only if the base filesystem fails.
  Status SimulatePowerCut();
  Status SimulatePowerCut(const PowerCutOptions& options);

  // Makes the next `count` operations of `kind` fail with IoError without doing anything.
  // Adds to any count already pending for that kind.
  void InjectErrors(FaultKind kind, int count);
  // Injected errors of `kind` not yet consumed.
  int pending_injected_errors(FaultKind kind) const;
  // Bytes appended through this wrapper and not yet synced, over all files.
  uint64_t unsynced_bytes() const;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(std::string_view path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(std::string_view path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(std::string_view path) override;
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(std::string_view path) override;
  Result<std::string> ReadFileToString(std::string_view path, uint64_t max_bytes) override;
  bool FileExists(std::string_view path) override;
  Result<uint64_t> GetFileSize(std::string_view path) override;
  Result<std::vector<std::string>> ListDir(std::string_view path) override;
  Status CreateDirs(std::string_view path) override;
  Status DeleteFile(std::string_view path) override;
  Status DeleteDirRecursive(std::string_view path) override;
  Status RenameFile(std::string_view src, std::string_view target) override;
  Status SyncDir(std::string_view path) override;
  Result<std::unique_ptr<FileLock>> LockFile(std::string_view path) override;

 private:
  // What is known about one file. Shared between the map below and the file's open
  // handles, so that a handle keeps updating it after a rename. Guarded by mu_.
  struct FileState {
    uint64_t size = 0;         // bytes in the base file
    uint64_t synced_size = 0;  // of which durable
    bool entry_durable = false;
  };
  class FaultWritableFile;
  struct PendingRename {
    std::string src;
    std::string target;
    bool src_entry_was_durable = false;
    // The durable contents of the file that target replaced, restored at a power cut.
    std::optional<std::string> replaced_contents;
  };

  // Returns an injected IoError if one of `kind` is pending. REQUIRES: mu_ held.
  Status ConsumeFault(FaultKind kind, std::string_view operation, std::string_view path);
  // Cuts path in the base filesystem back to its first `size` bytes. REQUIRES: mu_ held.
  Status TruncateBaseFile(const std::string& path, uint64_t size);

  // Immutable after construction.
  FileSystem& base_;

  mutable std::mutex mu_;
  // Guarded by mu_.
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by normalized path
  std::vector<PendingRename> pending_renames_;               // oldest first
  uint64_t epoch_ = 0;  // incremented by every power cut; older handles are dead
  int pending_faults_[3] = {0, 0, 0};
};

}  // namespace roentgen::store
