// SPDX-License-Identifier: Apache-2.0
#pragma once

// The HTTP/1.1 front end: a small asynchronous server that turns bytes into Requests, hands
// them to one Handler, and writes the Responses back in order. It knows nothing about X-Ray:
// routing, authentication and the error body format belong to the API layer, which supplies
// the Handler and an ErrorFormatter. See http_server.cc for the design.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/stats.h"
#include "base/status.h"

namespace roentgen::http {

// One HTTP request, fully received and decoded. A plain value; not thread-safe.
struct Request {
  std::string method;  // as sent, case preserved ("POST"; unknown methods too)
  std::string target;  // request-target as sent ("/TraceSegments?x=1")
  std::string path;    // target up to '?', not percent-decoded; scheme and authority are
                       // removed from an absolute-form target ("http://h/p" gives "/p")
  std::string query;   // after '?', without it; empty if none
  // Header fields in arrival order, names with their original case, values with surrounding
  // whitespace trimmed. Repeated fields stay separate entries.
  std::vector<std::pair<std::string, std::string>> headers;
  // The body with the chunked framing removed and every Content-Encoding (gzip, x-gzip,
  // identity) undone.
  std::string body;
  // The body as it came off the wire (de-chunked but still encoded) when a Content-Encoding
  // other than identity was undone; empty otherwise. SigV4 hashes these bytes.
  std::string wire_body;
  // The peer, "127.0.0.1:53211" or "[::1]:53211"; empty when parsed without a socket.
  std::string remote_address;
  // 10 for HTTP/1.0, 11 for HTTP/1.1.
  int http_version = 11;

