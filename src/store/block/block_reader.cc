// SPDX-License-Identifier: Apache-2.0
#include "store/block/block_reader.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/coding.h"
#include "base/status_macros.h"
#include "store/block/bloom.h"
#include "store/block/document_codec.h"
#include "store/block/summary_codec.h"
#include "store/file_system.h"

namespace roentgen::store::block {

namespace {
std::atomic<uint64_t> g_use_clock{0};
}  // namespace

void BlockReader::SetUseClock(uint64_t tick) { g_use_clock.store(tick, std::memory_order_relaxed); }

size_t BlockReader::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t bytes = index_ ? index_->size() : 0;
  if (doc_dictionary_) bytes += doc_dictionary_->size();
  if (columns_) {
    bytes += columns_->group_matches.size() * 8 + size_t{stats_.row_count} * 92 +  // scalars
             (columns_->service_codes.size() + columns_->annotation_codes.size()) * 4 +
             (columns_->service_offsets.size() + columns_->annotation_offsets.size()) * 4;
    for (const auto& entry : columns_->service_dictionary) bytes += entry.size() + 32;
    for (const auto& entry : columns_->annotation_dictionary) bytes += entry.size() + 32;
  }
  if (payload_) {
    bytes += payload_->summaries.size() + payload_->details.size() +
             (payload_->summary_offsets.size() + payload_->detail_offsets.size()) * 4;
  }
  return bytes;
}

void BlockReader::DropCaches() {
  std::lock_guard<std::mutex> lock(mu_);
  columns_.reset();
  payload_.reset();
  index_.reset();
  doc_dictionary_.reset();
}

BlockReader::BlockReader(std::unique_ptr<SectionFileReader> file) : file_(std::move(file)) {}
BlockReader::~BlockReader() = default;

Result<std::unique_ptr<BlockReader>> BlockReader::Open(std::unique_ptr<RandomAccessFile> file,
                                                       std::string path) {
  RG_ASSIGN_OR_RETURN(auto section_file,
                      SectionFileReader::Open(std::move(file), std::move(path), kHeaderMagic,
                                              kFooterMagic, kOldestFormatVersion, kFormatVersion));
  std::unique_ptr<BlockReader> reader(new BlockReader(std::move(section_file)));
  std::string_view in = reader->file_->footer_extra();
  BlockStats& stats = reader->stats_;
  uint64_t bits[4];
  bool ok =
      coding::GetVarint64(&in, &stats.block_seq) && coding::GetVarint32(&in, &stats.row_count) &&
      coding::GetVarint64(&in, &stats.doc_count) && coding::GetVarint64(&in, &stats.raw_doc_bytes);
  for (auto& bit_value : bits) ok = ok && coding::GetFixed64(&in, &bit_value);
  ok = ok && coding::GetVarsint64(&in, &stats.min_arrival_nanos) &&
       coding::GetVarsint64(&in, &stats.max_arrival_nanos) &&
       coding::GetVarint32(&in, &stats.min_trace_epoch) &&
       coding::GetVarint32(&in, &stats.max_trace_epoch);
  if (!ok) return reader->Corrupt("truncated block stats");
  stats.min_start = std::bit_cast<double>(bits[0]);
  stats.max_start = std::bit_cast<double>(bits[1]);
  stats.min_end = std::bit_cast<double>(bits[2]);
  stats.max_end = std::bit_cast<double>(bits[3]);
  for (const auto& section : reader->file_->sections()) {
    if (section.kind == static_cast<uint8_t>(SectionKind::kDocChunk)) {
      reader->doc_chunks_.push_back(&section);
    }
  }
  std::sort(reader->doc_chunks_.begin(), reader->doc_chunks_.end(),
            [](const SectionInfo* a, const SectionInfo* b) { return a->id < b->id; });
  if (const SectionInfo* bloom = reader->FindSection(SectionKind::kBloom, 0)) {
    RG_ASSIGN_OR_RETURN(reader->bloom_, reader->ReadSection(*bloom));
  }
  return reader;
}

bool BlockReader::MayContain(const model::TraceId& id) const {
  return BloomMayContain(bloom_, model::TraceIdHash()(id));
}

