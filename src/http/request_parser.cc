// SPDX-License-Identifier: Apache-2.0
//
// Request parsing: Boost.Beast's basic_parser does the HTTP/1.1 framing (request line, header
// fields, Content-Length and chunked bodies, header and body size limits); this file adds
// what Beast leaves to its user and what a server must not get wrong:
//   * Transfer-Encoding other than exactly "chunked" is refused. Beast silently treats a
//     request whose last coding is not chunked as having no body, which would let a client
//     smuggle a second request past us.
//   * Content-Encoding is undone (gzip/x-gzip/identity) with a bound on the decoded size.
//   * Unconsumed input is bounded everywhere, including over-long chunk-size lines and
//     trailers, which Beast would otherwise let grow.
// The server feeds socket bytes through this same class, so the fuzz target (which calls
// ParseHttpRequest) exercises the server's parsing path. We use Beast's parser rather than
// Beast's stream read algorithms so that the socket side (http_server.cc) needs only Asio and
// parsing can run on a plain buffer.
#include "http/request_parser.h"

#include <exception>
#include <optional>
#include <stdexcept>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include "http/internal/gzip.h"
#include "http/internal/wire.h"

// Boost's assertion handler (BOOST_ENABLE_ASSERT_HANDLER is defined for this library's
// translation units): a failed Beast assertion throws BeastAssertion, which the request
// parser catches at the library's edge. Nothing else in this library asserts through Boost.
namespace roentgen::http {
class BeastAssertion : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};
}  // namespace roentgen::http

namespace boost {
void assertion_failed(char const* expr, char const* /*function*/, char const* /*file*/,
                      long /*line*/) {
  throw roentgen::http::BeastAssertion(expr);
}
void assertion_failed_msg(char const* expr, char const* /*msg*/, char const* /*function*/,
                          char const* /*file*/, long /*line*/) {
  throw roentgen::http::BeastAssertion(expr);
}
}  // namespace boost

namespace roentgen::http {
namespace {

namespace bhttp = boost::beast::http;
using BeastParser = bhttp::request_parser<bhttp::string_body>;

template <typename View>
std::string_view ToStd(const View& view) {
  return std::string_view(view.data(), view.size());
}

enum class Coding { kGzip };

RequestError MakeError(int status, std::string_view type, std::string message,
                       bool reusable = false) {
  RequestError error;
  error.http_status = status;
  error.error_type = type;
  error.message = std::move(message);
  error.connection_reusable = reusable;
  return error;
}

RequestError FromBeastError(const boost::beast::error_code& ec, const Limits& limits) {
  if (ec == bhttp::error::header_limit) {
    return MakeError(431, kErrorHeaderTooLarge,
                     fmt::format("request head exceeds {} bytes", limits.max_header_bytes));
  }
  if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow) {
    return MakeError(413, kErrorPayloadTooLarge,
                     fmt::format("request body exceeds {} bytes", limits.max_body_bytes));
  }
  return MakeError(400, kErrorMalformedRequest, fmt::format("malformed request: {}", ec.message()));
}

// True when the version in the request line at the front of `head` is a well-formed
// "HTTP/d.d" other than 1.0 or 1.1 (Beast reports those as bad_version, like a garbled one).
// Beast rejects the version as soon as its 8 bytes are in, so look at those bytes only.
bool IsOtherHttpVersion(std::string_view head) {
  const size_t method_end = head.find(' ');
  if (method_end == std::string_view::npos) return false;
  const size_t target_end = head.find(' ', method_end + 1);
  if (target_end == std::string_view::npos) return false;
  const std::string_view version = head.substr(target_end + 1, 8);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return version.size() == 8 && version.substr(0, 5) == "HTTP/" && digit(version[5]) &&
         version[6] == '.' && digit(version[7]) && version != "HTTP/1.0" && version != "HTTP/1.1";
}

// Splits a request-target into path and query. An absolute-form target
// ("http://host:port/p?q") loses its scheme and authority.
void SplitTarget(std::string_view target, std::string* path, std::string* query) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() &&
        internal::EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      const size_t slash = target.find_first_of("/?");
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      if (!target.empty() && target.front() == '?') {
        path->assign("/");
        query->assign(target.substr(1));
        return;
      }
      break;
    }
  }
  const size_t question = target.find('?');
  path->assign(target.substr(0, question));
  query->assign(question == std::string_view::npos ? std::string_view()
                                                   : target.substr(question + 1));
}

}  // namespace

struct RequestParser::Impl {
  explicit Impl(const Limits& l) : limits(l) {}

  void Start() {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser->body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
    parser->eager(false);  // stop after the head so that it is checked before the body
    state = State::kNeedMore;
    started = false;
    header_checked = false;
    expects_continue = false;
    head_scanned = 0;
    head_bytes = 0;
    codings.clear();
  }

  void Fail(RequestError e) {
    error = std::move(e);
    state = State::kError;
  }

