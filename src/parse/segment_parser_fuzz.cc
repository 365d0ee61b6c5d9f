// SPDX-License-Identifier: Apache-2.0
// Fuzz target: datagram split + segment document parse.
// Properties checked on every input that parses:
//  1. parsing the same text again gives an equal model (no per-thread state leaks);
//  2. json_dom accepts the text, and its compact re-serialization parses to an equal model
//     (the model depends on the JSON value only, not on spelling: escapes, spacing);
//  3. ParseDocumentHeader and ParseDocumentList agree with the full parse.
// Failures must carry an error code and a message equal to the status message.
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
using roentgen::parse::ParseFailure;
using roentgen::parse::ParseLimits;

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
  if (!first.ok()) {
    FUZZ_CHECK(!failure.error_code.empty());
    FUZZ_CHECK(first.error().message() == failure.message);
    return 0;
  }

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
