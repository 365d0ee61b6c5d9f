# The one warning list (STYLE.md 45). Warnings are errors only in developer mode.
set(RG_WARNINGS
  -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wcast-qual -Wundef -Wvla
  -Wnon-virtual-dtor -Wimplicit-fallthrough)
# Tests, fuzzers and benchmarks: gtest/benchmark macros trip -Wconversion and -Wshadow.
set(RG_TEST_WARNINGS -Wall -Wextra -Wno-sign-compare)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND RG_WARNINGS -Wthread-safety)
endif()
if(RG_DEVELOPER_MODE)
  list(APPEND RG_WARNINGS -Werror)
  list(APPEND RG_TEST_WARNINGS -Werror)
endif()
