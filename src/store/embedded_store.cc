// SPDX-License-Identifier: Apache-2.0
//
// The embedded storage engine.
//
// Data flow: Append() puts a batch on a bounded queue; the writer thread takes every batch
// waiting (group commit), writes one WAL record per document, fdatasyncs once, applies the
// documents to the open traces and only then calls each batch's callback, so that an
// acknowledgement means durable. The sealer thread seals traces that have been quiet for
// the quiet period (or the oldest ones under memory pressure): it merges them with their
// previous revision, parses them, computes the summary, reports (previous, new) to the seal
// observers and adds the revision to the memtable. The memtable is written as one immutable
// block when it is big or old enough; then WAL files older than every unflushed document
// are deleted.
//
// Why a memtable of sealed traces rather than a block per seal round: a round seals a few
// traces every 100 ms; blocks that small compress badly and multiply files. Why traces are
// looked up in blocks only at seal time, not at ingest: the writer thread never reads blocks,
// so ingest latency does not depend on the size of the store.
//
// Readers see, newest first: open traces, the memtable, the memtable being flushed, then
// blocks. A revision replaces an older one: in place in the memtable, or, for a block row,
// by recording the old row in the new block's supersedes section (and in memory at once).

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/coding.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "store/block/block_builder.h"
#include "store/block/block_format.h"
#include "store/block/block_reader.h"
#include "store/file_system.h"
#include "store/store.h"
#include "store/wal/wal_manager.h"

namespace roentgen::store {
namespace {

using block::BlockBuilder;
using block::BlockReader;
using block::BlockRow;
using block::RowRef;
using model::SegmentId;
using model::TenantId;
using model::TraceId;

// ---- WAL document records (docs/format/wal.md, "Store records") ----

constexpr uint8_t kWalDocumentRecord = 1;
constexpr uint8_t kWalFlagSubsegment = 1;
constexpr uint8_t kWalFlagInProgress = 2;

struct WalDocument {
  TenantId tenant;
  int64_t arrival_nanos = 0;
  TraceId trace_id;
  SegmentId id;
  bool is_subsegment = false;
  bool in_progress = false;
  std::string_view raw;
};

void EncodeWalDocument(const TenantId& tenant, int64_t arrival_nanos, const IncomingDocument& doc,
                       std::string* out) {
  out->push_back(static_cast<char>(kWalDocumentRecord));
  coding::PutLengthPrefixed(out, tenant);
  coding::PutVarsint64(out, arrival_nanos);
  out->append(doc.trace_id.AsBytes());
  coding::PutFixed64(out, doc.id.value);
  uint8_t flags =
      (doc.is_subsegment ? kWalFlagSubsegment : 0) | (doc.in_progress ? kWalFlagInProgress : 0);
  out->push_back(static_cast<char>(flags));
  coding::PutLengthPrefixed(out, doc.raw);
}

bool DecodeWalDocument(std::string_view in, WalDocument* doc) {
  if (in.empty() || static_cast<uint8_t>(in.front()) != kWalDocumentRecord) return false;
  in.remove_prefix(1);
  std::string_view tenant;
  uint64_t id;
  if (!coding::GetLengthPrefixed(&in, &tenant) || !coding::GetVarsint64(&in, &doc->arrival_nanos) ||
      in.size() < 16) {
    return false;
  }
  doc->tenant = std::string(tenant);
  doc->trace_id = TraceId::FromBytes(in.data());
  in.remove_prefix(16);
  if (!coding::GetFixed64(&in, &id) || in.empty()) return false;
  doc->id = SegmentId{id};
  auto flags = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  doc->is_subsegment = (flags & kWalFlagSubsegment) != 0;
  doc->in_progress = (flags & kWalFlagInProgress) != 0;
  return coding::GetLengthPrefixed(&in, &doc->raw) && in.empty();
}

// ---- In-memory structures ----

struct TraceKey {
  TenantId tenant;
  TraceId id;
  bool operator==(const TraceKey&) const = default;
};
struct TraceKeyHash {
  size_t operator()(const TraceKey& key) const {
    return model::TraceIdHash()(key.id) ^ std::hash<std::string>()(key.tenant);
  }
};

struct OpenDoc {
  SegmentId id;
  bool in_progress = false;
  bool is_subsegment = false;
  uint64_t lsn = 0;
  int64_t arrival_nanos = 0;
  // Shared so that the sealer and readers copy a trace's documents without copying bytes.
  std::shared_ptr<const std::string> raw;
};

struct OpenTrace {
  std::vector<OpenDoc> docs;
  int64_t first_arrival_nanos = 0;
  int64_t last_update_mono = 0;
  size_t bytes = 0;
};

// A sealed revision not yet in a block. Immutable once published.
struct SealedRow {
  BlockRow row;
  uint64_t min_unflushed_lsn = 0;  // WAL records from here on are needed to rebuild it
};

struct BlockHandle {
  uint64_t seq = 0;
  int64_t partition = 0;
  std::string path;
  std::unique_ptr<BlockReader> reader;
};

using BlockSet = std::vector<std::shared_ptr<BlockHandle>>;  // ascending seq

// Keeps, per document id, the newest complete version (or the in-progress one if no
// complete version exists), in first-arrival order.
struct DocRef {
  SegmentId id;
  bool in_progress;
  const std::string* raw;
};
std::vector<const std::string*> Deduplicate(const std::vector<DocRef>& docs) {
  std::vector<const std::string*> result;
  std::vector<bool> in_progress;
  std::unordered_map<uint64_t, size_t> position;
  for (const DocRef& doc : docs) {
    auto [it, inserted] = position.emplace(doc.id.value, result.size());
    if (inserted) {
      result.push_back(doc.raw);
      in_progress.push_back(doc.in_progress);
    } else if (!doc.in_progress || in_progress[it->second]) {
      // A complete version beats an in-progress one; among complete ones the last wins.
      result[it->second] = doc.raw;
      in_progress[it->second] = doc.in_progress;
    }
  }
  return result;
}

std::string PartitionDirName(int64_t partition) { return fmt::format("p{:010d}", partition); }
std::string BlockFileName(uint64_t seq) { return fmt::format("{:016d}.blk", seq); }

class EmbeddedStore final : public Store {
 public:
  explicit EmbeddedStore(EmbeddedStoreOptions options) : options_(std::move(options)) {}
  ~EmbeddedStore() override {
    if (started_ && !shut_down_) (void)Shutdown();
  }

  Status Open();

  Status Append(const TenantId& tenant, std::vector<IncomingDocument>&& documents,
                AppendCallback done) override;
  Result<std::vector<StoredTrace>> GetTraces(const TenantId& tenant,
                                             std::span<const TraceId> ids) override;
  Status ScanSummaries(const TenantId& tenant, const ScanRequest& request,
                       const SummaryVisitor& visit) override;
  Result<std::vector<SummaryRecord>> GetSummaries(const TenantId& tenant,
                                                  std::span<const TraceId> ids,
                                                  bool want_detail) override;
  void AddSealObserver(SealObserver* observer) override { observers_.push_back(observer); }
  Status Start() override;
  StoreStats Stats() const override;
  Status FlushAll() override;
  Status Shutdown() override;
  void CrashForTest() override;

 private:
  struct PendingBatch {
    TenantId tenant;
    std::vector<IncomingDocument> docs;
    AppendCallback done;
    int64_t arrival_nanos;
    size_t bytes;
  };

  // A sealed revision found for a trace: where it lives and what it holds.
  struct PreviousRevision {
    std::optional<RowRef> block_ref;          // set when it is a row of a written block
    std::shared_ptr<const SealedRow> memrow;  // set when it is in the memtable or flushing
    std::vector<std::string> documents;
    model::TraceSummary summary;
    std::string detail;  // encoded; empty when not loaded or not stored
    std::vector<model::GroupMatch> groups;
    uint64_t seal_lsn = 0;
    int64_t first_arrival_nanos = 0;
    uint64_t min_unflushed_lsn = 0;
  };

  // Writer thread.
  void WriterLoop();
  void WriteGroup(std::deque<PendingBatch>* group);
  // Sealer thread.
  void SealerLoop();
  void SealRound(bool seal_everything, bool force_flush);
  Status FlushMemtable();
  void ApplyRetention();
  // Drops the decoded columns of the least recently used blocks while all of them together
  // hold more than a quarter of the memory limit.
  void TrimBlockCaches();

