// SPDX-License-Identifier: Apache-2.0
#pragma once

// Test-only helpers shared by the query tests, fuzzers and benchmark: building segment
// documents in code and checking both evaluators on them. Header-only; not part of the
// library.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/segment.h"
#include "model/trace_detail.h"
#include "model/trace_summary.h"
#include "query/query.h"
#include "query/reference_evaluator.h"

namespace roentgen::query::testing {

inline model::Entity MakeEntity(uint64_t id, std::string name, double start,
                                std::optional<double> end) {
  model::Entity entity;
  entity.id = model::SegmentId{id};
  entity.name = std::move(name);
  entity.start_time = start;
  entity.end_time = end;
  entity.in_progress = !end.has_value();
  return entity;
}

inline model::SegmentDocument MakeSegment(model::Entity entity,
                                          std::optional<uint64_t> parent = std::nullopt) {
  model::SegmentDocument doc;
  doc.kind = model::DocumentKind::kSegment;
  doc.entity = std::move(entity);
  if (parent) doc.parent_id = model::SegmentId{*parent};
  return doc;
}

inline model::SegmentDocument MakeSubsegment(model::Entity entity, uint64_t parent) {
  model::SegmentDocument doc;
  doc.kind = model::DocumentKind::kSubsegment;
  doc.entity = std::move(entity);
  doc.parent_id = model::SegmentId{parent};
  return doc;
}

inline void SetStatus(model::Entity* entity, int32_t status) {
  if (!entity->http) entity->http.emplace();
  entity->http->response.emplace().status = status;
}

inline void SetRequest(model::Entity* entity, std::string method, std::string url,
                       std::string user_agent = "", std::string client_ip = "") {
  if (!entity->http) entity->http.emplace();
  auto& request = entity->http->request.emplace();
  request.method = std::move(method);
  request.url = std::move(url);
  request.user_agent = std::move(user_agent);
  request.client_ip = std::move(client_ip);
}

inline void Annotate(model::Entity* entity, std::string key, std::string value) {
  model::Annotation annotation;
  annotation.key = std::move(key);
  annotation.value.type = model::AnnotationType::kString;
  annotation.value.string_value = std::move(value);
  entity->annotations.push_back(std::move(annotation));
}
inline void Annotate(model::Entity* entity, std::string key, double value) {
  model::Annotation annotation;
  annotation.key = std::move(key);
  annotation.value.type = model::AnnotationType::kNumber;
  annotation.value.number_value = value;
  entity->annotations.push_back(std::move(annotation));
}
inline void Annotate(model::Entity* entity, std::string key, bool value) {
  model::Annotation annotation;
  annotation.key = std::move(key);
  annotation.value.type = model::AnnotationType::kBool;
  annotation.value.bool_value = value;
  entity->annotations.push_back(std::move(annotation));
}

// A trace with its summary and detail computed the way the store does at seal time.
struct Trace {
  std::vector<model::SegmentDocument> documents;
  model::TraceSummary summary;
  model::TraceDetail detail;
};

inline Trace MakeTrace(std::vector<model::SegmentDocument> documents,
                       const model::TraceId& id = model::TraceId{}) {
  Trace trace;
  trace.documents = std::move(documents);
  for (auto& doc : trace.documents) doc.trace_id = id;
  trace.summary = model::ComputeTraceSummary(id, trace.documents);
  trace.detail = model::ComputeTraceDetail(trace.documents);
  return trace;
}

// Whether every hint of `filter` holds for `trace` (they are necessary conditions).
inline bool HintsHold(const Filter& filter, const Trace& trace) {
  const ScanHints& hints = filter.hints();
  if (hints.response_time && (!trace.summary.response_time ||
                              !hints.response_time->Contains(*trace.summary.response_time))) {
    return false;
  }
  if (hints.duration && !hints.duration->Contains(trace.summary.duration)) return false;
  for (const std::string& name : hints.service_names) {
    bool found = false;
    for (const auto& node : trace.detail.nodes) {
      found = found || (node.kind != model::NodeKind::kClient && node.id.name == name);
    }
    if (!found) return false;
  }
  for (const std::string& key : hints.annotation_keys) {
    bool found = false;
    for (const auto& annotation : trace.summary.annotations) found = found || annotation.key == key;
    if (!found) return false;
  }
  auto flag_holds = [](const std::optional<bool>& wanted, bool have) {
    return !wanted || *wanted == have;
  };
  if (!flag_holds(hints.fault, trace.summary.has_fault) ||
      !flag_holds(hints.error, trace.summary.has_error) ||
      !flag_holds(hints.throttle, trace.summary.has_throttle) ||
      !flag_holds(hints.partial, trace.summary.is_partial)) {
    return false;
  }
  for (const auto& wanted : hints.annotation_equals) {
    bool found = false;
    for (const auto& annotation : trace.summary.annotations) {
      if (annotation.key != wanted.key) continue;
      for (const auto& value : annotation.values) {
        const auto& have = value.value;
        found = found || (have.type == wanted.value.type &&
                          (have.type == model::AnnotationType::kString
                               ? have.string_value == wanted.value.string_value
                           : have.type == model::AnnotationType::kNumber
                               ? have.number_value == wanted.value.number_value
                               : have.bool_value == wanted.value.bool_value));
      }
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace roentgen::query::testing
