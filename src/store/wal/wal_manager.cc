// SPDX-License-Identifier: Apache-2.0
//
// WalManager keeps the log format (log_writer/log_reader) ignorant of LSNs and files: it
// frames batches (wal_record.h), numbers them, and owns the file life cycle.
//
// Decisions:
//   - One log record per batch, not per record: a batch is atomic on recovery, and a batch of
//     many small records costs one checksum and one write(2).
//   - Recovery always starts a new file instead of appending to the last one, so a torn tail
//     is never followed by new records (LevelDB's reuse_logs, off by default, for the same
//     reason). Old files that end up holding nothing are deleted.
//   - Every file begins with a header holding the next LSN, so LSNs keep increasing even after
//     TruncateBefore has deleted every file that held a record.
//   - Any I/O error is sticky (see wal_manager.h) rather than retried: after a failed
//     fdatasync a retry can "succeed" without the data being durable.

#include "store/wal/wal_manager.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <utility>

#include "base/logging.h"
#include "base/status_macros.h"
#include "store/wal/wal_record.h"

namespace roentgen::store {
namespace {

constexpr std::string_view kFilePrefix = "wal-";
constexpr std::string_view kFileSuffix = ".log";
// Encoding buffers above this are released after use.
constexpr size_t kMaxRetainedBufferBytes = 4u << 20;

// Counts the reader's reports and forwards them, with the file path, to the user's
// reporter and the log.
class RecoveryReporter final : public log::Reader::Reporter {
 public:
  RecoveryReporter(std::string path, log::Reader::Reporter* forward,
                   WalManager::RecoveryStats& stats)
      : path_(std::move(path)), forward_(forward), stats_(stats) {}

  void Corruption(size_t bytes, const Status& status) override {
    ++events_;
    ++stats_.corruption_events;
    stats_.corrupted_bytes += bytes;
    Status with_path = status.WithContext("wal: " + path_);
    RG_LOG(kWarning, "{}; dropped {} bytes", with_path.message(), bytes);
    if (forward_ != nullptr) forward_->Corruption(bytes, with_path);
  }

  uint64_t events() const { return events_; }

 private:
  const std::string path_;
  log::Reader::Reporter* const forward_;
  WalManager::RecoveryStats& stats_;
  uint64_t events_ = 0;
};

}  // namespace

std::string WalManager::FileName(uint64_t number) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "wal-%012llu.log", static_cast<unsigned long long>(number));
  return buf;
}

bool WalManager::ParseFileName(std::string_view name, uint64_t* number) {
  if (name.size() <= kFilePrefix.size() + kFileSuffix.size() || !name.starts_with(kFilePrefix) ||
      !name.ends_with(kFileSuffix)) {
    return false;
  }
  std::string_view digits =
      name.substr(kFilePrefix.size(), name.size() - kFilePrefix.size() - kFileSuffix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *number);
  return ec == std::errc() && end == digits.data() + digits.size() && *number > 0;
}

Result<std::unique_ptr<WalManager>> WalManager::Open(FileSystem& fs, std::string_view dir) {
  return Open(fs, dir, Options{});
}

Result<std::unique_ptr<WalManager>> WalManager::Open(FileSystem& fs, std::string_view dir,
                                                     const Options& options) {
  if (options.max_file_bytes == 0) {
    return InvalidArgumentError("wal: max_file_bytes must be positive");
  }
  RG_RETURN_IF_ERROR(fs.CreateDirs(dir));
  RG_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.ListDir(dir));
  std::vector<LogFile> files;
  for (const std::string& name : names) {
    uint64_t number;
    if (ParseFileName(name, &number)) files.push_back(LogFile{.number = number});
  }
  std::sort(files.begin(), files.end(),
            [](const LogFile& a, const LogFile& b) { return a.number < b.number; });
  return std::unique_ptr<WalManager>(
      new WalManager(fs, std::string(dir), options, std::move(files)));
}

WalManager::WalManager(FileSystem& fs, std::string dir, const Options& options,
                       std::vector<LogFile> files)
    : fs_(fs), dir_(std::move(dir)), options_(options), files_(std::move(files)) {}

WalManager::~WalManager() {
  if (file_ != nullptr) (void)file_->Close();
}

