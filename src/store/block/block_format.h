// SPDX-License-Identifier: Apache-2.0
#pragma once

// Constants of the block file format; the format itself is described in
// docs/format/block.md, which this header must match.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/segment.h"

namespace roentgen::store::block {

inline constexpr std::string_view kHeaderMagic = "RGBLOCK1";  // first 8 bytes
inline constexpr std::string_view kFooterMagic = "RGBLKEND";  // last 8 bytes
// 2: a codec byte in every directory entry (section files).
// 3: document chunks in the structural encoding (document_codec.h) instead of zstd frames of
//    length-prefixed documents. Readers accept 2 and 3.
inline constexpr uint32_t kFormatVersion = 3;
inline constexpr uint32_t kOldestFormatVersion = 2;
inline constexpr uint32_t kFirstStructuralDocumentsVersion = 3;
// Trailer = footer length (fixed32) + footer crc32c, masked (fixed32) + magic (8).
inline constexpr size_t kTrailerSize = 16;

// Section kinds in the footer directory.
enum class SectionKind : uint8_t {
  kColumn = 1,         // one summary column; `id` is a ColumnId
  kDocChunk = 2,       // documents of consecutive rows (document_codec.h); `id` = first row
  kIndex = 3,          // sorted (trace id, row) pairs
  kBloom = 4,          // bloom filter over trace ids
  kTenants = 5,        // tenant dictionary
  kSupersedes = 6,     // rows of older blocks that this block's revisions replace
  kDocDictionary = 7,  // the document chunks' zstd dictionary (format 3; absent: none)
};

// Column ids. Readers ignore ids they do not know, and treat a column missing from an older
// block as absent; new columns take new ids and never change the encoding of an old one.
enum class ColumnId : uint16_t {
  kTraceId = 1,       // 16 bytes per row (formats 1-2; format 3 reads the ids from the index)
  kTenant = 2,        // varint index into the tenant dictionary
  kRevision = 3,      // varint
  kSealLsn = 4,       // varint: highest WAL sequence number folded into this revision
  kFirstArrival = 5,  // zigzag varint, nanoseconds since the block's min arrival
  kStartMicros = 6,   // zigzag varint, microseconds since the block's min start
  kEndMicros = 7,     // zigzag varint, microseconds since the block's min start
  kFlags = 8,         // one byte: RowFlags
  kDocCount = 9,      // varint: documents of this row in the doc chunks
  kSummary = 10,      // length-prefixed serialized TraceSummary (summary_codec.h)
  kTraceBytes = 11,   // varint: raw bytes of the row's documents
  kDetail = 12,       // length-prefixed model::EncodeTraceDetail (empty: not computed)
  kGroups = 13,       // varint count, then (group id, version) varint pairs
  // Search columns: let scans test filter conditions without decoding summaries.
  kResponseTime = 14,  // fixed64: the double bits of the response time; NaN when absent
  kServiceNames = 15,  // dictionary list (see below) of non-client node names
  kAnnotations = 16,   // dictionary list of indexed annotation values (EncodeAnnotationEntry)
};

// A "dictionary list" column: varint entry count, the entries (lp, distinct, in first-use
// order), then per row a varint count followed by that many varint entry codes.

// An annotation value as a dictionary entry: key, a 0 byte, then 's' + the string, 'n' + the
// fixed64 bits of the number (-0 written as 0), or 'b' + '0'/'1'.
std::string EncodeAnnotationEntry(std::string_view key, const model::AnnotationValue& value);

enum RowFlags : uint8_t {
  kRowFault = 1 << 0,
  kRowError = 1 << 1,
  kRowThrottle = 1 << 2,
  kRowPartial = 1 << 3,
  kRowHasRoot = 1 << 4,
  kRowLimitExceeded = 1 << 5,
};

inline constexpr size_t kDocChunkTargetBytes = 512 * 1024;  // uncompressed
inline constexpr int kBloomBitsPerKey = 10;

}  // namespace roentgen::store::block
