// SPDX-License-Identifier: Apache-2.0
//
// PosixFileSystem: the FileSystem over open(2)/pread(2)/write(2)/fdatasync(2)/flock(2).
//
// WritableFile keeps a 64 KiB user-space buffer, so the WAL writer's header + payload appends
// leave in one write(2). Any write or sync error poisons the file: after a failed fdatasync
// the kernel may already have dropped the dirty pages and marked them clean, so a retried
// fdatasync can succeed without the data being durable ("fsyncgate"); the only safe answer is
// to keep failing and let the owner start a new file.
//
// Every system call that can return EINTR is retried; reads and writes loop over short
// transfers. Error messages name the operation and the path.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include <sys/file.h>
#include <sys/stat.h>

#include "base/status_macros.h"
#include "store/file_system.h"

namespace roentgen::store {
namespace {

constexpr size_t kWritableBufferSize = 64 * 1024;
constexpr int kOpenMode = 0644;

// NotFound for ENOENT (callers test for it), IoError otherwise.
Status PosixError(std::string_view operation, std::string_view path, int errno_value) {
  if (errno_value == ENOENT) {
    Status io = ErrnoError(operation, path, errno_value);
    return NotFoundError(io.message());
  }
  return ErrnoError(operation, path, errno_value);
}

Status FsError(std::string_view operation, std::string_view path, const std::error_code& ec) {
  std::string message(operation);
  message += " ";
  message += path;
  message += ": ";
  message += ec.message();
  if (ec == std::errc::no_such_file_or_directory) return NotFoundError(message);
  return IoError(message);
}

// open(2), retried on EINTR. Returns the fd or -1 with errno set.
int OpenRetry(const std::string& path, int flags, int mode = kOpenMode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Closes fd. EINTR is not retried: on Linux the descriptor is released regardless.
int CloseFd(int fd) {
  int rc = ::close(fd);
  if (rc < 0 && errno == EINTR) rc = 0;
  return rc;
}

Result<uint64_t> FdSize(int fd, std::string_view path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return PosixError("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

// Writes all of data; retries EINTR and short writes.
Status WriteAll(int fd, std::string_view data, std::string_view path) {
  const char* ptr = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t written = ::write(fd, ptr, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return PosixError("write", path, errno);
    }
    ptr += written;
    left -= static_cast<size_t>(written);
  }
  return Status::Ok();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t initial_size)
      : path_(std::move(path)), fd_(fd), size_(initial_size) {
    buffer_.reserve(kWritableBufferSize);
  }
  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)Close();
  }

  Status Append(std::string_view data) override {
    RG_RETURN_IF_ERROR(CheckUsable());
    size_ += data.size();
    if (data.size() <= kWritableBufferSize - buffer_.size()) {
      buffer_.append(data);
      return Status::Ok();
    }
    RG_RETURN_IF_ERROR(FlushBuffer());
    if (data.size() < kWritableBufferSize) {
      buffer_.append(data);
      return Status::Ok();
    }
    return Poison(WriteAll(fd_, data, path_));
  }

  Status Flush() override {
    RG_RETURN_IF_ERROR(CheckUsable());
    return FlushBuffer();
  }

