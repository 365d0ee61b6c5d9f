// SPDX-License-Identifier: Apache-2.0
#pragma once

// The per-trace summary X-Ray returns from GetTraceSummaries, derived from all documents
// of one trace (xray-semantics.md §2). Computed when a trace is sealed; stored as columns.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "model/segment.h"
#include "model/trace_id.h"

namespace roentgen::model {

// A service node identity: (name, type from origin, account).
struct ServiceId {
  std::string name;
  std::string type;  // the segment's origin, empty if none
  std::string account_id;
  auto operator<=>(const ServiceId&) const = default;
  bool operator==(const ServiceId&) const = default;
};

// Writes `id` as X-Ray's ServiceId object: {"Name", "Names": [name], "AccountId"?, "Type"?}
// (summaries, insights and their notifications share this shape).
void WriteServiceIdJson(const ServiceId& id, JsonWriter* out);

struct AnnotationValueWithServices {
  AnnotationValue value;
  std::vector<ServiceId> services;
};

struct AnnotationSummary {
  std::string key;
  std::vector<AnnotationValueWithServices> values;
};

struct UserSummary {
  std::string name;
  std::vector<ServiceId> services;
};

struct TraceSummary {
  TraceId id;
  double start_time = 0;                // earliest start of any document
  double end_time = 0;                  // latest end of any completed document (start_time if none)
  double duration = 0;                  // end_time - start_time
  std::optional<double> response_time;  // root end - root start; absent if the root is open
  bool has_fault = false;
  bool has_error = false;
  bool has_throttle = false;
  bool is_partial = false;
  bool has_root = false;  // false when no segment of the trace has arrived yet
  std::optional<ServiceId> entry_point;
  // The root segment's http fields.
  std::string http_url;
  std::optional<int32_t> http_status;
  std::string http_method;
  std::string http_user_agent;
  std::string http_client_ip;
  std::vector<AnnotationSummary> annotations;  // at most kMaxIndexedAnnotations keys
  std::vector<UserSummary> users;
  std::vector<ServiceId> service_ids;
  std::vector<std::string> resource_arns;
  std::vector<std::string> instance_ids;
  std::vector<std::string> availability_zones;
  uint32_t segment_count = 0;  // documents in the trace
  uint32_t revision = 1;
};

inline constexpr size_t kMaxIndexedAnnotations = 50;

// Chooses the root segment among `documents` (xray-semantics.md §2.1): the non-inferred
// segment without parent_id, earliest start, then smallest id; if none, the earliest segment
// whose parent is absent from the trace. Returns its index, or nullopt if there is no segment.
std::optional<size_t> FindRootSegment(std::span<const SegmentDocument> documents);

// Computes the summary of one trace from all of its (deduplicated) documents.
// REQUIRES: every document belongs to `id`.
TraceSummary ComputeTraceSummary(const TraceId& id, std::span<const SegmentDocument> documents);

}  // namespace roentgen::model
