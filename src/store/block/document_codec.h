// SPDX-License-Identifier: Apache-2.0
#pragma once

// The structural encoding of a block's document chunks (docs/format/block.md, "Documents").
// Segment documents are stored byte for byte as received, but most of what is left after
// zstd in JSON text is random ids and times written as hex and decimal. The encoder lifts
// them out of the text: segment ids, trace ids and UUIDs in quotes become a marker in a
// "skeleton" text plus either a back reference to an earlier occurrence in the chunk or
// their binary bytes; decimal times with 10 integer digits become a marker plus a varint
// delta against the previous time. The skeleton (which then repeats from trace to trace)
// and the small streams are compressed separately. The transform is lossless for any
// bytes, JSON or not: decoding gives back exactly the documents that were encoded.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/trace_id.h"

namespace roentgen::store::block {

// One row's documents, in the order they are stored. The row's trace id seeds the chunk's
// trace-id references, so the documents' copies of it cost a byte each.
struct DocumentChunkRow {
  model::TraceId trace_id;
  const std::vector<std::string>* documents = nullptr;
};

// A block's document dictionary: skeleton text of documents sampled across `rows` (at most
// kDocumentDictionaryBytes). Every chunk's skeleton is compressed against it, so the shapes
// that recur in every chunk are paid for once per block instead of once per chunk. Empty
// when the rows have no documents.
inline constexpr size_t kDocumentDictionaryBytes = 64 * 1024;
std::string BuildDocumentDictionary(std::span<const DocumentChunkRow> rows);

// Encodes the rows' documents as one chunk; `zstd_level` compresses the text streams,
// `dictionary` (from BuildDocumentDictionary; may be empty) the skeleton.
std::string EncodeDocumentChunk(std::span<const DocumentChunkRow> rows, std::string_view dictionary,
                                int zstd_level);

// Decodes a chunk and returns the documents of row `target`. `dictionary` is the one the
// chunk was encoded with; `trace_ids` and `doc_counts` describe the chunk's rows from its
// first, at least up to `target` (the block's trace-id and document-count columns). Damage
// is a Corruption status; never an assertion.
Result<std::vector<std::string>> DecodeDocumentChunkRow(std::string_view chunk,
                                                        std::string_view dictionary,
                                                        std::span<const model::TraceId> trace_ids,
                                                        std::span<const uint32_t> doc_counts,
                                                        size_t target);

}  // namespace roentgen::store::block
