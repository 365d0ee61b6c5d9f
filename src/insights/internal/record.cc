// SPDX-License-Identifier: Apache-2.0
#include "insights/internal/record.h"

#include <cmath>
#include <optional>

#include "base/status_macros.h"
#include "parse/json_dom.h"

namespace roentgen::insights::internal {
namespace {

void WriteService(const model::ServiceId& id, JsonWriter* out) {
  out->BeginObject();
  out->Key("name");
  out->String(id.name);
  out->Key("type");
  out->String(id.type);
  out->Key("account");
  out->String(id.account_id);
  out->EndObject();
}

void WriteServices(const std::vector<model::ServiceId>& ids, JsonWriter* out) {
  out->BeginArray();
  for (const model::ServiceId& id : ids) WriteService(id, out);
  out->EndArray();
}

void WriteRecordImpact(const RequestImpact& impact, JsonWriter* out) {
  out->BeginObject();
  out->Key("fault");
  out->Int(impact.fault_count);
  out->Key("ok");
  out->Int(impact.ok_count);
  out->Key("total");
  out->Int(impact.total_count);
  out->EndObject();
}

std::string_view KindName(EventKind kind) {
  switch (kind) {
    case EventKind::kOpened:
      return "opened";
    case EventKind::kUpdated:
      return "updated";
    case EventKind::kClosed:
      return "closed";
  }
  return "updated";
}

Status Bad(std::string_view what) {
  return CorruptionError("insight record: bad or missing " + std::string(what));
}

Result<const parse::JsonValue*> Member(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = object.Find(key);
  if (value == nullptr) return Bad(key);
  return value;
}

Result<std::string> String(const parse::JsonValue& object, std::string_view key) {
  RG_ASSIGN_OR_RETURN(const parse::JsonValue* value, Member(object, key));
  if (!value->is_string()) return Bad(key);
  return value->string_value();
}

Result<int64_t> Int(const parse::JsonValue& object, std::string_view key) {
  RG_ASSIGN_OR_RETURN(const parse::JsonValue* value, Member(object, key));
  std::optional<double> number = value->is_number() ? value->number_as_double() : std::nullopt;
  if (!number || !std::isfinite(*number) || std::fabs(*number) > 9e15) return Bad(key);
  return static_cast<int64_t>(*number);
}

Result<model::ServiceId> Service(const parse::JsonValue& value) {
  if (!value.is_object()) return Bad("service");
  model::ServiceId id;
  RG_ASSIGN_OR_RETURN(id.name, String(value, "name"));
  RG_ASSIGN_OR_RETURN(id.type, String(value, "type"));
  RG_ASSIGN_OR_RETURN(id.account_id, String(value, "account"));
  return id;
}

Result<std::vector<model::ServiceId>> Services(const parse::JsonValue& object,
                                               std::string_view key) {
  RG_ASSIGN_OR_RETURN(const parse::JsonValue* value, Member(object, key));
  if (!value->is_array()) return Bad(key);
  std::vector<model::ServiceId> ids;
  for (const parse::JsonValue& element : value->elements()) {
    RG_ASSIGN_OR_RETURN(model::ServiceId id, Service(element));
    ids.push_back(std::move(id));
  }
  return ids;
}

Result<RequestImpact> Impact(const parse::JsonValue& object, std::string_view key) {
  RG_ASSIGN_OR_RETURN(const parse::JsonValue* value, Member(object, key));
  if (!value->is_object()) return Bad(key);
  RequestImpact impact;
  RG_ASSIGN_OR_RETURN(impact.fault_count, Int(*value, "fault"));
  RG_ASSIGN_OR_RETURN(impact.ok_count, Int(*value, "ok"));
  RG_ASSIGN_OR_RETURN(impact.total_count, Int(*value, "total"));
  return impact;
}

}  // namespace

void WriteImpact(const RequestImpact& impact, JsonWriter* out) {
  out->BeginObject();
  out->Key("FaultCount");
  out->Int(impact.fault_count);
  out->Key("OkCount");
  out->Int(impact.ok_count);
  out->Key("TotalCount");
  out->Int(impact.total_count);
  out->EndObject();
}

std::string EncodeInsight(const Insight& insight) {
  JsonWriter out;
  out.BeginObject();
  out.Key("v");
  out.Int(1);
  out.Key("id");
  out.String(insight.id);
  out.Key("group_id");
  out.Uint(insight.group_id);
  out.Key("group_name");
  out.String(insight.group_name);
  out.Key("group_arn");
  out.String(insight.group_arn);
  out.Key("category");
  out.String(CategoryName(insight.category));
  out.Key("root_cause");
  WriteService(insight.root_cause, &out);
  out.Key("state");
  out.String(StateName(insight.state));
  out.Key("start");
  out.Int(insight.start_time);
  if (insight.end_time) {
    out.Key("end");
    out.Int(*insight.end_time);
  }
  out.Key("summary");
  out.String(insight.summary);
  out.Key("client");
  WriteRecordImpact(insight.client_impact, &out);
  out.Key("root");
  WriteRecordImpact(insight.root_cause_impact, &out);
  out.Key("top");
  WriteServices(insight.top_anomalous_services, &out);
  out.Key("updated");
  out.Int(insight.last_update_time);
  out.Key("events");
  out.BeginArray();
  for (const Event& event : insight.events) {
    out.BeginObject();
    out.Key("kind");
    out.String(KindName(event.kind));
    out.Key("time");
    out.Int(event.event_time);
    out.Key("summary");
    out.String(event.summary);
    out.Key("client");
    WriteRecordImpact(event.client_impact, &out);
    out.Key("root");
    WriteRecordImpact(event.root_cause_impact, &out);
    out.Key("top");
    WriteServices(event.top_anomalous_services, &out);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return out.Release();
}

Result<Insight> DecodeInsight(std::string_view text) {
  auto parsed = parse::ParseJson(text, 16);
  if (!parsed.ok())
    return CorruptionError("insight record: " + std::string(parsed.error().message()));
  const parse::JsonValue& root = *parsed;
  if (!root.is_object()) return Bad("object");
  RG_ASSIGN_OR_RETURN(int64_t version, Int(root, "v"));
  if (version != 1) return CorruptionError("insight record: unknown version");
  Insight insight;
  RG_ASSIGN_OR_RETURN(insight.id, String(root, "id"));
  RG_ASSIGN_OR_RETURN(int64_t group_id, Int(root, "group_id"));
  if (group_id < 0 || group_id > UINT32_MAX) return Bad("group_id");
  insight.group_id = static_cast<uint32_t>(group_id);
  RG_ASSIGN_OR_RETURN(insight.group_name, String(root, "group_name"));
  RG_ASSIGN_OR_RETURN(insight.group_arn, String(root, "group_arn"));
  RG_ASSIGN_OR_RETURN(std::string category, String(root, "category"));
  if (category == CategoryName(Category::kFault)) {
    insight.category = Category::kFault;
  } else if (category == CategoryName(Category::kResponseTime)) {
    insight.category = Category::kResponseTime;
  } else {
    return Bad("category");
  }
  RG_ASSIGN_OR_RETURN(const parse::JsonValue* root_cause, Member(root, "root_cause"));
  RG_ASSIGN_OR_RETURN(insight.root_cause, Service(*root_cause));
  RG_ASSIGN_OR_RETURN(std::string state, String(root, "state"));
  if (state == StateName(State::kActive)) {
    insight.state = State::kActive;
  } else if (state == StateName(State::kClosed)) {
    insight.state = State::kClosed;
  } else {
    return Bad("state");
  }
  RG_ASSIGN_OR_RETURN(insight.start_time, Int(root, "start"));
  if (root.Find("end") != nullptr) {
    RG_ASSIGN_OR_RETURN(insight.end_time, Int(root, "end"));
  }
  RG_ASSIGN_OR_RETURN(insight.summary, String(root, "summary"));
  RG_ASSIGN_OR_RETURN(insight.client_impact, Impact(root, "client"));
  RG_ASSIGN_OR_RETURN(insight.root_cause_impact, Impact(root, "root"));
  RG_ASSIGN_OR_RETURN(insight.top_anomalous_services, Services(root, "top"));
  RG_ASSIGN_OR_RETURN(insight.last_update_time, Int(root, "updated"));
  RG_ASSIGN_OR_RETURN(const parse::JsonValue* events, Member(root, "events"));
  if (!events->is_array() || events->elements().empty()) return Bad("events");
  for (const parse::JsonValue& value : events->elements()) {
    if (!value.is_object()) return Bad("event");
    Event event;
    RG_ASSIGN_OR_RETURN(std::string kind, String(value, "kind"));
    if (kind == "opened") {
      event.kind = EventKind::kOpened;
    } else if (kind == "updated") {
      event.kind = EventKind::kUpdated;
    } else if (kind == "closed") {
      event.kind = EventKind::kClosed;
    } else {
      return Bad("event kind");
    }
    RG_ASSIGN_OR_RETURN(event.event_time, Int(value, "time"));
    RG_ASSIGN_OR_RETURN(event.summary, String(value, "summary"));
    RG_ASSIGN_OR_RETURN(event.client_impact, Impact(value, "client"));
    RG_ASSIGN_OR_RETURN(event.root_cause_impact, Impact(value, "root"));
    RG_ASSIGN_OR_RETURN(event.top_anomalous_services, Services(value, "top"));
    insight.events.push_back(std::move(event));
  }
  return insight;
}

}  // namespace roentgen::insights::internal
