// SPDX-License-Identifier: Apache-2.0
#include "api/errors.h"

#include <random>

#include <fmt/format.h>

#include "base/json_writer.h"

namespace roentgen::api {

ApiError ToXRayError(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return {200, ""};
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
      return {400, "InvalidRequestException"};
    case StatusCode::kNotFound:
      return {404, "ResourceNotFoundException"};
    case StatusCode::kResourceExhausted:
      return {429, "ThrottledException"};
    case StatusCode::kUnavailable:
      return {503, "ServiceUnavailableException"};
    case StatusCode::kDeadlineExceeded:
      return {504, "RequestTimeoutException"};
    case StatusCode::kCorruption:
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return {500, "InternalFailure"};
  }
  return {500, "InternalFailure"};
}

http::Response RestJsonError(int http_status, std::string_view type, std::string_view message,
                             std::string_view request_id) {
  JsonWriter body;
  body.BeginObject();
  body.Key("__type");
  body.String(type);
  body.Key("Message");
  body.String(message);
  body.EndObject();
  http::Response response;
  response.status = http_status;
  response.headers = {{"Content-Type", "application/json"},
                      {"X-Amzn-ErrorType", std::string(type)},
                      {"x-amzn-RequestId", std::string(request_id)}};
  response.body = body.Release();
  return response;
}

http::Response RestJsonError(const Status& status, std::string_view request_id) {
  ApiError error = ToXRayError(status.code());
  return RestJsonError(error.http_status, error.type, status.message(), request_id);
}

http::Response RestJsonOk(std::string json, std::string_view request_id) {
  http::Response response;
  response.status = 200;
  response.headers = {{"Content-Type", "application/json"},
                      {"x-amzn-RequestId", std::string(request_id)}};
  response.body = std::move(json);
  return response;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t high = rng();
  uint64_t low = rng();
  high = (high & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  low = (low & 0x3fffffffffffffffull) | 0x8000000000000000ull;    // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xffff, low >> 48, low & 0xffffffffffffull);
}

}  // namespace roentgen::api
