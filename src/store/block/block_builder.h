// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/group_match.h"
#include "model/tenant.h"
#include "model/trace_summary.h"

namespace roentgen::store::block {

// A row of an older block that a newer revision replaces.
struct RowRef {
  uint64_t block_seq = 0;
  uint32_t row = 0;
  bool operator==(const RowRef&) const = default;
};

// One sealed trace revision as written into a block.
struct BlockRow {
  model::TenantId tenant;
  model::TraceSummary summary;  // summary.revision is the revision
  std::string detail;           // model::EncodeTraceDetail of the revision
  std::vector<model::GroupMatch> groups;
  uint64_t seal_lsn = 0;
  int64_t first_arrival_nanos = 0;
  bool limit_exceeded = false;
  std::vector<std::string> documents;
  std::optional<RowRef> supersedes;
};

// Accumulates sealed trace revisions and encodes them as one immutable block file
// (docs/format/block.md). Not thread-safe; externally synchronized.
class BlockBuilder {
 public:
  BlockBuilder(uint64_t block_seq, int zstd_level);

  void Add(BlockRow row);
  // Adds a row without copying it; `row` must not change until Finish returns.
  void AddShared(std::shared_ptr<const BlockRow> row);
  size_t row_count() const { return rows_.size(); }
  size_t raw_bytes() const { return raw_bytes_; }
  uint64_t block_seq() const { return block_seq_; }

  // Encodes every added row. REQUIRES: row_count() > 0.
  std::string Finish() const;

 private:
  uint64_t block_seq_;
  int zstd_level_;
  std::vector<std::shared_ptr<const BlockRow>> rows_;
  size_t raw_bytes_ = 0;
};

}  // namespace roentgen::store::block