  Status Sync() override {
    RG_RETURN_IF_ERROR(CheckUsable());
    RG_RETURN_IF_ERROR(FlushBuffer());
    int rc;
    do {
      rc = ::fdatasync(fd_);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return Poison(PosixError("fdatasync", path_, errno));
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    Status status = error_.ok() ? FlushBuffer() : error_;
    if (CloseFd(fd_) < 0 && status.ok()) status = PosixError("close", path_, errno);
    fd_ = -1;
    return status;
  }

  uint64_t size() const override { return size_; }

 private:
  Status CheckUsable() const {
    if (fd_ < 0) return FailedPreconditionError("write " + path_ + ": file is closed");
    return error_;
  }
  Status Poison(Status status) {
    if (!status.ok() && error_.ok()) error_ = status;
    return status;
  }
  Status FlushBuffer() {
    if (buffer_.empty()) return Status::Ok();
    Status status = WriteAll(fd_, buffer_, path_);
    buffer_.clear();
    return Poison(status);
  }

  const std::string path_;
  int fd_;
  uint64_t size_;
  std::string buffer_;
  Status error_;  // the first write or sync error; sticky
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { CloseFd(fd_); }

  Result<std::string_view> Read(uint64_t offset, size_t n, std::string* scratch) const override {
    scratch->resize(n);
    size_t done = 0;
    while (done < n) {
      if (offset + done > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) break;
      ssize_t got =
          ::pread(fd_, scratch->data() + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return PosixError("read", path_, errno);
      }
      if (got == 0) break;  // end of file
      done += static_cast<size_t>(got);
    }
    scratch->resize(done);
    return std::string_view(*scratch);
  }

  uint64_t size() const override { return size_; }

 private:
  const std::string path_;
  const int fd_;
  const uint64_t size_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { CloseFd(fd_); }

  Result<std::string_view> Read(size_t n, std::string* scratch) override {
    scratch->resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::read(fd_, scratch->data() + done, n - done);
      if (got < 0) {
        if (errno == EINTR) continue;
        return PosixError("read", path_, errno);
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    scratch->resize(done);
    return std::string_view(*scratch);
  }

  Status Skip(uint64_t n) override {
    if (n > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
      return InvalidArgumentError("skip " + path_ + ": offset too large");
    }
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) {
      return PosixError("seek", path_, errno);
    }
    return Status::Ok();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  // Closing the descriptor releases the flock.
  ~PosixFileLock() override { CloseFd(fd_); }

 private:
  const int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(std::string_view path) override {
    std::string p(path);
    int fd = OpenRetry(p, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return PosixError("open", p, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(std::move(p), fd, 0));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(std::string_view path) override {
    std::string p(path);
    int fd = OpenRetry(p, O_WRONLY | O_CREAT | O_APPEND);
    if (fd < 0) return PosixError("open", p, errno);
    Result<uint64_t> size = FdSize(fd, p);
    if (!size.ok()) {
      CloseFd(fd);
      return size.error();
    }
    return std::unique_ptr<WritableFile>(
        std::make_unique<PosixWritableFile>(std::move(p), fd, *size));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(std::string_view path) override {
    std::string p(path);
    int fd = OpenRetry(p, O_RDONLY);
    if (fd < 0) return PosixError("open", p, errno);
    Result<uint64_t> size = FdSize(fd, p);
    if (!size.ok()) {
      CloseFd(fd);
      return size.error();
    }
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<PosixRandomAccessFile>(std::move(p), fd, *size));
  }

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(std::string_view path) override {
    std::string p(path);
    int fd = OpenRetry(p, O_RDONLY);
    if (fd < 0) return PosixError("open", p, errno);
    return std::unique_ptr<SequentialFile>(std::make_unique<PosixSequentialFile>(std::move(p), fd));
  }

  Result<std::string> ReadFileToString(std::string_view path, uint64_t max_bytes) override {
    std::string p(path);
    int fd = OpenRetry(p, O_RDONLY);
    if (fd < 0) return PosixError("open", p, errno);
    PosixSequentialFile file(p, fd);  // closes fd
    std::string contents;
    std::string scratch;
    while (true) {
      RG_ASSIGN_OR_RETURN(std::string_view chunk, file.Read(kWritableBufferSize, &scratch));
      if (chunk.empty()) break;
      if (contents.size() + chunk.size() > max_bytes) {
        return OutOfRangeError("read " + p + ": file is larger than " + std::to_string(max_bytes) +
                               " bytes");
      }
      contents.append(chunk);
    }
    return contents;
  }

  bool FileExists(std::string_view path) override {
    return ::access(std::string(path).c_str(), F_OK) == 0;
  }

  Result<uint64_t> GetFileSize(std::string_view path) override {
    std::string p(path);
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return PosixError("stat", p, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(std::string_view path) override {
    std::string p(path);
    DIR* dir = ::opendir(p.c_str());
    if (dir == nullptr) return PosixError("opendir", p, errno);
    std::vector<std::string> names;
    while (true) {
      errno = 0;
      struct dirent* entry = ::readdir(dir);
      if (entry == nullptr) break;
      std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    int read_errno = errno;
    ::closedir(dir);
    if (read_errno != 0) return PosixError("readdir", p, read_errno);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirs(std::string_view path) override {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path), ec);
    if (ec) return FsError("mkdir", path, ec);
    return Status::Ok();
  }

  Status DeleteFile(std::string_view path) override {
    std::string p(path);
    if (::unlink(p.c_str()) != 0) return PosixError("unlink", p, errno);
    return Status::Ok();
  }

  Status DeleteDirRecursive(std::string_view path) override {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(path), ec);
    if (ec && ec != std::errc::no_such_file_or_directory) return FsError("remove", path, ec);
    return Status::Ok();
  }

  Status RenameFile(std::string_view src, std::string_view target) override {
    std::string s(src);
    std::string t(target);
    if (::rename(s.c_str(), t.c_str()) != 0) {
      return PosixError("rename", s + " to " + t, errno);
    }
    return Status::Ok();
  }

  Status SyncDir(std::string_view path) override {
    std::string p(path);
    int fd = OpenRetry(p, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return PosixError("open directory", p, errno);
    int rc;
    do {
      rc = ::fsync(fd);
    } while (rc < 0 && errno == EINTR);
    int sync_errno = errno;
    CloseFd(fd);
    if (rc < 0) return PosixError("fsync directory", p, sync_errno);
    return Status::Ok();
  }

  Result<std::unique_ptr<FileLock>> LockFile(std::string_view path) override {
    std::string p(path);
    int fd = OpenRetry(p, O_RDWR | O_CREAT);
    if (fd < 0) return PosixError("open lock file", p, errno);
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      int lock_errno = errno;
      if (lock_errno != EWOULDBLOCK) {
        CloseFd(fd);
        return PosixError("lock", p, lock_errno);
      }
      // Held elsewhere: say by whom, from the pid the holder wrote.
      char pid_text[32] = {};
      ssize_t got = ::pread(fd, pid_text, sizeof(pid_text) - 1, 0);
      CloseFd(fd);
      std::string holder;
      if (got > 0) {
        std::string_view text(pid_text, static_cast<size_t>(got));
        while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) {
          text.remove_suffix(1);
        }
        if (!text.empty()) holder = " (pid " + std::string(text) + ")";
      }
      return FailedPreconditionError("lock " + p + ": already held by another process" + holder +
                                     "; is another server using this directory?");
    }
    // Record our pid for the message above. Failure here is harmless.
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd));
  }
};

}  // namespace

std::unique_ptr<FileSystem> NewPosixFileSystem() { return std::make_unique<PosixFileSystem>(); }

}  // namespace roentgen::store
