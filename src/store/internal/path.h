// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace roentgen::store::internal {

// Collapses repeated '/' and drops a trailing '/' (except for the root "/"). Does not resolve
// "." or "..": paths are compared as strings.
std::string NormalizePath(std::string_view path);

// The directory part of a normalized path: "/a/b" -> "/a", "/a" -> "/", "a" -> "".
std::string ParentDir(std::string_view normalized_path);

// True if normalized_path lies strictly below normalized_dir.
bool IsBelow(std::string_view normalized_path, std::string_view normalized_dir);

}  // namespace roentgen::store::internal