  Status LoadBlocks();
  Status Recover();
  void ApplyDocument(const TraceKey& key, OpenDoc doc, int64_t now_mono);
  // What FindPrevious reads besides where the revision lives and its number.
  enum class Load : uint8_t { kRevision, kSummary, kEverything };
  Result<std::optional<PreviousRevision>> FindPrevious(const TraceKey& key, Load load);
  Result<std::optional<PreviousRevision>> FindInBlocks(const BlockSet& blocks, const TraceKey& key,
                                                       Load load);
  // The detail of a revision: decoded when stored, else computed from its documents.
  model::TraceDetail DetailOf(std::string_view encoded, const std::vector<std::string>& documents);
  // The current summary of one open trace merged with its sealed revision (partial).
  Result<SummaryRecord> OpenSummary(const TraceKey& key, const std::vector<OpenDoc>& open_docs,
                                    bool want_detail);
  Result<std::shared_ptr<BlockHandle>> WriteBlock(const BlockBuilder& builder);
  std::shared_ptr<const BlockSet> BlockSnapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return blocks_;
  }
  // The obsolete rows of one block, ascending (a copy: scans test rows without the lock).
  std::vector<uint32_t> ObsoleteRows(uint64_t block_seq) const {
    std::lock_guard<std::mutex> lock(obsolete_mu_);
    auto it = obsolete_.find(block_seq);
    if (it == obsolete_.end()) return {};
    std::vector<uint32_t> rows(it->second.begin(), it->second.end());
    std::sort(rows.begin(), rows.end());
    return rows;
  }
  void MarkObsolete(const RowRef& ref) {
    std::lock_guard<std::mutex> lock(obsolete_mu_);
    obsolete_[ref.block_seq].insert(ref.row);
  }
  // Traces in memory (open, sealed, being flushed), with allocation overheads estimated.
  size_t MemoryInUse() const;  // REQUIRES: mu_ held
  void PublishMemoryInUse() { memory_in_use_.store(MemoryInUse(), std::memory_order_relaxed); }

  // Immutable after Open().
  EmbeddedStoreOptions options_;
  std::unique_ptr<FileSystem> owned_fs_;
  FileSystem* fs_ = nullptr;
  Clock* clock_ = nullptr;
  std::string blocks_dir_;
  std::unique_ptr<FileLock> lock_;
  std::vector<SealObserver*> observers_;
  size_t queue_limit_bytes_ = 0;

  // Owned by the writer thread once started (by Open() before).
  std::unique_ptr<WalManager> wal_;
  uint64_t wal_truncated_before_ = 0;

  // Ingest queue.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingBatch> queue_;  // guarded by queue_mu_
  size_t queue_bytes_ = 0;          // guarded by queue_mu_
  bool stopping_ = false;           // guarded by queue_mu_
  std::atomic<bool> accepting_{false};

  // Traces and blocks.
  mutable std::mutex mu_;
  std::unordered_map<TraceKey, OpenTrace, TraceKeyHash> open_;  // guarded by mu_
  size_t open_bytes_ = 0;                                       // guarded by mu_
  size_t open_doc_count_ = 0;                                   // guarded by mu_
  // The memtable: sealed revisions not yet in a block, in seal order.
  std::vector<std::shared_ptr<const SealedRow>> memtable_;             // guarded by mu_
  std::unordered_map<TraceKey, size_t, TraceKeyHash> memtable_index_;  // guarded by mu_
  size_t memtable_bytes_ = 0;                                          // guarded by mu_
  size_t flushing_bytes_ = 0;  // raw document bytes of flushing_; guarded by mu_
  // MemoryInUse() as of the last change, for Append's check without mu_.
  std::atomic<size_t> memory_in_use_{0};
  int64_t memtable_first_mono_ = 0;  // guarded by mu_
  // The memtable being written as block `flushing_seq_`.
  std::vector<std::shared_ptr<const SealedRow>> flushing_;             // guarded by mu_
  std::unordered_map<TraceKey, size_t, TraceKeyHash> flushing_index_;  // guarded by mu_
  uint64_t flushing_seq_ = 0;                                          // guarded by mu_
  std::shared_ptr<const BlockSet> blocks_;                             // guarded by mu_
  uint64_t next_block_seq_ = 1;                                        // guarded by mu_
  std::atomic<uint64_t> truncate_before_lsn_{0};
  std::atomic<uint64_t> wal_last_lsn_hint_{0};  // published by the writer thread
  std::atomic<uint64_t> wal_bytes_hint_{0};     // published by the writer thread

  mutable std::mutex obsolete_mu_;
  std::unordered_map<uint64_t, std::unordered_set<uint32_t>> obsolete_;  // guarded by obsolete_mu_

  // Sealer control.
  std::mutex seal_mu_;
  std::condition_variable seal_cv_;
  bool flush_requested_ = false;   // guarded by seal_mu_
  uint64_t flush_generation_ = 0;  // guarded by seal_mu_; bumped after each requested flush
  Status last_flush_status_;       // guarded by seal_mu_
  bool sealer_stop_ = false;       // guarded by seal_mu_

  std::thread writer_;
  std::thread sealer_;
  uint64_t use_tick_ = 0;  // owned by the sealer thread
  bool started_ = false;
  bool shut_down_ = false;

  // Stats.
  Counter* documents_stored_ = nullptr;
  Counter* documents_refused_too_large_ = nullptr;
  Counter* traces_sealed_ = nullptr;
  Counter* traces_resealed_ = nullptr;
  Counter* blocks_written_ = nullptr;
  Counter* wal_syncs_ = nullptr;
  Counter* corruptions_ = nullptr;
  Counter* queue_full_ = nullptr;
  Counter* memory_full_ = nullptr;
  std::atomic<int64_t> oldest_unsealed_mono_{0};
};

Status EmbeddedStore::Open() {
  if (!options_.parser) return InvalidArgumentError("store: a document parser is required");
  if (options_.file_system == nullptr) {
    owned_fs_ = NewPosixFileSystem();
    fs_ = owned_fs_.get();
  } else {
    fs_ = options_.file_system;
  }
  clock_ = options_.clock != nullptr ? options_.clock : &Clock::Real();
  queue_limit_bytes_ = std::max<size_t>(options_.memory_limit_bytes / 8, 1u << 20);
  StatsRegistry* stats = options_.stats;
  static StatsRegistry unused_registry;
  if (stats == nullptr) stats = &unused_registry;
  documents_stored_ = &stats->GetCounter("roentgen_store_documents_stored_total",
                                         "Segment documents made durable in the WAL.");
  documents_refused_too_large_ =
      &stats->GetCounter("roentgen_store_documents_refused_total",
                         "Documents the store refused, by reason.", "reason=\"trace_too_large\"");
  queue_full_ =
      &stats->GetCounter("roentgen_store_documents_refused_total",
                         "Documents the store refused, by reason.", "reason=\"queue_full\"");
  memory_full_ =
      &stats->GetCounter("roentgen_store_documents_refused_total",
                         "Documents the store refused, by reason.", "reason=\"memory_full\"");
  traces_sealed_ = &stats->GetCounter("roentgen_store_traces_sealed_total",
                                      "Trace revisions sealed (first seals and reseals).");
  traces_resealed_ = &stats->GetCounter("roentgen_store_traces_resealed_total",
                                        "Sealed traces reopened by late documents and resealed.");
  blocks_written_ = &stats->GetCounter("roentgen_store_blocks_written_total", "Blocks written.");
  wal_syncs_ =
      &stats->GetCounter("roentgen_store_wal_syncs_total", "WAL group commits (fdatasync).");
  corruptions_ = &stats->GetCounter("roentgen_store_corruptions_total",
                                    "Damaged WAL records or blocks skipped.");

  RG_RETURN_IF_ERROR(fs_->CreateDirs(options_.data_dir));
  RG_ASSIGN_OR_RETURN(lock_, fs_->LockFile(options_.data_dir + "/LOCK"));
  blocks_dir_ = options_.data_dir + "/blocks";
  RG_RETURN_IF_ERROR(fs_->CreateDirs(blocks_dir_));
  RG_RETURN_IF_ERROR(LoadBlocks());
  WalManager::Options wal_options;
  wal_options.max_file_bytes = options_.wal_file_bytes;
  RG_ASSIGN_OR_RETURN(wal_, WalManager::Open(*fs_, options_.data_dir + "/wal", wal_options));
  RG_RETURN_IF_ERROR(Recover());
  wal_bytes_hint_ = wal_->bytes_on_disk();
  accepting_ = true;
  return Status();
}

Status EmbeddedStore::LoadBlocks() {
  RG_ASSIGN_OR_RETURN(std::vector<std::string> partitions, fs_->ListDir(blocks_dir_));
  auto blocks = std::make_shared<BlockSet>();
  for (const std::string& partition_name : partitions) {
    if (partition_name.size() < 2 || partition_name[0] != 'p') continue;
    int64_t partition = std::strtoll(partition_name.c_str() + 1, nullptr, 10);
    std::string dir = blocks_dir_ + "/" + partition_name;
    RG_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir));
    for (const std::string& name : names) {
      std::string path = dir + "/" + name;
      if (name.ends_with(".tmp")) {
        (void)fs_->DeleteFile(path);  // an unfinished flush; its documents are in the WAL
        continue;
      }
      if (!name.ends_with(".blk")) continue;
      RG_ASSIGN_OR_RETURN(auto file, fs_->NewRandomAccessFile(path));
      auto reader = BlockReader::Open(std::move(file), path);
      if (!reader.ok()) {
        // A block is renamed into place only after it is synced, so this is real damage:
        // report it, keep the file for inspection, and serve everything else.
        corruptions_->Add();
        RG_LOG(kError, "store: skipping damaged block: {}", reader.error().ToString());
        (void)fs_->RenameFile(path, path + ".corrupt");
        continue;
      }
      auto handle = std::make_shared<BlockHandle>();
      handle->seq = (*reader)->stats().block_seq;
      handle->partition = partition;
      handle->path = path;
      handle->reader = std::move(reader).value();
      blocks->push_back(std::move(handle));
    }
  }
  std::sort(blocks->begin(), blocks->end(),
            [](const auto& a, const auto& b) { return a->seq < b->seq; });
  for (const auto& handle : *blocks) {
    next_block_seq_ = std::max(next_block_seq_, handle->seq + 1);
    auto supersedes = handle->reader->Supersedes();
    if (!supersedes.ok()) {
      corruptions_->Add();
      RG_LOG(kError, "store: {}", supersedes.error().ToString());
      continue;
    }
    for (const auto& [row, ref] : *supersedes) MarkObsolete(ref);
  }
  blocks_ = std::move(blocks);
  return Status();
}

