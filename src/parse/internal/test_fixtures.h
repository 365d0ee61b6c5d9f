// SPDX-License-Identifier: Apache-2.0
#pragma once

// Test-only helpers that read the captured client fixtures under RG_SHARED_DIR
// (/work/shared/fixtures/clients). Header-only; used by tests and the benchmark.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "parse/json_dom.h"

namespace roentgen::parse::internal {

inline std::filesystem::path ClientFixturesDir(const char* shared_dir) {
  return std::filesystem::path(shared_dir) / "fixtures" / "clients";
}

inline std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Paths of files under `root` whose name contains `needle` and ends with `suffix`, sorted.
inline std::vector<std::filesystem::path> FindFixtures(const std::filesystem::path& root,
                                                       std::string_view needle,
                                                       std::string_view suffix) {
  std::vector<std::filesystem::path> paths;
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) return paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root, error)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.find(needle) == std::string::npos) continue;
    if (name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The body of a captured HTTP request (after the first blank line).
inline std::string HttpBody(const std::string& capture) {
  const size_t split = capture.find("\r\n\r\n");
  return split == std::string::npos ? std::string() : capture.substr(split + 4);
}

// The segment documents inside a PutTraceSegments capture's body.
inline std::vector<std::string> PutTraceSegmentsDocuments(const std::string& capture) {
  std::vector<std::string> documents;
  auto body = ParseJson(HttpBody(capture), 64);
  if (!body.ok()) return documents;
  const JsonValue* list = body->Find("TraceSegmentDocuments");
  if (list == nullptr || !list->is_array()) return documents;
  for (const JsonValue& element : list->elements()) {
    if (element.is_string()) documents.push_back(element.string_value());
  }
  return documents;
}

// The document of a captured UDP datagram (after the first '\n').
inline std::string DatagramBody(const std::string& datagram) {
  const size_t split = datagram.find('\n');
  return split == std::string::npos ? std::string() : datagram.substr(split + 1);
}

}  // namespace roentgen::parse::internal
