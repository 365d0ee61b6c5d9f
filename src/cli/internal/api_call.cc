// SPDX-License-Identifier: Apache-2.0
#include "cli/internal/api_call.h"

#include "base/status_macros.h"
#include "http/http_client.h"

namespace roentgen::cli::internal {

Result<parse::JsonValue> CallXRay(std::string_view endpoint, std::string_view path,
                                  std::string json_body) {
  RG_ASSIGN_OR_RETURN(http::Endpoint target, http::ParseEndpoint(endpoint));
  http::ClientRequest request;
  request.target = std::string(path);
  request.headers = {{"Content-Type", "application/json"}};
  request.body = std::move(json_body);
  RG_ASSIGN_OR_RETURN(http::Response response, http::SendRequest(target, request));
  auto parsed = parse::ParseJson(response.body, 128);
  if (response.status != 200) {
    std::string message = "HTTP " + std::to_string(response.status);
    if (parsed.ok() && parsed->is_object()) {
      std::string type = StringField(*parsed, "__type");
      std::string text = StringField(*parsed, "Message");
      if (text.empty()) text = StringField(*parsed, "message");
      if (!type.empty()) message = type + ": " + text;
    }
    return Status(response.status == 400 ? StatusCode::kInvalidArgument : StatusCode::kUnavailable,
                  message);
  }
  if (!parsed.ok())
    return InternalError("the server's answer is not JSON: " +
                         std::string(parsed.error().message()));
  return std::move(parsed).value();
}

std::string StringField(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = object.is_object() ? object.Find(key) : nullptr;
  return value != nullptr && value->is_string() ? value->string_value() : std::string();
}

double NumberField(const parse::JsonValue& object, std::string_view key, double fallback) {
  const parse::JsonValue* value = object.is_object() ? object.Find(key) : nullptr;
  if (value == nullptr || !value->is_number()) return fallback;
  return value->number_as_double().value_or(fallback);
}

bool BoolField(const parse::JsonValue& object, std::string_view key) {
  const parse::JsonValue* value = object.is_object() ? object.Find(key) : nullptr;
  return value != nullptr && value->is_bool() && value->bool_value();
}

}  // namespace roentgen::cli::internal
