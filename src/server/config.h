// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

// The console's built files, defined by CMake (src/server/CMakeLists.txt).
#ifndef RG_CONSOLE_DIR
#define RG_CONSOLE_DIR "console/dist"
#endif

namespace roentgen::server {

// Everything `roentgen serve` can be told, from flags or a config file. Each field has one
// entry in the options table (config.cc), which is also the source of --help and
// docs/configuration.md.
struct ServerConfig {
  std::string data_dir = "./roentgen-data";
  std::string listen = "127.0.0.1:2000";  // UDP and HTTP, unless overridden
  std::string udp_listen;                 // empty: `listen`
  std::string http_listen;                // empty: `listen`
  std::chrono::seconds retention{30 * 24 * 3600};
  std::chrono::seconds partition_duration{3600};
  uint64_t memory_limit_bytes = uint64_t{1} << 30;
  uint64_t block_cache_bytes = 0;  // 0: a quarter of memory_limit_bytes
  std::chrono::milliseconds quiet_period{2000};
  uint64_t max_trace_bytes = 500 * 1024;
  uint64_t max_body_bytes = 8u << 20;
  uint64_t max_header_bytes = 16u << 10;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds request_timeout{30};
  int http_threads = 2;
  uint64_t udp_receive_buffer_bytes = 32u << 20;
  std::string tenant = "000000000000";
  std::chrono::seconds block_max_age{30};
  uint64_t block_target_bytes = 32u << 20;
  std::string log_level = "info";
  std::string console_dir = RG_CONSOLE_DIR;  // the source tree's console/dist (CMake)
  std::string analysis_rules_file;           // trace-analysis rules loaded at start (or none)
  // Insights (docs/insights.md): where insight notifications are POSTed, and how often the
  // detector runs.
  std::vector<std::string> insights_webhooks;
  std::chrono::milliseconds insights_evaluate_interval{60000};
  // CloudWatch metrics (docs/cloudwatch.md): distinct metrics one account may have.
  size_t metrics_max_series = 100000;
};

// Parses "30d", "6h", "15m", "2s", "500ms", or a bare number of seconds.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// Parses "1GiB", "64MiB", "500KiB", "1G", "10MB", "4096" (bytes).
Result<uint64_t> ParseByteSize(std::string_view text);
// Splits "host:port" (IPv6 as "[::1]:2000"); port 0 picks a free one.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text);

// Checks bounds and cross-field rules.
Status ValidateConfig(const ServerConfig& config);

// One option of the table: its flag name (also the config-file key), help, and how to set it.
struct OptionSpec {
  std::string_view name;
  std::string_view help;
  std::string_view kind;  // "path", "address", "duration", "size", "int", "string"
  Status (*apply)(ServerConfig* config, std::string_view value);
  std::string (*current)(const ServerConfig& config);
};

// The options table.
const std::vector<OptionSpec>& ServeOptions();

}  // namespace roentgen::server