Result<std::shared_ptr<const std::string>> BlockReader::DocumentDictionary() {
  std::lock_guard<std::mutex> lock(mu_);
  if (doc_dictionary_) return doc_dictionary_;
  std::string dictionary;
  if (const SectionInfo* section = FindSection(SectionKind::kDocDictionary, 0)) {
    RG_ASSIGN_OR_RETURN(dictionary, ReadSection(*section));
  }
  doc_dictionary_ = std::make_shared<const std::string>(std::move(dictionary));
  return doc_dictionary_;
}

Result<std::shared_ptr<const std::string>> BlockReader::Index() {
  last_use_.store(g_use_clock.load(std::memory_order_relaxed), std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  return IndexLocked();
}

Result<std::shared_ptr<const std::string>> BlockReader::IndexLocked() {
  if (index_) return index_;
  const SectionInfo* section = FindSection(SectionKind::kIndex, 0);
  if (section == nullptr) return Corrupt("no index");
  RG_ASSIGN_OR_RETURN(std::string index, ReadSection(*section));
  if (index.size() != uint64_t{stats_.row_count} * 20) return Corrupt("bad index size");
  index_ = std::make_shared<const std::string>(std::move(index));
  return index_;
}

Result<std::vector<uint32_t>> BlockReader::FindRows(const model::TraceId& id) {
  std::vector<uint32_t> rows;
  if (!MayContain(id)) return rows;
  RG_ASSIGN_OR_RETURN(auto index, Index());
  size_t count = index->size() / 20;
  std::string_view key = id.AsBytes();
  size_t low = 0;
  size_t high = count;
  while (low < high) {
    size_t mid = (low + high) / 2;
    if (std::memcmp(index->data() + mid * 20, key.data(), 16) < 0) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  for (size_t pos = low; pos < count && std::memcmp(index->data() + pos * 20, key.data(), 16) == 0;
       ++pos) {
    uint32_t row = coding::DecodeFixed32(index->data() + pos * 20 + 16);
    if (row >= stats_.row_count) return Corrupt("index row out of range");
    rows.push_back(row);
  }
  return rows;
}

Result<std::string> BlockReader::LoadColumn(ColumnId id) const {
  const SectionInfo* section = FindSection(SectionKind::kColumn, static_cast<uint32_t>(id));
  if (section == nullptr) return std::string();  // absent: an older block
  return ReadSection(*section);
}

Status BlockReader::BadColumn(std::string_view column) const {
  return Corrupt("column " + std::string(column) + " malformed");
}

Result<std::shared_ptr<const BlockColumns>> BlockReader::Columns() {
  last_use_.store(g_use_clock.load(std::memory_order_relaxed), std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (columns_) return columns_;
  auto columns = std::make_shared<BlockColumns>();
  const uint32_t rows = stats_.row_count;
  auto load = [&](ColumnId id) { return LoadColumn(id); };
  auto bad = [&](std::string_view column) { return BadColumn(column); };
  {
    const SectionInfo* section = FindSection(SectionKind::kTenants, 0);
    if (section == nullptr) return Corrupt("no tenant dictionary");
    RG_ASSIGN_OR_RETURN(std::string bytes, ReadSection(*section));
    std::string_view in(bytes);
    uint32_t count;
    if (!coding::GetVarint32(&in, &count) || count > in.size() + 1) return bad("tenants");
    for (uint32_t idx = 0; idx < count; ++idx) {
      std::string_view tenant;
      if (!coding::GetLengthPrefixed(&in, &tenant)) return bad("tenants");
      columns->tenants.emplace_back(tenant);
    }
  }
  if (file_->format_version() >= kFirstStructuralDocumentsVersion) {
    // Format 3 keeps the trace ids only in the index: (id, row) pairs, each row once. The
    // index is cached for FindRows as well.
    RG_ASSIGN_OR_RETURN(auto index_bytes, IndexLocked());
    const std::string& index = *index_bytes;
    columns->trace_ids.resize(rows);
    std::vector<bool> seen(rows, false);
    for (uint32_t entry = 0; entry < rows; ++entry) {
      const char* at = index.data() + size_t{entry} * 20;
      const uint32_t row = coding::DecodeFixed32(at + 16);
      if (row >= rows || seen[row]) return Corrupt("index rows malformed");
      seen[row] = true;
      columns->trace_ids[row] = model::TraceId::FromBytes(at);
    }
  } else {
    RG_ASSIGN_OR_RETURN(std::string bytes, load(ColumnId::kTraceId));
    if (bytes.size() != uint64_t{rows} * 16) return bad("trace_id");
    columns->trace_ids.reserve(rows);
    for (uint32_t row = 0; row < rows; ++row) {
      columns->trace_ids.push_back(model::TraceId::FromBytes(bytes.data() + row * 16));
    }
  }
  auto varints = [&](ColumnId id, std::string_view column, auto* out) -> Status {
    RG_ASSIGN_OR_RETURN(std::string bytes, load(id));
    std::string_view in(bytes);
    out->reserve(rows);
    for (uint32_t row = 0; row < rows; ++row) {
      uint64_t value = 0;
      if (!coding::GetVarint64(&in, &value)) return bad(column);
      out->push_back(static_cast<typename std::remove_pointer_t<decltype(out)>::value_type>(value));
    }
    return Status();
  };
  RG_RETURN_IF_ERROR(varints(ColumnId::kTenant, "tenant", &columns->tenant_codes));
  for (uint32_t code : columns->tenant_codes) {
    if (code >= columns->tenants.size()) return bad("tenant");
  }
  RG_RETURN_IF_ERROR(varints(ColumnId::kRevision, "revision", &columns->revisions));
  RG_RETURN_IF_ERROR(varints(ColumnId::kSealLsn, "seal_lsn", &columns->seal_lsns));
  RG_RETURN_IF_ERROR(varints(ColumnId::kDocCount, "doc_count", &columns->doc_counts));
  RG_RETURN_IF_ERROR(varints(ColumnId::kTraceBytes, "trace_bytes", &columns->trace_bytes));
  auto signed_varints = [&](ColumnId id, std::string_view column,
                            std::vector<int64_t>* out) -> Status {
    RG_ASSIGN_OR_RETURN(std::string bytes, load(id));
    std::string_view in(bytes);
    out->reserve(rows);
    for (uint32_t row = 0; row < rows; ++row) {
      int64_t value;
      if (!coding::GetVarsint64(&in, &value)) return bad(column);
      out->push_back(value);
    }
    return Status();
  };
  std::vector<int64_t> arrivals;
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;
  RG_RETURN_IF_ERROR(signed_varints(ColumnId::kFirstArrival, "first_arrival", &arrivals));
  RG_RETURN_IF_ERROR(signed_varints(ColumnId::kStartMicros, "start", &starts));
  RG_RETURN_IF_ERROR(signed_varints(ColumnId::kEndMicros, "end", &ends));
  auto start_base = static_cast<int64_t>(stats_.min_start * 1e6);
  for (uint32_t row = 0; row < rows; ++row) {
    columns->first_arrival_nanos.push_back(arrivals[row] + stats_.min_arrival_nanos);
    columns->start_times.push_back(static_cast<double>(starts[row] + start_base) / 1e6);
    columns->end_times.push_back(static_cast<double>(ends[row] + start_base) / 1e6);
  }
  {
    RG_ASSIGN_OR_RETURN(std::string bytes, load(ColumnId::kFlags));
    if (bytes.size() != rows) return bad("flags");
    columns->flags.assign(bytes.begin(), bytes.end());
  }
  {
    RG_ASSIGN_OR_RETURN(std::string bytes, load(ColumnId::kGroups));
    if (!bytes.empty()) {
      std::string_view in(bytes);
      columns->group_offsets.reserve(rows + 1);
      columns->group_offsets.push_back(0);
      for (uint32_t row = 0; row < rows; ++row) {
        uint32_t count = 0;
        if (!coding::GetVarint32(&in, &count) || count > in.size() / 2) return bad("groups");
        for (uint32_t idx = 0; idx < count; ++idx) {
          model::GroupMatch match;
          if (!coding::GetVarint32(&in, &match.group_id) ||
              !coding::GetVarint32(&in, &match.version)) {
            return bad("groups");
          }
          columns->group_matches.push_back(match);
        }
        columns->group_offsets.push_back(static_cast<uint32_t>(columns->group_matches.size()));
      }
    }
  }
  {
    RG_ASSIGN_OR_RETURN(std::string bytes, load(ColumnId::kResponseTime));
    if (!bytes.empty()) {
      if (bytes.size() != size_t{rows} * 8) return bad("response_time");
      columns->response_times.resize(rows);
      for (uint32_t row = 0; row < rows; ++row) {
        uint64_t bits = coding::DecodeFixed64(bytes.data() + size_t{row} * 8);
        columns->response_times[row] = std::bit_cast<double>(bits);
      }
    }
  }
  auto dictionary_list = [&](ColumnId id, std::string_view column,
                             std::vector<std::string>* dictionary, std::vector<uint32_t>* codes,
                             std::vector<uint32_t>* offsets) -> Status {
    RG_ASSIGN_OR_RETURN(std::string bytes, load(id));
    if (bytes.empty()) return Status();
    std::string_view in(bytes);
    uint32_t entries = 0;
    if (!coding::GetVarint32(&in, &entries) || entries > in.size()) return bad(column);
    dictionary->reserve(entries);
    for (uint32_t idx = 0; idx < entries; ++idx) {
      std::string_view entry;
      if (!coding::GetLengthPrefixed(&in, &entry)) return bad(column);
      dictionary->emplace_back(entry);
    }
    offsets->reserve(rows + 1);
    offsets->push_back(0);
    for (uint32_t row = 0; row < rows; ++row) {
      uint32_t count = 0;
      if (!coding::GetVarint32(&in, &count) || count > in.size()) return bad(column);
      for (uint32_t idx = 0; idx < count; ++idx) {
        uint32_t code = 0;
        if (!coding::GetVarint32(&in, &code) || code >= entries) return bad(column);
        codes->push_back(code);
      }
      offsets->push_back(static_cast<uint32_t>(codes->size()));
    }
    if (!in.empty()) return bad(column);
    return Status();
  };
  RG_RETURN_IF_ERROR(dictionary_list(ColumnId::kServiceNames, "service_names",
                                     &columns->service_dictionary, &columns->service_codes,
                                     &columns->service_offsets));
  RG_RETURN_IF_ERROR(dictionary_list(ColumnId::kAnnotations, "annotations",
                                     &columns->annotation_dictionary, &columns->annotation_codes,
                                     &columns->annotation_offsets));
  columns_ = std::move(columns);
  return columns_;
}

Result<std::shared_ptr<const BlockPayload>> BlockReader::Payload() {
  last_use_.store(g_use_clock.load(std::memory_order_relaxed), std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (payload_) return payload_;
  auto payload = std::make_shared<BlockPayload>();
  const uint32_t rows = stats_.row_count;
  auto load = [&](ColumnId id) { return LoadColumn(id); };
  auto bad = [&](std::string_view column) { return BadColumn(column); };
  {
    RG_ASSIGN_OR_RETURN(payload->summaries, load(ColumnId::kSummary));
    std::string_view in(payload->summaries);
    for (uint32_t row = 0; row < rows; ++row) {
      payload->summary_offsets.push_back(
          static_cast<uint32_t>(payload->summaries.size() - in.size()));
      std::string_view summary;
      if (!coding::GetLengthPrefixed(&in, &summary)) return bad("summary");
    }
  }
  {
    RG_ASSIGN_OR_RETURN(payload->details, load(ColumnId::kDetail));
    if (!payload->details.empty()) {
      std::string_view in(payload->details);
      payload->detail_offsets.reserve(rows);
      for (uint32_t row = 0; row < rows; ++row) {
        payload->detail_offsets.push_back(
            static_cast<uint32_t>(payload->details.size() - in.size()));
        std::string_view detail;
        if (!coding::GetLengthPrefixed(&in, &detail)) return bad("detail");
      }
    }
  }
  payload_ = std::move(payload);
  return payload_;
}

Result<model::TraceSummary> BlockReader::ReadSummary(uint32_t row) {
  RG_ASSIGN_OR_RETURN(auto payload, Payload());
  if (row >= payload->summary_offsets.size()) return Corrupt("row out of range");
  std::string_view in(payload->summaries);
  in.remove_prefix(payload->summary_offsets[row]);
  std::string_view encoded;
  model::TraceSummary summary;
  if (!coding::GetLengthPrefixed(&in, &encoded) || !DecodeSummary(encoded, &summary)) {
    return Corrupt("summary malformed");
  }
  return summary;
}

std::string_view BlockReader::EncodedDetail(const BlockPayload& payload, uint32_t row) {
  if (row >= payload.detail_offsets.size()) return {};
  std::string_view in(payload.details);
  in.remove_prefix(payload.detail_offsets[row]);
  std::string_view encoded;
  if (!coding::GetLengthPrefixed(&in, &encoded)) return {};
  return encoded;
}

Result<std::vector<std::string>> BlockReader::ReadDocuments(uint32_t row) {
  RG_ASSIGN_OR_RETURN(auto columns, Columns());
  if (row >= columns->doc_counts.size()) return Corrupt("row out of range");
  auto it = std::upper_bound(doc_chunks_.begin(), doc_chunks_.end(), row,
                             [](uint32_t value, const SectionInfo* s) { return value < s->id; });
  if (it == doc_chunks_.begin()) return Corrupt("no document chunk for row");
  const SectionInfo* chunk_section = *(it - 1);
  RG_ASSIGN_OR_RETURN(std::string chunk, ReadSection(*chunk_section));
  if (file_->format_version() >= kFirstStructuralDocumentsVersion) {
    const size_t first = chunk_section->id;
    if (first > row || columns->trace_ids.size() != columns->doc_counts.size()) {
      return Corrupt("document chunk");
    }
    RG_ASSIGN_OR_RETURN(auto dictionary, DocumentDictionary());
    auto documents = DecodeDocumentChunkRow(
        chunk, *dictionary, std::span(columns->trace_ids).subspan(first, row - first + 1),
        std::span(columns->doc_counts).subspan(first, row - first + 1), row - first);
    if (!documents.ok()) return Corrupt(documents.status().message());
    return documents;
  }
  std::string_view in(chunk);
  for (uint32_t skip_row = chunk_section->id; skip_row < row; ++skip_row) {
    for (uint32_t doc = 0; doc < columns->doc_counts[skip_row]; ++doc) {
      std::string_view ignored;
      if (!coding::GetLengthPrefixed(&in, &ignored)) return Corrupt("document chunk");
    }
  }
  std::vector<std::string> documents;
  for (uint32_t doc = 0; doc < columns->doc_counts[row]; ++doc) {
    std::string_view document;
    if (!coding::GetLengthPrefixed(&in, &document)) return Corrupt("document chunk");
    documents.emplace_back(document);
  }
  return documents;
}

Result<std::vector<std::pair<uint32_t, RowRef>>> BlockReader::Supersedes() {
  std::vector<std::pair<uint32_t, RowRef>> result;
  const SectionInfo* section = FindSection(SectionKind::kSupersedes, 0);
  if (section == nullptr) return result;
  RG_ASSIGN_OR_RETURN(std::string bytes, ReadSection(*section));
  std::string_view in(bytes);
  uint32_t count;
  if (!coding::GetVarint32(&in, &count) || count > in.size()) {
    return Corrupt("supersedes malformed");
  }
  for (uint32_t idx = 0; idx < count; ++idx) {
    uint32_t row;
    RowRef ref;
    if (!coding::GetVarint32(&in, &row) || !coding::GetVarint64(&in, &ref.block_seq) ||
        !coding::GetVarint32(&in, &ref.row) || row >= stats_.row_count) {
      return Corrupt("supersedes malformed");
    }
    result.emplace_back(row, ref);
  }
  return result;
}

}  // namespace roentgen::store::block
