// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <utility>
#include <variant>

#include "base/check.h"
#include "base/status.h"

namespace roentgen {

// A value of type T or a non-OK Status. The API shape (ok(), value(), error()) follows
// std::expected so that Result can become an alias later.
// Not thread-safe; externally synchronized.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose: `return value;` and `return status;` both work.
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // REQUIRES: !status.ok().
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    RG_CHECK(!std::get<Status>(data_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(data_); }

  // REQUIRES: ok().
  T& value() & {
    RG_CHECK(ok());
    return std::get<T>(data_);
  }
  const T& value() const& {
    RG_CHECK(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    RG_CHECK(ok());
    return std::get<T>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; OK when ok().
  Status error() const { return ok() ? Status() : std::get<Status>(data_); }
  // Alias for error(), for symmetry with Status-returning code.
  Status status() const { return error(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace roentgen
