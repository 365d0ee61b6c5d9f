// SPDX-License-Identifier: Apache-2.0
#include "http/webhook.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/http.h"

namespace roentgen::http {
namespace {

// A receiver on an ephemeral port that records each POST and answers with the statuses of
// `script` in turn (then 200).
class Receiver {
 public:
  explicit Receiver(std::vector<int> script = {}) : script_(std::move(script)) {
    HttpServer::Options options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    server_ = std::make_unique<HttpServer>(
        options,
        [this](Request&& request, Responder respond) {
          Response response;
          {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            size_t index = requests_.size() - 1;
            response.status = index < script_.size() ? script_[index] : 200;
          }
          respond(std::move(response));
        },
        DefaultErrorResponse, nullptr);
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Receiver() { server_->Shutdown(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::vector<int> script_;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  std::unique_ptr<HttpServer> server_;
};

WebhookOptions FastOptions() {
  WebhookOptions options;
  options.first_backoff = std::chrono::milliseconds(1);
  options.timeout = std::chrono::milliseconds(2000);
  return options;
}

TEST(WebhookUrlTest, AcceptsHttpAndRejectsTheRest) {
  EXPECT_TRUE(ValidateWebhookUrl("http://127.0.0.1:9000/hooks/alarm?x=1").ok());
  EXPECT_TRUE(ValidateWebhookUrl("http://example.internal").ok());
  EXPECT_FALSE(ValidateWebhookUrl("https://example.com/hook").ok());
  EXPECT_FALSE(ValidateWebhookUrl("arn:aws:sns:us-east-1:123456789012:alerts").ok());
  EXPECT_FALSE(ValidateWebhookUrl("http://").ok());
  EXPECT_FALSE(ValidateWebhookUrl("http://host:99999/").ok());
  EXPECT_FALSE(ValidateWebhookUrl("http://user@host/").ok());
  EXPECT_FALSE(ValidateWebhookUrl("http://host/a b").ok());
}

TEST(WebhookSenderTest, PostsTheBodyInOrderWithTheEventHeader) {
  Receiver receiver;
  WebhookSender sender(FastOptions());
  sender.Enqueue(receiver.url("/hook?team=a"), "alarm", R"({"n":1})");
  sender.Enqueue(receiver.url("/hook?team=a"), "insight", R"({"n":2})");
  ASSERT_TRUE(sender.Drain(std::chrono::seconds(10)));
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/hook");
  EXPECT_EQ(requests[0].query, "team=a");
  EXPECT_EQ(requests[0].body, R"({"n":1})");
  EXPECT_EQ(requests[0].Header("content-type").value_or(""), "application/json");
  EXPECT_EQ(requests[0].Header("x-roentgen-event").value_or(""), "alarm");
  EXPECT_EQ(requests[1].body, R"({"n":2})");
  EXPECT_EQ(requests[1].Header("x-roentgen-event").value_or(""), "insight");
  EXPECT_EQ(sender.Stats().delivered, 2u);
  EXPECT_EQ(sender.Stats().failed, 0u);
}

TEST(WebhookSenderTest, RetriesServerErrorsButNotClientErrors) {
  Receiver retrying({503, 429});
  WebhookSender sender(FastOptions());
  sender.Enqueue(retrying.url("/"), "alarm", "{}");
  ASSERT_TRUE(sender.Drain(std::chrono::seconds(10)));
  EXPECT_EQ(retrying.requests().size(), 3u);
  EXPECT_EQ(sender.Stats().delivered, 1u);

  Receiver refusing({404});
  sender.Enqueue(refusing.url("/"), "alarm", "{}");
  ASSERT_TRUE(sender.Drain(std::chrono::seconds(10)));
  EXPECT_EQ(refusing.requests().size(), 1u);
  EXPECT_EQ(sender.Stats().failed, 1u);
}

TEST(WebhookSenderTest, GivesUpOnAnUnreachableReceiverAndCountsDrops) {
  WebhookOptions options = FastOptions();
  options.max_attempts = 2;
  options.max_queued = 1;
  WebhookSender sender(options);
  // Port 1 on loopback refuses connections.
  for (int i = 0; i < 50; ++i) sender.Enqueue("http://127.0.0.1:1/", "alarm", "{}");
  ASSERT_TRUE(sender.Drain(std::chrono::seconds(20)));
  WebhookStats stats = sender.Stats();
  EXPECT_EQ(stats.delivered, 0u);
  EXPECT_GE(stats.failed, 1u);
  EXPECT_GE(stats.dropped, 1u);
  EXPECT_EQ(stats.failed + stats.dropped, 50u);
  EXPECT_EQ(stats.queued, 0u);
}

}  // namespace
}  // namespace roentgen::http
