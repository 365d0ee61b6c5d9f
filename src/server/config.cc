// SPDX-License-Identifier: Apache-2.0
#include "server/config.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/logging.h"
#include "base/status_macros.h"
#include "http/webhook.h"

namespace roentgen::server {
namespace {

Result<double> ParseNumberPrefix(std::string_view text, std::string_view* unit) {
  size_t end = 0;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) != 0 || text[end] == '.')) {
    ++end;
  }
  if (end == 0) return InvalidArgumentError(fmt::format("'{}' does not start with a number", text));
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value);
  if (ec != std::errc() || ptr != text.data() + end) {
    return InvalidArgumentError(fmt::format("'{}' is not a number", text));
  }
  *unit = text.substr(end);
  while (!unit->empty() && unit->front() == ' ') unit->remove_prefix(1);
  return value;
}

std::string FormatDuration(std::chrono::milliseconds value) {
  int64_t ms = value.count();
  if (ms % 86'400'000 == 0 && ms != 0) return fmt::format("{}d", ms / 86'400'000);
  if (ms % 3'600'000 == 0 && ms != 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0 && ms != 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string FormatSize(uint64_t bytes) {
  if (bytes % (uint64_t{1} << 30) == 0 && bytes != 0) return fmt::format("{}GiB", bytes >> 30);
  if (bytes % (uint64_t{1} << 20) == 0 && bytes != 0) return fmt::format("{}MiB", bytes >> 20);
  if (bytes % (uint64_t{1} << 10) == 0 && bytes != 0) return fmt::format("{}KiB", bytes >> 10);
  return fmt::format("{}", bytes);
}

template <typename Duration>
Status SetDuration(Duration* field, std::string_view value) {
  RG_ASSIGN_OR_RETURN(auto parsed, ParseDuration(value));
  *field = std::chrono::duration_cast<Duration>(parsed);
  return Status();
}

Status SetSize(uint64_t* field, std::string_view value) {
  RG_ASSIGN_OR_RETURN(*field, ParseByteSize(value));
  return Status();
}

Status SetAddress(std::string* field, std::string_view value) {
  RG_RETURN_IF_ERROR(ParseHostPort(value).status());
  *field = std::string(value);
  return Status();
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::string_view unit;
  RG_ASSIGN_OR_RETURN(double value, ParseNumberPrefix(text, &unit));
  double ms;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m" || unit == "min") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else if (unit == "d") {
    ms = value * 86'400'000;
  } else {
    return InvalidArgumentError(
        fmt::format("duration '{}': unit must be one of ms, s, m, h, d", text));
  }
  if (ms > 1e15) return InvalidArgumentError(fmt::format("duration '{}' is too long", text));
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  std::string_view unit;
  RG_ASSIGN_OR_RETURN(double value, ParseNumberPrefix(text, &unit));
  double multiplier;
  if (unit.empty() || unit == "B") {
    multiplier = 1;
  } else if (unit == "KiB" || unit == "K" || unit == "k") {
    multiplier = 1024;
  } else if (unit == "MiB" || unit == "M") {
    multiplier = 1024.0 * 1024;
  } else if (unit == "GiB" || unit == "G") {
    multiplier = 1024.0 * 1024 * 1024;
  } else if (unit == "KB") {
    multiplier = 1e3;
  } else if (unit == "MB") {
    multiplier = 1e6;
  } else if (unit == "GB") {
    multiplier = 1e9;
  } else {
    return InvalidArgumentError(
        fmt::format("size '{}': unit must be one of B, KiB, MiB, GiB, KB, MB, GB", text));
  }
  double bytes = value * multiplier;
  if (bytes > 1e15) return InvalidArgumentError(fmt::format("size '{}' is too large", text));
  return static_cast<uint64_t>(bytes);
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgumentError(fmt::format("address '{}': expected [ipv6]:port", text));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgumentError(fmt::format("address '{}': expected host:port", text));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    return InvalidArgumentError(fmt::format("address '{}': bad host or port", text));
  }
  return std::make_pair(std::string(host), static_cast<uint16_t>(port));
}

