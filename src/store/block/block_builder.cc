// SPDX-License-Identifier: Apache-2.0
#include "store/block/block_builder.h"

// Encodes a block (docs/format/block.md). Rows keep insertion order; each column is one
// zstd frame; documents are packed into chunks (document_codec.h) of about
// kDocChunkTargetBytes that never split a row, so a point read decodes one chunk. The index is
// sorted by trace id.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <string_view>
#include <unordered_map>

#include "base/check.h"
#include "base/coding.h"
#include "model/trace_detail.h"
#include "model/trace_id.h"
#include "store/block/block_format.h"
#include "store/block/block_stats.h"
#include "store/block/bloom.h"
#include "store/block/document_codec.h"
#include "store/block/section_file.h"
#include "store/block/summary_codec.h"

namespace roentgen::store::block {

std::string EncodeAnnotationEntry(std::string_view key, const model::AnnotationValue& value) {
  std::string entry(key);
  entry.push_back('\0');
  switch (value.type) {
    case model::AnnotationType::kString:
      entry.push_back('s');
      entry.append(value.string_value);
      break;
    case model::AnnotationType::kNumber: {
      entry.push_back('n');
      double number = value.number_value == 0 ? 0.0 : value.number_value;  // -0 == 0
      coding::PutFixed64(&entry, std::bit_cast<uint64_t>(number));
      break;
    }
    case model::AnnotationType::kBool:
      entry.push_back('b');
      entry.push_back(value.bool_value ? '1' : '0');
      break;
  }
  return entry;
}

namespace {

// Writes a dictionary-list column (block_format.h): distinct entries in first-use order,
// then each row's codes.
class DictionaryListWriter {
 public:
  void AddRow(const std::vector<std::string_view>& values) {
    coding::PutVarint32(&rows_, static_cast<uint32_t>(values.size()));
    for (std::string_view value : values) {
      auto [it, inserted] = codes_.try_emplace(std::string(value), entries_.size());
      if (inserted) entries_.emplace_back(value);
      coding::PutVarint32(&rows_, it->second);
    }
  }
  std::string Finish() const {
    std::string out;
    coding::PutVarint32(&out, static_cast<uint32_t>(entries_.size()));
    for (const std::string& entry : entries_) coding::PutLengthPrefixed(&out, entry);
    out += rows_;
    return out;
  }