  // Validates the head once Beast has parsed it; false after Fail().
  bool CheckHeader() {
    const auto& msg = parser->get();
    const unsigned version = msg.version();
    if (version != 10 && version != 11) {
      Fail(MakeError(
          505, kErrorVersionNotSupported,
          fmt::format("HTTP version {}.{} is not supported", version / 10, version % 10)));
      return false;
    }
    bool has_te = false;
    std::vector<std::string_view> te_tokens;
    std::string_view unsupported_encoding;
    for (const auto& field : msg) {
      const std::string_view name = ToStd(field.name_string());
      const std::string_view value = ToStd(field.value());
      if (internal::EqualsIgnoreCase(name, "Transfer-Encoding")) {
        has_te = true;
        internal::ForEachListElement(value, [&](std::string_view t) {
          te_tokens.push_back(t);
          return true;
        });
      } else if (internal::EqualsIgnoreCase(name, "Content-Encoding")) {
        internal::ForEachListElement(value, [&](std::string_view coding) {
          if (internal::EqualsIgnoreCase(coding, "gzip") ||
              internal::EqualsIgnoreCase(coding, "x-gzip")) {
            codings.push_back(Coding::kGzip);
          } else if (!internal::EqualsIgnoreCase(coding, "identity")) {
            unsupported_encoding = coding;
            return false;
          }
          return true;
        });
      } else if (internal::EqualsIgnoreCase(name, "Expect") && version == 11) {
        internal::ForEachListElement(value, [&](std::string_view token) {
          if (internal::EqualsIgnoreCase(token, "100-continue")) expects_continue = true;
          return true;
        });
      }
      if (!unsupported_encoding.empty()) break;
    }
    if (has_te) {
      if (version == 10) {
        Fail(MakeError(400, kErrorMalformedRequest,
                       "Transfer-Encoding is not allowed in an HTTP/1.0 request"));
        return false;
      }
      for (std::string_view token : te_tokens) {
        if (!internal::EqualsIgnoreCase(token, "chunked")) {
          Fail(MakeError(501, kErrorNotImplemented,
                         fmt::format("unsupported Transfer-Encoding '{}'", token)));
          return false;
        }
      }
      if (te_tokens.size() != 1) {
        Fail(MakeError(400, kErrorMalformedRequest,
                       "Transfer-Encoding must be exactly \"chunked\""));
        return false;
      }
    }
    if (!unsupported_encoding.empty()) {
      Fail(MakeError(415, kErrorUnsupportedMediaType,
                     fmt::format("unsupported Content-Encoding '{}' (supported: gzip, identity)",
                                 unsupported_encoding)));
      return false;
    }
    return true;
  }

  // Builds the request once Beast has the whole message.
  void Finish() {
    ParsedRequest out;
    out.keep_alive = parser->keep_alive();
    out.expects_continue = expects_continue;
    auto msg = parser->release();
    out.is_head = msg.method() == bhttp::verb::head;
    Request& r = out.request;
    r.method = std::string(ToStd(msg.method_string()));
    r.target = std::string(ToStd(msg.target()));
    SplitTarget(r.target, &r.path, &r.query);
    r.http_version = static_cast<int>(msg.version());
    r.headers.reserve(static_cast<size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg) {
      r.headers.emplace_back(std::string(ToStd(field.name_string())),
                             std::string(ToStd(field.value())));
    }
    std::string body = std::move(msg.body());
    if (!codings.empty()) {
      r.wire_body = body;
      // Codings are listed in the order they were applied; undo them last to first.
      for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
        std::string decoded;
        Status status = internal::Gunzip(body, limits.max_decoded_body_bytes, &decoded);
        if (!status.ok()) {
          const bool too_large = status.code() == StatusCode::kOutOfRange;
          Fail(MakeError(too_large ? 413 : 400,
                         too_large ? kErrorPayloadTooLarge : kErrorBadContentEncoding,
                         std::string(status.message()), /*reusable=*/out.keep_alive));
          return;
        }
        body = std::move(decoded);
      }
    }
    r.body = std::move(body);
    ready = std::move(out);
    state = State::kComplete;
  }

  const Limits limits;
  std::optional<BeastParser> parser;  // the current request's; recreated per request
  State state = State::kNeedMore;
  bool started = false;
  bool header_checked = false;
  bool expects_continue = false;
  size_t head_scanned = 0;  // held head bytes already searched for a bare-LF empty line
  size_t head_bytes = 0;    // bytes of the current head consumed so far
  std::vector<Coding> codings;
  ParsedRequest ready;  // valid in kComplete
  RequestError error;   // valid in kError
};

RequestParser::RequestParser(const Limits& limits) : impl_(std::make_unique<Impl>(limits)) {
  impl_->Start();
}

RequestParser::~RequestParser() = default;

RequestParser::State RequestParser::state() const { return impl_->state; }
bool RequestParser::started() const { return impl_->started; }
bool RequestParser::header_done() const { return impl_->header_checked; }
bool RequestParser::expects_continue() const { return impl_->expects_continue; }
const RequestError& RequestParser::error() const { return impl_->error; }
void RequestParser::Reset() { impl_->Start(); }

ParsedRequest RequestParser::TakeRequest() {
  RG_CHECK(impl_->state == State::kComplete);  // caller contract
  ParsedRequest out = std::move(impl_->ready);
  impl_->ready = ParsedRequest();
  impl_->Start();
  return out;
}