Status ValidateConfig(const ServerConfig& c) {
  if (c.data_dir.empty()) return InvalidArgumentError("--data-dir must not be empty");
  if (c.retention < std::chrono::hours(1)) {
    return InvalidArgumentError("--retention must be at least 1h");
  }
  if (c.partition_duration < std::chrono::minutes(1) || c.partition_duration > c.retention) {
    return InvalidArgumentError("--partition-duration must be between 1m and --retention");
  }
  if (c.memory_limit_bytes < (uint64_t{64} << 20)) {
    return InvalidArgumentError("--memory-limit must be at least 64MiB");
  }
  if (c.quiet_period < std::chrono::milliseconds(100) || c.quiet_period > std::chrono::hours(1)) {
    return InvalidArgumentError("--quiet-period must be between 100ms and 1h");
  }
  if (c.max_trace_bytes < 64 * 1024) {
    return InvalidArgumentError("--max-trace-size must be at least 64KiB (one segment document)");
  }
  if (c.max_body_bytes < 64 * 1024 || c.max_body_bytes > (uint64_t{256} << 20)) {
    return InvalidArgumentError("--max-body-size must be between 64KiB and 256MiB");
  }
  if (c.http_threads < 1 || c.http_threads > 64) {
    return InvalidArgumentError("--http-threads must be between 1 and 64");
  }
  if (c.tenant.size() != 12 || c.tenant.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgumentError("--account must be a 12-digit account id");
  }
  LogLevel level;
  if (!ParseLogLevel(c.log_level, &level)) {
    return InvalidArgumentError("--log-level must be debug, info, warning, error or off");
  }
  for (const std::string& url : c.insights_webhooks) {
    Status status = http::ValidateWebhookUrl(url);
    if (!status.ok()) return InvalidArgumentError("--insights-webhook: " + status.ToString());
  }
  if (c.insights_evaluate_interval < std::chrono::seconds(1) ||
      c.insights_evaluate_interval > std::chrono::hours(1)) {
    return InvalidArgumentError("--insights-evaluate-interval must be between 1s and 1h");
  }
  return Status();
}

