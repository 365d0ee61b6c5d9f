// SPDX-License-Identifier: Apache-2.0
#include "http/http.h"

#include <ctime>

#include <fmt/format.h>

#include "http/internal/wire.h"

namespace roentgen::http {

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (internal::EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

Response DefaultErrorResponse(int http_status, std::string_view error_type,
                              std::string_view message) {
  Response response;
  response.status = http_status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = fmt::format("{}: {}\n", error_type, message);
  return response;
}

std::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

namespace internal {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void AppendSanitized(std::string* out, std::string_view text) {
  for (char c : text) out->push_back((c == '\r' || c == '\n') ? ' ' : c);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t idx = 0; idx < a.size(); ++idx) {
    if (AsciiLower(a[idx]) != AsciiLower(b[idx])) return false;
  }
  return true;
}

std::string HttpDate(int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const time_t t = static_cast<time_t>(unix_seconds);
  tm parts{};
  gmtime_r(&t, &parts);
  // Written by hand: strftime's %a and %b follow the locale.
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[parts.tm_wday % 7],
                     parts.tm_mday, kMonths[parts.tm_mon % 12], parts.tm_year + 1900, parts.tm_hour,
                     parts.tm_min, parts.tm_sec);
}

bool ResponseRequestsClose(const Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (!EqualsIgnoreCase(name, "Connection")) continue;
    bool close = false;
    ForEachListElement(value, [&](std::string_view token) {
      close = close || EqualsIgnoreCase(token, "close");
      return !close;
    });
    if (close) return true;
  }
  return false;
}

std::string SerializeResponse(const Response& response, const ResponseFraming& framing) {
  const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  // RFC 9110 8.6: no Content-Length (and no body) in 1xx and 204 responses; 304 has no body.
  const bool no_length = status < 200 || status == 204;
  const bool no_body = no_length || status == 304 || framing.is_head;
  std::string out;
  out.reserve(128 + response.headers.size() * 48 + (no_body ? 0 : response.body.size()));
  out += fmt::format("HTTP/1.1 {} {}\r\n", status, ReasonPhrase(status));
  bool has_date = false;
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    if (EqualsIgnoreCase(name, "Date")) has_date = true;
    AppendSanitized(&out, name);
    out += ": ";
    AppendSanitized(&out, value);
    out += "\r\n";
  }
  if (!has_date && !framing.date.empty()) {
    out += "Date: ";
    out += framing.date;
    out += "\r\n";
  }
  if (!no_length) out += fmt::format("Content-Length: {}\r\n", response.body.size());
  if (framing.close) {
    out += "Connection: close\r\n";
  } else if (framing.http10_keep_alive) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!no_body) out += response.body;
  return out;
}

}  // namespace internal
}  // namespace roentgen::http