 private:
  std::unordered_map<std::string, uint32_t> codes_;
  std::vector<std::string> entries_;
  std::string rows_;
};

// The block's stats, appended to the section file's footer (docs/format/block.md).
std::string EncodeStats(const BlockStats& stats) {
  std::string footer;
  coding::PutVarint64(&footer, stats.block_seq);
  coding::PutVarint32(&footer, stats.row_count);
  coding::PutVarint64(&footer, stats.doc_count);
  coding::PutVarint64(&footer, stats.raw_doc_bytes);
  for (double value : {stats.min_start, stats.max_start, stats.min_end, stats.max_end}) {
    coding::PutFixed64(&footer, std::bit_cast<uint64_t>(value));
  }
  coding::PutVarsint64(&footer, stats.min_arrival_nanos);
  coding::PutVarsint64(&footer, stats.max_arrival_nanos);
  coding::PutVarint32(&footer, stats.min_trace_epoch);
  coding::PutVarint32(&footer, stats.max_trace_epoch);
  return footer;
}

uint8_t Kind(SectionKind kind) { return static_cast<uint8_t>(kind); }

int64_t ToMicros(double seconds) { return static_cast<int64_t>(seconds * 1e6); }

}  // namespace

BlockBuilder::BlockBuilder(uint64_t block_seq, int zstd_level)
    : block_seq_(block_seq), zstd_level_(zstd_level) {}

void BlockBuilder::Add(BlockRow row) {
  AddShared(std::make_shared<const BlockRow>(std::move(row)));
}

void BlockBuilder::AddShared(std::shared_ptr<const BlockRow> row) {
  for (const auto& doc : row->documents) raw_bytes_ += doc.size();
  rows_.push_back(std::move(row));
}

std::string BlockBuilder::Finish() const {
  RG_CHECK(!rows_.empty());
  BlockStats stats;
  stats.block_seq = block_seq_;
  stats.row_count = static_cast<uint32_t>(rows_.size());
  stats.raw_doc_bytes = raw_bytes_;
  stats.min_start = stats.max_start = rows_[0]->summary.start_time;
  stats.min_end = stats.max_end = rows_[0]->summary.end_time;
  stats.min_arrival_nanos = stats.max_arrival_nanos = rows_[0]->first_arrival_nanos;
  stats.min_trace_epoch = stats.max_trace_epoch = rows_[0]->summary.id.epoch_seconds();
  for (const auto& row_ptr : rows_) {
    const BlockRow& row = *row_ptr;
    const auto& s = row.summary;
    stats.doc_count += row.documents.size();
    stats.min_start = std::min(stats.min_start, s.start_time);
    stats.max_start = std::max(stats.max_start, s.start_time);
    stats.min_end = std::min(stats.min_end, s.end_time);
    stats.max_end = std::max(stats.max_end, s.end_time);
    stats.min_arrival_nanos = std::min(stats.min_arrival_nanos, row.first_arrival_nanos);
    stats.max_arrival_nanos = std::max(stats.max_arrival_nanos, row.first_arrival_nanos);
    stats.min_trace_epoch = std::min(stats.min_trace_epoch, s.id.epoch_seconds());
    stats.max_trace_epoch = std::max(stats.max_trace_epoch, s.id.epoch_seconds());
  }

  // Tenant dictionary.
  std::map<std::string, uint32_t> tenant_codes;
  for (const auto& row : rows_) tenant_codes.emplace(row->tenant, 0);
  std::string tenants;
  coding::PutVarint32(&tenants, static_cast<uint32_t>(tenant_codes.size()));
  uint32_t next_code = 0;
  for (auto& [tenant, code] : tenant_codes) {
    code = next_code++;
    coding::PutLengthPrefixed(&tenants, tenant);
  }

  // Columns.
  std::map<ColumnId, std::string> columns;
  DictionaryListWriter services;
  DictionaryListWriter annotations;
  bool have_services = true;
  int64_t start_base = ToMicros(stats.min_start);
  for (const auto& row_ptr : rows_) {
    const BlockRow& row = *row_ptr;
    const auto& s = row.summary;
    // (No trace-id column since format 3: readers take the ids from the index.)
    coding::PutVarint32(&columns[ColumnId::kTenant], tenant_codes[row.tenant]);
    coding::PutVarint32(&columns[ColumnId::kRevision], s.revision);
    coding::PutVarint64(&columns[ColumnId::kSealLsn], row.seal_lsn);
    coding::PutVarsint64(&columns[ColumnId::kFirstArrival],
                         row.first_arrival_nanos - stats.min_arrival_nanos);
    coding::PutVarsint64(&columns[ColumnId::kStartMicros], ToMicros(s.start_time) - start_base);
    coding::PutVarsint64(&columns[ColumnId::kEndMicros], ToMicros(s.end_time) - start_base);
    uint8_t flags = (s.has_fault ? kRowFault : 0) | (s.has_error ? kRowError : 0) |
                    (s.has_throttle ? kRowThrottle : 0) | (s.is_partial ? kRowPartial : 0) |
                    (s.has_root ? kRowHasRoot : 0) | (row.limit_exceeded ? kRowLimitExceeded : 0);
    columns[ColumnId::kFlags].push_back(static_cast<char>(flags));
    coding::PutVarint32(&columns[ColumnId::kDocCount], static_cast<uint32_t>(row.documents.size()));
    size_t trace_bytes = 0;
    for (const auto& doc : row.documents) trace_bytes += doc.size();
    coding::PutVarint64(&columns[ColumnId::kTraceBytes], trace_bytes);
    std::string summary;
    EncodeSummary(s, &summary);
    coding::PutLengthPrefixed(&columns[ColumnId::kSummary], summary);
    coding::PutLengthPrefixed(&columns[ColumnId::kDetail], row.detail);
    std::string& groups = columns[ColumnId::kGroups];
    coding::PutVarint32(&groups, static_cast<uint32_t>(row.groups.size()));
    for (const model::GroupMatch& match : row.groups) {
      coding::PutVarint32(&groups, match.group_id);
      coding::PutVarint32(&groups, match.version);
    }
    double response = s.response_time ? *s.response_time : std::nan("");
    uint64_t response_bits;
    std::memcpy(&response_bits, &response, sizeof(response_bits));
    coding::PutFixed64(&columns[ColumnId::kResponseTime], response_bits);
    // Services: the detail's non-client nodes (what service("name") tests). A row without
    // a decodable detail leaves the whole block without the column.
    if (have_services) {
      auto detail = row.detail.empty() ? Result<model::TraceDetail>(CorruptionError("none"))
                                       : model::DecodeTraceDetail(row.detail);
      if (!detail.ok()) {
        have_services = false;
      } else {
        std::vector<std::string_view> names;
        for (const model::ServiceNode& node : detail->nodes) {
          if (node.kind != model::NodeKind::kClient) names.push_back(node.id.name);
        }
        services.AddRow(names);
      }
    }
    std::vector<std::string> entries;
    for (const model::AnnotationSummary& annotation : s.annotations) {
      for (const model::AnnotationValueWithServices& value : annotation.values) {
        entries.push_back(EncodeAnnotationEntry(annotation.key, value.value));
      }
    }
    annotations.AddRow(std::vector<std::string_view>(entries.begin(), entries.end()));
  }
  if (have_services) columns[ColumnId::kServiceNames] = services.Finish();
  columns[ColumnId::kAnnotations] = annotations.Finish();

  SectionFileWriter file(kHeaderMagic, kFormatVersion);
  file.AddCompressed(Kind(SectionKind::kTenants), 0, tenants, zstd_level_);
  for (const auto& [id, bytes] : columns) {
    file.AddCompressed(Kind(SectionKind::kColumn), static_cast<uint32_t>(id), bytes, zstd_level_);
  }

  // The document dictionary, then document chunks that never split a row.
  std::string dictionary;
  {
    std::vector<DocumentChunkRow> all_rows;
    all_rows.reserve(rows_.size());
    for (const auto& row : rows_) all_rows.push_back({row->summary.id, &row->documents});
    dictionary = BuildDocumentDictionary(all_rows);
  }
  if (!dictionary.empty()) {
    file.AddCompressed(Kind(SectionKind::kDocDictionary), 0, dictionary, zstd_level_);
  }
  std::vector<DocumentChunkRow> chunk_rows;
  size_t chunk_bytes = 0;
  uint32_t chunk_first_row = 0;
  auto flush_chunk = [&] {
    file.AddPlain(Kind(SectionKind::kDocChunk), chunk_first_row,
                  EncodeDocumentChunk(chunk_rows, dictionary, zstd_level_));
    chunk_rows.clear();
    chunk_bytes = 0;
  };
  for (uint32_t row_idx = 0; row_idx < rows_.size(); ++row_idx) {
    if (!chunk_rows.empty() && chunk_bytes >= kDocChunkTargetBytes) {
      flush_chunk();
      chunk_first_row = row_idx;
    }
    const BlockRow& row = *rows_[row_idx];
    chunk_rows.push_back({row.summary.id, &row.documents});
    for (const auto& doc : row.documents) chunk_bytes += doc.size();
  }
  if (!chunk_rows.empty()) flush_chunk();

  // Index: (trace id, row) sorted by trace id, then row.
  std::vector<std::pair<model::TraceId, uint32_t>> entries;
  entries.reserve(rows_.size());
  std::vector<uint64_t> hashes;
  hashes.reserve(rows_.size());
  for (uint32_t row_idx = 0; row_idx < rows_.size(); ++row_idx) {
    entries.emplace_back(rows_[row_idx]->summary.id, row_idx);
    hashes.push_back(model::TraceIdHash()(rows_[row_idx]->summary.id));
  }
  std::sort(entries.begin(), entries.end());
  std::string index;
  for (const auto& [id, row_idx] : entries) {
    index.append(id.AsBytes());
    coding::PutFixed32(&index, row_idx);
  }
  file.AddCompressed(Kind(SectionKind::kIndex), 0, index, zstd_level_);
  file.AddPlain(Kind(SectionKind::kBloom), 0, BuildBloom(hashes, kBloomBitsPerKey));

  std::string supersedes;
  uint32_t superseded_count = 0;
  for (uint32_t row_idx = 0; row_idx < rows_.size(); ++row_idx) {
    if (!rows_[row_idx]->supersedes) continue;
    ++superseded_count;
    coding::PutVarint32(&supersedes, row_idx);
    coding::PutVarint64(&supersedes, rows_[row_idx]->supersedes->block_seq);
    coding::PutVarint32(&supersedes, rows_[row_idx]->supersedes->row);
  }
  if (superseded_count > 0) {
    std::string section;
    coding::PutVarint32(&section, superseded_count);
    section += supersedes;
    file.AddPlain(Kind(SectionKind::kSupersedes), 0, section);
  }
  return file.Finish(EncodeStats(stats), kFooterMagic);
}

}  // namespace roentgen::store::block
