// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <utility>

namespace roentgen::model {

// An optional value kept on the heap, with value semantics (copying copies the value).
// Used for the rarely present, large blocks of a segment entity (http, aws, sql, cause) so
// that an Entity stays small: most subsegments carry none of them, and a smaller Entity
// makes building and moving the subsegment tree cheaper. The interface is the subset of
// std::optional the code uses. Not thread-safe; externally synchronized.
template <typename T>
class Box {
 public:
  Box() = default;
  Box(const Box& other) : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  // REQUIRES: has_value().
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return value_.get(); }
  const T* operator->() const { return value_.get(); }
  T& value() { return *value_; }
  const T& value() const { return *value_; }

  // Replaces any value with T(args...) and returns it.
  template <typename... Args>
  T& emplace(Args&&... args) {
    value_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *value_;
  }
  void reset() { value_.reset(); }

  bool operator==(const Box& other) const {
    if (has_value() != other.has_value()) return false;
    return !has_value() || *value_ == *other.value_;
  }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace roentgen::model
