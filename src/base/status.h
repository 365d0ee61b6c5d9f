// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace roentgen {

// The closed set of error kinds. api/errors.cc maps each to an HTTP status and an X-Ray or
// CloudWatch error type; components never mention HTTP.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from outside (400 InvalidRequestException)
  kNotFound,            // a named resource does not exist
  kAlreadyExists,       // a named resource exists already
  kResourceExhausted,   // a queue or quota is full (429 ThrottledException)
  kFailedPrecondition,  // the operation is not allowed in the current state
  kOutOfRange,          // a size or count limit was exceeded
  kCorruption,          // stored bytes failed a checksum or structural check
  kIoError,             // the operating system refused an operation
  kUnavailable,         // shutting down or not started
  kDeadlineExceeded,    // a deadline passed
  kInternal,            // our own bug
};

// Returns "InvalidArgument" and so on.
std::string_view StatusCodeName(StatusCode code);

// The result of an operation that returns no value. An OK status allocates nothing.
// Immutable after construction; safe to share.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string_view message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // The message; empty for OK.
  std::string_view message() const {
    return state_ ? std::string_view(state_->message) : std::string_view();
  }
  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

  // Returns a status with the same code and "context: message".
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& other) const {
    return code() == other.code() && message() == other.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

inline Status InvalidArgumentError(std::string_view m) {
  return Status(StatusCode::kInvalidArgument, m);
}
inline Status NotFoundError(std::string_view m) { return Status(StatusCode::kNotFound, m); }
inline Status AlreadyExistsError(std::string_view m) {
  return Status(StatusCode::kAlreadyExists, m);
}
inline Status ResourceExhaustedError(std::string_view m) {
  return Status(StatusCode::kResourceExhausted, m);
}
inline Status FailedPreconditionError(std::string_view m) {
  return Status(StatusCode::kFailedPrecondition, m);
}
inline Status OutOfRangeError(std::string_view m) { return Status(StatusCode::kOutOfRange, m); }
inline Status CorruptionError(std::string_view m) { return Status(StatusCode::kCorruption, m); }
inline Status IoError(std::string_view m) { return Status(StatusCode::kIoError, m); }
inline Status UnavailableError(std::string_view m) { return Status(StatusCode::kUnavailable, m); }
inline Status InternalError(std::string_view m) { return Status(StatusCode::kInternal, m); }
// An IoError that names the operation, the path and strerror(errno_value).
Status ErrnoError(std::string_view operation, std::string_view path, int errno_value);

}  // namespace roentgen