std::string WalManager::PathOf(uint64_t number) const { return JoinPath(dir_, FileName(number)); }

Status WalManager::Recover(const RecoverCallback& callback) {
  if (state_ != State::kOpened) {
    return FailedPreconditionError("wal: Recover must be called once, right after Open");
  }
  // Whatever happens below, Recover has been used up.
  state_ = State::kRecoveryFailed;

  RecoveryStats& stats = recovery_stats_;
  stats = RecoveryStats{};
  uint64_t next_lsn = 1;  // every batch from here on must have first_lsn >= next_lsn
  std::string scratch;
  wal::WalRecord decoded;
  std::vector<uint64_t> empty_files;  // files with nothing to recover
  for (LogFile& file : files_) {
    const std::string path = PathOf(file.number);
    RG_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> input, fs_.NewSequentialFile(path));
    RecoveryReporter reporter(path, options_.reporter, stats);
    log::Reader reader(*input, &reporter);
    uint64_t batches_in_file = 0;
    std::string_view record;
    while (reader.ReadRecord(&record, &scratch)) {
      auto where = [&] { return " at offset " + std::to_string(reader.last_record_offset()); };
      Status status = wal::DecodeWalRecord(record, &decoded);
      if (!status.ok()) {
        reporter.Corruption(record.size(),
                            CorruptionError(std::string(status.message()) + where()));
        continue;
      }
      if (decoded.kind == wal::WalRecordKind::kFileHeader) {
        next_lsn = std::max(next_lsn, decoded.header.next_lsn);
        file.last_lsn = std::max(file.last_lsn, decoded.header.next_lsn - 1);
        continue;
      }
      if (decoded.first_lsn < next_lsn) {
        reporter.Corruption(
            record.size(),
            CorruptionError("batch lsn " + std::to_string(decoded.first_lsn) + " below expected " +
                            std::to_string(next_lsn) + where()));
        continue;
      }
      for (size_t payload_idx = 0; payload_idx < decoded.payloads.size(); ++payload_idx) {
        callback(decoded.first_lsn + payload_idx, decoded.payloads[payload_idx]);
      }
      const uint64_t batch_last = decoded.first_lsn + (decoded.payloads.size() - 1);
      next_lsn = batch_last + 1;
      file.last_lsn = batch_last;
      stats.last_lsn = batch_last;
      stats.records += decoded.payloads.size();
      ++stats.batches;
      ++batches_in_file;
    }
    if (!reader.status().ok()) return reader.status().WithContext("wal: reading " + path);
    stats.torn_tail_bytes += reader.dropped_tail_bytes();
    ++stats.files;
    RG_ASSIGN_OR_RETURN(file.size, fs_.GetFileSize(path));
    if (batches_in_file == 0 && reporter.events() == 0) empty_files.push_back(file.number);
  }
  last_lsn_ = next_lsn - 1;

  // Start the new file (it carries next_lsn forward) before deleting anything.
  const uint64_t number = files_.empty() ? 1 : files_.back().number + 1;
  RG_RETURN_IF_ERROR(OpenNewFile(number));
  for (uint64_t empty : empty_files) {
    RG_RETURN_IF_ERROR(fs_.DeleteFile(PathOf(empty)));
    std::erase_if(files_, [&](const LogFile& file) { return file.number == empty; });
  }
  if (!empty_files.empty()) RG_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  state_ = State::kReady;
  return Status::Ok();
}

Status WalManager::OpenNewFile(uint64_t number) {
  const std::string path = PathOf(number);
  RG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, fs_.NewWritableFile(path));
  auto writer = std::make_unique<log::Writer>(*file);
  std::string header;
  wal::EncodeFileHeader({.file_number = number, .next_lsn = last_lsn_ + 1}, &header);
  RG_RETURN_IF_ERROR(writer->AddRecord(header));
  // The header must be durable before the name is, or a power cut could leave a file that
  // exists but has lost the LSN floor it carries.
  RG_RETURN_IF_ERROR(file->Sync());
  RG_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  files_.push_back(LogFile{.number = number, .size = file->size(), .last_lsn = last_lsn_});
  file_ = std::move(file);
  writer_ = std::move(writer);
  has_unsynced_ = false;
  return Status::Ok();
}

