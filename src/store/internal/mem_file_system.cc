// SPDX-License-Identifier: Apache-2.0
//
// MemFileSystem: files are shared byte strings, so an open handle keeps a file's bytes after
// the name is deleted or replaced, as an inode would. Directories are a set of names; files
// can only be created in a directory that exists, so a test that forgets CreateDirs fails
// here as it would on disk. One mutex guards the namespace; each file has its own mutex for
// its bytes, so readers and writers of different files do not contend.

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "base/status_macros.h"
#include "store/file_system.h"
#include "store/internal/path.h"

namespace roentgen::store {
namespace {

using internal::IsBelow;
using internal::NormalizePath;
using internal::ParentDir;

// One file's bytes. Thread-safe.
struct MemFile {
  std::mutex mu;
  std::string data;  // guarded by mu
};

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<MemFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}

  Status Append(std::string_view data) override {
    RG_RETURN_IF_ERROR(CheckOpen());
    std::lock_guard lock(file_->mu);
    file_->data.append(data);
    return Status::Ok();
  }
  Status Flush() override { return CheckOpen(); }
  Status Sync() override { return CheckOpen(); }
  Status Close() override {
    closed_ = true;
    return Status::Ok();
  }
  uint64_t size() const override {
    std::lock_guard lock(file_->mu);
    return file_->data.size();
  }

 private:
  Status CheckOpen() const {
    if (closed_) return FailedPreconditionError("write " + path_ + ": file is closed");
    return Status::Ok();
  }

  const std::string path_;
  const std::shared_ptr<MemFile> file_;
  bool closed_ = false;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(std::shared_ptr<MemFile> file, uint64_t size)
      : file_(std::move(file)), size_(size) {}

  Result<std::string_view> Read(uint64_t offset, size_t n, std::string* scratch) const override {
    std::lock_guard lock(file_->mu);
    const std::string& data = file_->data;
    if (offset >= data.size()) {
      scratch->clear();
    } else {
      auto start = static_cast<size_t>(offset);
      scratch->assign(data, start, std::min(n, data.size() - start));
    }
    return std::string_view(*scratch);
  }
  uint64_t size() const override { return size_; }

 private:
  const std::shared_ptr<MemFile> file_;
  const uint64_t size_;
};

class MemSequentialFile final : public SequentialFile {
 public:
  explicit MemSequentialFile(std::shared_ptr<MemFile> file) : file_(std::move(file)) {}

  Result<std::string_view> Read(size_t n, std::string* scratch) override {
    std::lock_guard lock(file_->mu);
    const std::string& data = file_->data;
    if (pos_ >= data.size()) {
      scratch->clear();
    } else {
      auto start = static_cast<size_t>(pos_);
      scratch->assign(data, start, std::min(n, data.size() - start));
    }
    pos_ += scratch->size();
    return std::string_view(*scratch);
  }
  Status Skip(uint64_t n) override {
    pos_ += n;
    return Status::Ok();
  }

 private:
  const std::shared_ptr<MemFile> file_;
  uint64_t pos_ = 0;
};

// The set of locked paths, shared with the locks so they can outlive nothing but still
// unlock safely. Thread-safe.
struct LockTable {
  std::mutex mu;
  std::set<std::string> held;  // guarded by mu
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<LockTable> table, std::string path)
      : table_(std::move(table)), path_(std::move(path)) {}
  ~MemFileLock() override {
    std::lock_guard lock(table_->mu);
    table_->held.erase(path_);
  }

 private:
  const std::shared_ptr<LockTable> table_;
  const std::string path_;
};

