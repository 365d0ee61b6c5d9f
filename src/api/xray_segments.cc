// SPDX-License-Identifier: Apache-2.0
// PutTraceSegments, BatchGetTraces and PutTelemetryRecords (restJson1).

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "api/errors.h"
#include "api/internal/context.h"
#include "base/json_writer.h"
#include "model/trace_detail.h"
#include "parse/trace_assembly.h"

namespace roentgen::api::internal {
namespace {

struct Unprocessed {
  std::string id;
  std::string error_code;
  std::string message;
};

std::string UnprocessedJson(const std::vector<Unprocessed>& unprocessed) {
  JsonWriter out;
  out.BeginObject();
  out.Key("UnprocessedTraceSegments");
  out.BeginArray();
  for (const auto& entry : unprocessed) {
    out.BeginObject();
    if (!entry.id.empty()) {
      out.Key("Id");
      out.String(entry.id);
    }
    out.Key("ErrorCode");
    out.String(entry.error_code);
    out.Key("Message");
    out.String(entry.message);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return out.Release();
}

// One inferred segment (xray-semantics.md §0 and §3.3) as BatchGetTraces returns it.
struct InferredSegment {
  std::string id;
  std::string document;
};

// The inferred segments of a trace: one per subsegment in namespace `aws` or `remote` whose
// id no segment names as parent_id (the callee sent nothing). Each carries `inferred: true`,
// an id derived from the trace and subsegment ids (stable across calls), parent_id = the
// subsegment's id, its name, times, http, aws, error/fault/throttle and cause, and the origin
// of the node it stands for (none for `remote`, as X-Ray).
std::vector<InferredSegment> InferredSegments(const std::vector<model::SegmentDocument>& parsed,
                                              const std::vector<std::string>& raw,
                                              const model::TraceId& trace_id) {
  std::set<std::string> segment_parents;
  std::map<std::string, const model::Entity*> entities;
  auto index = [&](const model::Entity& entity, auto&& self) -> void {
    entities.emplace(entity.id.ToString(), &entity);
    for (const model::Entity& child : entity.subsegments) self(child, self);
  };
  for (const model::SegmentDocument& document : parsed) {
    if (document.kind == model::DocumentKind::kSegment && document.parent_id) {
      segment_parents.insert(document.parent_id->ToString());
    }
    index(document.entity, index);
  }
  std::vector<InferredSegment> out;
  std::set<std::string> done;
  auto visit = [&](const parse::JsonValue& entity, bool is_subsegment, auto&& self) -> void {
    if (!entity.is_object()) return;
    const parse::JsonValue* id = entity.Find("id");
    const parse::JsonValue* ns = entity.Find("namespace");
    if (is_subsegment && id && id->is_string() && ns && ns->is_string() &&
        (ns->string_value() == "aws" || ns->string_value() == "remote") &&
        segment_parents.count(id->string_value()) == 0 && done.insert(id->string_value()).second) {
      auto found = entities.find(id->string_value());
      uint64_t hash = 1469598103934665603ull;
      for (char c : trace_id.ToString() + id->string_value()) {
        hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
      }
      InferredSegment segment;
      segment.id = fmt::format("{:016x}", hash);
      JsonWriter doc;
      doc.BeginObject();
      doc.Key("id");
      doc.String(segment.id);
      if (const parse::JsonValue* name = entity.Find("name")) {
        doc.Key("name");
        doc.Raw(parse::SerializeJson(*name));
      }
      for (std::string_view key : {"start_time", "end_time", "in_progress"}) {
        if (const parse::JsonValue* value = entity.Find(key)) {
          doc.Key(key);
          doc.Raw(parse::SerializeJson(*value));
        }
      }
      doc.Key("parent_id");
      doc.String(id->string_value());
      doc.Key("inferred");
      doc.Bool(true);
      doc.Key("trace_id");
      doc.String(trace_id.ToString());
      if (found != entities.end() && ns->string_value() == "aws") {
        doc.Key("origin");
        doc.String(model::InferredServiceId(*found->second).type);
      }
      for (std::string_view key : {"http", "aws", "error", "fault", "throttle", "cause"}) {
        if (const parse::JsonValue* value = entity.Find(key)) {
          doc.Key(key);
          doc.Raw(parse::SerializeJson(*value));
        }
      }
      doc.EndObject();
      segment.document = doc.Release();
      out.push_back(std::move(segment));
    }
    if (const parse::JsonValue* children = entity.Find("subsegments");
        children && children->is_array()) {
      for (const parse::JsonValue& child : children->elements()) self(child, true, self);
    }
  };
  for (const std::string& document : raw) {
    auto dom = parse::ParseJson(document, 64);
    if (!dom.ok() || !dom->is_object()) continue;
    const parse::JsonValue* type = dom->Find("type");
    bool independent = type && type->is_string() && type->string_value() == "subsegment";
    visit(*dom, independent, visit);
  }
  return out;
}

}  // namespace

void PutTraceSegments(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  const parse::JsonValue* documents = body->Find("TraceSegmentDocuments");
  if (documents == nullptr || !documents->is_array()) {
    call.respond(RestJsonError(400, "InvalidRequestException",
                               "TraceSegmentDocuments is required and must be a list of strings",
                               call.request_id));
    return;
  }
  if (documents->elements().size() > call.services.options.max_documents_per_put) {
    call.respond(RestJsonError(400, "InvalidRequestException",
                               "too many TraceSegmentDocuments: at most " +
                                   std::to_string(call.services.options.max_documents_per_put) +
                                   " per call",
                               call.request_id));
    return;
  }
  std::vector<Unprocessed> unprocessed;
  std::vector<store::IncomingDocument> incoming;
  std::vector<std::string> incoming_ids;  // for UnprocessedTraceSegments after the store answers
  for (const parse::JsonValue& element : documents->elements()) {
    if (!element.is_string()) {
      call.respond(RestJsonError(400, "InvalidRequestException",
                                 "every TraceSegmentDocuments element must be a string",
                                 call.request_id));
      return;
    }
    // Validation only: the store keeps the raw text and builds the model once per trace.
    parse::ParseFailure failure;
    auto entries = parse::ValidateDocumentList(element.string_value(),
                                               call.services.options.parse_limits, &failure);
    if (!entries.ok()) {
      unprocessed.push_back(Unprocessed{
          failure.id, failure.error_code,
          "Invalid segment. ErrorCode: " + failure.error_code + ". " + failure.message});
      continue;
    }
    for (auto& entry : *entries) {
      if (!entry.header) {
        unprocessed.push_back(
            Unprocessed{entry.failure.id, entry.failure.error_code,
                        "Invalid segment. ErrorCode: " + entry.failure.error_code + ". " +
                            entry.failure.message});
        continue;
      }
      store::IncomingDocument doc;
      doc.trace_id = entry.header->trace_id;
      doc.id = entry.header->id;
      doc.is_subsegment = entry.header->kind == model::DocumentKind::kSubsegment;
      doc.in_progress = entry.header->in_progress;
      doc.raw = std::string(entry.raw);
      incoming_ids.push_back(doc.id.ToString());
      incoming.push_back(std::move(doc));
    }
  }
  call.services.put_documents_rejected->Add(unprocessed.size());
  if (incoming.empty()) {
    call.respond(RestJsonOk(UnprocessedJson(unprocessed), call.request_id));
    return;
  }
  // The response waits for the WAL sync: an acknowledgement means durable.
  auto shared = std::make_shared<Call>(std::move(call));
  auto pending = std::make_shared<std::vector<Unprocessed>>(std::move(unprocessed));
  auto ids = std::make_shared<std::vector<std::string>>(std::move(incoming_ids));
  Status status = shared->services.store->Append(
      shared->tenant, std::move(incoming), [shared, pending, ids](store::AppendResult result) {
        if (!result.status.ok()) {
          shared->respond(RestJsonError(result.status, shared->request_id));
          return;
        }
        size_t stored = 0;
        for (size_t idx = 0; idx < result.outcomes.size(); ++idx) {
          switch (result.outcomes[idx]) {
            case store::DocumentOutcome::kStored:
              ++stored;
              break;
            case store::DocumentOutcome::kTraceTooLarge:
              pending->push_back(Unprocessed{(*ids)[idx], "TraceTooLarge",
                                             "Invalid segment. ErrorCode: TraceTooLarge. The "
                                             "trace is over its size limit"});
              break;
            case store::DocumentOutcome::kRejected:
              pending->push_back(
                  Unprocessed{(*ids)[idx], "InternalFailure", "the segment could not be stored"});
              break;
          }
        }
        shared->services.put_documents_accepted->Add(stored);
        shared->services.put_documents_rejected->Add(result.outcomes.size() - stored);
        shared->respond(RestJsonOk(UnprocessedJson(*pending), shared->request_id));
      });
  if (!status.ok()) shared->respond(RestJsonError(status, shared->request_id));
}

void BatchGetTraces(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  const parse::JsonValue* trace_ids = body->Find("TraceIds");
  if (trace_ids == nullptr || !trace_ids->is_array()) {
    call.respond(RestJsonError(400, "InvalidRequestException",
                               "TraceIds is required and must be a list of strings",
                               call.request_id));
    return;
  }
  if (const parse::JsonValue* token = body->Find("NextToken");
      token != nullptr && !token->is_null()) {
    // Every answer fits one page (5 traces of at most the trace cap), so no token is ever
    // issued; a client-supplied one cannot be valid. AWS answers the same way.
    call.respond(RestJsonError(400, "InvalidRequestException",
                               "NextToken is currently not supported", call.request_id));
    return;
  }
  size_t max_ids = call.services.options.max_batch_get_ids;
  if (trace_ids->elements().size() > max_ids) {
    call.respond(RestJsonError(400, "InvalidRequestException",
                               "Exceeding maximum query size: " + std::to_string(max_ids),
                               call.request_id));
    return;
  }
  std::vector<model::TraceId> ids;
  std::vector<std::string> unprocessed;
  for (const parse::JsonValue& element : trace_ids->elements()) {
    if (!element.is_string()) {
      call.respond(RestJsonError(400, "InvalidRequestException",
                                 "every TraceIds element must be a string", call.request_id));
      return;
    }
    auto id = model::TraceId::Parse(element.string_value());
    if (!id) {
      unprocessed.push_back(element.string_value());
      continue;
    }
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  auto traces = call.services.store->GetTraces(call.tenant, ids);
  if (!traces.ok()) {
    call.respond(RestJsonError(traces.error(), call.request_id));
    return;
  }
  JsonWriter out;
  out.BeginObject();
  out.Key("Traces");
  out.BeginArray();
  for (const model::TraceId& id : ids) {
    auto it = std::find_if(traces->begin(), traces->end(),
                           [&](const store::StoredTrace& t) { return t.trace_id == id; });
    if (it == traces->end()) {
      unprocessed.push_back(id.ToString());
      continue;
    }
    std::vector<model::SegmentDocument> parsed;
    for (const std::string& raw : it->documents) {
      auto doc = parse::ParseSegmentDocument(raw, call.services.options.parse_limits);
      if (doc.ok()) parsed.push_back(std::move(doc).value());
    }
    model::TraceSummary summary = model::ComputeTraceSummary(id, parsed);
    std::vector<std::string_view> views(it->documents.begin(), it->documents.end());
    std::vector<std::string> assembled = parse::NestIndependentSubsegments(views);
    out.BeginObject();
    out.Key("Id");
    out.String(id.ToString());
    out.Key("Duration");
    out.Double(summary.duration);
    out.Key("LimitExceeded");
    out.Bool(it->limit_exceeded);
    out.Key("Segments");
    out.BeginArray();
    for (const std::string& document : assembled) {
      out.BeginObject();
      auto header = parse::ParseDocumentHeader(document, call.services.options.parse_limits);
      if (header.ok()) {
        out.Key("Id");
        out.String(header->id.ToString());
      }
      out.Key("Document");
      out.String(document);
      out.EndObject();
    }
    for (const InferredSegment& inferred : InferredSegments(parsed, it->documents, id)) {
      out.BeginObject();
      out.Key("Id");
      out.String(inferred.id);
      out.Key("Document");
      out.String(inferred.document);
      out.EndObject();
    }
    out.EndArray();
    out.EndObject();
  }
  out.EndArray();
  out.Key("UnprocessedTraceIds");
  out.BeginArray();
  for (const std::string& id : unprocessed) out.String(id);
  out.EndArray();
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

void PutTelemetryRecords(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  const parse::JsonValue* records = body->Find("TelemetryRecords");
  if (records == nullptr || !records->is_array()) {
    call.respond(RestJsonError(400, "InvalidRequestException",
                               "TelemetryRecords is required and must be a list", call.request_id));
    return;
  }
  auto count = [](const parse::JsonValue& record, std::string_view key) -> uint64_t {
    const parse::JsonValue* value = record.Find(key);
    if (value == nullptr || !value->is_number()) return 0;
    auto number = value->number_as_double();
    return number && *number > 0 ? static_cast<uint64_t>(*number) : 0;
  };
  for (const parse::JsonValue& record : records->elements()) {
    const parse::JsonValue* timestamp = record.Find("Timestamp");
    if (!record.is_object() || timestamp == nullptr || !timestamp->is_number()) {
      call.respond(RestJsonError(400, "InvalidRequestException",
                                 "every TelemetryRecord needs a numeric Timestamp",
                                 call.request_id));
      return;
    }
  }
  const Services& s = call.services;
  for (const parse::JsonValue& record : records->elements()) {
    s.telemetry_records->Add();
    s.telemetry_segments_received->Add(count(record, "SegmentsReceivedCount"));
    s.telemetry_segments_sent->Add(count(record, "SegmentsSentCount"));
    s.telemetry_segments_rejected->Add(count(record, "SegmentsRejectedCount"));
    s.telemetry_segments_spillover->Add(count(record, "SegmentsSpilloverCount"));
  }
  call.respond(RestJsonOk("{}", call.request_id));
}

}  // namespace roentgen::api::internal
