// SPDX-License-Identifier: Apache-2.0
#pragma once

// The parse component's façade: X-Ray segment documents (one UDP datagram body or one
// PutTraceSegments string) → model::SegmentDocument, with X-Ray's validation rules; or the
// same validation alone, giving just the document's header (ValidateSegmentDocument).
// The raw text is not kept here; callers store it themselves and return it verbatim.
//
// Related public headers of this component: daemon_datagram.h (UDP framing), json_dom.h
// (editable JSON) and trace_assembly.h (nesting independent subsegments at read time).
//
// Validation, in short (xray-protocol.md §3.1):
//  * the document is one JSON object, at most ParseLimits::max_document_bytes bytes, valid
//    UTF-8, nested at most max_json_depth levels;
//  * `id`: 16 hex digits; `trace_id`: 1-<8 hex>-<24 hex>, any epoch; `name`: a non-empty string
//    of at most 200 code points from Unicode letters, digits, whitespace and _.:/%&#=+\-@ (see
//    internal/name_rules.h for how "Unicode letter" is approximated); `start_time`: a number
//    >= 0; `end_time`: a number >= 0, required unless `in_progress` is true;
//  * `"type": "subsegment"` makes an independent subsegment, which needs `trace_id` and
//    `parent_id`; a segment's `parent_id` is optional but must be 16 hex when present;
//  * embedded `subsegments` (recursively, at most max_depth levels and max_subsegments in all)
//    need `id`, `name`, `start_time` and `end_time` or `in_progress: true`, with the same
//    rules; their own `trace_id`/`parent_id`/`type` (the Python SDK writes them) are ignored.
// Everything else is lenient, like X-Ray, which drops what does not fit its schema rather
// than rejecting the document: optional fields of the wrong type are ignored, unknown fields
// are ignored, over-long strings are truncated in the model only, annotations beyond the
// limit and annotation values that are not string/number/bool are left out of the model.
// For duplicate member names the last one counts (as in JSON.parse and Python's json), but
// every occurrence of a validated field must be valid.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/segment.h"
#include "model/trace_id.h"

