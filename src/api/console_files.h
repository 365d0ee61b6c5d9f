// SPDX-License-Identifier: Apache-2.0
#pragma once

// The console's static files (console/dist, built by Vite) under GET/HEAD /console/...
// (docs/console.md). Hashed assets (/console/assets/...) are cached for a year as immutable;
// index.html and every other file are revalidated (no-cache). A path that names no file and
// does not look like an asset is a client-side route and gets index.html. Paths with "..",
// "." or hidden segments, backslashes or NUL bytes are refused, so no file outside the
// directory can be named. A missing directory gets a page that says how to build it.

#include <string_view>

#include "http/http.h"

namespace roentgen::api {

// True for the paths the console owns: "/console" and "/console/...".
bool IsConsolePath(std::string_view path);

// Answers one GET or HEAD of `path` (not percent-decoded, without the query) from the
// directory `console_dir`. Never fails: errors are 4xx/5xx pages.
http::Response ServeConsoleFile(std::string_view console_dir, std::string_view path);

}  // namespace roentgen::api
