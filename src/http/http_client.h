// SPDX-License-Identifier: Apache-2.0
#pragma once

// A minimal blocking HTTP/1.1 client for Roentgen's own command-line tools (`roentgen
// query`, `roentgen map`, ...), which talk to a running server through its API.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "http/http.h"

namespace roentgen::http {

struct ClientRequest {
  std::string method = "POST";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Where a tool sends requests: parsed from "http://host:port" (the scheme may be omitted).
struct Endpoint {
  std::string host;
  uint16_t port = 2000;
};
Result<Endpoint> ParseEndpoint(std::string_view text);

// Sends one request on a new connection and reads the whole response. Errors (connect,
// timeout, malformed response) come back as a Status, never as an exception.
Result<Response> SendRequest(const Endpoint& endpoint, const ClientRequest& request,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace roentgen::http
