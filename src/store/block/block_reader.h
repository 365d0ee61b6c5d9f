// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/group_match.h"
#include "model/tenant.h"
#include "model/trace_id.h"
#include "model/trace_summary.h"
#include "store/block/block_builder.h"
#include "store/block/block_format.h"
#include "store/block/block_stats.h"
#include "store/block/section_file.h"

namespace roentgen::store {
class RandomAccessFile;
}

namespace roentgen::store::block {

// The scalar columns of a block, decoded. Immutable once built; safe to share.
struct BlockColumns {
  std::vector<std::string> tenants;       // dictionary
  std::vector<model::TraceId> trace_ids;  // per row
  std::vector<uint32_t> tenant_codes;
  std::vector<uint32_t> revisions;
  std::vector<uint64_t> seal_lsns;
  std::vector<int64_t> first_arrival_nanos;
  std::vector<double> start_times;  // seconds, microsecond precision
  std::vector<double> end_times;
  std::vector<uint8_t> flags;  // RowFlags
  std::vector<uint32_t> doc_counts;
  std::vector<uint64_t> trace_bytes;
  std::vector<model::GroupMatch> group_matches;  // every row's groups, concatenated
  std::vector<uint32_t> group_offsets;           // rows + 1 entries into group_matches
  // Search columns; each is empty when the block lacks it (older blocks).
  std::vector<double> response_times;  // NaN: no response time
  std::vector<std::string> service_dictionary;
  std::vector<uint32_t> service_codes;    // every row's codes, concatenated
  std::vector<uint32_t> service_offsets;  // rows + 1 entries into service_codes
  std::vector<std::string> annotation_dictionary;
  std::vector<uint32_t> annotation_codes;
  std::vector<uint32_t> annotation_offsets;

  std::span<const uint32_t> service_codes_of(uint32_t row) const {
    return std::span<const uint32_t>(service_codes)
        .subspan(service_offsets[row], service_offsets[row + 1] - service_offsets[row]);
  }
  std::span<const uint32_t> annotation_codes_of(uint32_t row) const {
    return std::span<const uint32_t>(annotation_codes)
        .subspan(annotation_offsets[row], annotation_offsets[row + 1] - annotation_offsets[row]);
  }

  std::span<const model::GroupMatch> groups(uint32_t row) const {
    if (group_offsets.empty()) return {};
    return std::span<const model::GroupMatch>(group_matches)
        .subspan(group_offsets[row], group_offsets[row + 1] - group_offsets[row]);
  }

  const std::string& tenant(uint32_t row) const { return tenants[tenant_codes[row]]; }
};

// The bulky per-row columns (whole summaries and details), loaded separately from
// BlockColumns so that scans deciding on the scalar and search columns never decompress them.
// Immutable once built; safe to share.
struct BlockPayload {
  std::string summaries;                  // the decompressed kSummary column
  std::vector<uint32_t> summary_offsets;  // per row: offset of its length-prefixed summary
  std::string details;                    // the decompressed kDetail column (may be empty)
  std::vector<uint32_t> detail_offsets;   // per row, or empty when the block has no details
};

// Reads one immutable block file. Sections are verified (crc32c) when first read; damage
// is reported as a Corruption status naming the file and section, never a crash.
// Thread-safe.
class BlockReader {
 public:
  // Reads and verifies the footer. `path` is used in error messages.
  static Result<std::unique_ptr<BlockReader>> Open(std::unique_ptr<RandomAccessFile> file,
                                                   std::string path);
  ~BlockReader();

  const BlockStats& stats() const { return stats_; }
  const std::string& path() const { return file_->path(); }
  uint64_t file_size() const { return file_->file_size(); }

  // False only if the block certainly holds no row for `id`.
  bool MayContain(const model::TraceId& id) const;
  // Rows whose trace id is `id` (of any tenant), ascending.
  Result<std::vector<uint32_t>> FindRows(const model::TraceId& id);
  // The decoded scalar and search columns (loaded once, then shared).
  Result<std::shared_ptr<const BlockColumns>> Columns();
  // The summary and detail columns (loaded on first use, then shared).
  Result<std::shared_ptr<const BlockPayload>> Payload();
  // The row's summary. REQUIRES: row < stats().row_count.
  Result<model::TraceSummary> ReadSummary(uint32_t row);
  // The row's encoded TraceDetail, or an empty view when the block does not have it. Valid
  // while `payload` is held.
  static std::string_view EncodedDetail(const BlockPayload& payload, uint32_t row);
  // The row's raw documents, in stored order.
  Result<std::vector<std::string>> ReadDocuments(uint32_t row);
  // (row of this block, row of an older block it replaces).
  Result<std::vector<std::pair<uint32_t, RowRef>>> Supersedes();

  // Memory held by the decoded columns and index, and when they were last used (a counter
  // the caller advances). Dropping them is always safe: they are read again when needed.
  size_t cached_bytes() const;
  uint64_t last_use() const { return last_use_.load(std::memory_order_relaxed); }
  void DropCaches();
  static void SetUseClock(uint64_t tick);

 private:
  explicit BlockReader(std::unique_ptr<SectionFileReader> file);
  const SectionInfo* FindSection(SectionKind kind, uint32_t id) const {
    return file_->Find(static_cast<uint8_t>(kind), id);
  }
  Result<std::string> ReadSection(const SectionInfo& section) const { return file_->Read(section); }
  Status Corrupt(std::string_view what) const { return file_->Corrupt(what); }
  // A column section's decompressed bytes; empty when the block has no such column.
  Result<std::string> LoadColumn(ColumnId id) const;
  Status BadColumn(std::string_view column) const;
  Result<std::shared_ptr<const std::string>> Index();
  // REQUIRES: mu_ held.
  Result<std::shared_ptr<const std::string>> IndexLocked();
  Result<std::shared_ptr<const std::string>> DocumentDictionary();

  // Immutable after Open.
  std::unique_ptr<SectionFileReader> file_;
  BlockStats stats_;
  std::vector<const SectionInfo*> doc_chunks_;  // ascending first row
  std::string bloom_;

  std::atomic<uint64_t> last_use_{0};
  mutable std::mutex mu_;
  std::shared_ptr<const BlockColumns> columns_;        // guarded by mu_
  std::shared_ptr<const BlockPayload> payload_;        // guarded by mu_
  std::shared_ptr<const std::string> index_;           // guarded by mu_
  std::shared_ptr<const std::string> doc_dictionary_;  // guarded by mu_
};

}  // namespace roentgen::store::block