Status EmbeddedStore::Recover() {
  // Documents already folded into a block revision (seal_lsn >= lsn) are skipped; the rest
  // become open traces again and are sealed after Start().
  std::unordered_map<TraceKey, uint64_t, TraceKeyHash> sealed_lsn;
  auto blocks = BlockSnapshot();
  uint64_t recovered = 0;
  uint64_t skipped = 0;
  int64_t now_mono = clock_->MonotonicNanos();
  Status status = wal_->Recover([&](uint64_t lsn, std::string_view payload) {
    wal_last_lsn_hint_ = std::max(wal_last_lsn_hint_.load(), lsn);
    WalDocument doc;
    if (!DecodeWalDocument(payload, &doc)) {
      corruptions_->Add();
      return;
    }
    TraceKey key{doc.tenant, doc.trace_id};
    auto it = sealed_lsn.find(key);
    if (it == sealed_lsn.end()) {
      uint64_t seal_lsn = 0;
      auto previous = FindInBlocks(*blocks, key, Load::kRevision);
      if (previous.ok() && previous->has_value()) seal_lsn = (*previous)->seal_lsn;
      it = sealed_lsn.emplace(key, seal_lsn).first;
    }
    if (lsn <= it->second) {
      ++skipped;
      return;
    }
    OpenDoc open_doc{doc.id, doc.in_progress,   doc.is_subsegment,
                     lsn,    doc.arrival_nanos, std::make_shared<const std::string>(doc.raw)};
    std::lock_guard<std::mutex> lock(mu_);
    ApplyDocument(key, std::move(open_doc), now_mono);
    ++recovered;
  });
  RG_RETURN_IF_ERROR(status);
  if (recovered + skipped > 0) {
    RG_LOG(kInfo, "store: recovered {} documents from the WAL ({} already in blocks)", recovered,
           skipped);
  }
  return Status();
}

void EmbeddedStore::ApplyDocument(const TraceKey& key, OpenDoc doc, int64_t now_mono) {
  auto [it, inserted] = open_.try_emplace(key);
  OpenTrace& trace = it->second;
  if (inserted) trace.first_arrival_nanos = doc.arrival_nanos;
  trace.last_update_mono = now_mono;
  trace.bytes += doc.raw->size();
  open_bytes_ += doc.raw->size();
  ++open_doc_count_;
  trace.docs.push_back(std::move(doc));
  PublishMemoryInUse();
}

Status EmbeddedStore::Start() {
  if (started_) return FailedPreconditionError("store: already started");
  started_ = true;
  writer_ = std::thread([this] { WriterLoop(); });
  sealer_ = std::thread([this] { SealerLoop(); });
  return Status();
}

Status EmbeddedStore::Append(const TenantId& tenant, std::vector<IncomingDocument>&& documents,
                             AppendCallback done) {
  if (!accepting_) return UnavailableError("store: shutting down");
  size_t bytes = 0;
  for (const auto& doc : documents) bytes += doc.raw.size() + 64;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) return UnavailableError("store: shutting down");
    if (queue_bytes_ + bytes > queue_limit_bytes_ && !queue_.empty()) {
      queue_full_->Add(documents.size());
      return ResourceExhaustedError("store: ingest queue is full");
    }
    // Back-pressure when sealing falls behind: the traces in memory are over the cap.
    if (memory_in_use_.load(std::memory_order_relaxed) > options_.memory_limit_bytes) {
      memory_full_->Add(documents.size());
      return ResourceExhaustedError("store: memory limit reached (sealing is behind)");
    }
    queue_bytes_ += bytes;
    queue_.push_back(
        PendingBatch{tenant, std::move(documents), std::move(done), clock_->NowUnixNanos(), bytes});
  }
  queue_cv_.notify_one();
  return Status();
}

void EmbeddedStore::WriterLoop() {
  ::pthread_setname_np(::pthread_self(), "rg-wal-writer");
  for (;;) {
    std::deque<PendingBatch> group;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      group.swap(queue_);
      queue_bytes_ = 0;
    }
    WriteGroup(&group);
    uint64_t truncate_before = truncate_before_lsn_.load();
    if (truncate_before > wal_truncated_before_) {
      Status status = wal_->TruncateBefore(truncate_before);
      if (!status.ok()) RG_LOG(kWarning, "store: WAL truncation: {}", status.ToString());
      wal_truncated_before_ = truncate_before;
    }
    wal_bytes_hint_ = wal_->bytes_on_disk();
  }
}

