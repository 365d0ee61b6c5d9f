// SPDX-License-Identifier: Apache-2.0
#pragma once

// HTTP/1.1 request parsing without sockets. HttpServer feeds every connection's bytes through
// RequestParser, so ParseHttpRequest (used by the fuzz target and tests) runs exactly the
// server's code: Boost.Beast's parser for framing, then our header checks and gunzip.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/http.h"

namespace roentgen::http {

// Size limits; see HttpServer::Options for the meaning and the reasons for the defaults.
struct Limits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
  size_t max_decoded_body_bytes = 16 * 1024 * 1024;
};

// Why a request was refused; the arguments for ErrorFormatter.
struct RequestError {
  int http_status = 400;
  std::string_view error_type = kErrorMalformedRequest;  // a kError* constant
  std::string message;
  // True when the whole request was read (only its content was bad), so the connection can
  // go on to the next request; false when the byte stream cannot be trusted any more.
  bool connection_reusable = false;
};

// A request plus the connection semantics the server needs.
struct ParsedRequest {
  Request request;
  // Whether the connection may stay open after the response: HTTP/1.1 unless
  // "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive = true;
  // "Expect: 100-continue" on an HTTP/1.1 request.
  bool expects_continue = false;
  // HEAD: the response carries Content-Length but no body.
  bool is_head = false;
};

// Parses the requests of one connection, one after another, from bytes as they arrive.
//
//   RequestParser parser(limits);
//   size_t used = parser.Feed(buffered);   // drop `used` bytes from the front of the buffer
//   switch (parser.state()) { kNeedMore: read more and Feed again; kComplete: TakeRequest();
//                             kError: answer error() and close unless connection_reusable }
//
// An incomplete request head is not copied: the caller keeps every byte not consumed and
// offers it again, followed by the new bytes. The parser never asks the caller to hold more
// than max_header_bytes of unconsumed input (beyond that it fails with 431, or 400 for an
// over-long chunk header or trailer). Body bytes are consumed as they come.
//
// Not thread-safe; one per connection.
class RequestParser {
 public:
  enum class State {
    kNeedMore,  // the current request is incomplete (possibly not started)
    kComplete,  // a request is ready: TakeRequest()
    kError,     // see error(); Reset() before parsing anything else
  };

  explicit RequestParser(const Limits& limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses from the front of `bytes` and returns how many were consumed. Stops after one
  // complete request (bytes of the next one are left unconsumed) or at an error.
  // REQUIRES: state() == kNeedMore.
  size_t Feed(std::string_view bytes);

  State state() const;
  // True once any byte of the current request was consumed or is being held (for timeouts:
  // an idle connection vs. a slow request). Call after Feed.
  bool started() const;
  // True once the current request's head has been parsed and accepted.
  bool header_done() const;
  // True when the current request's head asked for "100-continue". Valid once header_done().
  bool expects_continue() const;

  // REQUIRES: state() == kComplete. Returns the request and resets for the next one.
  ParsedRequest TakeRequest();
  // REQUIRES: state() == kError.
  const RequestError& error() const;
  // Forgets the current request (complete, partial or failed).
  void Reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses one request from the front of `bytes`. On success sets *consumed (nullable) to its
// length in bytes; what follows may be another (pipelined) request. Errors: InvalidArgument
// (malformed, unsupported encoding, bad gzip, or incomplete input, whose error_type is
// kErrorIncompleteRequest) or OutOfRange (413/431 limits); the details go to *error
// (nullable). *consumed is set on errors too (how far parsing got).
Result<ParsedRequest> ParseHttpRequest(std::string_view bytes, const Limits& limits,
                                       size_t* consumed, RequestError* error = nullptr);

}  // namespace roentgen::http
