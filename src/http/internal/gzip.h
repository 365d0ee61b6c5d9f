// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace roentgen::http::internal {

// Decompresses `input`, one or more concatenated gzip members (RFC 1952, as Go's and Python's
// readers accept), into *output, which is replaced. An empty input gives an empty output.
// Errors: InvalidArgument for corrupt or truncated data or bytes after the last member;
// OutOfRange as soon as the output would exceed `max_output` bytes (the zip-bomb guard; work
// is bounded by max_output, not by the compression ratio). *output is unspecified on error.
// Thread-safe (no shared state).
Status Gunzip(std::string_view input, size_t max_output, std::string* output);

}  // namespace roentgen::http::internal
