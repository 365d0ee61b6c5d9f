// SPDX-License-Identifier: Apache-2.0
#pragma once

// The per-trace *detail*: what the segment-level filter keywords need beyond the trace
// summary (xray-semantics.md §1.6, §1.7, §2.4, §3.2-§3.4). Computed once per trace at seal
// time from its parsed documents, stored beside the summary as a block column (binary
// encoding below), and read by query::Filter for service(), edge(), rootcause.* and a few
// trace-level keywords (ok, inferred).
//
// Definitions used throughout (the golden tests and docs/query_language.md rely on them):
//  * Entities: every segment and subsegment of every document, walked in document order,
//    each entity before its embedded subsegments (pre-order). An id names the first entity
//    that carries it in that order.
//  * An independent subsegment (DocumentKind::kSubsegment) belongs to the segment document
//    reached by following parent_id upwards; it is an *orphan* when the chain breaks or loops.
//  * Service node: (segment name, origin, aws.account_id) of a segment document. Inferred
//    nodes come from subsegments in namespace `aws` or `remote` whose id is no segment's
//    parent_id (§3.3): `remote` → (subsegment name, "remote"); `aws` → DynamoDB with a table
//    → (table, "AWS::DynamoDB::Table"), SQS with a queue URL → (queue name,
//    "AWS::SQS::Queue"), otherwise (subsegment name, "AWS::" + subsegment name); the account
//    is the subsegment's aws.account_id. The root segment's node also gets a client node
//    (same name, type "client", or "client::Synthetics" when the root's user agent contains
//    "CloudWatchSynthetics").
//  * Flags of an entity: error = error flag or HTTP 4xx; fault = fault flag or 5xx;
//    throttle = throttle flag or 429. ok = none of the three.
//  * Times are seconds; response times and durations are rounded to microseconds like the
//    summary's.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/segment.h"
#include "model/trace_summary.h"

namespace roentgen::model {

// The facts of one segment of a service node (or of one inferred segment), as the
// expression inside `service(...) { ... }` tests them.
struct NodeSegment {
  double start_time = 0;                // absolute, seconds since the epoch
  std::optional<double> end_time;       // absolute; absent while in progress
  std::optional<double> response_time;  // end - start; absent while there is no end time
  // Latest end of the segment and its own subsegments (embedded and independent, not
  // downstream segments) - start; absent when none of them has ended.
  std::optional<double> duration;
  bool error = false;
  bool fault = false;
  bool throttle = false;
  bool in_progress = false;  // the segment document itself is in progress
  bool root = false;         // the trace's root segment (FindRootSegment)
  bool inferred = false;
  std::optional<int32_t> http_status;
  std::string http_url;
  std::string http_method;
  std::string http_user_agent;
  std::string http_client_ip;
  std::string user;
  std::string resource_arn;
  std::string instance_id;
  std::vector<std::string> availability_zones;  // EC2 then ECS, those present
  bool operator==(const NodeSegment&) const = default;
};

enum class NodeKind : uint8_t {
  kActive = 0,    // built from segments the service sent
  kInferred = 1,  // built from downstream-call subsegments
  kClient = 2,    // the synthetic caller of the root node
};

struct ServiceNode {
  ServiceId id;
  NodeKind kind = NodeKind::kActive;
  std::vector<NodeSegment> segments;  // empty for client nodes
  bool operator==(const ServiceNode&) const = default;
};

// One call on an edge, seen from the caller: the caller's subsegment when the callee's
// segment names a subsegment as parent (or for inferred callees), else the callee segment
// itself (e.g. AWS::Lambda → AWS::Lambda::Function, and client → root).
struct EdgeCall {
  double start_time = 0;           // absolute start of the timing entity
  std::optional<double> end_time;  // absolute end; absent while in progress
  std::optional<double> response_time;
  bool error = false;
  bool fault = false;
  bool throttle = false;
  bool in_progress = false;
  std::optional<int32_t> http_status;
  std::string http_url;
  std::string http_method;
  std::string http_user_agent;
  std::string http_client_ip;
  bool operator==(const EdgeCall&) const = default;
};

struct ServiceEdge {
  uint32_t caller = 0;  // index into TraceDetail::nodes
  uint32_t callee = 0;
  std::vector<EdgeCall> calls;  // never empty
  bool operator==(const ServiceEdge&) const = default;
};

struct RootCauseException {
  std::string name;  // the exception's type
  std::string message;
  bool operator==(const RootCauseException&) const = default;
};

struct RootCauseEntity {
  std::string name;
  // A downstream call: a subsegment in namespace aws/remote, an inferred segment, or an
  // entity with a remote exception.
  bool remote = false;
  double coverage = 0;  // response-time root causes only: entity duration / root response time
  std::vector<RootCauseException> exceptions;
  bool operator==(const RootCauseEntity&) const = default;
};

struct RootCauseService {
  ServiceId id;
  bool inferred = false;
  std::vector<RootCauseEntity> entity_path;  // the service's own segment first
  bool operator==(const RootCauseService&) const = default;
};

// One root-cause path (xray-semantics.md §2.4): the services from the entry point down to
// the culprit, each with the entities crossed inside it.
struct RootCause {
  std::vector<RootCauseService> services;
  bool client_impacting = false;
  bool operator==(const RootCause&) const = default;
};

// Everything segment-level keywords read. Plain value type.
struct TraceDetail {
  // Nodes in order of first appearance: segment documents' nodes (document order), then
  // inferred nodes (entity order), then the client node.
  std::vector<ServiceNode> nodes;
  std::vector<ServiceEdge> edges;  // at most one per (caller, callee)
  std::vector<RootCause> fault_root_causes;
  std::vector<RootCause> error_root_causes;
  std::vector<RootCause> response_time_root_causes;  // at most one
  // False only for details decoded from format version 1, which did not record the absolute
  // start_time/end_time of NodeSegment and EdgeCall (they read as 0 and absent there).
  bool has_entity_times = true;
  bool operator==(const TraceDetail&) const = default;
};

// The minimum share of the root response time a child must take for the response-time
// root-cause walk to descend into it.
inline constexpr double kResponseTimeRootCauseThreshold = 0.1;

// Computes the detail of one trace from all of its (deduplicated) documents, independent
// subsegments included as separate documents. Never fails; hostile input (dangling or
// looping parent ids, duplicate ids) gives a well-defined result. Cost: linear in the number
// of entities plus the root-cause paths.
TraceDetail ComputeTraceDetail(std::span<const SegmentDocument> documents);

// The node a downstream-call subsegment (namespace `aws` or `remote`) stands for when its
// callee sent no segment of its own (xray-semantics.md §3.3; the rules in the file comment).
ServiceId InferredServiceId(const Entity& subsegment);

// Adds the inferred nodes of `detail` to summary->service_ids, after the active ones
// (X-Ray's ServiceIds include inferred nodes, which the summary alone cannot see).
void AddInferredServiceIds(const TraceDetail& detail, TraceSummary* summary);

// Appends the binary encoding of `detail` to *dst (format version 3: varints, length-prefixed
// strings, times as microsecond deltas; see trace_detail.cc).
void EncodeTraceDetail(const TraceDetail& detail, std::string* dst);

// Decodes what EncodeTraceDetail wrote, in format version 3 or the older 2 (f64 times) or 1
// (which lacks the absolute entity times: has_entity_times is false then). Corruption on truncated
// or inconsistent input (never reads out of bounds, never asserts).
Result<TraceDetail> DecodeTraceDetail(std::string_view encoded);

}  // namespace roentgen::model