namespace roentgen::parse {

// Bounds that protect memory and time. Only max_document_bytes, max_depth, max_json_depth and
// max_subsegments reject a document; the others shorten or drop what goes into the model
// (the raw text, which the caller keeps, is never changed).
struct ParseLimits {
  // X-Ray's segment document limit (64 kB). Longer documents fail with DocumentTooLarge.
  size_t max_document_bytes = 64 * 1024;
  // Levels of embedded subsegments below the document's own entity. Deeper fails with
  // NestingTooDeep.
  size_t max_depth = 32;
  // Nesting of JSON arrays and objects anywhere in the document (metadata included); deeper
  // fails with NestingTooDeep (`{}` is depth 1). Subsegments nested max_depth deep need
  // 2 * max_depth + 1 levels plus whatever their own members nest. Capped at 1024.
  size_t max_json_depth = 128;
  // Embedded subsegments per document, all levels together. More fail with
  // TooManySubsegments.
  size_t max_subsegments = 5000;
  // Model copies of strings are cut (at a UTF-8 boundary) to this many bytes. 4096 bytes hold
  // any value X-Ray accepts (250 characters for most strings, 1000 for annotation values,
  // 4 bytes per character at most); the cap only keeps hostile documents from inflating the
  // model. Names are never cut: they are validated instead.
  size_t max_string_bytes = 4096;
  // Annotations kept in the model per document (all entities together); later ones are
  // dropped. X-Ray indexes 50 per trace; the trace-level cut belongs to the indexer.
  size_t max_annotations = 1000;
  // Annotations whose key is longer than this (X-Ray documents 500) are dropped.
  size_t max_annotation_key_bytes = 500;
};

// ParseFailure::error_code values. Stable: they are returned to clients in
// UnprocessedTraceSegments[].ErrorCode and used as metric labels.
namespace error_code {
inline constexpr std::string_view kInvalidJson = "InvalidJson";
inline constexpr std::string_view kDocumentTooLarge = "DocumentTooLarge";
inline constexpr std::string_view kNestingTooDeep = "NestingTooDeep";
inline constexpr std::string_view kTooManySubsegments = "TooManySubsegments";
inline constexpr std::string_view kNotAnObject = "NotAnObject";  // top level is not {...}
inline constexpr std::string_view kMissingField = "MissingField";
inline constexpr std::string_view kInvalidTraceId = "InvalidTraceId";
inline constexpr std::string_view kInvalidSegmentId = "InvalidSegmentId";
inline constexpr std::string_view kInvalidParentId = "InvalidParentId";
inline constexpr std::string_view kInvalidTimestamp = "InvalidTimestamp";
inline constexpr std::string_view kInvalidName = "InvalidName";
inline constexpr std::string_view kInvalidType = "InvalidType";  // `type` other than subsegment
// `subsegments` is not an array, an element is not an object, or a document list is empty.
inline constexpr std::string_view kInvalidSubsegment = "InvalidSubsegment";
}  // namespace error_code

// Why a document was rejected.
struct ParseFailure {
  // Best effort: the document's top-level `id` as written (cut to 64 bytes), even when it is
  // malformed JSON; empty when none was found.
  std::string id;
  // One of the error_code constants.
  std::string error_code;
  // Human readable; names the field by its path (e.g. "subsegments[1].end_time") and a byte
  // offset into the document where one is known.
  std::string message;
};

// The fields that identify a document and place it in time.
struct DocumentHeader {
  model::DocumentKind kind = model::DocumentKind::kSegment;
  model::TraceId trace_id;
  model::SegmentId id;
  std::optional<model::SegmentId> parent_id;
  double start_time = 0;
  std::optional<double> end_time;
  bool in_progress = false;
  bool operator==(const DocumentHeader&) const = default;
};

// Parses and validates one segment document (a segment or an independent subsegment).
// On failure returns InvalidArgument whose message equals failure->message, and fills
// *failure when it is non-null. Never asserts or throws on any input.
// Thread-safe: each thread reuses its own simdjson parsers (up to ~20 bytes per byte of the
// largest document that thread has parsed, ~1.3 MiB for 64 KiB, kept until it exits).
// Cost: a simdjson DOM parse (full validation) plus a walk that copies what the model needs;
// about 2.5x the bare simdjson DOM parse on the SDK fixtures (~0.9 µs per document,
// segment_parser_benchmark). A failed document also pays a slower re-parse to locate the
// error. Paths that only need the header should call ValidateSegmentDocument.
Result<model::SegmentDocument> ParseSegmentDocument(std::string_view json,
                                                    const ParseLimits& limits,
                                                    ParseFailure* failure = nullptr);

// Validates one segment document exactly as ParseSegmentDocument does and returns its header,
// without building the model (no string copies, no Entity tree, no allocation on success
// beyond the thread's reused simdjson parser). The two share one implementation: for every
// input both succeed or both fail, with the same ParseFailure (id, error_code, message) and
// status, and on success the header equals the fields of the parsed model (kind, trace_id,
// parent_id, and the entity's id, start_time, end_time, in_progress). Unlike
// ParseDocumentHeader, which trusts the text, this checks all of it.
// Meant for the ingest paths (UDP, PutTraceSegments), which store the raw text and leave the
// model to be built once per trace. Never asserts or throws on any input. Thread-safe (same
// per-thread parser as ParseSegmentDocument).
// Cost: the simdjson DOM parse plus a walk of the entities' own members (nested values such
// as metadata, http or aws are skipped on the tape, not visited): about 1.4x the bare simdjson
// DOM parse on the SDK fixtures (~0.5 µs per document; validate_ratio ~0.72 in
// segment_parser_benchmark's BM_Ratio, against model_ratio ~0.41 for ParseSegmentDocument).
Result<DocumentHeader> ValidateSegmentDocument(std::string_view json, const ParseLimits& limits,
                                               ParseFailure* failure = nullptr);

// One element of a document list (see ParseDocumentList).
struct DocumentListEntry {
  // The element's exact text: the whole input for a single object, else the array element
  // without surrounding whitespace. Points into the input.
  std::string_view raw;
  // Set when the element is a valid document.
  std::optional<model::SegmentDocument> document;
  // Set when !document.
  ParseFailure failure;
};

// Parses one PutTraceSegments string, which is either one segment document (a JSON object) or,
// as the API description allows, a JSON array of independent subsegments (segments are
// accepted there too). Each element is parsed and validated like ParseSegmentDocument and
// succeeds or fails on its own, so one bad element does not reject its siblings.
// The whole text must fit max_document_bytes; an array may hold at most max_subsegments
// elements, each an object. Fails as a whole (InvalidArgument, *failure filled when
// non-null) when the text is too large, is not JSON, is neither an object nor an array, or is
// an empty array (InvalidSubsegment). Thread-safe.
Result<std::vector<DocumentListEntry>> ParseDocumentList(std::string_view json,
                                                         const ParseLimits& limits,
                                                         ParseFailure* failure = nullptr);

// One element of a validated document list (see ValidateDocumentList).
struct ValidatedListEntry {
  // As DocumentListEntry::raw: points into the input.
  std::string_view raw;
  // Set when the element is a valid document.
  std::optional<DocumentHeader> header;
  // Set when !header.
  ParseFailure failure;
};

// ParseDocumentList with ValidateSegmentDocument per element instead of ParseSegmentDocument:
// the same whole-text failures, the same elements, the same per-element failures (messages
// prefixed with "[index]: " for arrays), and headers instead of models. Thread-safe.
Result<std::vector<ValidatedListEntry>> ValidateDocumentList(std::string_view json,
                                                             const ParseLimits& limits,
                                                             ParseFailure* failure = nullptr);

// Reads only the top-level header fields (type, trace_id, id, parent_id, start_time,
// end_time, in_progress) with the same rules as ParseSegmentDocument, skipping everything
// else (name, subsegments, metadata, ...) without validating it. About 2.5 times cheaper than
// the full parse on the SDK fixtures; meant for text that passed ParseSegmentDocument before
// (stored documents, e.g. when rebuilding indexes). On failure returns InvalidArgument and fills
// *failure when non-null; JSON errors inside skipped values or after the object may go unnoticed.
// Thread-safe.
Result<DocumentHeader> ParseDocumentHeader(std::string_view json, const ParseLimits& limits,
                                           ParseFailure* failure = nullptr);

}  // namespace roentgen::parse