void EmbeddedStore::WriteGroup(std::deque<PendingBatch>* group) {
  // Decide trace size caps against what is open now plus this group.
  std::vector<std::vector<DocumentOutcome>> outcomes(group->size());
  {
    std::unordered_map<TraceKey, size_t, TraceKeyHash> pending_bytes;
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t batch_idx = 0; batch_idx < group->size(); ++batch_idx) {
      PendingBatch& batch = (*group)[batch_idx];
      outcomes[batch_idx].assign(batch.docs.size(), DocumentOutcome::kStored);
      for (size_t doc_idx = 0; doc_idx < batch.docs.size(); ++doc_idx) {
        const IncomingDocument& doc = batch.docs[doc_idx];
        TraceKey key{batch.tenant, doc.trace_id};
        size_t& bytes = pending_bytes[key];
        if (bytes == 0) {
          auto it = open_.find(key);
          bytes = it == open_.end() ? 0 : it->second.bytes;
        }
        if (bytes + doc.raw.size() > options_.max_trace_bytes) {
          outcomes[batch_idx][doc_idx] = DocumentOutcome::kTraceTooLarge;
          documents_refused_too_large_->Add();
          continue;
        }
        bytes += doc.raw.size();
      }
    }
  }
  std::vector<std::string> records;
  for (size_t batch_idx = 0; batch_idx < group->size(); ++batch_idx) {
    const PendingBatch& batch = (*group)[batch_idx];
    for (size_t doc_idx = 0; doc_idx < batch.docs.size(); ++doc_idx) {
      if (outcomes[batch_idx][doc_idx] != DocumentOutcome::kStored) continue;
      std::string record;
      EncodeWalDocument(batch.tenant, batch.arrival_nanos, batch.docs[doc_idx], &record);
      records.push_back(std::move(record));
    }
  }
  Status status;
  uint64_t first_lsn = 0;
  if (!records.empty()) {
    std::vector<std::string_view> views(records.begin(), records.end());
    auto last_lsn = wal_->Append(views);
    if (last_lsn.ok()) {
      status = wal_->Sync();
      wal_syncs_->Add();
      first_lsn = *last_lsn - records.size() + 1;
      wal_last_lsn_hint_ = *last_lsn;
    } else {
      status = last_lsn.error();
    }
  }
  if (!status.ok()) {
    RG_LOG(kError, "store: WAL write failed, refusing {} documents: {}", records.size(),
           status.ToString());
  } else if (!records.empty()) {
    documents_stored_->Add(records.size());
    int64_t now_mono = clock_->MonotonicNanos();
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t lsn = first_lsn;
    for (size_t batch_idx = 0; batch_idx < group->size(); ++batch_idx) {
      PendingBatch& batch = (*group)[batch_idx];
      for (size_t doc_idx = 0; doc_idx < batch.docs.size(); ++doc_idx) {
        if (outcomes[batch_idx][doc_idx] != DocumentOutcome::kStored) continue;
        IncomingDocument& doc = batch.docs[doc_idx];
        ApplyDocument(
            TraceKey{batch.tenant, doc.trace_id},
            OpenDoc{doc.id, doc.in_progress, doc.is_subsegment, lsn++, batch.arrival_nanos,
                    std::make_shared<const std::string>(std::move(doc.raw))},
            now_mono);
      }
    }
  }
  for (size_t batch_idx = 0; batch_idx < group->size(); ++batch_idx) {
    PendingBatch& batch = (*group)[batch_idx];
    if (!status.ok()) {
      for (auto& outcome : outcomes[batch_idx]) {
        if (outcome == DocumentOutcome::kStored) outcome = DocumentOutcome::kRejected;
      }
    }
    if (batch.done) batch.done(AppendResult{status, std::move(outcomes[batch_idx])});
  }
}

size_t EmbeddedStore::MemoryInUse() const {
  // Measured on recipe traces: an open document costs about 160 bytes beyond its text (the
  // OpenDoc, its shared string, the trace's map node shared among its documents); a sealed
  // row keeps its documents plus the summary, the encoded detail and the parsed-once model
  // bookkeeping, about as much again as the documents, plus ~1 KiB fixed.
  constexpr size_t kOpenDocOverhead = 160;
  constexpr size_t kSealedRowOverhead = 1024;
  return open_bytes_ + open_doc_count_ * kOpenDocOverhead +
         2 * (memtable_bytes_ + flushing_bytes_) +
         (memtable_.size() + flushing_.size()) * kSealedRowOverhead;
}

void EmbeddedStore::SealerLoop() {
  ::pthread_setname_np(::pthread_self(), "rg-sealer");
  for (;;) {
    bool flush_requested = false;
    {
      std::unique_lock<std::mutex> lock(seal_mu_);
      seal_cv_.wait_for(lock, std::chrono::milliseconds(100),
                        [&] { return sealer_stop_ || flush_requested_; });
      if (sealer_stop_) break;
      flush_requested = flush_requested_;
    }
    SealRound(/*seal_everything=*/flush_requested, /*force_flush=*/flush_requested);
    ApplyRetention();
    TrimBlockCaches();
    if (flush_requested) {
      std::lock_guard<std::mutex> lock(seal_mu_);
      flush_requested_ = false;
      ++flush_generation_;
      seal_cv_.notify_all();
    }
  }
}

Result<std::optional<EmbeddedStore::PreviousRevision>> EmbeddedStore::FindInBlocks(
    const BlockSet& blocks, const TraceKey& key, Load load) {
  uint32_t epoch = key.id.epoch_seconds();
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    BlockReader& reader = *(*it)->reader;
    const auto& stats = reader.stats();
    // Ids with a real epoch prune by it; random (W3C-style) ids still match by bloom.
    if ((epoch < stats.min_trace_epoch || epoch > stats.max_trace_epoch) &&
        stats.min_trace_epoch != 0) {
      continue;
    }
    if (!reader.MayContain(key.id)) continue;
    RG_ASSIGN_OR_RETURN(std::vector<uint32_t> rows, reader.FindRows(key.id));
    if (rows.empty()) continue;
    RG_ASSIGN_OR_RETURN(auto columns, reader.Columns());
    for (auto row_it = rows.rbegin(); row_it != rows.rend(); ++row_it) {
      uint32_t row = *row_it;
      if (columns->tenant(row) != key.tenant) continue;
      PreviousRevision previous;
      previous.block_ref = RowRef{(*it)->seq, row};
      previous.seal_lsn = columns->seal_lsns[row];
      previous.first_arrival_nanos = columns->first_arrival_nanos[row];
      if (load != Load::kRevision) {
        RG_ASSIGN_OR_RETURN(previous.summary, reader.ReadSummary(row));
        RG_ASSIGN_OR_RETURN(auto payload, reader.Payload());
        previous.detail = std::string(BlockReader::EncodedDetail(*payload, row));
        auto groups = columns->groups(row);
        previous.groups.assign(groups.begin(), groups.end());
      }
      if (load == Load::kEverything) {
        RG_ASSIGN_OR_RETURN(previous.documents, reader.ReadDocuments(row));
      } else if (load == Load::kRevision) {
        previous.summary.revision = columns->revisions[row];
      }
      return std::optional<PreviousRevision>(std::move(previous));
    }
  }
  return std::optional<PreviousRevision>();
}

Result<std::optional<EmbeddedStore::PreviousRevision>> EmbeddedStore::FindPrevious(
    const TraceKey& key, Load load) {
  std::shared_ptr<const BlockSet> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<const SealedRow> memrow;
    std::optional<RowRef> flushing_ref;
    if (auto it = memtable_index_.find(key); it != memtable_index_.end()) {
      memrow = memtable_[it->second];
    } else if (auto fit = flushing_index_.find(key); fit != flushing_index_.end()) {
      memrow = flushing_[fit->second];
      flushing_ref = RowRef{flushing_seq_, static_cast<uint32_t>(fit->second)};
    }
    if (memrow) {
      PreviousRevision previous;
      previous.memrow = memrow;
      previous.block_ref = flushing_ref;
      if (load == Load::kEverything) previous.documents = memrow->row.documents;
      previous.summary = memrow->row.summary;
      if (load != Load::kRevision) {
        previous.detail = memrow->row.detail;
        previous.groups = memrow->row.groups;
      }
      previous.seal_lsn = memrow->row.seal_lsn;
      previous.first_arrival_nanos = memrow->row.first_arrival_nanos;
      previous.min_unflushed_lsn = memrow->min_unflushed_lsn;
      return std::optional<PreviousRevision>(std::move(previous));
    }
    blocks = blocks_;
  }
  return FindInBlocks(*blocks, key, load);
}

