// SPDX-License-Identifier: Apache-2.0
// Layout of an encoded chunk (docs/format/block.md, "Documents"):
//
//   u8 encoding (1)
//   4 × { u8 codec (0 plain, 1 zstd, 2 zstd against the block's document dictionary as a
//         raw-content prefix), varint raw_length, varint stored_length }
//   the four streams' stored bytes: skeleton, references, ids, times
//
// Skeleton: the documents' bytes with tokens replaced by markers, each document ended by
// kEnd. A literal byte 0x00-0x05 is written as kEscape followed by the byte (JSON text
// never holds one). Markers:
//   kSegmentId  `"` + 16 lowercase hex digits + `"`: the digits       -> 8 bytes
//   kTraceId    `"1-` + 8 + `-` + 24 lowercase hex digits + `"`       -> 16 bytes
//   kUuid       `"` + 8-4-4-4-12 lowercase hex digits + `"`           -> 16 bytes
//   kTime, k    10 integer digits (1000000000-8999999999) `.` k (1-9) fraction digits,
//               not preceded by a digit or `.` nor followed by a digit
// (for the quoted tokens only the digits are replaced; the quotes stay in the skeleton).
// References: per id token a varint r: 0 = a new value whose bytes follow in the ids
// stream; r > 0 = the value of that kind r entries back in the chunk's list of that kind.
// Each row appends its trace id to the trace-id list before its documents.
// Times: per time token a zigzag varint, the value in units of 10^-k s minus the previous
// time token's value (in ns; 0 at the chunk's start) truncated to the same units.
#include "store/block/document_codec.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>

#include "base/coding.h"
#include "base/status_macros.h"
#include "store/block/section_file.h"