class MemFileSystem final : public FileSystem {
 public:
  MemFileSystem() : locks_(std::make_shared<LockTable>()) {
    dirs_.insert("");
    dirs_.insert("/");
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    RG_ASSIGN_OR_RETURN(std::shared_ptr<MemFile> file, CreateLocked(p));
    {
      std::lock_guard file_lock(file->mu);
      file->data.clear();
    }
    return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(p, std::move(file)));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    RG_ASSIGN_OR_RETURN(std::shared_ptr<MemFile> file, CreateLocked(p));
    return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(p, std::move(file)));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(std::string_view path) override {
    RG_ASSIGN_OR_RETURN(std::shared_ptr<MemFile> file, Find(path, "open"));
    uint64_t size;
    {
      std::lock_guard file_lock(file->mu);
      size = file->data.size();
    }
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<MemRandomAccessFile>(std::move(file), size));
  }

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(std::string_view path) override {
    RG_ASSIGN_OR_RETURN(std::shared_ptr<MemFile> file, Find(path, "open"));
    return std::unique_ptr<SequentialFile>(std::make_unique<MemSequentialFile>(std::move(file)));
  }

  Result<std::string> ReadFileToString(std::string_view path, uint64_t max_bytes) override {
    RG_ASSIGN_OR_RETURN(std::shared_ptr<MemFile> file, Find(path, "read"));
    std::lock_guard file_lock(file->mu);
    if (file->data.size() > max_bytes) {
      return OutOfRangeError("read " + std::string(path) + ": file is larger than " +
                             std::to_string(max_bytes) + " bytes");
    }
    return file->data;
  }

  bool FileExists(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    return files_.count(p) > 0 || dirs_.count(p) > 0;
  }

  Result<uint64_t> GetFileSize(std::string_view path) override {
    RG_ASSIGN_OR_RETURN(std::shared_ptr<MemFile> file, Find(path, "stat"));
    std::lock_guard file_lock(file->mu);
    return static_cast<uint64_t>(file->data.size());
  }

  Result<std::vector<std::string>> ListDir(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    if (dirs_.count(p) == 0) {
      return NotFoundError("opendir " + p + ": no such directory");
    }
    std::vector<std::string> names;
    auto add_if_child = [&](const std::string& entry) {
      if (!IsBelow(entry, p)) return;
      std::string_view rest(entry);
      rest.remove_prefix(p.empty() ? 0 : (p == "/" ? 1 : p.size() + 1));
      if (rest.find('/') == std::string_view::npos) names.emplace_back(rest);
    };
    for (const auto& [name, file] : files_) add_if_child(name);
    for (const auto& dir : dirs_) add_if_child(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirs(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    for (std::string dir = p; dirs_.count(dir) == 0; dir = ParentDir(dir)) {
      if (files_.count(dir) > 0) return IoError("mkdir " + p + ": " + dir + " is a file");
      dirs_.insert(dir);
    }
    return Status::Ok();
  }

  Status DeleteFile(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    if (files_.erase(p) == 0) return NotFoundError("unlink " + p + ": no such file");
    return Status::Ok();
  }

  Status DeleteDirRecursive(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    if (files_.count(p) > 0) return IoError("remove " + p + ": not a directory");
    std::erase_if(files_, [&](const auto& entry) { return IsBelow(entry.first, p); });
    std::erase_if(dirs_, [&](const std::string& dir) { return IsBelow(dir, p); });
    if (p != "/" && !p.empty()) dirs_.erase(p);
    return Status::Ok();
  }

  Status RenameFile(std::string_view src, std::string_view target) override {
    std::string s = NormalizePath(src);
    std::string t = NormalizePath(target);
    std::lock_guard lock(mu_);
    auto it = files_.find(s);
    if (it == files_.end()) return NotFoundError("rename " + s + " to " + t + ": no such file");
    if (dirs_.count(ParentDir(t)) == 0) {
      return NotFoundError("rename " + s + " to " + t + ": no such directory");
    }
    if (dirs_.count(t) > 0) return IoError("rename " + s + " to " + t + ": target is a directory");
    std::shared_ptr<MemFile> file = it->second;
    files_.erase(it);
    files_[t] = std::move(file);
    return Status::Ok();
  }

  Status SyncDir(std::string_view path) override {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    if (dirs_.count(p) == 0) return NotFoundError("open directory " + p + ": no such directory");
    return Status::Ok();
  }

  Result<std::unique_ptr<FileLock>> LockFile(std::string_view path) override {
    std::string p = NormalizePath(path);
    {
      std::lock_guard lock(mu_);
      if (files_.count(p) == 0) RG_RETURN_IF_ERROR(CreateLocked(p).error());
    }
    std::lock_guard lock(locks_->mu);
    if (!locks_->held.insert(p).second) {
      return FailedPreconditionError("lock " + p +
                                     ": already held; is another server using this directory?");
    }
    return std::unique_ptr<FileLock>(std::make_unique<MemFileLock>(locks_, p));
  }

 private:
  // Returns the file at p, creating it if needed. REQUIRES: mu_ held.
  Result<std::shared_ptr<MemFile>> CreateLocked(const std::string& p) {
    auto it = files_.find(p);
    if (it != files_.end()) return it->second;
    if (dirs_.count(p) > 0) return IoError("open " + p + ": is a directory");
    if (dirs_.count(ParentDir(p)) == 0) {
      return NotFoundError("open " + p + ": no such directory " + ParentDir(p));
    }
    auto file = std::make_shared<MemFile>();
    files_[p] = file;
    return file;
  }

  Result<std::shared_ptr<MemFile>> Find(std::string_view path, std::string_view operation) {
    std::string p = NormalizePath(path);
    std::lock_guard lock(mu_);
    auto it = files_.find(p);
    if (it == files_.end()) {
      return NotFoundError(std::string(operation) + " " + p + ": no such file");
    }
    return it->second;
  }

  std::mutex mu_;
  // Guarded by mu_.
  std::map<std::string, std::shared_ptr<MemFile>> files_;
  std::set<std::string> dirs_;
  // Immutable after construction (the table itself is thread-safe).
  const std::shared_ptr<LockTable> locks_;
};

}  // namespace

std::unique_ptr<FileSystem> NewMemFileSystem() { return std::make_unique<MemFileSystem>(); }

}  // namespace roentgen::store
