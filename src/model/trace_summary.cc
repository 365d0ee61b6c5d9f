// SPDX-License-Identifier: Apache-2.0
#include "model/trace_summary.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace roentgen::model {

void WriteServiceIdJson(const ServiceId& id, JsonWriter* out) {
  out->BeginObject();
  out->Key("Name");
  out->String(id.name);
  out->Key("Names");
  out->BeginArray();
  out->String(id.name);
  out->EndArray();
  if (!id.account_id.empty()) {
    out->Key("AccountId");
    out->String(id.account_id);
  }
  if (!id.type.empty()) {
    out->Key("Type");
    out->String(id.type);
  }
  out->EndObject();
}

namespace {

ServiceId ServiceOf(const SegmentDocument& doc) {
  ServiceId service;
  service.name = doc.entity.name;
  service.type = doc.entity.origin;
  if (doc.entity.aws) service.account_id = doc.entity.aws->account_id;
  return service;
}

void AddUnique(std::vector<ServiceId>* services, const ServiceId& service) {
  if (std::find(services->begin(), services->end(), service) == services->end()) {
    services->push_back(service);
  }
}

void AddUnique(std::vector<std::string>* values, const std::string& value) {
  if (value.empty()) return;
  if (std::find(values->begin(), values->end(), value) == values->end()) values->push_back(value);
}

struct Accumulator {
  TraceSummary* summary;
  bool any_time = false;

  void Times(const Entity& entity) {
    if (!any_time || entity.start_time < summary->start_time)
      summary->start_time = entity.start_time;
    if (entity.end_time && (!any_time || *entity.end_time > summary->end_time)) {
      summary->end_time = *entity.end_time;
    }
    if (!any_time && !entity.end_time) summary->end_time = entity.start_time;
    any_time = true;
  }

  void Annotate(const Entity& entity, const ServiceId& service) {
    for (const Annotation& annotation : entity.annotations) {
      auto it = std::find_if(summary->annotations.begin(), summary->annotations.end(),
                             [&](const AnnotationSummary& s) { return s.key == annotation.key; });
      if (it == summary->annotations.end()) {
        if (summary->annotations.size() >= kMaxIndexedAnnotations) continue;
        summary->annotations.push_back(AnnotationSummary{annotation.key, {}});
        it = summary->annotations.end() - 1;
      }
      auto value_it = std::find_if(
          it->values.begin(), it->values.end(),
          [&](const AnnotationValueWithServices& v) { return v.value == annotation.value; });
      if (value_it == it->values.end()) {
        it->values.push_back(AnnotationValueWithServices{annotation.value, {}});
        value_it = it->values.end() - 1;
      }
      AddUnique(&value_it->services, service);
    }
  }

  void Visit(const Entity& entity, const ServiceId& service) {
    Times(entity);
    if (entity.throttle) summary->has_throttle = true;
    if (entity.in_progress) summary->is_partial = true;
    Annotate(entity, service);
    for (const Entity& child : entity.subsegments) Visit(child, service);
  }
};

// Times are microsecond-precise; differences are rounded so that 0.001 stays 0.001.
double RoundToMicros(double seconds) { return std::round(seconds * 1e6) / 1e6; }

}  // namespace

std::optional<size_t> FindRootSegment(std::span<const SegmentDocument> documents) {
  std::optional<size_t> best;
  auto better = [&](size_t candidate) {
    if (!best) return true;
    const Entity& a = documents[candidate].entity;
    const Entity& b = documents[*best].entity;
    if (a.start_time != b.start_time) return a.start_time < b.start_time;
    return a.id < b.id;
  };
  for (size_t idx = 0; idx < documents.size(); ++idx) {
    const SegmentDocument& doc = documents[idx];
    if (doc.kind != DocumentKind::kSegment || doc.entity.inferred || doc.parent_id) continue;
    if (better(idx)) best = idx;
  }
  if (best) return best;
  // No parentless segment: the earliest segment whose parent is absent from the trace.
  std::set<SegmentId> ids;
  std::vector<const Entity*> stack;
  for (const SegmentDocument& doc : documents) stack.push_back(&doc.entity);
  while (!stack.empty()) {
    const Entity* entity = stack.back();
    stack.pop_back();
    ids.insert(entity->id);
    for (const Entity& child : entity->subsegments) stack.push_back(&child);
  }
  for (size_t idx = 0; idx < documents.size(); ++idx) {
    const SegmentDocument& doc = documents[idx];
    if (doc.kind != DocumentKind::kSegment || doc.entity.inferred) continue;
    if (doc.parent_id && ids.count(*doc.parent_id) != 0) continue;
    if (better(idx)) best = idx;
  }
  return best;
}

TraceSummary ComputeTraceSummary(const TraceId& id, std::span<const SegmentDocument> documents) {
  TraceSummary summary;
  summary.id = id;
  summary.segment_count = static_cast<uint32_t>(documents.size());
  Accumulator acc{&summary};
  for (const SegmentDocument& doc : documents) {
    ServiceId service = ServiceOf(doc);
    acc.Visit(doc.entity, service);
    if (doc.kind != DocumentKind::kSegment) continue;
    AddUnique(&summary.service_ids, service);
    AddUnique(&summary.resource_arns, doc.entity.resource_arn);
    if (doc.entity.aws) {
      AddUnique(&summary.instance_ids, doc.entity.aws->ec2_instance_id);
      AddUnique(&summary.availability_zones, doc.entity.aws->ec2_availability_zone);
      AddUnique(&summary.availability_zones, doc.entity.aws->ecs_availability_zone);
    }
    if (!doc.entity.user.empty()) {
      auto it = std::find_if(summary.users.begin(), summary.users.end(),
                             [&](const UserSummary& u) { return u.name == doc.entity.user; });
      if (it == summary.users.end()) {
        summary.users.push_back(UserSummary{doc.entity.user, {}});
        it = summary.users.end() - 1;
      }
      AddUnique(&it->services, service);
    }
  }
  summary.duration = RoundToMicros(std::max(0.0, summary.end_time - summary.start_time));
  if (auto root_idx = FindRootSegment(documents)) {
    const SegmentDocument& root = documents[*root_idx];
    summary.has_root = true;
    summary.entry_point = ServiceOf(root);
    if (root.entity.end_time) {
      summary.response_time = RoundToMicros(*root.entity.end_time - root.entity.start_time);
    }
    int32_t status = 0;
    if (root.entity.http) {
      const HttpInfo& http = *root.entity.http;
      if (http.request) {
        summary.http_url = http.request->url;
        summary.http_method = http.request->method;
        summary.http_user_agent = http.request->user_agent;
        summary.http_client_ip = http.request->client_ip;
      }
      if (http.response && http.response->status) {
        summary.http_status = http.response->status;
        status = *http.response->status;
      }
    }
    summary.has_fault = root.entity.fault || (status >= 500 && status <= 599);
    summary.has_error = root.entity.error || (status >= 400 && status <= 499);
    if (status == 429) summary.has_throttle = true;
  }
  return summary;
}

}  // namespace roentgen::model
