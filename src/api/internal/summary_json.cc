// SPDX-License-Identifier: Apache-2.0
#include "api/internal/summary_json.h"

#include <span>
#include <string>
#include <vector>

namespace roentgen::api::internal {
namespace {

void WriteServiceIds(std::span<const model::ServiceId> ids, JsonWriter* out) {
  out->BeginArray();
  for (const model::ServiceId& id : ids) model::WriteServiceIdJson(id, out);
  out->EndArray();
}

void WriteAnnotationValue(const model::AnnotationValue& value, JsonWriter* out) {
  out->BeginObject();
  switch (value.type) {
    case model::AnnotationType::kNumber:
      out->Key("NumberValue");
      out->Double(value.number_value);
      break;
    case model::AnnotationType::kBool:
      out->Key("BooleanValue");
      out->Bool(value.bool_value);
      break;
    case model::AnnotationType::kString:
      out->Key("StringValue");
      out->String(value.string_value);
      break;
  }
  out->EndObject();
}

// Writes the strings as [{key: value}, ...] (ResourceARNs, InstanceIds, AvailabilityZones).
void WriteDetails(std::string_view field, std::string_view key,
                  const std::vector<std::string>& values, JsonWriter* out) {
  out->Key(field);
  out->BeginArray();
  for (const std::string& value : values) {
    out->BeginObject();
    out->Key(key);
    out->String(value);
    out->EndObject();
  }
  out->EndArray();
}

enum class RootCauseKind { kFault, kError, kResponseTime };

void WriteRootCauses(std::string_view field, const std::vector<model::RootCause>& causes,
                     RootCauseKind kind, JsonWriter* out) {
  out->Key(field);
  out->BeginArray();
  for (const model::RootCause& cause : causes) {
    out->BeginObject();
    out->Key("Services");
    out->BeginArray();
    for (const model::RootCauseService& service : cause.services) {
      out->BeginObject();
      out->Key("Name");
      out->String(service.id.name);
      out->Key("Names");
      out->BeginArray();
      out->String(service.id.name);
      out->EndArray();
      if (!service.id.type.empty()) {
        out->Key("Type");
        out->String(service.id.type);
      }
      if (!service.id.account_id.empty()) {
        out->Key("AccountId");
        out->String(service.id.account_id);
      }
      out->Key("EntityPath");
      out->BeginArray();
      for (const model::RootCauseEntity& entity : service.entity_path) {
        out->BeginObject();
        out->Key("Name");
        out->String(entity.name);
        if (kind == RootCauseKind::kResponseTime) {
          out->Key("Coverage");
          out->Double(entity.coverage);
        } else {
          out->Key("Exceptions");
          out->BeginArray();
          for (const model::RootCauseException& exception : entity.exceptions) {
            out->BeginObject();
            out->Key("Name");
            out->String(exception.name);
            out->Key("Message");
            out->String(exception.message);
            out->EndObject();
          }
          out->EndArray();
        }
        out->Key("Remote");
        out->Bool(entity.remote);
        out->EndObject();
      }
      out->EndArray();
      out->Key("Inferred");
      out->Bool(service.inferred);
      out->EndObject();
    }
    out->EndArray();
    out->Key("ClientImpacting");
    out->Bool(cause.client_impacting);
    out->EndObject();
  }
  out->EndArray();
}

}  // namespace

void WriteTraceSummary(const model::TraceSummary& summary, const model::TraceDetail& detail,
                       std::optional<double> matched_event_time, JsonWriter* out) {
  out->BeginObject();
  out->Key("Id");
  out->String(summary.id.ToString());
  if (summary.has_root || summary.segment_count > 0) {
    out->Key("StartTime");
    out->Double(summary.start_time);
    out->Key("Duration");
    out->Double(summary.duration);
  }
  if (summary.response_time) {
    out->Key("ResponseTime");
    out->Double(*summary.response_time);
  }
  out->Key("HasFault");
  out->Bool(summary.has_fault);
  out->Key("HasError");
  out->Bool(summary.has_error);
  out->Key("HasThrottle");
  out->Bool(summary.has_throttle);
  out->Key("IsPartial");
  out->Bool(summary.is_partial);
  if (!summary.http_url.empty() || summary.http_status || !summary.http_method.empty() ||
      !summary.http_user_agent.empty() || !summary.http_client_ip.empty()) {
    out->Key("Http");
    out->BeginObject();
    if (!summary.http_url.empty()) {
      out->Key("HttpURL");
      out->String(summary.http_url);
    }
    if (summary.http_status) {
      out->Key("HttpStatus");
      out->Int(*summary.http_status);
    }
    if (!summary.http_method.empty()) {
      out->Key("HttpMethod");
      out->String(summary.http_method);
    }
    if (!summary.http_user_agent.empty()) {
      out->Key("UserAgent");
      out->String(summary.http_user_agent);
    }
    if (!summary.http_client_ip.empty()) {
      out->Key("ClientIp");
      out->String(summary.http_client_ip);
    }
    out->EndObject();
  }
  out->Key("Annotations");
  out->BeginObject();
  for (const model::AnnotationSummary& annotation : summary.annotations) {
    out->Key(annotation.key);
    out->BeginArray();
    for (const model::AnnotationValueWithServices& value : annotation.values) {
      out->BeginObject();
      out->Key("AnnotationValue");
      WriteAnnotationValue(value.value, out);
      out->Key("ServiceIds");
      WriteServiceIds(value.services, out);
      out->EndObject();
    }
    out->EndArray();
  }
  out->EndObject();
  out->Key("Users");
  out->BeginArray();
  for (const model::UserSummary& user : summary.users) {
    out->BeginObject();
    out->Key("UserName");
    out->String(user.name);
    out->Key("ServiceIds");
    WriteServiceIds(user.services, out);
    out->EndObject();
  }
  out->EndArray();
  out->Key("ServiceIds");
  WriteServiceIds(summary.service_ids, out);
  WriteDetails("ResourceARNs", "ARN", summary.resource_arns, out);
  WriteDetails("InstanceIds", "Id", summary.instance_ids, out);
  WriteDetails("AvailabilityZones", "Name", summary.availability_zones, out);
  if (summary.entry_point) {
    out->Key("EntryPoint");
    model::WriteServiceIdJson(*summary.entry_point, out);
  }
  WriteRootCauses("FaultRootCauses", detail.fault_root_causes, RootCauseKind::kFault, out);
  WriteRootCauses("ErrorRootCauses", detail.error_root_causes, RootCauseKind::kError, out);
  WriteRootCauses("ResponseTimeRootCauses", detail.response_time_root_causes,
                  RootCauseKind::kResponseTime, out);
  out->Key("Revision");
  out->Uint(summary.revision);
  if (matched_event_time) {
    out->Key("MatchedEventTime");
    out->Double(*matched_event_time);
  }
  out->EndObject();
}

}  // namespace roentgen::api::internal