void EmbeddedStore::SealRound(bool seal_everything, bool force_flush) {
  int64_t now_mono = clock_->MonotonicNanos();
  int64_t quiet_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.quiet_period).count();
  struct Candidate {
    TraceKey key;
    std::vector<OpenDoc> docs;  // a copy: the writer may append more meanwhile
    int64_t first_arrival_nanos;
  };
  std::vector<Candidate> candidates;
  bool memory_pressure = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t in_use = MemoryInUse();
    memory_pressure = in_use > options_.memory_limit_bytes / 2;
    std::vector<std::pair<int64_t, const TraceKey*>> by_age;
    int64_t oldest_due = 0;
    for (auto& [key, trace] : open_) {
      bool due = now_mono - trace.last_update_mono >= quiet_nanos;
      if (due && (oldest_due == 0 || trace.last_update_mono < oldest_due)) {
        oldest_due = trace.last_update_mono;
      }
      if (seal_everything || due) {
        candidates.push_back(Candidate{key, trace.docs, trace.first_arrival_nanos});
      } else if (memory_pressure) {
        by_age.emplace_back(trace.last_update_mono, &key);
      }
    }
    oldest_unsealed_mono_ = oldest_due == 0 ? 0 : oldest_due + quiet_nanos;
    if (memory_pressure && !by_age.empty()) {
      // Seal the least recently updated traces until open traces fit in a quarter of the cap.
      std::sort(by_age.begin(), by_age.end());
      size_t to_free = open_bytes_ > options_.memory_limit_bytes / 4
                           ? open_bytes_ - options_.memory_limit_bytes / 4
                           : 0;
      for (const auto& [age, key_ptr] : by_age) {
        if (to_free == 0) break;
        const OpenTrace& trace = open_.at(*key_ptr);
        to_free -= std::min(to_free, trace.bytes);
        candidates.push_back(Candidate{*key_ptr, trace.docs, trace.first_arrival_nanos});
      }
    }
  }

  bool block_full = false;
  for (Candidate& candidate : candidates) {
    if (block_full) {
      // A long round (a backlog) still writes blocks of about the target size.
      Status status = FlushMemtable();
      if (!status.ok()) RG_LOG(kError, "store: block flush failed: {}", status.ToString());
      {
        std::lock_guard<std::mutex> lock(seal_mu_);
        last_flush_status_ = status;
      }
      block_full = false;
    }
    auto previous_or = FindPrevious(candidate.key, Load::kEverything);
    if (!previous_or.ok()) {
      corruptions_->Add();
      RG_LOG(kError, "store: reading the previous revision of {}: {}", candidate.key.id.ToString(),
             previous_or.error().ToString());
      previous_or = std::optional<PreviousRevision>();
    }
    std::optional<PreviousRevision>& previous = *previous_or;

    // Merge the previous revision's documents with the new ones, then parse.
    std::vector<DocRef> refs;
    std::vector<model::SegmentDocument> previous_segments;
    std::vector<std::string> previous_docs;
    if (previous) {
      for (const std::string& raw : previous->documents) {
        auto parsed = options_.parser(raw);
        if (!parsed.ok()) {
          corruptions_->Add();
          continue;
        }
        refs.push_back(DocRef{parsed->entity.id, parsed->entity.in_progress, &raw});
        previous_docs.push_back(raw);
        previous_segments.push_back(std::move(parsed).value());
      }
    }
    uint64_t seal_lsn = previous ? previous->seal_lsn : 0;
    uint64_t min_new_lsn = UINT64_MAX;
    for (const OpenDoc& doc : candidate.docs) {
      refs.push_back(DocRef{doc.id, doc.in_progress, doc.raw.get()});
      seal_lsn = std::max(seal_lsn, doc.lsn);
      min_new_lsn = std::min(min_new_lsn, doc.lsn);
    }
    std::vector<const std::string*> merged = Deduplicate(refs);

    TraceRevision current;
    current.tenant = candidate.key.tenant;
    current.trace_id = candidate.key.id;
    current.revision = previous ? previous->summary.revision + 1 : 1;
    size_t total_bytes = 0;
    for (const std::string* raw : merged) {
      if (total_bytes + raw->size() > options_.max_trace_bytes) {
        current.limit_exceeded = true;
        continue;
      }
      auto parsed = options_.parser(*raw);
      if (!parsed.ok()) {
        // Validated at ingest, so only a parser change can get here; keep the bytes.
        RG_LOG(kWarning, "store: stored document no longer parses: {}", parsed.error().ToString());
        continue;
      }
      total_bytes += raw->size();
      current.documents.push_back(*raw);
      current.segments.push_back(std::move(parsed).value());
    }
    current.summary = model::ComputeTraceSummary(current.trace_id, current.segments);
    current.summary.revision = current.revision;
    current.detail = model::ComputeTraceDetail(current.segments);
    model::AddInferredServiceIds(current.detail, &current.summary);
    if (options_.classifier) {
      current.groups = options_.classifier(current.tenant, current.summary, current.detail);
    }

    TraceRevision previous_revision;
    if (previous) {
      previous_revision.tenant = current.tenant;
      previous_revision.trace_id = current.trace_id;
      previous_revision.revision = previous->summary.revision;
      previous_revision.documents = std::move(previous_docs);
      previous_revision.segments = std::move(previous_segments);
      previous_revision.summary = previous->summary;
      previous_revision.detail = previous->detail.empty()
                                     ? model::ComputeTraceDetail(previous_revision.segments)
                                     : DetailOf(previous->detail, {});
      previous_revision.groups = previous->groups;
    }
    for (SealObserver* observer : observers_) {
      observer->OnSeal(previous ? &previous_revision : nullptr, current);
    }
    traces_sealed_->Add();
    if (previous) traces_resealed_->Add();

    auto sealed = std::make_shared<SealedRow>();
    sealed->row.tenant = current.tenant;
    sealed->row.summary = std::move(current.summary);
    model::EncodeTraceDetail(current.detail, &sealed->row.detail);
    sealed->row.groups = std::move(current.groups);
    sealed->row.seal_lsn = seal_lsn;
    sealed->row.first_arrival_nanos =
        previous ? previous->first_arrival_nanos : candidate.first_arrival_nanos;
    sealed->row.limit_exceeded = current.limit_exceeded;
    sealed->row.documents = std::move(current.documents);
    sealed->min_unflushed_lsn = min_new_lsn;
    if (previous && previous->memrow && !previous->block_ref) {
      // Replaces a memtable row in place: inherit what it replaced and its WAL needs.
      sealed->row.supersedes = previous->memrow->row.supersedes;
      sealed->min_unflushed_lsn = std::min(min_new_lsn, previous->min_unflushed_lsn);
    } else if (previous && previous->block_ref) {
      sealed->row.supersedes = previous->block_ref;
      MarkObsolete(*previous->block_ref);
    }

    std::lock_guard<std::mutex> lock(mu_);
    // Documents that arrived after the copy stay open for the next revision.
    auto it = open_.find(candidate.key);
    if (it != open_.end()) {
      OpenTrace& trace = it->second;
      size_t sealed_count = candidate.docs.size();
      for (size_t idx = 0; idx < sealed_count && idx < trace.docs.size(); ++idx) {
        trace.bytes -= trace.docs[idx].raw->size();
        open_bytes_ -= trace.docs[idx].raw->size();
        --open_doc_count_;
      }
      if (trace.docs.size() <= sealed_count) {
        open_.erase(it);
      } else {
        trace.docs.erase(trace.docs.begin(),
                         trace.docs.begin() + static_cast<std::ptrdiff_t>(sealed_count));
      }
    }
    size_t row_bytes = 0;
    for (const auto& doc : sealed->row.documents) row_bytes += doc.size();
    if (auto mit = memtable_index_.find(candidate.key); mit != memtable_index_.end()) {
      for (const auto& doc : memtable_[mit->second]->row.documents) memtable_bytes_ -= doc.size();
      memtable_[mit->second] = std::move(sealed);
    } else {
      if (memtable_.empty()) memtable_first_mono_ = now_mono;
      memtable_index_[candidate.key] = memtable_.size();
      memtable_.push_back(std::move(sealed));
    }
    memtable_bytes_ += row_bytes;
    PublishMemoryInUse();
    block_full = memtable_bytes_ >= options_.block_target_bytes;
  }

  bool flush = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!memtable_.empty()) {
      int64_t age = now_mono - memtable_first_mono_;
      flush =
          force_flush || memory_pressure || memtable_bytes_ >= options_.block_target_bytes ||
          age >=
              std::chrono::duration_cast<std::chrono::nanoseconds>(options_.block_max_age).count();
    }
  }
  if (flush || force_flush) {
    Status status = FlushMemtable();
    if (!status.ok()) RG_LOG(kError, "store: block flush failed: {}", status.ToString());
    std::lock_guard<std::mutex> lock(seal_mu_);
    last_flush_status_ = status;
  }
}

