// SPDX-License-Identifier: Apache-2.0
#include "base/check.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace roentgen::internal {

std::atomic<unsigned long> internal_bug_count{0};

void CheckFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

void BugReported(const char* file, int line, const char* message) {
  internal_bug_count.fetch_add(1, std::memory_order_relaxed);
  std::fprintf(stderr, "%s:%d: internal bug: %s\n", file, line, message);
}

}  // namespace roentgen::internal
