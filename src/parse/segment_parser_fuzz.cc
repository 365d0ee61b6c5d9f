// SPDX-License-Identifier: Apache-2.0
// Fuzz target: datagram split + segment document parse.
// Properties checked on every input that parses:
//  1. parsing the same text again gives an equal model (no per-thread state leaks);
//  2. json_dom accepts the text, and its compact re-serialization parses to an equal model
//     (the model depends on the JSON value only, not on spelling: escapes, spacing);
//  3. ParseDocumentHeader and ParseDocumentList agree with the full parse.
// Failures must carry an error code and a message equal to the status message.
// Differential, on every input: ValidateSegmentDocument accepts exactly what
// ParseSegmentDocument accepts, fails with the same ParseFailure (id, error_code, message)
// and status, and returns the header of the model the full parse builds; likewise
// ValidateDocumentList against ParseDocumentList.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parse/daemon_datagram.h"
#include "parse/json_dom.h"
#include "parse/segment_parser.h"

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

namespace {

using roentgen::parse::DatagramDropReason;
using roentgen::parse::DocumentHeader;
using roentgen::parse::ParseFailure;
using roentgen::parse::ParseLimits;

DocumentHeader HeaderOf(const roentgen::model::SegmentDocument& document) {
  DocumentHeader header;
  header.kind = document.kind;
  header.trace_id = document.trace_id;
  header.id = document.entity.id;
  header.parent_id = document.parent_id;
  header.start_time = document.entity.start_time;
  header.end_time = document.entity.end_time;
  header.in_progress = document.entity.in_progress;
  return header;
}

bool SameFailure(const ParseFailure& a, const ParseFailure& b) {
  return a.id == b.id && a.error_code == b.error_code && a.message == b.message;
}

// ValidateDocumentList agrees with ParseDocumentList element by element.
void CheckListsAgree(std::string_view json, const ParseLimits& limits) {
  ParseFailure parse_failure;
  auto parsed = roentgen::parse::ParseDocumentList(json, limits, &parse_failure);
  ParseFailure validate_failure;
  auto validated = roentgen::parse::ValidateDocumentList(json, limits, &validate_failure);
  FUZZ_CHECK(validated.ok() == parsed.ok());
  if (!parsed.ok()) {
    FUZZ_CHECK(validated.error() == parsed.error());
    FUZZ_CHECK(SameFailure(validate_failure, parse_failure));
    return;
  }
  FUZZ_CHECK(validated->size() == parsed->size());
  for (size_t idx = 0; idx < parsed->size(); ++idx) {
    const auto& full = (*parsed)[idx];
    const auto& checked = (*validated)[idx];
    FUZZ_CHECK(checked.raw.data() == full.raw.data() && checked.raw.size() == full.raw.size());
    FUZZ_CHECK(checked.header.has_value() == full.document.has_value());
    if (full.document) {
      FUZZ_CHECK(*checked.header == HeaderOf(*full.document));
    } else {
      FUZZ_CHECK(SameFailure(checked.failure, full.failure));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  DatagramDropReason reason = DatagramDropReason::kNone;
  auto body = roentgen::parse::SplitDaemonDatagram(input, &reason);
  FUZZ_CHECK(body.ok() == (reason == DatagramDropReason::kNone));
  const std::string_view json = body.ok() ? *body : input;

  ParseLimits limits;
  limits.max_subsegments = 200;  // keep each run cheap
  ParseFailure failure;
  auto first = roentgen::parse::ParseSegmentDocument(json, limits, &failure);
  ParseFailure validate_failure;
  auto validated = roentgen::parse::ValidateSegmentDocument(json, limits, &validate_failure);
  FUZZ_CHECK(validated.ok() == first.ok());
  CheckListsAgree(json, limits);
  if (!first.ok()) {
    FUZZ_CHECK(!failure.error_code.empty());
    FUZZ_CHECK(first.error().message() == failure.message);
    FUZZ_CHECK(validated.error() == first.error());
    FUZZ_CHECK(SameFailure(validate_failure, failure));
    return 0;
  }
  FUZZ_CHECK(*validated == HeaderOf(*first));

  auto second = roentgen::parse::ParseSegmentDocument(json, limits, nullptr);
  FUZZ_CHECK(second.ok() && *second == *first);

  // simdjson 3.0.1 accepts a few strings json_dom rejects (e.g. "\ud800\ud800"), so a json_dom
  // failure is tolerated; a disagreement on the model is not.
  auto dom = roentgen::parse::ParseJson(json, limits.max_json_depth);
  if (dom.ok()) {
    const std::string compact = roentgen::parse::SerializeJson(*dom);
    ParseFailure again_failure;
    auto again = roentgen::parse::ParseSegmentDocument(compact, limits, &again_failure);
    if (!again.ok()) std::fprintf(stderr, "%s\n", again_failure.message.c_str());
    FUZZ_CHECK(again.ok() && *again == *first);
  }

  auto header = roentgen::parse::ParseDocumentHeader(json, limits);
  FUZZ_CHECK(header.ok());
  FUZZ_CHECK(header->kind == first->kind);
  FUZZ_CHECK(header->trace_id == first->trace_id);
  FUZZ_CHECK(header->id == first->entity.id);
  FUZZ_CHECK(header->parent_id == first->parent_id);
  FUZZ_CHECK(header->start_time == first->entity.start_time);
  FUZZ_CHECK(header->end_time == first->entity.end_time);
  FUZZ_CHECK(header->in_progress == first->entity.in_progress);

  auto list = roentgen::parse::ParseDocumentList(json, limits);
  FUZZ_CHECK(list.ok() && list->size() == 1 && (*list)[0].document &&
             *(*list)[0].document == *first);
  return 0;
}