namespace roentgen::store::block {
namespace {

constexpr uint8_t kEncodingVersion = 1;
constexpr uint8_t kEscape = 0;
constexpr uint8_t kSegmentId = 1;
constexpr uint8_t kTraceId = 2;
constexpr uint8_t kUuid = 3;
constexpr uint8_t kTime = 4;
constexpr uint8_t kEnd = 5;
constexpr uint8_t kLastMarker = kEnd;

constexpr uint8_t kCodecPlain = 0;
constexpr uint8_t kCodecZstd = 1;
constexpr uint8_t kCodecZstdDictionary = 2;
constexpr int kStreamCount = 4;
// Bounds on what a (possibly damaged) chunk may make the decoder allocate.
constexpr uint64_t kMaxStreamBytes = uint64_t{256} << 20;
constexpr size_t kMaxDocumentBytes = size_t{16} << 20;

constexpr uint64_t kIntMin = 1000000000;  // 10 integer digits, first 1-8: ns fit in int64
constexpr uint64_t kIntEnd = 9000000000;

constexpr std::array<uint64_t, 10> kPow10 = {1,      10,      100,      1000,      10000,
                                             100000, 1000000, 10000000, 100000000, 1000000000};

using Bytes16 = std::array<uint8_t, 16>;

struct Bytes16Hash {
  size_t operator()(const Bytes16& b) const {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, b.data(), 8);
    std::memcpy(&y, b.data() + 8, 8);
    return std::hash<uint64_t>()(x * 0x9e3779b97f4a7c15ull ^ y);
  }
};

constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses `count` lowercase hex digit pairs of `text` into `out`.
bool ParseHexBytes(const char* text, size_t count, uint8_t* out) {
  for (size_t i = 0; i < count; ++i) {
    int hi = HexValue(text[2 * i]);
    int lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

void AppendHex(const uint8_t* bytes, size_t count, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < count; ++i) {
    out->push_back(kDigits[bytes[i] >> 4]);
    out->push_back(kDigits[bytes[i] & 15]);
  }
}

// A list of distinct-ish values of one kind with the newest index of each.
template <typename Value, typename Hash>
class ReferenceTable {
 public:
  // Returns the back distance (>= 1) of `value`, or 0 after appending it as new.
  uint64_t Reference(const Value& value) {
    auto [it, inserted] = index_.try_emplace(value, size_);
    if (inserted) {
      ++size_;
      return 0;
    }
    return size_ - it->second;
  }
  void Append(const Value& value) { index_[value] = size_++; }

 private:
  std::unordered_map<Value, uint64_t, Hash> index_;
  uint64_t size_ = 0;
};

class Encoder {
 public:
  void AddRow(const DocumentChunkRow& row) {
    Bytes16 id;
    std::memcpy(id.data(), row.trace_id.bytes.data(), 16);
    trace_ids_.Append(id);
    for (const std::string& document : *row.documents) AddDocument(document);
  }

  const std::string& skeleton() const { return skeleton_; }

  std::string Finish(std::string_view dictionary, int zstd_level) const {
    std::string header;
    header.push_back(static_cast<char>(kEncodingVersion));
    std::string body;
    const std::string* streams[kStreamCount] = {&skeleton_, &references_, &ids_, &times_};
    for (int i = 0; i < kStreamCount; ++i) {
      const std::string& raw = *streams[i];
      std::string compressed;
      uint8_t codec = kCodecZstd;
      if (streams[i] == &skeleton_ && !dictionary.empty()) {
        compressed = ZstdCompressWithDictionary(raw, dictionary, zstd_level);
        codec = kCodecZstdDictionary;
      } else if (streams[i] != &ids_ && !raw.empty()) {
        // (The ids are random bytes: zstd cannot shrink them.)
        compressed = ZstdCompress(raw, zstd_level);
      }
      bool use_zstd = !compressed.empty() && compressed.size() < raw.size();
      header.push_back(static_cast<char>(use_zstd ? codec : kCodecPlain));
      coding::PutVarint64(&header, raw.size());
      coding::PutVarint64(&header, use_zstd ? compressed.size() : raw.size());
      body.append(use_zstd ? compressed : raw);
    }
    return header + body;
  }

 private:
  void AddDocument(std::string_view doc) {
    skeleton_.reserve(skeleton_.size() + doc.size());
    const char* p = doc.data();
    const char* end = p + doc.size();
    const char* literal = p;
    while (p < end) {
      const auto c = static_cast<uint8_t>(*p);
      if (c == '"') {
        size_t consumed = TryQuotedToken(p, end, literal);
        if (consumed > 0) {
          p += consumed;
          literal = p;
          continue;
        }
      } else if (c >= '1' && c <= '8') {
        size_t consumed = TryTime(doc.data(), p, end, literal);
        if (consumed > 0) {
          p += consumed;
          literal = p;
          continue;
        }
      } else if (c <= kLastMarker) {
        skeleton_.append(literal, p);
        skeleton_.push_back(static_cast<char>(kEscape));
        skeleton_.push_back(static_cast<char>(c));
        literal = ++p;
        continue;
      }
      ++p;
    }
    skeleton_.append(literal, end);
    skeleton_.push_back(static_cast<char>(kEnd));
  }

  // `p` is at a '"'. Replaces a quoted id's digits; returns the bytes consumed (the opening
  // quote and the digits: the closing quote is left to the scan) or 0.
  size_t TryQuotedToken(const char* p, const char* end, const char* literal) {
    const size_t left = static_cast<size_t>(end - p);
    // `"1-` 8 `-` 24 `"`
    if (left >= 37 && p[1] == '1' && p[2] == '-' && p[11] == '-' && p[36] == '"') {
      Bytes16 value;
      if (ParseHexBytes(p + 3, 4, value.data()) && ParseHexBytes(p + 12, 12, value.data() + 4)) {
        Emit(literal, p + 1, kTraceId);
        PutReference(trace_ids_.Reference(value), value.data(), 16);
        return 36;
      }
    }
    // `"` 16 `"`
    if (left >= 18 && p[17] == '"') {
      uint8_t bytes[8];
      if (ParseHexBytes(p + 1, 8, bytes)) {
        uint64_t value;
        std::memcpy(&value, bytes, 8);
        Emit(literal, p + 1, kSegmentId);
        PutReference(segment_ids_.Reference(value), bytes, 8);
        return 17;
      }
    }
    // `"` 8-4-4-4-12 `"`
    if (left >= 38 && p[9] == '-' && p[14] == '-' && p[19] == '-' && p[24] == '-' && p[37] == '"') {
      Bytes16 value;
      if (ParseHexBytes(p + 1, 4, value.data()) && ParseHexBytes(p + 10, 2, value.data() + 4) &&
          ParseHexBytes(p + 15, 2, value.data() + 6) &&
          ParseHexBytes(p + 20, 2, value.data() + 8) &&
          ParseHexBytes(p + 25, 6, value.data() + 10)) {
        Emit(literal, p + 1, kUuid);
        PutReference(uuids_.Reference(value), value.data(), 16);
        return 37;
      }
    }
    return 0;
  }

  // `p` is at a digit 1-8. Replaces a time; returns the bytes consumed or 0.
  size_t TryTime(const char* begin, const char* p, const char* end, const char* literal) {
    if (p > begin && (IsDigit(p[-1]) || p[-1] == '.')) return 0;
    const size_t left = static_cast<size_t>(end - p);
    if (left < 12 || p[10] != '.') return 0;
    uint64_t integer = 0;
    for (int i = 0; i < 10; ++i) {
      if (!IsDigit(p[i])) return 0;
      integer = integer * 10 + static_cast<uint64_t>(p[i] - '0');
    }
    size_t digits = 0;
    uint64_t fraction = 0;
    while (11 + digits < left && IsDigit(p[11 + digits])) {
      if (digits == 9) return 0;  // more than 9 fraction digits
      fraction = fraction * 10 + static_cast<uint64_t>(p[11 + digits] - '0');
      ++digits;
    }
    if (digits == 0) return 0;
    const uint64_t units = integer * kPow10[digits] + fraction;
    const uint64_t scale = kPow10[9 - digits];
    const auto delta = static_cast<int64_t>(units - previous_nanos_ / scale);
    previous_nanos_ = units * scale;
    Emit(literal, p, kTime);
    skeleton_.push_back(static_cast<char>(digits));
    coding::PutVarsint64(&times_, delta);
    return 11 + digits;
  }

  void Emit(const char* literal, const char* token, uint8_t marker) {
    skeleton_.append(literal, token);
    skeleton_.push_back(static_cast<char>(marker));
  }

  void PutReference(uint64_t distance, const uint8_t* bytes, size_t size) {
    coding::PutVarint64(&references_, distance);
    if (distance == 0) ids_.append(reinterpret_cast<const char*>(bytes), size);
  }

  std::string skeleton_;
  std::string references_;
  std::string ids_;
  std::string times_;
  uint64_t previous_nanos_ = 0;
  ReferenceTable<uint64_t, std::hash<uint64_t>> segment_ids_;
  ReferenceTable<Bytes16, Bytes16Hash> trace_ids_;
  ReferenceTable<Bytes16, Bytes16Hash> uuids_;
};

Status Corrupt(std::string_view what) {
  return CorruptionError(std::string("document chunk: ") + std::string(what));
}

class Decoder {
 public:
  Status Init(std::string_view chunk, std::string_view dictionary) {
    std::string_view in = chunk;
    if (in.empty() || static_cast<uint8_t>(in[0]) != kEncodingVersion) {
      return Corrupt("unknown encoding");
    }
    in.remove_prefix(1);
    struct Entry {
      uint8_t codec;
      uint64_t raw_length;
      uint64_t stored_length;
    } entries[kStreamCount];
    for (Entry& entry : entries) {
      if (in.empty()) return Corrupt("truncated header");
      entry.codec = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      if (!coding::GetVarint64(&in, &entry.raw_length) ||
          !coding::GetVarint64(&in, &entry.stored_length) || entry.codec > kCodecZstdDictionary ||
          entry.raw_length > kMaxStreamBytes ||
          (entry.codec == kCodecPlain && entry.raw_length != entry.stored_length)) {
        return Corrupt("bad stream header");
      }
    }
    std::string_view* views[kStreamCount] = {&skeleton_, &references_, &ids_, &times_};
    for (int i = 0; i < kStreamCount; ++i) {
      if (entries[i].stored_length > in.size()) return Corrupt("truncated stream");
      std::string_view stored = in.substr(0, entries[i].stored_length);
      in.remove_prefix(entries[i].stored_length);
      if (entries[i].codec == kCodecPlain) {
        *views[i] = stored;
      } else {
        if (entries[i].codec == kCodecZstdDictionary && dictionary.empty()) {
          return Corrupt("the block has no document dictionary");
        }
        std::string_view prefix = entries[i].codec == kCodecZstdDictionary ? dictionary : "";
        if (!ZstdDecompressWithDictionary(stored, prefix, entries[i].raw_length, &buffers_[i])) {
          return Corrupt("stream does not decompress");
        }
        *views[i] = buffers_[i];
      }
    }
    if (!in.empty()) return Corrupt("trailing bytes");
    return Status();
  }

  void StartRow(const model::TraceId& trace_id) {
    Bytes16 id;
    std::memcpy(id.data(), trace_id.bytes.data(), 16);
    trace_ids_.push_back(id);
  }

  // Decodes the next document into `out` (replacing its contents).
  Status NextDocument(std::string* out) {
    out->clear();
    const char* p = skeleton_.data();
    const char* end = p + skeleton_.size();
    while (true) {
      const char* literal = p;
      while (p<end&& static_cast<uint8_t>(*p)> kLastMarker) ++p;
      out->append(literal, p);
      if (out->size() > kMaxDocumentBytes) return Corrupt("document too large");
      if (p == end) return Corrupt("document not terminated");
      const auto marker = static_cast<uint8_t>(*p++);
      switch (marker) {
        case kEscape:
          if (p == end) return Corrupt("truncated escape");
          out->push_back(*p++);
          break;
        case kSegmentId: {
          uint8_t bytes[8];
          RG_RETURN_IF_ERROR(Resolve(&segment_ids_, bytes));
          AppendHex(bytes, 8, out);
          break;
        }
        case kTraceId: {
          Bytes16 value;
          RG_RETURN_IF_ERROR(Resolve(&trace_ids_, value.data()));
          out->append("1-");
          AppendHex(value.data(), 4, out);
          out->push_back('-');
          AppendHex(value.data() + 4, 12, out);
          break;
        }
        case kUuid: {
          Bytes16 value;
          RG_RETURN_IF_ERROR(Resolve(&uuids_, value.data()));
          static constexpr size_t kGroups[] = {4, 2, 2, 2, 6};
          const uint8_t* b = value.data();
          for (size_t g = 0; g < 5; ++g) {
            if (g > 0) out->push_back('-');
            AppendHex(b, kGroups[g], out);
            b += kGroups[g];
          }
          break;
        }
        case kTime:
          if (p == end) return Corrupt("truncated time");
          RG_RETURN_IF_ERROR(AppendTime(static_cast<uint8_t>(*p++), out));
          break;
        case kEnd:
          skeleton_.remove_prefix(static_cast<size_t>(p - skeleton_.data()));
          return Status();
        default:
          return Corrupt("unknown marker");
      }
    }
  }

 private:
  template <typename Table>
  Status Resolve(Table* table, uint8_t* bytes) {
    using Value = typename Table::value_type;
    uint64_t distance;
    if (!coding::GetVarint64(&references_, &distance)) return Corrupt("truncated references");
    Value value;
    if (distance == 0) {
      if (ids_.size() < sizeof(Value)) return Corrupt("truncated ids");
      std::memcpy(&value, ids_.data(), sizeof(Value));
      ids_.remove_prefix(sizeof(Value));
      table->push_back(value);
    } else {
      if (distance > table->size()) return Corrupt("reference out of range");
      value = (*table)[table->size() - distance];
    }
    std::memcpy(bytes, &value, sizeof(Value));
    return Status();
  }

  Status AppendTime(uint8_t digits, std::string* out) {
    if (digits < 1 || digits > 9) return Corrupt("bad time digits");
    int64_t delta;
    if (!coding::GetVarsint64(&times_, &delta)) return Corrupt("truncated times");
    const uint64_t scale = kPow10[9 - digits];
    // Unsigned arithmetic: a damaged delta wraps instead of overflowing, then fails the range
    // check below.
    const uint64_t units = previous_nanos_ / scale + static_cast<uint64_t>(delta);
    const uint64_t integer = units / kPow10[digits];
    if (integer < kIntMin || integer >= kIntEnd) return Corrupt("time out of range");
    previous_nanos_ = units * scale;
    char text[24];
    uint64_t fraction = units % kPow10[digits];
    for (size_t i = 0; i < digits; ++i) {
      text[10 + digits - i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    text[10] = '.';
    uint64_t rest = integer;
    for (int i = 9; i >= 0; --i) {
      text[i] = static_cast<char>('0' + rest % 10);
      rest /= 10;
    }
    out->append(text, 11 + digits);
    return Status();
  }

  std::string buffers_[kStreamCount];
  std::string_view skeleton_;
  std::string_view references_;
  std::string_view ids_;
  std::string_view times_;
  uint64_t previous_nanos_ = 0;
  std::vector<uint64_t> segment_ids_;
  std::vector<Bytes16> trace_ids_;
  std::vector<Bytes16> uuids_;
};

}  // namespace

std::string BuildDocumentDictionary(std::span<const DocumentChunkRow> rows) {
  // Rows spread evenly over the block until the skeleton is full (a skeleton is about 80 %
  // of its documents: ~6 KiB per recipe trace, so a dozen traces).
  Encoder encoder;
  size_t bytes = 0;
  for (const DocumentChunkRow& row : rows) {
    for (const std::string& document : *row.documents) bytes += document.size();
  }
  if (bytes == 0) return {};
  const size_t row_skeleton = std::max<size_t>(1, bytes * 4 / 5 / rows.size());
  const size_t samples = kDocumentDictionaryBytes / row_skeleton + 1;
  const size_t step = std::max<size_t>(1, rows.size() / samples);
  for (size_t row = 0; row < rows.size(); row += step) {
    encoder.AddRow(rows[row]);
    if (encoder.skeleton().size() >= kDocumentDictionaryBytes) break;
  }
  const std::string& skeleton = encoder.skeleton();
  // The last bytes are the closest to the data: keep those.
  return skeleton.substr(skeleton.size() - std::min(skeleton.size(), kDocumentDictionaryBytes));
}

std::string EncodeDocumentChunk(std::span<const DocumentChunkRow> rows, std::string_view dictionary,
                                int zstd_level) {
  Encoder encoder;
  for (const DocumentChunkRow& row : rows) encoder.AddRow(row);
  return encoder.Finish(dictionary, zstd_level);
}

Result<std::vector<std::string>> DecodeDocumentChunkRow(std::string_view chunk,
                                                        std::string_view dictionary,
                                                        std::span<const model::TraceId> trace_ids,
                                                        std::span<const uint32_t> doc_counts,
                                                        size_t target) {
  if (target >= trace_ids.size() || target >= doc_counts.size()) {
    return Corrupt("row out of range");
  }
  Decoder decoder;
  RG_RETURN_IF_ERROR(decoder.Init(chunk, dictionary));
  std::string scratch;
  for (size_t row = 0; row < target; ++row) {
    decoder.StartRow(trace_ids[row]);
    for (uint32_t doc = 0; doc < doc_counts[row]; ++doc) {
      RG_RETURN_IF_ERROR(decoder.NextDocument(&scratch));
    }
  }
  decoder.StartRow(trace_ids[target]);
  std::vector<std::string> documents;
  for (uint32_t doc = 0; doc < doc_counts[target]; ++doc) {
    std::string document;
    RG_RETURN_IF_ERROR(decoder.NextDocument(&document));
    documents.push_back(std::move(document));
  }
  return documents;
}

}  // namespace roentgen::store::block