const std::vector<OptionSpec>& ServeOptions() {
  static const std::vector<OptionSpec> kOptions = {
      {"data-dir", "Directory for the WAL, blocks and catalog (created if missing).", "path",
       [](ServerConfig* c, std::string_view v) { return c->data_dir = std::string(v), Status(); },
       [](const ServerConfig& c) { return c.data_dir; }},
      {"listen", "Address for both the UDP daemon port and the HTTP API (host:port).", "address",
       [](ServerConfig* c, std::string_view v) { return SetAddress(&c->listen, v); },
       [](const ServerConfig& c) { return c.listen; }},
      {"udp-listen", "UDP daemon address, overriding --listen.", "address",
       [](ServerConfig* c, std::string_view v) { return SetAddress(&c->udp_listen, v); },
       [](const ServerConfig& c) { return c.udp_listen; }},
      {"http-listen", "HTTP API address, overriding --listen.", "address",
       [](ServerConfig* c, std::string_view v) { return SetAddress(&c->http_listen, v); },
       [](const ServerConfig& c) { return c.http_listen; }},
      {"retention", "How long traces are kept, by arrival time (whole partitions are dropped).",
       "duration",
       [](ServerConfig* c, std::string_view v) { return SetDuration(&c->retention, v); },
       [](const ServerConfig& c) {
         return FormatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(c.retention));
       }},
      {"partition-duration", "Arrival-time width of a storage partition.", "duration",
       [](ServerConfig* c, std::string_view v) { return SetDuration(&c->partition_duration, v); },
       [](const ServerConfig& c) {
         return FormatDuration(
             std::chrono::duration_cast<std::chrono::milliseconds>(c.partition_duration));
       }},
      {"memory-limit", "Memory for open traces, unflushed sealed traces and the ingest queue.",
       "size",
       [](ServerConfig* c, std::string_view v) { return SetSize(&c->memory_limit_bytes, v); },
       [](const ServerConfig& c) { return FormatSize(c.memory_limit_bytes); }},
      {"block-cache", "Decoded block columns kept in memory for searches (0: memory-limit/4).",
       "size",
       [](ServerConfig* c, std::string_view v) { return SetSize(&c->block_cache_bytes, v); },
       [](const ServerConfig& c) { return FormatSize(c.block_cache_bytes); }},
      {"quiet-period", "A trace is sealed after this long without new documents.", "duration",
       [](ServerConfig* c, std::string_view v) { return SetDuration(&c->quiet_period, v); },
       [](const ServerConfig& c) { return FormatDuration(c.quiet_period); }},
      {"max-trace-size", "Raw bytes one trace may hold; documents past it are refused.", "size",
       [](ServerConfig* c, std::string_view v) { return SetSize(&c->max_trace_bytes, v); },
       [](const ServerConfig& c) { return FormatSize(c.max_trace_bytes); }},
      {"max-body-size", "Largest HTTP request body accepted, as sent on the wire.", "size",
       [](ServerConfig* c, std::string_view v) { return SetSize(&c->max_body_bytes, v); },
       [](const ServerConfig& c) { return FormatSize(c.max_body_bytes); }},
      {"max-header-size", "Largest HTTP request head (request line and headers).", "size",
       [](ServerConfig* c, std::string_view v) { return SetSize(&c->max_header_bytes, v); },
       [](const ServerConfig& c) { return FormatSize(c.max_header_bytes); }},
      {"idle-timeout", "Closes keep-alive connections idle this long.", "duration",
       [](ServerConfig* c, std::string_view v) { return SetDuration(&c->idle_timeout, v); },
       [](const ServerConfig& c) {
         return FormatDuration(
             std::chrono::duration_cast<std::chrono::milliseconds>(c.idle_timeout));
       }},
      {"request-timeout", "Time a client has to send a whole request.", "duration",
       [](ServerConfig* c, std::string_view v) { return SetDuration(&c->request_timeout, v); },
       [](const ServerConfig& c) {
         return FormatDuration(
             std::chrono::duration_cast<std::chrono::milliseconds>(c.request_timeout));
       }},
      {"http-threads", "HTTP I/O threads.", "int",
       [](ServerConfig* c, std::string_view v) -> Status {
         int value = 0;
         auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
         if (ec != std::errc() || ptr != v.data() + v.size()) {
           return InvalidArgumentError("--http-threads must be an integer");
         }
         c->http_threads = value;
         return Status();
       },
       [](const ServerConfig& c) { return std::to_string(c.http_threads); }},
      {"udp-receive-buffer", "SO_RCVBUF asked for the UDP socket.", "size",
       [](ServerConfig* c, std::string_view v) { return SetSize(&c->udp_receive_buffer_bytes, v); },
       [](const ServerConfig& c) { return FormatSize(c.udp_receive_buffer_bytes); }},
      {"account", "Account id that owns all data until authentication is configured.", "string",
       [](ServerConfig* c, std::string_view v) { return c->tenant = std::string(v), Status(); },
       [](const ServerConfig& c) { return c.tenant; }},
      {"block-max-age", "Sealed traces are written to a block at least this often.", "duration",
       [](ServerConfig* c, std::string_view v) { return SetDuration(&c->block_max_age, v); },
       [](const ServerConfig& c) {
         return FormatDuration(
             std::chrono::duration_cast<std::chrono::milliseconds>(c.block_max_age));
       }},
      {"block-target-size", "Sealed traces are written to a block once they hold this much.",
       "size",
       [](ServerConfig* c, std::string_view v) { return SetSize(&c->block_target_bytes, v); },
       [](const ServerConfig& c) { return FormatSize(c.block_target_bytes); }},
      {"log-level", "debug, info, warning, error or off.", "string",
       [](ServerConfig* c, std::string_view v) { return c->log_level = std::string(v), Status(); },
       [](const ServerConfig& c) { return c.log_level; }},
      {"console-dir", "The console's built files (console/dist), served at /console/.", "path",
       [](ServerConfig* c, std::string_view v) {
         return c->console_dir = std::string(v), Status();
       },
       [](const ServerConfig& c) { return c.console_dir; }},
      {"analysis-rules",
       "A JSON file of trace-analysis rules (docs/trace_analysis.md) created or replaced at start.",
       "path",
       [](ServerConfig* c, std::string_view v) {
         return c->analysis_rules_file = std::string(v), Status();
       },
       [](const ServerConfig& c) { return c.analysis_rules_file; }},
      {"insights-webhook",
       "A URL (http://host[:port]/path) insight notifications are POSTed to; repeatable, or "
       "several separated by commas.",
       "url",
       [](ServerConfig* c, std::string_view v) {
         size_t begin = 0;
         while (begin <= v.size()) {
           size_t end = v.find_first_of(",\n", begin);
           if (end == std::string_view::npos) end = v.size();
           std::string_view url = v.substr(begin, end - begin);
           if (!url.empty()) c->insights_webhooks.emplace_back(url);
           begin = end + 1;
         }
         return Status();
       },
       [](const ServerConfig& c) {
         return fmt::format("{}", fmt::join(c.insights_webhooks, ","));
       }},
      {"insights-evaluate-interval", "How often the insights detector evaluates.", "duration",
       [](ServerConfig* c, std::string_view v) {
         return SetDuration(&c->insights_evaluate_interval, v);
       },
       [](const ServerConfig& c) { return FormatDuration(c.insights_evaluate_interval); }},
      {"metrics-max-series",
       "Distinct CloudWatch metrics (namespace, name, dimensions) one account may store.", "int",
       [](ServerConfig* c, std::string_view v) -> Status {
         size_t value = 0;
         auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
         if (ec != std::errc() || ptr != v.data() + v.size() || value == 0) {
           return InvalidArgumentError("--metrics-max-series must be a positive integer");
         }
         c->metrics_max_series = value;
         return Status();
       },
       [](const ServerConfig& c) { return std::to_string(c.metrics_max_series); }},
  };
  return kOptions;
}

}  // namespace roentgen::server
