// SPDX-License-Identifier: Apache-2.0
#pragma once

// Outgoing notifications: alarm state changes and insight events are delivered as an HTTP
// POST with a JSON body to the URLs users configure (docs/webhooks.md).
//
// WebhookSender queues deliveries and sends them from one background thread, in order per
// sender, retrying transient failures (connect errors, 5xx, 429) with exponential backoff.
// Every attempt and its outcome are logged; deliveries beyond the queue bound are dropped and
// counted. Thread-safe: Enqueue may be called from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/stats.h"
#include "base/status.h"

namespace roentgen::http {

struct WebhookOptions {
  size_t max_queued = 10000;  // deliveries waiting; further ones are dropped
  int max_attempts = 5;       // 1 + retries
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds timeout{10000};  // per attempt
  StatsRegistry* stats = nullptr;            // optional: roentgen_webhook_* counters
};

struct WebhookStats {
  uint64_t delivered = 0;
  uint64_t failed = 0;   // gave up after max_attempts or a 4xx other than 429
  uint64_t dropped = 0;  // queue full
  uint64_t queued = 0;   // waiting now
};

// Whether `url` is a webhook URL Roentgen can deliver to: "http://host[:port][/path]" (no
// TLS). InvalidArgument naming the problem otherwise. Alarm and insight configuration
// validates URLs with it; other action strings (SNS ARNs) are recorded but not delivered.
Status ValidateWebhookUrl(std::string_view url);

class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions options = {});
  // Stops the thread; deliveries still queued are abandoned (logged).
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues a POST of `json_body` (Content-Type: application/json) to `url`. `kind` names the
  // event in the log and in the X-Roentgen-Event header ("alarm", "insight"). Returns
  // immediately; an invalid URL is logged and counted as failed.
  void Enqueue(std::string url, std::string kind, std::string json_body);

  // Blocks until the queue is empty and nothing is in flight, or `timeout` passes; for tests
  // and shutdown. Returns whether the queue drained.
  bool Drain(std::chrono::milliseconds timeout);

  WebhookStats Stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roentgen::http