Status WalManager::Rotate() {
  RG_RETURN_IF_ERROR(file_->Sync());
  RG_RETURN_IF_ERROR(file_->Close());
  writer_.reset();
  file_.reset();
  return OpenNewFile(files_.back().number + 1);
}

Status WalManager::StartNewFile() {
  RG_RETURN_IF_ERROR(CheckReady("StartNewFile"));
  if (!error_.ok()) return error_;
  Status status = Rotate();
  if (!status.ok()) error_ = status;
  return status;
}

Result<uint64_t> WalManager::Append(std::span<const std::string_view> records) {
  RG_RETURN_IF_ERROR(CheckReady("Append"));
  if (!error_.ok()) return error_;
  if (records.empty()) return InvalidArgumentError("wal: empty batch");
  if (records.size() > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError("wal: batch has too many records");
  }
  if (records.size() > wal::kMaxLsn - last_lsn_) {
    return OutOfRangeError("wal: log sequence numbers exhausted");
  }
  for (std::string_view record : records) {
    if (record.size() > wal::kMaxPayloadSize) {
      return InvalidArgumentError("wal: record of " + std::to_string(record.size()) +
                                  " bytes is too large");
    }
  }

  if (file_->size() >= options_.max_file_bytes) {
    Status rotated = Rotate();
    if (!rotated.ok()) {
      error_ = rotated;
      return rotated;
    }
  }

  const uint64_t first_lsn = last_lsn_ + 1;
  batch_buffer_.clear();
  wal::EncodeBatch(first_lsn, records, &batch_buffer_);
  Status status = writer_->AddRecord(batch_buffer_);
  if (batch_buffer_.capacity() > kMaxRetainedBufferBytes) std::string().swap(batch_buffer_);
  if (!status.ok()) {
    error_ = status;
    return status;
  }
  has_unsynced_ = true;
  last_lsn_ = first_lsn + (records.size() - 1);
  files_.back().last_lsn = last_lsn_;
  files_.back().size = file_->size();
  return last_lsn_;
}

Status WalManager::Sync() {
  RG_RETURN_IF_ERROR(CheckReady("Sync"));
  if (!error_.ok()) return error_;
  if (!has_unsynced_) return Status::Ok();
  Status status = file_->Sync();
  if (!status.ok()) {
    error_ = status;
    return status;
  }
  has_unsynced_ = false;
  return Status::Ok();
}

Status WalManager::TruncateBefore(uint64_t lsn) {
  if (state_ == State::kOpened || state_ == State::kRecoveryFailed) {
    return FailedPreconditionError("wal: TruncateBefore needs a successful Recover");
  }
  size_t deleted = 0;
  // files_.size() > 1: the current file is never deleted (after Close, the last file stays
  // too; it carries the LSN floor).
  while (files_.size() > 1 && files_.front().last_lsn < lsn) {
    Status status = fs_.DeleteFile(PathOf(files_.front().number));
    if (!status.ok() && status.code() != StatusCode::kNotFound) return status;
    files_.erase(files_.begin());
    ++deleted;
  }
  if (deleted > 0) RG_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  return Status::Ok();
}

Status WalManager::Close() {
  if (state_ != State::kReady) return Status::Ok();
  state_ = State::kClosed;
  Status status = error_;
  if (status.ok() && has_unsynced_) status = file_->Sync();  // error_ ok => file_ open
  if (file_ != nullptr) {
    Status closed = file_->Close();
    if (status.ok()) status = closed;
  }
  writer_.reset();
  file_.reset();
  return status;
}

Status WalManager::CheckReady(std::string_view operation) const {
  switch (state_) {
    case State::kOpened:
      return FailedPreconditionError("wal: " + std::string(operation) + " before Recover");
    case State::kRecoveryFailed:
      return FailedPreconditionError("wal: " + std::string(operation) +
                                     " after a failed Recover; reopen the WAL");
    case State::kClosed:
      return FailedPreconditionError("wal: " + std::string(operation) + " after Close");
    case State::kReady:
      break;
  }
  return Status::Ok();
}

uint64_t WalManager::bytes_on_disk() const {
  uint64_t total = 0;
  for (const LogFile& file : files_) total += file.size;
  return total;
}

uint64_t WalManager::current_file_number() const {
  return state_ == State::kReady ? files_.back().number : 0;
}

}  // namespace roentgen::store
