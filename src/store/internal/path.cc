// SPDX-License-Identifier: Apache-2.0
#include "store/internal/path.h"

#include "store/file_system.h"

namespace roentgen::store {

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

namespace internal {

std::string NormalizePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string ParentDir(std::string_view normalized_path) {
  size_t slash = normalized_path.rfind('/');
  if (slash == std::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(normalized_path.substr(0, slash));
}

bool IsBelow(std::string_view normalized_path, std::string_view normalized_dir) {
  if (normalized_dir.empty()) return !normalized_path.empty() && normalized_path[0] != '/';
  if (normalized_dir == "/") return normalized_path.size() > 1 && normalized_path[0] == '/';
  return normalized_path.size() > normalized_dir.size() + 1 &&
         normalized_path.substr(0, normalized_dir.size()) == normalized_dir &&
         normalized_path[normalized_dir.size()] == '/';
}

}  // namespace internal
}  // namespace roentgen::store
