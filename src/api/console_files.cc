// SPDX-License-Identifier: Apache-2.0
#include "api/console_files.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace roentgen::api {
namespace {

constexpr std::string_view kPrefix = "/console/";
constexpr uintmax_t kMaxFileBytes = uintmax_t{64} << 20;
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kNoCache = "no-cache";

http::Response Page(int status, std::string_view content_type, std::string body) {
  http::Response response;
  response.status = status;
  response.headers = {{"Content-Type", std::string(content_type)},
                      {"Cache-Control", "no-store"},
                      {"X-Content-Type-Options", "nosniff"}};
  response.body = std::move(body);
  return response;
}

std::string_view ContentType(std::string_view name) {
  struct Entry {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr Entry kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".jpg", "image/jpeg"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  for (const Entry& entry : kTypes) {
    if (name.ends_with(entry.extension)) return entry.type;
  }
  return "application/octet-stream";
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The relative path's segments after percent-decoding, or nullopt when one of them could
// leave the directory or name a hidden file.
std::optional<std::vector<std::string>> SafeSegments(std::string_view relative) {
  std::string decoded;
  decoded.reserve(relative.size());
  for (size_t i = 0; i < relative.size(); ++i) {
    char c = relative[i];
    if (c == '%') {
      if (i + 2 >= relative.size()) return std::nullopt;
      int high = HexDigit(relative[i + 1]);
      int low = HexDigit(relative[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (c == '\0' || c == '\\') return std::nullopt;
    decoded.push_back(c);
  }
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= decoded.size()) {
    size_t end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    std::string segment = decoded.substr(start, end - start);
    if (!segment.empty()) {
      if (segment.front() == '.') return std::nullopt;  // "..", "." and hidden files
      segments.push_back(std::move(segment));
    }
    start = end + 1;
  }
  return segments;
}

std::optional<std::string> ReadFile(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) return std::nullopt;
  uintmax_t size = std::filesystem::file_size(file, error);
  if (error || size > kMaxFileBytes) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return body;
}

http::Response FileResponse(std::string_view name, std::string body,
                            std::string_view cache_control) {
  http::Response response;
  response.status = 200;
  response.headers = {{"Content-Type", std::string(ContentType(name))},
                      {"Cache-Control", std::string(cache_control)},
                      {"X-Content-Type-Options", "nosniff"}};
  response.body = std::move(body);
  return response;
}

http::Response NotBuiltPage(std::string_view console_dir) {
  std::string html =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>Roentgen console not "
      "built</title></head><body style=\"font-family:sans-serif;max-width:44em;margin:3em "
      "auto\"><h1>The Roentgen console is not built</h1><p>This server looks for the console's "
      "files in <code>";
  for (char c : console_dir) {
    if (c == '<') {
      html += "&lt;";
    } else if (c == '&') {
      html += "&amp;";
    } else {
      html.push_back(c);
    }
  }
  html +=
      "</code>, and there is no <code>index.html</code> there.</p><p>Build it from the source "
      "tree (Node.js 20 or newer):</p><pre>npm --prefix console ci\nnpm --prefix console run "
      "build</pre><p>then reload this page, or start the server with <code>roentgen serve "
      "--console-dir PATH/console/dist</code>. The X-Ray API on this port works without "
      "it.</p></body></html>\n";
  return Page(503, "text/html; charset=utf-8", std::move(html));
}

}  // namespace

bool IsConsolePath(std::string_view path) {
  return path == "/console" || path.starts_with(kPrefix);
}

http::Response ServeConsoleFile(std::string_view console_dir, std::string_view path) {
  if (path == "/console") {
    http::Response response = Page(301, "text/plain; charset=utf-8", "/console/\n");
    response.headers.emplace_back("Location", "/console/");
    return response;
  }
  const std::filesystem::path root{std::string(console_dir)};
  // index.html is read only when it is the answer; assets only check that it exists.
  auto index = [&]() -> http::Response {
    auto text = ReadFile(root / "index.html");
    if (!text.has_value()) return NotBuiltPage(console_dir);
    return FileResponse("index.html", std::move(*text), kNoCache);
  };
  std::error_code error;
  if (console_dir.empty() || !std::filesystem::is_regular_file(root / "index.html", error)) {
    return NotBuiltPage(console_dir);
  }

  auto segments = SafeSegments(path.substr(kPrefix.size()));
  if (!segments.has_value()) {
    return Page(400, "text/plain; charset=utf-8", "invalid console path\n");
  }
  if (segments->empty()) return index();
  std::filesystem::path file = root;
  for (const std::string& segment : *segments) file /= segment;
  if (auto body = ReadFile(file); body.has_value()) {
    bool hashed_asset = segments->size() > 1 && segments->front() == "assets";
    return FileResponse(segments->back(), std::move(*body), hashed_asset ? kImmutable : kNoCache);
  }
  // A missing asset or file with an extension is a 404; anything else is a route of the
  // single-page app (/console/traces/1-...), answered with index.html.
  if (segments->front() == "assets" || segments->back().find('.') != std::string::npos) {
    return Page(404, "text/plain; charset=utf-8", "no such console file\n");
  }
  return index();
}

}  // namespace roentgen::api
