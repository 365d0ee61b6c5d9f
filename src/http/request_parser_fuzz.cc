// SPDX-License-Identifier: Apache-2.0
// Fuzzes HTTP/1.1 request parsing (the server's own path: Beast framing, our header checks,
// gunzip). Properties checked besides "no crash":
//   * every pipelined request in the input parses within the limits (consumed bytes, body
//     sizes, header lookups agree with the header list);
//   * errors carry one of the documented statuses and error types;
//   * feeding the same bytes in small pieces, as a socket would deliver them, gives exactly
//     the same requests and the same error as parsing the whole buffer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.h"

namespace {

using roentgen::http::ParsedRequest;
using roentgen::http::RequestError;
using roentgen::http::RequestParser;

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

struct Outcome {
  bool ok = false;
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = false;
  int status = 0;  // error status; 0 = input ended inside a request
  std::string_view type;

  bool operator==(const Outcome& o) const {
    return ok == o.ok && method == o.method && target == o.target && body == o.body &&
           headers == o.headers && keep_alive == o.keep_alive && status == o.status &&
           type == o.type;
  }
};

roentgen::http::Limits FuzzLimits() {
  roentgen::http::Limits limits;
  limits.max_header_bytes = 8 * 1024;
  limits.max_body_bytes = 256 * 1024;
  limits.max_decoded_body_bytes = 1024 * 1024;
  return limits;
}

Outcome FromRequest(ParsedRequest&& parsed, const roentgen::http::Limits& limits) {
  const roentgen::http::Request& r = parsed.request;
  FUZZ_CHECK(r.body.size() <= limits.max_decoded_body_bytes);
  FUZZ_CHECK(r.wire_body.size() <= limits.max_body_bytes);
  FUZZ_CHECK(r.http_version == 10 || r.http_version == 11);
  FUZZ_CHECK(r.path.size() <= r.target.size());
  for (const auto& [name, value] : r.headers) FUZZ_CHECK(r.Header(name).has_value());
  Outcome o;
  o.ok = true;
  o.method = r.method;
  o.target = r.target;
  o.body = r.body;
  o.headers = r.headers;
  o.keep_alive = parsed.keep_alive;
  return o;
}

Outcome FromError(const RequestError& e) {
  using namespace roentgen::http;
  FUZZ_CHECK(e.http_status == 400 || e.http_status == 413 || e.http_status == 415 ||
             e.http_status == 431 || e.http_status == 501 || e.http_status == 505 ||
             e.http_status == 500);
  FUZZ_CHECK(!e.error_type.empty());
  FUZZ_CHECK(!e.message.empty());
  Outcome o;
  o.status = e.http_status;
  o.type = e.error_type;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const roentgen::http::Limits limits = FuzzLimits();

  // 1. Whole buffer, one request after another.
  std::vector<Outcome> whole;
  size_t offset = 0;
  while (offset < input.size()) {
    size_t consumed = 0;
    RequestError error;
    auto result = roentgen::http::ParseHttpRequest(input.substr(offset), limits, &consumed, &error);
    FUZZ_CHECK(consumed <= input.size() - offset);
    if (!result.ok()) {
      if (error.error_type == roentgen::http::kErrorIncompleteRequest) {
        whole.push_back(Outcome());  // the input ends inside a request
      } else {
        whole.push_back(FromError(error));
      }
      break;
    }
    FUZZ_CHECK(consumed > 0);
    whole.push_back(FromRequest(std::move(result).value(), limits));
    offset += consumed;
  }

  // 2. The same bytes in pieces, through one RequestParser, as the server does.
  const size_t step = 1 + size % 17;
  std::vector<Outcome> pieces;
  RequestParser parser(limits);
  std::string pending;
  size_t fed = 0;
  bool failed = false;
  while (!failed) {
    size_t used = parser.Feed(pending);
    FUZZ_CHECK(used <= pending.size());
    pending.erase(0, used);
    switch (parser.state()) {
      case RequestParser::State::kComplete:
        pieces.push_back(FromRequest(parser.TakeRequest(), limits));
        continue;  // the next request may already be buffered
      case RequestParser::State::kError:
        pieces.push_back(FromError(parser.error()));
        if (parser.error().message.find("malformed request framing") != std::string::npos) {
          // Beast 1.74 hit one of its internal assertions (answered 400). It does so for some
          // chunked bodies only when they arrive in small pieces, so whole-buffer parsing may
          // accept what this refused: a known Beast limitation (docs/api.md), not compared.
          return 0;
        }
        failed = true;
        continue;
      case RequestParser::State::kNeedMore:
        break;
    }
    // The parser never makes the caller hold more than a head's worth of input.
    FUZZ_CHECK(pending.size() < limits.max_header_bytes + step);
    if (fed == input.size()) {
      // Leftover blank lines before a request are not a request.
      if (parser.started()) pieces.push_back(Outcome());
      break;
    }
    const size_t take = std::min(step, input.size() - fed);
    pending.append(input.substr(fed, take));
    fed += take;
  }
  // Blank lines at the very end count as a started (incomplete) request in ParseHttpRequest
  // only if they precede something; trailing CRLFs alone are consumed silently.
  if (!whole.empty() && !whole.back().ok && whole.back().status == 0 &&
      (pieces.empty() || pieces.back().ok)) {
    const std::string_view rest = input.substr(offset);
    FUZZ_CHECK(rest.find_first_not_of("\r\n") == std::string_view::npos);
    whole.pop_back();
  }
  // Beast parses a head eagerly only on its first call; later calls wait for "\r\n\r\n",
  // and we look for bare-LF lines in between. So a malformed head can be reported with a
  // different error (or as incomplete) when it trickles in. Only the last outcome may
  // differ, and then both must be failures: a request is never accepted by one and
  // refused by the other.
  FUZZ_CHECK(whole.size() == pieces.size());
  if (!whole.empty() && !(whole.back() == pieces.back())) {
    FUZZ_CHECK(!whole.back().ok && !pieces.back().ok);
    FUZZ_CHECK(whole.back().status != 413 && pieces.back().status != 413);
    whole.back() = pieces.back();
  }
  FUZZ_CHECK(whole == pieces);
  return 0;
}
