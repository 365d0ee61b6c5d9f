// SPDX-License-Identifier: Apache-2.0
#pragma once

// Small HTTP/1.1 text helpers shared by the parser and the server (no Boost).

#include <cstdint>
#include <string>
#include <string_view>

#include "http/http.h"

namespace roentgen::http::internal {

// ASCII case-insensitive equality (header names, tokens).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Calls `fn(token)` for each comma-separated element of a header list value, trimmed of
// spaces and tabs; empty elements are skipped. Stops early when fn returns false.
template <typename Fn>
void ForEachListElement(std::string_view value, Fn&& fn) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string_view element = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    if (!element.empty() && !fn(element)) return;
  }
}

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for the Date header.
std::string HttpDate(int64_t unix_seconds);

// How the connection continues after a response.
struct ResponseFraming {
  bool close = false;              // send "Connection: close" (the server closes after)
  bool http10_keep_alive = false;  // send "Connection: keep-alive" (HTTP/1.0 keep-alive)
  bool is_head = false;            // omit the body but keep its Content-Length
  std::string_view date;           // Date value, used unless the response has one
};

// True when `response` asks for the connection to be closed ("Connection: close").
bool ResponseRequestsClose(const Response& response);

// Serializes status line, headers and body. Handler-supplied Content-Length,
// Transfer-Encoding and Connection headers are replaced by ours; CR and LF inside header
// names or values are replaced by spaces (no response splitting).
std::string SerializeResponse(const Response& response, const ResponseFraming& framing);

}  // namespace roentgen::http::internal
