// SPDX-License-Identifier: Apache-2.0
// The group and tag operations (restJson1): CreateGroup, GetGroup, GetGroups, UpdateGroup,
// DeleteGroup, TagResource, UntagResource, ListTagsForResource (xray-protocol.md §2).
// Validation and persistence live in groups::GroupRegistry; this file maps JSON and errors.

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "api/errors.h"
#include "api/internal/context.h"
#include "api/internal/request_fields.h"
#include "base/json_writer.h"
#include "groups/groups.h"

namespace roentgen::api::internal {
namespace {

// Responds with the X-Ray error for a registry status. Group operations answer a missing
// group with InvalidRequestException, as X-Ray does; tag operations with
// ResourceNotFoundException, and a tag quota with TooManyTagsException.
void RespondError(Call& call, const Status& status, bool tag_operation) {
  if (status.code() == StatusCode::kNotFound && !tag_operation) {
    call.respond(RestJsonError(400, "InvalidRequestException", status.message(), call.request_id));
    return;
  }
  if (status.code() == StatusCode::kOutOfRange && tag_operation) {
    call.respond(RestJsonError(400, "TooManyTagsException", status.message(), call.request_id));
    return;
  }
  ApiError error = ToXRayError(status.code());
  call.respond(RestJsonError(error.http_status, error.type, status.message(), call.request_id));
}

void RespondInvalid(Call& call, std::string_view message) {
  call.respond(RestJsonError(400, "InvalidRequestException", message, call.request_id));
}

// Reads an optional member into *out; false (after responding 400) when it has another type.
template <typename T>
bool Read(Call& call, Result<std::optional<T>> value, std::optional<T>* out) {
  if (!value.ok()) {
    RespondInvalid(call, value.error().message());
    return false;
  }
  *out = std::move(*value);
  return true;
}

bool ReadString(Call& call, const parse::JsonValue& object, std::string_view key,
                std::optional<std::string>* out) {
  return Read(call, OptionalString(object, key), out);
}

bool ReadBool(Call& call, const parse::JsonValue& object, std::string_view key,
              std::optional<bool>* out) {
  return Read(call, OptionalBool(object, key), out);
}

// GroupName / GroupARN: exactly one must be present.
bool ReadSelector(Call& call, const parse::JsonValue& body, groups::GroupSelector* selector) {
  if (!ReadString(call, body, "GroupName", &selector->name) ||
      !ReadString(call, body, "GroupARN", &selector->arn)) {
    return false;
  }
  if (selector->name.has_value() == selector->arn.has_value()) {
    RespondInvalid(call, "exactly one of GroupName and GroupARN must be given");
    return false;
  }
  if (selector->arn && (selector->arn->empty() || selector->arn->size() > 400)) {
    RespondInvalid(call, "GroupARN must be 1 to 400 characters long");
    return false;
  }
  return true;
}

bool ReadInsights(Call& call, const parse::JsonValue& body, std::optional<bool>* insights,
                  std::optional<bool>* notifications) {
  const parse::JsonValue* config = body.Find("InsightsConfiguration");
  if (config == nullptr || config->is_null()) return true;
  if (!config->is_object()) {
    RespondInvalid(call, "InsightsConfiguration must be an object");
    return false;
  }
  return ReadBool(call, *config, "InsightsEnabled", insights) &&
         ReadBool(call, *config, "NotificationsEnabled", notifications);
}

// Tags: [{"Key": "...", "Value": "..."}].
bool ReadTags(Call& call, const parse::JsonValue& body, std::vector<groups::Tag>* tags) {
  const parse::JsonValue* list = body.Find("Tags");
  if (list == nullptr || list->is_null()) return true;
  if (!list->is_array()) {
    RespondInvalid(call, "Tags must be a list");
    return false;
  }
  if (list->elements().size() > groups::kMaxTagsPerRequest) {
    RespondInvalid(call, fmt::format("at most {} tags may be given", groups::kMaxTagsPerRequest));
    return false;
  }
  for (const parse::JsonValue& item : list->elements()) {
    const parse::JsonValue* key = item.Find("Key");
    const parse::JsonValue* value = item.Find("Value");
    if (key == nullptr || !key->is_string() || value == nullptr || !value->is_string()) {
      RespondInvalid(call, "each tag must have a string Key and a string Value");
      return false;
    }
    tags->push_back(groups::Tag{key->string_value(), value->string_value()});
  }
  return true;
}

void WriteGroup(JsonWriter& out, const groups::Group& group) {
  out.BeginObject();
  out.Key("GroupName");
  out.String(group.name);
  out.Key("GroupARN");
  out.String(group.arn);
  if (!group.is_default()) {
    out.Key("FilterExpression");
    out.String(group.filter_expression());
  }
  out.Key("InsightsConfiguration");
  out.BeginObject();
  out.Key("InsightsEnabled");
  out.Bool(group.insights.insights_enabled);
  out.Key("NotificationsEnabled");
  out.Bool(group.insights.notifications_enabled);
  out.EndObject();
  out.EndObject();
}

void RespondGroup(Call& call, const groups::Group& group) {
  JsonWriter out;
  out.BeginObject();
  out.Key("Group");
  WriteGroup(out, group);
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

// The registry, or nullptr after answering that groups are not available.
groups::GroupRegistry* Registry(Call& call) {
  if (call.services.groups == nullptr) {
    call.respond(RestJsonError(503, "ServiceUnavailableException",
                               "groups are not available on this server", call.request_id));
  }
  return call.services.groups;
}

// The start of every group operation: the registry (503 without one) and the request body
// (400 when it is not a JSON object). The registry is null when an answer was sent.
std::pair<groups::GroupRegistry*, std::optional<parse::JsonValue>> Begin(Call& call) {
  groups::GroupRegistry* registry = Registry(call);
  if (registry == nullptr) return {nullptr, std::nullopt};
  std::optional<parse::JsonValue> body = ParseBodyObject(call);
  if (!body) return {nullptr, std::nullopt};
  return {registry, std::move(body)};
}

}  // namespace

void CreateGroup(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  std::optional<std::string> name;
  std::optional<std::string> filter;
  std::optional<bool> insights;
  std::optional<bool> notifications;
  groups::CreateGroupRequest request;
  if (!ReadString(call, *body, "GroupName", &name) ||
      !ReadString(call, *body, "FilterExpression", &filter) ||
      !ReadInsights(call, *body, &insights, &notifications) ||
      !ReadTags(call, *body, &request.tags)) {
    return;
  }
  if (!name) return RespondInvalid(call, "GroupName is required");
  request.name = std::move(*name);
  request.filter_expression = filter.value_or("");
  if (insights || notifications) {
    request.insights =
        groups::InsightsConfiguration{insights.value_or(false), notifications.value_or(false)};
  }
  auto group = registry->Create(call.tenant, std::move(request));
  if (!group.ok()) return RespondError(call, group.error(), false);
  RespondGroup(call, **group);
}

void GetGroup(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  groups::GroupSelector selector;
  if (!ReadSelector(call, *body, &selector)) return;
  auto group = registry->Get(call.tenant, selector);
  if (!group.ok()) return RespondError(call, group.error(), false);
  RespondGroup(call, **group);
}

void GetGroups(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  std::optional<std::string> token;
  if (!ReadString(call, *body, "NextToken", &token)) return;
  auto page = registry->List(call.tenant, token.value_or(""));
  if (!page.ok()) return RespondError(call, page.error(), false);
  JsonWriter out;
  out.BeginObject();
  out.Key("Groups");
  out.BeginArray();
  for (const auto& group : page->groups) WriteGroup(out, *group);
  out.EndArray();
  if (!page->next_token.empty()) {
    out.Key("NextToken");
    out.String(page->next_token);
  }
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

void UpdateGroup(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  groups::GroupSelector selector;
  groups::UpdateGroupRequest request;
  if (!ReadSelector(call, *body, &selector) ||
      !ReadString(call, *body, "FilterExpression", &request.filter_expression) ||
      !ReadInsights(call, *body, &request.insights_enabled, &request.notifications_enabled)) {
    return;
  }
  auto group = registry->Update(call.tenant, selector, request);
  if (!group.ok()) return RespondError(call, group.error(), false);
  RespondGroup(call, **group);
}

void DeleteGroup(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  groups::GroupSelector selector;
  if (!ReadSelector(call, *body, &selector)) return;
  Status status = registry->Delete(call.tenant, selector);
  if (!status.ok()) return RespondError(call, status, false);
  call.respond(RestJsonOk("{}", call.request_id));
}

namespace {

// ResourceARN, required.
bool ReadResourceArn(Call& call, const parse::JsonValue& body, std::string* arn) {
  std::optional<std::string> value;
  if (!ReadString(call, body, "ResourceARN", &value)) return false;
  if (!value || value->empty() || value->size() > 1011) {
    RespondInvalid(call, "ResourceARN is required (1 to 1011 characters)");
    return false;
  }
  *arn = std::move(*value);
  return true;
}

}  // namespace

void TagResource(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  std::string arn;
  std::vector<groups::Tag> tags;
  if (!ReadResourceArn(call, *body, &arn) || !ReadTags(call, *body, &tags)) return;
  Status status = registry->TagResource(call.tenant, arn, tags);
  if (!status.ok()) return RespondError(call, status, true);
  call.respond(RestJsonOk("{}", call.request_id));
}

void UntagResource(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  std::string arn;
  if (!ReadResourceArn(call, *body, &arn)) return;
  std::vector<std::string> keys;
  const parse::JsonValue* list = body->Find("TagKeys");
  if (list == nullptr || !list->is_array()) return RespondInvalid(call, "TagKeys must be a list");
  if (list->elements().size() > groups::kMaxTagsPerRequest) {
    return RespondInvalid(
        call, fmt::format("at most {} tag keys may be given", groups::kMaxTagsPerRequest));
  }
  for (const parse::JsonValue& key : list->elements()) {
    if (!key.is_string()) return RespondInvalid(call, "TagKeys must be a list of strings");
    keys.push_back(key.string_value());
  }
  Status status = registry->UntagResource(call.tenant, arn, keys);
  if (!status.ok()) return RespondError(call, status, true);
  call.respond(RestJsonOk("{}", call.request_id));
}

void ListTagsForResource(Call call) {
  auto [registry, body] = Begin(call);
  if (registry == nullptr) return;
  std::string arn;
  if (!ReadResourceArn(call, *body, &arn)) return;
  auto tags = registry->ListTags(call.tenant, arn);
  if (!tags.ok()) return RespondError(call, tags.error(), true);
  // At most 50 tags per resource: one page always holds them.
  JsonWriter out;
  out.BeginObject();
  out.Key("Tags");
  out.BeginArray();
  for (const groups::Tag& tag : *tags) {
    out.BeginObject();
    out.Key("Key");
    out.String(tag.key);
    out.Key("Value");
    out.String(tag.value);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

}  // namespace roentgen::api::internal
