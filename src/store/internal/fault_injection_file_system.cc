// SPDX-License-Identifier: Apache-2.0
//
// FaultInjectionFileSystem. Rather than keep shadow copies of every file, it lets every byte
// reach the base filesystem at once (each Append is flushed) and remembers only how far each
// file is durable; a power cut then cuts files back, deletes files whose directory entries
// were never synced and renames unsynced renames back. This keeps the base filesystem a real
// one (posix or memory) that the code under test reads back through the same seam after the
// "reboot". The one thing it must copy is the contents of a durable file replaced by an
// unsynced rename, because the rename destroys them in the base.
//
// The rejected alternative, buffering unsynced bytes in the wrapper and writing them through
// on Sync, would make reads of unsynced data differ from a real kernel's page cache.

#include <algorithm>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>

#include "base/status_macros.h"
#include "store/file_system.h"
#include "store/internal/path.h"

namespace roentgen::store {

using internal::IsBelow;
using internal::NormalizePath;
using internal::ParentDir;

namespace {

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kWrite:
      return "write";
    case FaultKind::kSync:
      return "sync";
    case FaultKind::kMetadata:
      return "metadata";
  }
  return "?";
}

size_t FaultIndex(FaultKind kind) { return static_cast<size_t>(kind); }

}  // namespace

// A handle that updates the shared FileState and dies at a power cut. Not thread-safe
// (like every WritableFile); its state updates take the filesystem's mutex.
class FaultInjectionFileSystem::FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionFileSystem& fs, std::string path,
                    std::unique_ptr<WritableFile> base, std::shared_ptr<FileState> state,
                    uint64_t epoch)
      : fs_(fs),
        path_(std::move(path)),
        base_(std::move(base)),
        state_(std::move(state)),
        epoch_(epoch) {}

  Status Append(std::string_view data) override {
    std::lock_guard lock(fs_.mu_);
    RG_RETURN_IF_ERROR(CheckAlive());
    RG_RETURN_IF_ERROR(fs_.ConsumeFault(FaultKind::kWrite, "append", path_));
    RG_RETURN_IF_ERROR(base_->Append(data));
    // Flush at once: the base must hold every appended byte (see the file comment).
    RG_RETURN_IF_ERROR(base_->Flush());
    state_->size += data.size();
    return Status::Ok();
  }

  Status Flush() override {
    std::lock_guard lock(fs_.mu_);
    RG_RETURN_IF_ERROR(CheckAlive());
    return base_->Flush();
  }

  Status Sync() override {
    std::lock_guard lock(fs_.mu_);
    RG_RETURN_IF_ERROR(CheckAlive());
    RG_RETURN_IF_ERROR(fs_.ConsumeFault(FaultKind::kSync, "fdatasync", path_));
    RG_RETURN_IF_ERROR(base_->Sync());
    state_->synced_size = state_->size;
    return Status::Ok();
  }

  Status Close() override {
    std::lock_guard lock(fs_.mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    RG_RETURN_IF_ERROR(CheckAlive());
    return base_->Close();
  }

  uint64_t size() const override { return base_->size(); }

 private:
  // REQUIRES: fs_.mu_ held.
  Status CheckAlive() const {
    if (epoch_ != fs_.epoch_) {
      return IoError("write " + path_ + ": file handle was lost in a simulated power cut");
    }
    return Status::Ok();
  }

  FaultInjectionFileSystem& fs_;
  const std::string path_;
  const std::unique_ptr<WritableFile> base_;
  const std::shared_ptr<FileState> state_;
  const uint64_t epoch_;
  bool closed_ = false;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem& base) : base_(base) {}
FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

Status FaultInjectionFileSystem::ConsumeFault(FaultKind kind, std::string_view operation,
                                              std::string_view path) {
  int& pending = pending_faults_[FaultIndex(kind)];
  if (pending == 0) return Status::Ok();
  --pending;
  return IoError(std::string(operation) + " " + std::string(path) + ": injected " +
                 FaultKindName(kind) + " error");
}

void FaultInjectionFileSystem::InjectErrors(FaultKind kind, int count) {
  std::lock_guard lock(mu_);
  pending_faults_[FaultIndex(kind)] += std::max(count, 0);
}

int FaultInjectionFileSystem::pending_injected_errors(FaultKind kind) const {
  std::lock_guard lock(mu_);
  return pending_faults_[FaultIndex(kind)];
}

