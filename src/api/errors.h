// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "http/http.h"

namespace roentgen::api {

// The one place where internal status codes become API errors (STYLE.md 26).
struct ApiError {
  int http_status;
  std::string_view type;  // the X-Ray error type, e.g. "InvalidRequestException"
};

// Maps a StatusCode to the HTTP status and X-Ray (restJson1) error type.
ApiError ToXRayError(StatusCode code);

// A restJson1 error response (xray-protocol.md §1.3): the status, `X-Amzn-ErrorType`,
// `x-amzn-RequestId` and the body {"__type": type, "Message": message}.
http::Response RestJsonError(int http_status, std::string_view type, std::string_view message,
                             std::string_view request_id);
// The same for a Status.
http::Response RestJsonError(const Status& status, std::string_view request_id);

// A successful restJson1 response carrying `json`.
http::Response RestJsonOk(std::string json, std::string_view request_id);

// A random version-4 UUID, as AWS request ids are. Thread-safe.
std::string NewRequestId();

}  // namespace roentgen::api
