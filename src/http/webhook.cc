// SPDX-License-Identifier: Apache-2.0
#include "http/webhook.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "base/logging.h"
#include "base/status_macros.h"
#include "http/http_client.h"

namespace roentgen::http {
namespace {

struct ParsedUrl {
  Endpoint endpoint;
  std::string target;  // "/path?query", at least "/"
};

Result<ParsedUrl> ParseWebhookUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() > 2048) return InvalidArgumentError("webhook URL longer than 2048 bytes");
  if (url.rfind(kScheme, 0) != 0) {
    return InvalidArgumentError("webhook URL " + std::string(url) +
                                ": only http:// URLs can be delivered");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidArgumentError("webhook URL contains a space or control character");
    }
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError("webhook URL " + std::string(url) + ": user info is not supported");
  }
  ParsedUrl parsed;
  bool has_port = !authority.empty() && authority.back() != ']' &&
                  authority.find(':') != std::string_view::npos;
  RG_ASSIGN_OR_RETURN(parsed.endpoint, ParseEndpoint(authority));
  if (!has_port) parsed.endpoint.port = 80;
  if (slash == std::string_view::npos) {
    parsed.target = "/";
  } else {
    std::string_view target = rest.substr(slash);
    target = target.substr(0, target.find('#'));
    parsed.target =
        target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  }
  return parsed;
}

}  // namespace

Status ValidateWebhookUrl(std::string_view url) { return ParseWebhookUrl(url).status(); }

struct WebhookSender::Impl {
  struct Delivery {
    std::string url;
    std::string kind;
    std::string body;
  };

  explicit Impl(WebhookOptions o) : options(std::move(o)) {
    if (options.stats != nullptr) {
      constexpr std::string_view kHelp =
          "Webhook deliveries (alarm actions, insight notifications).";
      delivered_counter =
          &options.stats->GetCounter("roentgen_webhook_deliveries_total", kHelp, "outcome=\"ok\"");
      failed_counter = &options.stats->GetCounter("roentgen_webhook_deliveries_total", kHelp,
                                                  "outcome=\"failed\"");
      dropped_counter = &options.stats->GetCounter("roentgen_webhook_deliveries_total", kHelp,
                                                   "outcome=\"dropped\"");
    }
    thread = std::thread([this] { Run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    thread.join();
    if (!queue.empty())
      RG_LOG(kWarning, "webhooks: {} deliveries abandoned at shutdown", queue.size());
  }

  void Run() {
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (stopping) return;
      Delivery delivery = std::move(queue.front());
      queue.pop_front();
      in_flight = true;
      lock.unlock();
      bool ok = Deliver(delivery);
      lock.lock();
      in_flight = false;
      if (ok) {
        ++stats.delivered;
        if (delivered_counter != nullptr) delivered_counter->Add();
      } else {
        ++stats.failed;
        if (failed_counter != nullptr) failed_counter->Add();
      }
      idle.notify_all();
    }
  }

  // Sleeps up to `duration` unless the sender stops; returns false when stopping.
  bool Backoff(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex);
    return !wake.wait_for(lock, duration, [this] { return stopping; });
  }

  bool Deliver(const Delivery& delivery) {
    auto parsed = ParseWebhookUrl(delivery.url);
    if (!parsed.ok()) {
      RG_LOG(kWarning, "webhook {} to {}: {}", delivery.kind, delivery.url,
             parsed.error().message());
      return false;
    }
    ClientRequest request;
    request.method = "POST";
    request.target = parsed->target;
    request.headers = {{"Content-Type", "application/json"},
                       {"User-Agent", "roentgen-webhook/1"},
                       {"X-Roentgen-Event", delivery.kind}};
    request.body = delivery.body;
    std::chrono::milliseconds backoff = options.first_backoff;
    for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
      auto response = SendRequest(parsed->endpoint, request, options.timeout);
      if (response.ok() && response->status >= 200 && response->status < 300) {
        RG_LOG(kInfo, "webhook {} to {}: delivered (HTTP {}, attempt {})", delivery.kind,
               delivery.url, response->status, attempt);
        return true;
      }
      bool retryable = !response.ok() || response->status >= 500 || response->status == 429;
      std::string outcome = response.ok() ? "HTTP " + std::to_string(response->status)
                                          : std::string(response.error().message());
      RG_LOG(kWarning, "webhook {} to {}: attempt {} failed: {}", delivery.kind, delivery.url,
             attempt, outcome);
      if (!retryable || attempt == options.max_attempts) break;
      if (!Backoff(backoff)) return false;
      backoff *= 2;
    }
    return false;
  }

  WebhookOptions options;
  Counter* delivered_counter = nullptr;
  Counter* failed_counter = nullptr;
  Counter* dropped_counter = nullptr;

  mutable std::mutex mutex;
  std::condition_variable wake;  // work queued or stopping
  std::condition_variable idle;  // a delivery finished
  std::deque<Delivery> queue;    // guarded by mutex
  bool in_flight = false;        // guarded by mutex
  bool stopping = false;         // guarded by mutex
  WebhookStats stats;            // guarded by mutex (queued is computed)
  std::thread thread;
};

WebhookSender::WebhookSender(WebhookOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

WebhookSender::~WebhookSender() = default;

void WebhookSender::Enqueue(std::string url, std::string kind, std::string json_body) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->queue.size() >= impl_->options.max_queued) {
      ++impl_->stats.dropped;
      if (impl_->dropped_counter != nullptr) impl_->dropped_counter->Add();
      RG_LOG(kWarning, "webhook {} to {}: dropped, {} deliveries already queued", kind, url,
             impl_->queue.size());
      return;
    }
    impl_->queue.push_back({std::move(url), std::move(kind), std::move(json_body)});
  }
  impl_->wake.notify_all();
}

bool WebhookSender::Drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->idle.wait_for(lock, timeout,
                              [this] { return impl_->queue.empty() && !impl_->in_flight; });
}

WebhookStats WebhookSender::Stats() const {
  std::lock_guard lock(impl_->mutex);
  WebhookStats stats = impl_->stats;
  stats.queued = impl_->queue.size() + (impl_->in_flight ? 1 : 0);
  return stats;
}

}  // namespace roentgen::http