uint64_t FaultInjectionFileSystem::unsynced_bytes() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (const auto& [path, state] : files_) total += state->size - state->synced_size;
  return total;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewWritableFile(
    std::string_view path) {
  std::string p = NormalizePath(path);
  std::lock_guard lock(mu_);
  RG_RETURN_IF_ERROR(ConsumeFault(FaultKind::kMetadata, "open", p));
  const bool existed = base_.FileExists(p);
  RG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_.NewWritableFile(p));
  auto state = std::make_shared<FileState>();
  auto it = files_.find(p);
  // The truncation loses the old contents; the entry is as durable as it was.
  state->entry_durable = existed && (it == files_.end() || it->second->entry_durable);
  files_[p] = state;
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultWritableFile>(*this, p, std::move(file), std::move(state), epoch_));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewAppendableFile(
    std::string_view path) {
  std::string p = NormalizePath(path);
  std::lock_guard lock(mu_);
  RG_RETURN_IF_ERROR(ConsumeFault(FaultKind::kMetadata, "open", p));
  const bool existed = base_.FileExists(p);
  RG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_.NewAppendableFile(p));
  std::shared_ptr<FileState>& state = files_[p];
  if (state == nullptr) {
    // Not seen before: whatever it holds is durable.
    state = std::make_shared<FileState>();
    state->size = file->size();
    state->synced_size = existed ? file->size() : 0;
    state->entry_durable = existed;
  }
  state->size = file->size();
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultWritableFile>(*this, p, std::move(file), state, epoch_));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionFileSystem::NewRandomAccessFile(
    std::string_view path) {
  return base_.NewRandomAccessFile(path);
}

Result<std::unique_ptr<SequentialFile>> FaultInjectionFileSystem::NewSequentialFile(
    std::string_view path) {
  return base_.NewSequentialFile(path);
}

Result<std::string> FaultInjectionFileSystem::ReadFileToString(std::string_view path,
                                                               uint64_t max_bytes) {
  return base_.ReadFileToString(path, max_bytes);
}

bool FaultInjectionFileSystem::FileExists(std::string_view path) { return base_.FileExists(path); }

Result<uint64_t> FaultInjectionFileSystem::GetFileSize(std::string_view path) {
  return base_.GetFileSize(path);
}

Result<std::vector<std::string>> FaultInjectionFileSystem::ListDir(std::string_view path) {
  return base_.ListDir(path);
}

Status FaultInjectionFileSystem::CreateDirs(std::string_view path) {
  std::lock_guard lock(mu_);
  RG_RETURN_IF_ERROR(ConsumeFault(FaultKind::kMetadata, "mkdir", path));
  return base_.CreateDirs(path);
}

Status FaultInjectionFileSystem::DeleteFile(std::string_view path) {
  std::string p = NormalizePath(path);
  std::lock_guard lock(mu_);
  RG_RETURN_IF_ERROR(ConsumeFault(FaultKind::kMetadata, "unlink", p));
  RG_RETURN_IF_ERROR(base_.DeleteFile(p));
  files_.erase(p);
  return Status::Ok();
}

Status FaultInjectionFileSystem::DeleteDirRecursive(std::string_view path) {
  std::string p = NormalizePath(path);
  std::lock_guard lock(mu_);
  RG_RETURN_IF_ERROR(ConsumeFault(FaultKind::kMetadata, "remove", p));
  RG_RETURN_IF_ERROR(base_.DeleteDirRecursive(p));
  std::erase_if(files_, [&](const auto& entry) { return IsBelow(entry.first, p); });
  return Status::Ok();
}

Status FaultInjectionFileSystem::RenameFile(std::string_view src, std::string_view target) {
  std::string s = NormalizePath(src);
  std::string t = NormalizePath(target);
  std::lock_guard lock(mu_);
  RG_RETURN_IF_ERROR(ConsumeFault(FaultKind::kMetadata, "rename", s + " to " + t));
  if (s == t) return base_.RenameFile(s, t);

  PendingRename pending;
  pending.src = s;
  pending.target = t;
  // Save what the rename destroys, if a power cut would bring it back.
  if (base_.FileExists(t)) {
    auto target_it = files_.find(t);
    const bool durable = target_it == files_.end() || target_it->second->entry_durable;
    if (durable) {
      RG_ASSIGN_OR_RETURN(std::string contents,
                          base_.ReadFileToString(t, std::numeric_limits<uint64_t>::max()));
      if (target_it != files_.end()) {
        contents.resize(std::min<uint64_t>(contents.size(), target_it->second->synced_size));
      }
      pending.replaced_contents = std::move(contents);
    }
  }
  RG_RETURN_IF_ERROR(base_.RenameFile(s, t));

  std::shared_ptr<FileState> state;
  auto src_it = files_.find(s);
  if (src_it != files_.end()) {
    state = src_it->second;
    files_.erase(src_it);
  } else {
    state = std::make_shared<FileState>();
    Result<uint64_t> size = base_.GetFileSize(t);
    state->size = state->synced_size = size.ok() ? *size : 0;
    state->entry_durable = true;
  }
  pending.src_entry_was_durable = state->entry_durable;
  state->entry_durable = false;
  files_[t] = std::move(state);
  pending_renames_.push_back(std::move(pending));
  return Status::Ok();
}

