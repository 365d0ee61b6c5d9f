// SPDX-License-Identifier: Apache-2.0
#include "store/block/summary_codec.h"

#include <bit>
#include <cstring>

#include "base/coding.h"

namespace roentgen::store::block {
namespace {

constexpr uint8_t kSummaryVersion = 1;

void PutDouble(std::string* out, double value) {
  coding::PutFixed64(out, std::bit_cast<uint64_t>(value));
}
bool GetDouble(std::string_view* in, double* value) {
  uint64_t bits;
  if (!coding::GetFixed64(in, &bits)) return false;
  *value = std::bit_cast<double>(bits);
  return true;
}
bool GetString(std::string_view* in, std::string* value) {
  std::string_view view;
  if (!coding::GetLengthPrefixed(in, &view)) return false;
  value->assign(view);
  return true;
}
bool GetByte(std::string_view* in, uint8_t* value) {
  if (in->empty()) return false;
  *value = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  return true;
}

void PutService(std::string* out, const model::ServiceId& service) {
  coding::PutLengthPrefixed(out, service.name);
  coding::PutLengthPrefixed(out, service.type);
  coding::PutLengthPrefixed(out, service.account_id);
}
bool GetService(std::string_view* in, model::ServiceId* service) {
  return GetString(in, &service->name) && GetString(in, &service->type) &&
         GetString(in, &service->account_id);
}
void PutServices(std::string* out, const std::vector<model::ServiceId>& services) {
  coding::PutVarint32(out, static_cast<uint32_t>(services.size()));
  for (const auto& service : services) PutService(out, service);
}
// Bounds every count by the bytes left, so a corrupt count cannot make us allocate.
bool GetCount(std::string_view* in, uint32_t* count) {
  return coding::GetVarint32(in, count) && *count <= in->size();
}
bool GetServices(std::string_view* in, std::vector<model::ServiceId>* services) {
  uint32_t count;
  if (!GetCount(in, &count)) return false;
  services->resize(count);
  for (auto& service : *services) {
    if (!GetService(in, &service)) return false;
  }
  return true;
}
void PutStrings(std::string* out, const std::vector<std::string>& values) {
  coding::PutVarint32(out, static_cast<uint32_t>(values.size()));
  for (const auto& value : values) coding::PutLengthPrefixed(out, value);
}
bool GetStrings(std::string_view* in, std::vector<std::string>* values) {
  uint32_t count;
  if (!GetCount(in, &count)) return false;
  values->resize(count);
  for (auto& value : *values) {
    if (!GetString(in, &value)) return false;
  }
  return true;
}

}  // namespace

void EncodeSummary(const model::TraceSummary& s, std::string* out) {
  out->push_back(static_cast<char>(kSummaryVersion));
  out->append(s.id.AsBytes());
  PutDouble(out, s.start_time);
  PutDouble(out, s.end_time);
  PutDouble(out, s.duration);
  uint8_t flags = (s.response_time ? 1 : 0) | (s.has_fault ? 2 : 0) | (s.has_error ? 4 : 0) |
                  (s.has_throttle ? 8 : 0) | (s.is_partial ? 16 : 0) | (s.has_root ? 32 : 0) |
                  (s.entry_point ? 64 : 0) | (s.http_status ? 128 : 0);
  out->push_back(static_cast<char>(flags));
  if (s.response_time) PutDouble(out, *s.response_time);
  if (s.entry_point) PutService(out, *s.entry_point);
  coding::PutLengthPrefixed(out, s.http_url);
  if (s.http_status) coding::PutVarsint64(out, *s.http_status);
  coding::PutLengthPrefixed(out, s.http_method);
  coding::PutLengthPrefixed(out, s.http_user_agent);
  coding::PutLengthPrefixed(out, s.http_client_ip);
  coding::PutVarint32(out, static_cast<uint32_t>(s.annotations.size()));
  for (const auto& annotation : s.annotations) {
    coding::PutLengthPrefixed(out, annotation.key);
    coding::PutVarint32(out, static_cast<uint32_t>(annotation.values.size()));
    for (const auto& value : annotation.values) {
      out->push_back(static_cast<char>(value.value.type));
      switch (value.value.type) {
        case model::AnnotationType::kString:
          coding::PutLengthPrefixed(out, value.value.string_value);
          break;
        case model::AnnotationType::kNumber:
          PutDouble(out, value.value.number_value);
          break;
        case model::AnnotationType::kBool:
          out->push_back(value.value.bool_value ? 1 : 0);
          break;
      }
      PutServices(out, value.services);
    }
  }
  coding::PutVarint32(out, static_cast<uint32_t>(s.users.size()));
  for (const auto& user : s.users) {
    coding::PutLengthPrefixed(out, user.name);
    PutServices(out, user.services);
  }
  PutServices(out, s.service_ids);
  PutStrings(out, s.resource_arns);
  PutStrings(out, s.instance_ids);
  PutStrings(out, s.availability_zones);
  coding::PutVarint32(out, s.segment_count);
  coding::PutVarint32(out, s.revision);
}

bool DecodeSummary(std::string_view in, model::TraceSummary* s) {
  uint8_t version;
  if (!GetByte(&in, &version) || version != kSummaryVersion || in.size() < 16) return false;
  s->id = model::TraceId::FromBytes(in.data());
  in.remove_prefix(16);
  uint8_t flags;
  if (!GetDouble(&in, &s->start_time) || !GetDouble(&in, &s->end_time) ||
      !GetDouble(&in, &s->duration) || !GetByte(&in, &flags)) {
    return false;
  }
  s->has_fault = flags & 2;
  s->has_error = flags & 4;
  s->has_throttle = flags & 8;
  s->is_partial = flags & 16;
  s->has_root = flags & 32;
  if (flags & 1) {
    double response_time;
    if (!GetDouble(&in, &response_time)) return false;
    s->response_time = response_time;
  }
  if (flags & 64) {
    s->entry_point.emplace();
    if (!GetService(&in, &*s->entry_point)) return false;
  }
  if (!GetString(&in, &s->http_url)) return false;
  if (flags & 128) {
    int64_t status;
    if (!coding::GetVarsint64(&in, &status)) return false;
    s->http_status = static_cast<int32_t>(status);
  }
  if (!GetString(&in, &s->http_method) || !GetString(&in, &s->http_user_agent) ||
      !GetString(&in, &s->http_client_ip)) {
    return false;
  }
  uint32_t annotation_count;
  if (!GetCount(&in, &annotation_count)) return false;
  s->annotations.resize(annotation_count);
  for (auto& annotation : s->annotations) {
    uint32_t value_count;
    if (!GetString(&in, &annotation.key) || !GetCount(&in, &value_count)) return false;
    annotation.values.resize(value_count);
    for (auto& value : annotation.values) {
      uint8_t type;
      if (!GetByte(&in, &type) || type > 2) return false;
      value.value.type = static_cast<model::AnnotationType>(type);
      switch (value.value.type) {
        case model::AnnotationType::kString:
          if (!GetString(&in, &value.value.string_value)) return false;
          break;
        case model::AnnotationType::kNumber:
          if (!GetDouble(&in, &value.value.number_value)) return false;
          break;
        case model::AnnotationType::kBool: {
          uint8_t bool_byte;
          if (!GetByte(&in, &bool_byte)) return false;
          value.value.bool_value = bool_byte != 0;
          break;
        }
      }
      if (!GetServices(&in, &value.services)) return false;
    }
  }
  uint32_t user_count;
  if (!GetCount(&in, &user_count)) return false;
  s->users.resize(user_count);
  for (auto& user : s->users) {
    if (!GetString(&in, &user.name) || !GetServices(&in, &user.services)) return false;
  }
  return GetServices(&in, &s->service_ids) && GetStrings(&in, &s->resource_arns) &&
         GetStrings(&in, &s->instance_ids) && GetStrings(&in, &s->availability_zones) &&
         coding::GetVarint32(&in, &s->segment_count) && coding::GetVarint32(&in, &s->revision);
}

}  // namespace roentgen::store::block