Status EmbeddedStore::FlushMemtable() {
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (memtable_.empty()) {
      seq = 0;
    } else {
      flushing_ = std::move(memtable_);
      flushing_index_ = std::move(memtable_index_);
      memtable_.clear();
      memtable_index_.clear();
      flushing_bytes_ = memtable_bytes_;
      memtable_bytes_ = 0;
      seq = flushing_seq_ = next_block_seq_++;
    }
  }
  if (seq != 0) {
    BlockBuilder builder(seq, options_.zstd_level);
    for (const auto& sealed : flushing_) {
      // Aliasing pointer: the builder shares the memtable row instead of copying documents.
      builder.AddShared(std::shared_ptr<const BlockRow>(sealed, &sealed->row));
    }
    auto handle = WriteBlock(builder);
    std::lock_guard<std::mutex> lock(mu_);
    if (!handle.ok()) {
      // Put the rows back; they stay readable and their WAL records stay on disk.
      for (auto& sealed : flushing_) {
        TraceKey key{sealed->row.tenant, sealed->row.summary.id};
        if (memtable_index_.count(key) != 0) continue;  // resealed meanwhile: newer wins
        if (memtable_.empty()) memtable_first_mono_ = clock_->MonotonicNanos();
        memtable_index_[key] = memtable_.size();
        for (const auto& doc : sealed->row.documents) memtable_bytes_ += doc.size();
        memtable_.push_back(sealed);
      }
      flushing_.clear();
      flushing_index_.clear();
      flushing_bytes_ = 0;
      PublishMemoryInUse();
      return handle.error();
    }
    auto blocks = std::make_shared<BlockSet>(*blocks_);
    blocks->push_back(std::move(handle).value());
    blocks_ = std::move(blocks);
    flushing_.clear();
    flushing_index_.clear();
    flushing_bytes_ = 0;
    PublishMemoryInUse();
    blocks_written_->Add();
  }
  // Every WAL record below the smallest LSN still needed by an unflushed revision or an open
  // trace can go.
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t needed = UINT64_MAX;
  for (const auto& [key, trace] : open_) {
    for (const auto& doc : trace.docs) needed = std::min(needed, doc.lsn);
  }
  for (const auto& sealed : memtable_) needed = std::min(needed, sealed->min_unflushed_lsn);
  if (needed == UINT64_MAX) needed = wal_last_lsn_hint_.load() + 1;
  truncate_before_lsn_ = needed;
  queue_cv_.notify_one();
  return Status();
}

Result<std::shared_ptr<BlockHandle>> EmbeddedStore::WriteBlock(const BlockBuilder& builder) {
  int64_t now = clock_->NowUnixNanos();
  int64_t partition_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.partition_duration).count();
  int64_t partition = now / partition_nanos;
  std::string dir = blocks_dir_ + "/" + PartitionDirName(partition);
  bool new_dir = !fs_->FileExists(dir);
  RG_RETURN_IF_ERROR(fs_->CreateDirs(dir));
  if (new_dir) RG_RETURN_IF_ERROR(fs_->SyncDir(blocks_dir_));
  std::string path = dir + "/" + BlockFileName(builder.block_seq());
  std::string tmp = path + ".tmp";
  std::string bytes = builder.Finish();
  {
    RG_ASSIGN_OR_RETURN(auto file, fs_->NewWritableFile(tmp));
    RG_RETURN_IF_ERROR(file->Append(bytes));
    RG_RETURN_IF_ERROR(file->Sync());
    RG_RETURN_IF_ERROR(file->Close());
  }
  RG_RETURN_IF_ERROR(fs_->RenameFile(tmp, path));
  RG_RETURN_IF_ERROR(fs_->SyncDir(dir));
  RG_ASSIGN_OR_RETURN(auto file, fs_->NewRandomAccessFile(path));
  RG_ASSIGN_OR_RETURN(auto reader, BlockReader::Open(std::move(file), path));
  auto handle = std::make_shared<BlockHandle>();
  handle->seq = builder.block_seq();
  handle->partition = partition;
  handle->path = path;
  handle->reader = std::move(reader);
  return handle;
}

void EmbeddedStore::ApplyRetention() {
  int64_t partition_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.partition_duration).count();
  int64_t retention_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.retention).count();
  int64_t cutoff = clock_->NowUnixNanos() - retention_nanos;
  std::set<int64_t> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto kept = std::make_shared<BlockSet>();
    for (const auto& handle : *blocks_) {
      if ((handle->partition + 1) * partition_nanos <= cutoff) {
        expired.insert(handle->partition);
      } else {
        kept->push_back(handle);
      }
    }
    if (expired.empty()) return;
    blocks_ = std::move(kept);
  }
  for (int64_t partition : expired) {
    std::string dir = blocks_dir_ + "/" + PartitionDirName(partition);
    Status status = fs_->DeleteDirRecursive(dir);
    if (!status.ok()) RG_LOG(kWarning, "store: retention: {}", status.ToString());
    RG_LOG(kInfo, "store: retention dropped partition {}", PartitionDirName(partition));
  }
  (void)fs_->SyncDir(blocks_dir_);
}

void EmbeddedStore::TrimBlockCaches() {
  BlockReader::SetUseClock(++use_tick_);
  auto blocks = BlockSnapshot();
  size_t budget = options_.block_cache_bytes != 0 ? options_.block_cache_bytes
                                                  : options_.memory_limit_bytes / 4;
  std::vector<std::pair<uint64_t, BlockReader*>> cached;
  size_t total = 0;
  for (const auto& handle : *blocks) {
    size_t bytes = handle->reader->cached_bytes();
    if (bytes == 0) continue;
    total += bytes;
    cached.emplace_back(handle->reader->last_use(), handle->reader.get());
  }
  if (total <= budget) return;
  std::sort(cached.begin(), cached.end());
  for (const auto& [last_use, reader] : cached) {
    if (total <= budget) break;
    total -= std::min(total, reader->cached_bytes());
    reader->DropCaches();
  }
}

Result<std::vector<StoredTrace>> EmbeddedStore::GetTraces(const TenantId& tenant,
                                                          std::span<const TraceId> ids) {
  std::vector<StoredTrace> result;
  for (const TraceId& id : ids) {
    TraceKey key{tenant, id};
    std::vector<OpenDoc> open_docs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = open_.find(key); it != open_.end()) open_docs = it->second.docs;
    }
    RG_ASSIGN_OR_RETURN(auto previous, FindPrevious(key, Load::kEverything));
    if (!previous && open_docs.empty()) continue;
    StoredTrace trace;
    trace.trace_id = id;
    trace.is_open = !open_docs.empty();
    std::vector<DocRef> refs;
    std::vector<std::string> sealed_docs;
    if (previous) {
      trace.revision = previous->summary.revision;
      sealed_docs = std::move(previous->documents);
      if (previous->memrow) {
        trace.limit_exceeded = previous->memrow->row.limit_exceeded;
      }
      if (open_docs.empty()) {
        trace.documents = std::move(sealed_docs);
        result.push_back(std::move(trace));
        continue;
      }
      for (const std::string& raw : sealed_docs) {
        auto parsed = options_.parser(raw);
        if (parsed.ok())
          refs.push_back(DocRef{parsed->entity.id, parsed->entity.in_progress, &raw});
      }
    }
    for (const OpenDoc& doc : open_docs)
      refs.push_back(DocRef{doc.id, doc.in_progress, doc.raw.get()});
    for (const std::string* raw : Deduplicate(refs)) trace.documents.push_back(*raw);
    result.push_back(std::move(trace));
  }
  return result;
}

model::TraceDetail EmbeddedStore::DetailOf(std::string_view encoded,
                                           const std::vector<std::string>& documents) {
  if (!encoded.empty()) {
    auto decoded = model::DecodeTraceDetail(encoded);
    if (decoded.ok()) return std::move(decoded).value();
    corruptions_->Add();
    RG_LOG(kError, "store: stored trace detail: {}", decoded.error().ToString());
  }
  std::vector<model::SegmentDocument> segments;
  for (const std::string& raw : documents) {
    auto parsed = options_.parser(raw);
    if (parsed.ok()) segments.push_back(std::move(parsed).value());
  }
  return model::ComputeTraceDetail(segments);
}

