// SPDX-License-Identifier: Apache-2.0
#pragma once

// Assertions for our own bugs only; untrusted input never reaches them (STYLE.md 24, 25).
//   RG_CHECK(cond): always on; for impossible states that would corrupt data.
//   RG_DCHECK(cond): debug builds only.
//   RG_BUG(cond, msg): crash in debug builds; in release, log and count internal_bug.

namespace roentgen::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
void BugReported(const char* file, int line, const char* message);
}  // namespace roentgen::internal

#define RG_CHECK(cond)                                                         \
  do {                                                                         \
    if (!(cond)) ::roentgen::internal::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (false)

#ifdef NDEBUG
#define RG_DCHECK(cond) \
  do {                  \
    (void)sizeof(cond); \
  } while (false)
#define RG_BUG(cond, msg)                                                    \
  do {                                                                       \
    if (!(cond)) ::roentgen::internal::BugReported(__FILE__, __LINE__, msg); \
  } while (false)
#else
#define RG_DCHECK(cond) RG_CHECK(cond)
#define RG_BUG(cond, msg) RG_CHECK((cond) && msg)
#endif
