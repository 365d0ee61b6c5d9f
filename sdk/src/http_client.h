// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roentgen::sdk::internal {

// One blocking HTTP/1.1 POST of a JSON body over a fresh TCP connection, shaped like
// aws-xray-sdk-core's requests (Content-Type, Content-Length, Host, Connection). Returns the
// response body for status 200, nullopt on any failure or timeout (`timeout_s` bounds connect,
// each send and each receive). Never throws. Thread-safe (no shared state).
std::optional<std::string> HttpPost(const std::string& host, uint16_t port, std::string_view path,
                                    std::string_view body, double timeout_s);

}  // namespace roentgen::sdk::internal