Result<SummaryRecord> EmbeddedStore::OpenSummary(const TraceKey& key,
                                                 const std::vector<OpenDoc>& open_docs,
                                                 bool want_detail) {
  RG_ASSIGN_OR_RETURN(auto previous, FindPrevious(key, Load::kEverything));
  std::vector<DocRef> refs;
  std::vector<model::SegmentDocument> parsed_previous;
  if (previous) {
    for (const std::string& raw : previous->documents) {
      auto parsed = options_.parser(raw);
      if (parsed.ok()) refs.push_back(DocRef{parsed->entity.id, parsed->entity.in_progress, &raw});
    }
  }
  for (const OpenDoc& doc : open_docs) {
    refs.push_back(DocRef{doc.id, doc.in_progress, doc.raw.get()});
  }
  std::vector<model::SegmentDocument> segments;
  for (const std::string* raw : Deduplicate(refs)) {
    auto parsed = options_.parser(*raw);
    if (parsed.ok()) segments.push_back(std::move(parsed).value());
  }
  SummaryRecord record;
  record.is_open = true;
  record.summary = model::ComputeTraceSummary(key.id, segments);
  record.summary.is_partial = true;
  record.summary.revision = previous ? previous->summary.revision : 0;
  record.detail = model::ComputeTraceDetail(segments);
  model::AddInferredServiceIds(record.detail, &record.summary);
  if (options_.classifier) {
    record.groups = options_.classifier(key.tenant, record.summary, record.detail);
  }
  if (!want_detail) record.detail = model::TraceDetail();
  return record;
}

namespace {

// Whether a trace with these times is selected by `request` (see TimeRangeKind).
bool Selected(const ScanRequest& request, const TraceId& id, double start, double end) {
  const TimeRange& range = request.range;
  switch (request.kind) {
    case TimeRangeKind::kTraceId: {
      double epoch = id.epoch_seconds();
      return epoch >= range.start_seconds && epoch < range.end_seconds;
    }
    case TimeRangeKind::kEvent:
      return start < range.end_seconds && end >= range.start_seconds;
    case TimeRangeKind::kService:
      return end >= range.start_seconds && end < range.end_seconds;
  }
  return false;
}

// Whether a block with these statistics may hold a selected trace.
bool BlockSelected(const ScanRequest& request, const block::BlockStats& stats) {
  const TimeRange& range = request.range;
  switch (request.kind) {
    case TimeRangeKind::kTraceId:
      // Random (W3C-style) ids have epoch 0 in some rows: only a real epoch range prunes.
      if (stats.min_trace_epoch == 0) return true;
      return stats.max_trace_epoch >= range.start_seconds &&
             stats.min_trace_epoch < range.end_seconds;
    case TimeRangeKind::kEvent:
      return stats.min_start < range.end_seconds && stats.max_end >= range.start_seconds;
    case TimeRangeKind::kService:
      return stats.max_end >= range.start_seconds;
  }
  return true;
}

// ScanConditions resolved against one block's search columns: dictionary codes instead of
// strings. `usable` is false when the block lacks a column a condition needs (the caller's
// own tests then decide); `none` when a wanted value is absent from the block altogether.
struct ColumnConditions {
  bool usable = false;
  bool none = false;
  const ScanConditions::Range* response_time = nullptr;
  uint8_t flag_mask = 0;   // RowFlags bits tested
  uint8_t flag_value = 0;  // their required values
  std::vector<uint32_t> service_codes;
  std::vector<uint32_t> annotation_codes;

  static bool Has(std::span<const uint32_t> codes, uint32_t code) {
    for (uint32_t have : codes) {
      if (have == code) return true;
    }
    return false;
  }
  bool RowPasses(const block::BlockColumns& columns, uint32_t row) const {
    if (none) return false;
    if ((columns.flags[row] & flag_mask) != flag_value) return false;
    if (response_time != nullptr) {
      double value = columns.response_times[row];
      if (std::isnan(value) || !response_time->Contains(value)) return false;
    }
    for (uint32_t code : service_codes) {
      if (!Has(columns.service_codes_of(row), code)) return false;
    }
    for (uint32_t code : annotation_codes) {
      if (!Has(columns.annotation_codes_of(row), code)) return false;
    }
    return true;
  }
};

ColumnConditions ResolveConditions(const ScanConditions* conditions,
                                   const block::BlockColumns& columns) {
  ColumnConditions resolved;
  if (conditions == nullptr) return resolved;
  if ((conditions->response_time && columns.response_times.empty()) ||
      (!conditions->service_names.empty() && columns.service_offsets.empty()) ||
      (!conditions->annotation_equals.empty() && columns.annotation_offsets.empty())) {
    return resolved;
  }
  resolved.usable = true;
  if (conditions->response_time) resolved.response_time = &*conditions->response_time;
  auto flag = [&](const std::optional<bool>& wanted, uint8_t bit) {
    if (!wanted) return;
    resolved.flag_mask |= bit;
    if (*wanted) resolved.flag_value |= bit;
  };
  flag(conditions->fault, block::kRowFault);
  flag(conditions->error, block::kRowError);
  flag(conditions->throttle, block::kRowThrottle);
  flag(conditions->partial, block::kRowPartial);
  auto code_of = [&](const std::vector<std::string>& dictionary,
                     std::string_view entry) -> std::optional<uint32_t> {
    for (uint32_t code = 0; code < dictionary.size(); ++code) {
      if (dictionary[code] == entry) return code;
    }
    return std::nullopt;
  };
  for (const std::string& name : conditions->service_names) {
    auto code = code_of(columns.service_dictionary, name);
    if (!code) resolved.none = true;
    if (code) resolved.service_codes.push_back(*code);
  }
  for (const auto& [key, value] : conditions->annotation_equals) {
    auto code = code_of(columns.annotation_dictionary, block::EncodeAnnotationEntry(key, value));
    if (!code) resolved.none = true;
    if (code) resolved.annotation_codes.push_back(*code);
  }
  return resolved;
}

// Whether every row of a block with these statistics is selected by the time range. A
// microsecond of margin covers the rounding of the per-row time columns.
bool BlockInside(const ScanRequest& request, const block::BlockStats& stats) {
  constexpr double kMargin = 1e-6;
  const TimeRange& range = request.range;
  switch (request.kind) {
    case TimeRangeKind::kTraceId:
      return stats.min_trace_epoch != 0 && stats.min_trace_epoch >= range.start_seconds &&
             stats.max_trace_epoch < range.end_seconds;
    case TimeRangeKind::kEvent:
      return stats.max_start < range.end_seconds - kMargin &&
             stats.min_end >= range.start_seconds + kMargin;
    case TimeRangeKind::kService:
      return stats.min_end >= range.start_seconds + kMargin &&
             stats.max_end < range.end_seconds - kMargin;
  }
  return false;
}

}  // namespace