  // The value of the first header named `name`, compared case-insensitively; nullopt if absent.
  // The view points into `headers`.
  std::optional<std::string_view> Header(std::string_view name) const;
};

// A response produced by the Handler (or the ErrorFormatter). The server adds
// Content-Length, Connection and (unless present) Date; Content-Length, Transfer-Encoding and
// Connection entries in `headers` are ignored, except that "Connection: close" is honored.
struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Delivers the response to a request. May be called from any thread, exactly once. If every
// copy is destroyed without being called, the client gets a 500 (error type kErrorInternal).
// Calls after the connection closed or the server shut down are ignored.
using Responder = std::function<void(Response)>;

// Handles one request. Runs on an I/O thread, so it must not block: it either calls `respond`
// before returning or hands `respond` to other work (e.g. PutTraceSegments answers once its
// data is fsynced by the storage thread). Requests on one connection are handed over one at a
// time: the next is not parsed until the previous response has been written.
using Handler = std::function<void(Request&& request, Responder respond)>;

// Builds the response for an error the HTTP layer itself detects, so that it comes out in the
// API's error format. `error_type` is one of the kError* constants below. Called on I/O
// threads; must be thread-safe and must not block.
using ErrorFormatter =
    std::function<Response(int http_status, std::string_view error_type, std::string_view message)>;

// The error types passed to the ErrorFormatter, with the status each comes with.
inline constexpr std::string_view kErrorMalformedRequest = "MalformedRequest";  // 400
// 400: the body does not decode under its Content-Encoding (bad or truncated gzip).
inline constexpr std::string_view kErrorBadContentEncoding = "BadContentEncoding";
// 400: the input ended inside a request (ParseHttpRequest only; the server just closes).
inline constexpr std::string_view kErrorIncompleteRequest = "IncompleteRequest";
inline constexpr std::string_view kErrorRequestTimeout = "RequestTimeout";               // 408
inline constexpr std::string_view kErrorPayloadTooLarge = "PayloadTooLarge";             // 413
inline constexpr std::string_view kErrorUnsupportedMediaType = "UnsupportedMediaType";   // 415
inline constexpr std::string_view kErrorHeaderTooLarge = "RequestHeaderFieldsTooLarge";  // 431
inline constexpr std::string_view kErrorInternal = "InternalError";                      // 500
// 501: a Transfer-Encoding other than chunked.
inline constexpr std::string_view kErrorNotImplemented = "NotImplemented";
// 503: too many connections, or shutting down.
inline constexpr std::string_view kErrorServiceUnavailable = "ServiceUnavailable";
inline constexpr std::string_view kErrorVersionNotSupported = "HttpVersionNotSupported";  // 505

// A formatter for when the API layer supplies none: text/plain "<type>: <message>\n".
Response DefaultErrorResponse(int http_status, std::string_view error_type,
                              std::string_view message);

// The reason phrase for a status code ("Not Found"); "Unknown" for codes without one.
std::string_view ReasonPhrase(int http_status);

namespace internal {
class ServerCore;
}  // namespace internal

// An HTTP/1.1 server on one TCP address.
//
// Behaviour: keep-alive, with pipelined requests answered in order; HTTP/1.0 closes after each
// response unless the client asked for keep-alive; chunked request bodies; gzip/x-gzip/identity
// request bodies, decoded with a bound on the decoded size; "Expect: 100-continue"; an idle
// timeout between requests; a deadline for receiving each request (slowloris); a cap on
// concurrent connections (beyond it new connections get a 503 and are closed); Content-Length
// on every response (except 1xx and 204, where HTTP forbids it); "Connection: close" honored in
// both directions. After an error that leaves the byte stream unusable (bad framing, a body too
// large to read, a timeout) the server answers, stops reading, and closes.
//
// Stats (when a registry is given): roentgen_http_requests_total{code="2xx"} (1xx..5xx, every
// response written), roentgen_http_connections_total, roentgen_http_connections_rejected_total,
// roentgen_http_connections_active, roentgen_http_timeouts_total{kind="idle"|"request"}.
//
// Thread-safety: Start() and Shutdown() are called by the owner, not concurrently with each
// other; port() is thread-safe. The Handler and ErrorFormatter run on the I/O threads.
class HttpServer {
 public:
  struct Options {
    // IPv4/IPv6 literal or "localhost" (net::Address::Parse).
    std::string address = "127.0.0.1";
    // 2000 is the X-Ray daemon's port; 0 picks an ephemeral port (see port()).
    uint16_t port = 2000;
    // Event-loop threads; each owns the connections it accepted. Handlers are asynchronous, so
    // two loops are plenty for API and sampling traffic on a small host.
    int io_threads = 2;
    // Request line plus header fields. Real clients send under 2 KiB (SigV4 headers
    // included); 16 KiB is Node's default. Larger heads get 431.
    size_t max_header_bytes = 16 * 1024;
    // Body bytes as sent (after de-chunking, before gunzip). PutTraceSegments batches from the
    // daemon are at most 50 x 64 KiB; larger bodies get 413.
    size_t max_body_bytes = 8 * 1024 * 1024;
    // Body bytes after Content-Encoding is undone: the zip-bomb guard. Larger gets 413.
    size_t max_decoded_body_bytes = 16 * 1024 * 1024;
    // How long a keep-alive connection may sit between requests before it is closed silently.
    // Longer than the SDKs' 10 s sampling-target poll, so their connections are reused.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    // How long one request may take to arrive, from its first byte to its last; also the limit
    // for writing one response to a client that does not read. Expiry while receiving gives
    // 408 and closes the connection.
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
    // Concurrent connections. Beyond it, new connections get 503 and are closed. Keep it
    // under the process's file descriptor limit.
    size_t max_connections = 1024;
    // How long Shutdown() waits for requests in flight before closing everything.
    std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(5)};
  };

  // `handler` is required. `formatter` may be empty (DefaultErrorResponse is used). `stats`
  // (nullable) must outlive the server.
  HttpServer(Options options, Handler handler, ErrorFormatter formatter,
             StatsRegistry* stats = nullptr);
  // Calls Shutdown().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. Errors name the address: InvalidArgument for a
  // bad address or option, IoError for socket errors ("http: bind 127.0.0.1:2000: Address
  // already in use"). REQUIRES: called at most once.
  Status Start();

  // The bound port (useful with port 0); 0 before Start().
  uint16_t port() const;

  // Stops accepting, closes idle connections, lets requests in flight finish (their responses
  // carry "Connection: close") for up to Options::shutdown_timeout, then closes whatever is
  // left and joins the I/O threads. Responders called afterwards are ignored. Idempotent.
  void Shutdown();

 private:
  std::shared_ptr<internal::ServerCore> core_;
};

}  // namespace roentgen::http