size_t RequestParser::Feed(std::string_view bytes) {
  Impl& s = *impl_;
  if (s.state != State::kNeedMore) return 0;
  size_t consumed = 0;
  // RFC 9112 2.2: ignore empty lines before a request-line (some clients send a CRLF after a
  // body).
  if (!s.started) {
    while (consumed < bytes.size() && (bytes[consumed] == '\r' || bytes[consumed] == '\n')) {
      ++consumed;
    }
  }
  if (consumed < bytes.size()) s.started = true;
  try {
    while (!s.parser->is_done() && consumed < bytes.size()) {
      boost::beast::error_code ec;
      const size_t used = s.parser->put(
          boost::asio::const_buffer(bytes.data() + consumed, bytes.size() - consumed), ec);
      consumed += used;
      if (ec == bhttp::error::need_more) {
        const std::string_view held = bytes.substr(consumed);
        if (held.size() >= s.limits.max_header_bytes) {
          // Beast bounds an incomplete head by header_limit (nearly: not on every path);
          // bound chunk-size lines and trailers the same way.
          s.Fail(s.header_checked
                     ? MakeError(400, kErrorMalformedRequest,
                                 fmt::format("chunk header or trailer longer than {} bytes",
                                             s.limits.max_header_bytes))
                     : MakeError(431, kErrorHeaderTooLarge,
                                 fmt::format("request head exceeds {} bytes",
                                             s.limits.max_header_bytes)));
        } else if (!s.header_checked) {
          // Once Beast has asked for more, it parses the head only when "\r\n\r\n"
          // arrives, so a client using bare LF line ends would wait for a timeout. Scan
          // the new bytes for an empty bare-LF line instead.
          if (used > 0) s.head_scanned = 0;
          if (held.find("\n\n", s.head_scanned > 0 ? s.head_scanned - 1 : 0) !=
              std::string_view::npos) {
            s.Fail(MakeError(400, kErrorMalformedRequest,
                             "malformed request: bare LF line endings are not supported"));
          }
          s.head_scanned = held.size();
        }
        return consumed;
      }
      if (ec) {
        if (ec == bhttp::error::bad_version && !s.header_checked &&
            IsOtherHttpVersion(bytes.substr(consumed))) {
          s.Fail(MakeError(505, kErrorVersionNotSupported,
                           "only HTTP/1.0 and HTTP/1.1 are supported"));
        } else {
          s.Fail(FromBeastError(ec, s.limits));
        }
        return consumed;
      }
      if (!s.header_checked) {
        s.head_bytes += used;
        if (s.parser->is_header_done()) {
          s.header_checked = true;
          // Beast applies header_limit to the fields alone when the request line arrives
          // in the same read, and to line plus fields otherwise; make it the whole head.
          if (s.head_bytes > s.limits.max_header_bytes) {
            s.Fail(
                MakeError(431, kErrorHeaderTooLarge,
                          fmt::format("request head exceeds {} bytes", s.limits.max_header_bytes)));
            return consumed;
          }
          if (!s.CheckHeader()) return consumed;
        }
      }
      if (used == 0 && !s.parser->is_done()) break;  // no progress; wait for more input
    }
    if (s.parser->is_done()) s.Finish();
  } catch (const BeastAssertion& e) {
    // Beast 1.74 has internal assertions that malformed input can reach (found by the fuzzer:
    // "n >= 5" in parse_chunk_header for a broken chunk/trailer sequence). They are turned
    // into this exception (BOOST_ENABLE_ASSERT_HANDLER, also with NDEBUG, so release builds
    // never run past them) and answered as a malformed request.
    s.Fail(MakeError(400, kErrorMalformedRequest,
                     fmt::format("malformed request framing ({})", e.what())));
  } catch (const std::exception& e) {
    // Beast reports parse errors through error_code; only allocation failures throw.
    s.Fail(MakeError(500, kErrorInternal, fmt::format("cannot parse request: {}", e.what())));
  }
  return consumed;
}

Result<ParsedRequest> ParseHttpRequest(std::string_view bytes, const Limits& limits,
                                       size_t* consumed, RequestError* error) {
  RequestParser parser(limits);
  const size_t used = parser.Feed(bytes);
  if (consumed != nullptr) *consumed = used;
  RequestError failure;
  switch (parser.state()) {
    case RequestParser::State::kComplete:
      return parser.TakeRequest();
    case RequestParser::State::kNeedMore:
      failure =
          MakeError(400, kErrorIncompleteRequest,
                    parser.header_done() ? "incomplete request body" : "incomplete request head");
      break;
    case RequestParser::State::kError:
      failure = parser.error();
      break;
  }
  const StatusCode code = (failure.http_status == 413 || failure.http_status == 431)
                              ? StatusCode::kOutOfRange
                              : StatusCode::kInvalidArgument;
  Status status(code, fmt::format("http: {} ({} {})", failure.message, failure.http_status,
                                  failure.error_type));
  if (error != nullptr) *error = std::move(failure);
  return status;
}

}  // namespace roentgen::http