Status EmbeddedStore::ScanSummaries(const TenantId& tenant, const ScanRequest& request,
                                    const SummaryVisitor& visit) {
  std::vector<std::shared_ptr<const SealedRow>> memrows;
  std::shared_ptr<const BlockSet> blocks;
  std::vector<std::pair<TraceKey, std::vector<OpenDoc>>> open_traces;
  {
    std::lock_guard<std::mutex> lock(mu_);
    memrows.assign(memtable_.rbegin(), memtable_.rend());
    memrows.insert(memrows.end(), flushing_.rbegin(), flushing_.rend());
    blocks = blocks_;
    if (request.include_open) {
      for (const auto& [key, trace] : open_) {
        if (key.tenant == tenant) open_traces.emplace_back(key, trace.docs);
      }
    }
  }
  // Every trace is visited once: open ones in their merged form, then sealed rows of
  // traces not seen yet. A revision sealed during the scan may sit both in the memtable
  // snapshot and in a block written since: the first one seen (the newer) wins.
  std::unordered_set<TraceId, model::TraceIdHash> seen;
  for (auto& [key, docs] : open_traces) {
    RG_ASSIGN_OR_RETURN(SummaryRecord record, OpenSummary(key, docs, request.want_detail));
    seen.insert(key.id);
    const auto& summary = record.summary;
    if (!Selected(request, key.id, summary.start_time, summary.end_time)) continue;
    if (request.traces_selected != nullptr) ++*request.traces_selected;
    if (request.prefilter && !request.prefilter(summary)) continue;
    SummaryRow row{&tenant,
                   &summary,
                   request.want_detail ? &record.detail : nullptr,
                   record.groups,
                   true,
                   &key.id,
                   summary.start_time,
                   summary.end_time};
    if (!visit(row)) return Status();
  }
  model::TraceDetail detail;
  for (const auto& sealed : memrows) {
    if (sealed->row.tenant != tenant) continue;
    const auto& summary = sealed->row.summary;
    if (!seen.insert(summary.id).second) continue;
    if (!Selected(request, summary.id, summary.start_time, summary.end_time)) continue;
    if (request.traces_selected != nullptr) ++*request.traces_selected;
    if (request.prefilter && !request.prefilter(summary)) continue;
    if (request.want_detail) detail = DetailOf(sealed->row.detail, sealed->row.documents);
    SummaryRow row{&sealed->row.tenant, &summary,        request.want_detail ? &detail : nullptr,
                   sealed->row.groups,  false,           &summary.id,
                   summary.start_time,  summary.end_time};
    if (!visit(row)) return Status();
  }
  for (auto it = blocks->rbegin(); it != blocks->rend(); ++it) {
    BlockReader& reader = *(*it)->reader;
    if (!BlockSelected(request, reader.stats())) continue;
    RG_ASSIGN_OR_RETURN(auto columns, reader.Columns());
    const ColumnConditions conditions = ResolveConditions(request.conditions, *columns);
    const auto tenant_code = std::find(columns->tenants.begin(), columns->tenants.end(), tenant) -
                             columns->tenants.begin();
    if (static_cast<size_t>(tenant_code) == columns->tenants.size()) continue;
    const std::vector<uint32_t> obsolete = ObsoleteRows((*it)->seq);
    auto next_obsolete = obsolete.begin();
    const bool whole_block = BlockInside(request, reader.stats());
    uint64_t selected = 0;
    struct AddSelected {  // counts into the request on every way out of the block
      uint64_t* target;
      const uint64_t* count;
      ~AddSelected() {
        if (target != nullptr) *target += *count;
      }
    } add_selected{request.traces_selected, &selected};
    for (uint32_t row = 0; row < reader.stats().row_count; ++row) {
      if (columns->tenant_codes[row] != static_cast<uint32_t>(tenant_code)) continue;
      const TraceId& id = columns->trace_ids[row];
      if (!whole_block &&
          !Selected(request, id, columns->start_times[row], columns->end_times[row])) {
        continue;
      }
      while (next_obsolete != obsolete.end() && *next_obsolete < row) ++next_obsolete;
      if (next_obsolete != obsolete.end() && *next_obsolete == row) continue;
      if (!seen.empty() && seen.count(id) != 0) continue;
      ++selected;
      if (conditions.usable) {
        if (!conditions.RowPasses(*columns, row)) continue;
        if (request.conditions->exact && request.summary_optional) {
          SummaryRow visit_row{&columns->tenant(row),
                               nullptr,
                               nullptr,
                               columns->groups(row),
                               false,
                               &id,
                               columns->start_times[row],
                               columns->end_times[row]};
          if (!visit(visit_row)) return Status();
          continue;
        }
      }
      RG_ASSIGN_OR_RETURN(model::TraceSummary summary, reader.ReadSummary(row));
      if (request.prefilter && !request.prefilter(summary)) continue;
      if (request.want_detail) {
        RG_ASSIGN_OR_RETURN(auto payload, reader.Payload());
        std::string_view encoded = BlockReader::EncodedDetail(*payload, row);
        if (encoded.empty()) {
          RG_ASSIGN_OR_RETURN(auto documents, reader.ReadDocuments(row));
          detail = DetailOf({}, documents);
        } else {
          detail = DetailOf(encoded, {});
        }
      }
      SummaryRow visit_row{&columns->tenant(row),
                           &summary,
                           request.want_detail ? &detail : nullptr,
                           columns->groups(row),
                           false,
                           &id,
                           columns->start_times[row],
                           columns->end_times[row]};
      if (!visit(visit_row)) return Status();
    }
  }
  return Status();
}

Result<std::vector<SummaryRecord>> EmbeddedStore::GetSummaries(const TenantId& tenant,
                                                               std::span<const TraceId> ids,
                                                               bool want_detail) {
  std::vector<SummaryRecord> result;
  for (const TraceId& id : ids) {
    TraceKey key{tenant, id};
    std::vector<OpenDoc> open_docs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = open_.find(key); it != open_.end()) open_docs = it->second.docs;
    }
    if (!open_docs.empty()) {
      RG_ASSIGN_OR_RETURN(SummaryRecord record, OpenSummary(key, open_docs, want_detail));
      result.push_back(std::move(record));
      continue;
    }
    RG_ASSIGN_OR_RETURN(auto previous, FindPrevious(key, Load::kSummary));
    if (!previous) continue;
    SummaryRecord record;
    record.summary = std::move(previous->summary);
    record.groups = std::move(previous->groups);
    if (want_detail) {
      if (previous->detail.empty()) {
        RG_ASSIGN_OR_RETURN(previous, FindPrevious(key, Load::kEverything));
        if (!previous) continue;
      }
      record.detail = DetailOf(previous->detail, previous->documents);
    }
    result.push_back(std::move(record));
  }
  return result;
}

StoreStats EmbeddedStore::Stats() const {
  StoreStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats.open_traces = open_.size();
    stats.open_bytes = open_bytes_;
    stats.sealed_unflushed_traces = memtable_.size() + flushing_.size();
    stats.block_count = blocks_->size();
    std::set<int64_t> partitions;
    for (const auto& handle : *blocks_) {
      stats.block_bytes += handle->reader->file_size();
      partitions.insert(handle->partition);
    }
    stats.partitions = partitions.size();
  }
  {
    std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(queue_mu_));
    stats.queue_bytes = queue_bytes_;
    stats.queue_depth = queue_.size();
  }
  stats.wal_bytes = wal_bytes_hint_.load();
  int64_t due = oldest_unsealed_mono_.load();
  if (due != 0) {
    stats.seal_lag_seconds =
        std::max<double>(0, static_cast<double>(clock_->MonotonicNanos() - due) / 1e9);
  }
  return stats;
}

Status EmbeddedStore::FlushAll() {
  if (!started_) {
    SealRound(/*seal_everything=*/true, /*force_flush=*/true);
    std::lock_guard<std::mutex> lock(seal_mu_);
    return last_flush_status_;
  }
  std::unique_lock<std::mutex> lock(seal_mu_);
  uint64_t generation = flush_generation_;
  flush_requested_ = true;
  seal_cv_.notify_all();
  seal_cv_.wait(lock, [&] { return flush_generation_ != generation || sealer_stop_; });
  return last_flush_status_;
}

Status EmbeddedStore::Shutdown() {
  if (shut_down_) return Status();
  shut_down_ = true;
  accepting_ = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();  // drains the queue: every accepted batch is answered
  {
    std::lock_guard<std::mutex> lock(seal_mu_);
    sealer_stop_ = true;
  }
  seal_cv_.notify_all();
  if (sealer_.joinable()) sealer_.join();
  // Seal and write everything, then drop the WAL records that blocks now hold.
  SealRound(/*seal_everything=*/true, /*force_flush=*/true);
  Status status;
  {
    std::lock_guard<std::mutex> lock(seal_mu_);
    status = last_flush_status_;
  }
  uint64_t truncate_before = truncate_before_lsn_.load();
  if (status.ok() && truncate_before > wal_->last_lsn()) {
    // Every record is in a block: start an empty file so that all the others can go.
    status = wal_->StartNewFile();
  }
  if (status.ok() && truncate_before > wal_truncated_before_) {
    status = wal_->TruncateBefore(truncate_before);
  }
  Status sync = wal_->Sync();
  lock_.reset();  // another store may open the directory now
  return status.ok() ? sync : status;
}

void EmbeddedStore::CrashForTest() {
  shut_down_ = true;
  accepting_ = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
    queue_.clear();
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard<std::mutex> lock(seal_mu_);
    sealer_stop_ = true;
  }
  seal_cv_.notify_all();
  if (sealer_.joinable()) sealer_.join();
  lock_.reset();  // a killed process holds no lock
}

}  // namespace

Result<std::unique_ptr<Store>> OpenEmbeddedStore(EmbeddedStoreOptions options) {
  auto store = std::make_unique<EmbeddedStore>(std::move(options));
  RG_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace roentgen::store