Status FaultInjectionFileSystem::SyncDir(std::string_view path) {
  std::string p = NormalizePath(path);
  std::lock_guard lock(mu_);
  RG_RETURN_IF_ERROR(ConsumeFault(FaultKind::kSync, "fsync directory", p));
  RG_RETURN_IF_ERROR(base_.SyncDir(p));
  for (auto& [file_path, state] : files_) {
    if (ParentDir(file_path) == p) state->entry_durable = true;
  }
  std::erase_if(pending_renames_,
                [&](const PendingRename& rename) { return ParentDir(rename.target) == p; });
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> FaultInjectionFileSystem::LockFile(std::string_view path) {
  return base_.LockFile(path);
}

Status FaultInjectionFileSystem::TruncateBaseFile(const std::string& path, uint64_t size) {
  std::string contents;
  {
    RG_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, base_.NewRandomAccessFile(path));
    RG_ASSIGN_OR_RETURN(std::string_view prefix,
                        file->Read(0, static_cast<size_t>(size), &contents));
    contents.resize(prefix.size());
  }
  RG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_.NewWritableFile(path));
  RG_RETURN_IF_ERROR(file->Append(contents));
  RG_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Status FaultInjectionFileSystem::SimulatePowerCut() { return SimulatePowerCut(PowerCutOptions{}); }

Status FaultInjectionFileSystem::SimulatePowerCut(const PowerCutOptions& options) {
  std::lock_guard lock(mu_);
  ++epoch_;  // every open handle is dead from here on
  std::fill(std::begin(pending_faults_), std::end(pending_faults_), 0);
  std::mt19937_64 rng(options.seed);

  // 1. Undo unsynced renames, newest first, so chains (a->b, b->c) unwind.
  for (auto it = pending_renames_.rbegin(); it != pending_renames_.rend(); ++it) {
    auto state_it = files_.find(it->target);
    if (state_it != files_.end() && base_.FileExists(it->target)) {
      std::shared_ptr<FileState> state = state_it->second;
      files_.erase(state_it);
      RG_RETURN_IF_ERROR(base_.RenameFile(it->target, it->src));
      state->entry_durable = it->src_entry_was_durable;
      files_[it->src] = std::move(state);
    }
    if (it->replaced_contents.has_value()) {
      RG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_.NewWritableFile(it->target));
      RG_RETURN_IF_ERROR(file->Append(*it->replaced_contents));
      RG_RETURN_IF_ERROR(file->Sync());
      RG_RETURN_IF_ERROR(file->Close());
      auto state = std::make_shared<FileState>();
      state->size = state->synced_size = it->replaced_contents->size();
      state->entry_durable = true;
      files_[it->target] = std::move(state);
    }
  }
  pending_renames_.clear();

  // 2. Remove files whose entries never became durable; cut the others back.
  for (const auto& [path, state] : files_) {
    if (!state->entry_durable) {
      Status deleted = base_.DeleteFile(path);
      if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
      continue;
    }
    Result<uint64_t> size = base_.GetFileSize(path);
    if (!size.ok()) {
      if (size.error().code() == StatusCode::kNotFound) continue;
      return size.error();
    }
    uint64_t keep = std::min(state->synced_size, *size);
    if (options.unsynced_data == UnsyncedData::kKeepRandomPrefix && *size > keep) {
      keep += rng() % (*size - keep + 1);
    }
    if (keep < *size) RG_RETURN_IF_ERROR(TruncateBaseFile(path, keep));
  }
  // 3. What is left is durable, as are files never seen.
  files_.clear();
  return Status::Ok();
}

}  // namespace roentgen::store
