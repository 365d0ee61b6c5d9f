// SPDX-License-Identifier: Apache-2.0
#include "roentgen/sdk/sampler.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "roentgen/sdk/json.h"
#include "test_support.h"

namespace roentgen::sdk {
namespace {

using testing::FakeClock;

std::string Rules(const std::string& records) {
  return "{\"SamplingRuleRecords\":[" + records + "]}";
}

std::string Rule(const std::string& name, int priority, double rate, int reservoir,
                 const std::string& service = "*", const std::string& attributes = "{}",
                 int version = 1) {
  return "{\"SamplingRule\":{\"RuleName\":\"" + name +
         "\",\"RuleARN\":\"arn\",\"ResourceARN\":\"*\","
         "\"Priority\":" +
         std::to_string(priority) + ",\"FixedRate\":" + std::to_string(rate) +
         ",\"ReservoirSize\":" + std::to_string(reservoir) + ",\"ServiceName\":\"" + service +
         "\",\"ServiceType\":\"*\",\"Host\":\"*\",\"HTTPMethod\":\"*\",\"URLPath\":\"*\","
         "\"Version\":" +
         std::to_string(version) + ",\"Attributes\":" + attributes +
         "},\"CreatedAt\":0.0,\"ModifiedAt\":1.0}";
}

CentralizedSampler::Options Offline(const Clock* clock, uint64_t seed = 42) {
  CentralizedSampler::Options options;
  options.clock = clock;
  options.start_poller = false;
  options.seed = seed;
  return options;
}

int CountSampled(Sampler& sampler, int requests, const SamplingRequest& request = {}) {
  int sampled = 0;
  for (int idx = 0; idx < requests; ++idx) sampled += sampler.ShouldSample(request).sampled;
  return sampled;
}

TEST(Wildcard, Matches) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("*", "anything"));
  EXPECT_TRUE(WildcardMatch("", ""));
  EXPECT_FALSE(WildcardMatch("", "x"));
  EXPECT_TRUE(WildcardMatch("/api/*", "/API/orders"));
  EXPECT_TRUE(WildcardMatch("order-?", "order-1"));
  EXPECT_FALSE(WildcardMatch("order-?", "order-12"));
  EXPECT_TRUE(WildcardMatch("*-processor", "order-processor"));
  EXPECT_TRUE(WildcardMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(WildcardMatch("a*b*c", "aXXbYY"));
}

TEST(LocalSampler, OnePerSecondThenFivePercent) {
  FakeClock clock(1000.0);
  LocalSampler sampler(&clock, 0.05, /*seed=*/7);
  // Second 1000: the reservoir takes exactly the first request.
  EXPECT_TRUE(sampler.ShouldSample({}).sampled);
  int sampled = CountSampled(sampler, 20000);
  EXPECT_GT(sampled, 20000 * 0.04);
  EXPECT_LT(sampled, 20000 * 0.06);
  clock.Advance(1);
  EXPECT_TRUE(sampler.ShouldSample({}).sampled);  // a new second refills it
}

TEST(CentralizedSampler, FallsBackToTheLocalRuleWithoutRules) {
  FakeClock clock(1000.0);
  CentralizedSampler sampler(Offline(&clock));
  EXPECT_FALSE(sampler.HasRules());
  SamplingDecision first = sampler.ShouldSample({});
  EXPECT_TRUE(first.sampled);
  EXPECT_EQ(first.rule_name, "");
  int sampled = CountSampled(sampler, 10000);
  EXPECT_GT(sampled, 300);
  EXPECT_LT(sampled, 700);
}

TEST(CentralizedSampler, BorrowsOnePerSecondUntilAQuotaArrives) {
  FakeClock clock(1000.2);
  CentralizedSampler sampler(Offline(&clock));
  ASSERT_TRUE(sampler.ApplyRulesResponse(Rules(Rule("orders", 1, 0.0, 5))));
  EXPECT_TRUE(sampler.HasRules());
  // Fixed rate 0: only the borrow.
  SamplingDecision decision = sampler.ShouldSample({});
  EXPECT_TRUE(decision.sampled);
  EXPECT_EQ(decision.rule_name, "orders");
  EXPECT_EQ(CountSampled(sampler, 50), 0);
  clock.Advance(1);
  EXPECT_EQ(CountSampled(sampler, 50), 1);
  std::vector<SamplingStatistics> stats = sampler.Statistics();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].request_count, 101);
  EXPECT_EQ(stats[0].borrow_count, 2);
  EXPECT_EQ(stats[0].sampled_count, 0);  // borrows are not also counted as sampled (Node)
}

TEST(CentralizedSampler, ReservoirQuotaPerSecondFromTargets) {
  FakeClock clock(2000.0);
  CentralizedSampler sampler(Offline(&clock));
  ASSERT_TRUE(sampler.ApplyRulesResponse(Rules(Rule("orders", 1, 0.0, 5))));
  bool refresh = true;
  ASSERT_TRUE(sampler.ApplyTargetsResponse(
      "{\"SamplingTargetDocuments\":[{\"RuleName\":\"orders\",\"FixedRate\":0.0,"
      "\"ReservoirQuota\":5,\"ReservoirQuotaTTL\":2010.0,\"Interval\":10}],"
      "\"LastRuleModification\":1.0,\"UnprocessedStatistics\":[]}",
      &refresh));
  EXPECT_FALSE(refresh);  // rules were fetched after their last modification
  for (int second = 0; second < 5; ++second) {
    EXPECT_EQ(CountSampled(sampler, 100), 5) << "second " << second;
    clock.Advance(1);
  }
  std::vector<SamplingStatistics> stats = sampler.Statistics();
  EXPECT_EQ(stats[0].sampled_count, 25);
  EXPECT_EQ(stats[0].borrow_count, 0);
  // After the TTL the quota no longer applies: back to borrowing 1/s.
  clock.Set(2011.0);
  EXPECT_EQ(CountSampled(sampler, 100), 1);
}

TEST(CentralizedSampler, FixedRateFromTargetsAndRuleOrder) {
  FakeClock clock(3000.0);
  CentralizedSampler sampler(Offline(&clock));
  ASSERT_TRUE(sampler.ApplyRulesResponse(Rules(
      Rule("Default", 10000, 0.0, 0) + "," + Rule("checkout", 5, 1.0, 0, "checkout-*") + "," +
      Rule("attrs", 1, 1.0, 0, "*", "{\"k\":\"v\"}") + "," + Rule("v2", 1, 1.0, 0, "*", "{}", 2))));
  // Rules with Attributes or a Version other than 1 are skipped; Default goes last even
  // though it is listed first.
  SamplingRequest checkout{"checkout-api", "", "", "GET", "/"};
  SamplingRequest other{"orders", "", "", "GET", "/"};
  EXPECT_EQ(CountSampled(sampler, 100, checkout), 100);
  SamplingDecision decision = sampler.ShouldSample(other);
  EXPECT_EQ(decision.rule_name, "Default");
  EXPECT_FALSE(decision.sampled);
  // A target raises Default's rate to 0.5.
  ASSERT_TRUE(sampler.ApplyTargetsResponse(
      "{\"SamplingTargetDocuments\":[{\"RuleName\":\"Default\",\"FixedRate\":0.5,"
      "\"Interval\":10}],\"LastRuleModification\":1.0}"));
  int sampled = CountSampled(sampler, 10000, other);
  EXPECT_GT(sampled, 4500);
  EXPECT_LT(sampled, 5500);
}

TEST(CentralizedSampler, RulesExpireAfterAnHour) {
  FakeClock clock(4000.0);
  CentralizedSampler sampler(Offline(&clock));
  ASSERT_TRUE(sampler.ApplyRulesResponse(Rules(Rule("none", 1, 0.0, 0))));
  EXPECT_EQ(CountSampled(sampler, 10), 0);
  clock.Advance(3601);
  EXPECT_FALSE(sampler.HasRules());
  EXPECT_TRUE(sampler.ShouldSample({}).sampled);  // the local rule's 1/s
}

TEST(CentralizedSampler, RejectsGarbage) {
  FakeClock clock(5000.0);
  CentralizedSampler sampler(Offline(&clock));
  EXPECT_FALSE(sampler.ApplyRulesResponse(""));
  EXPECT_FALSE(sampler.ApplyRulesResponse("{\"SamplingRuleRecords\":"));
  EXPECT_FALSE(sampler.ApplyRulesResponse("{}"));
  EXPECT_FALSE(sampler.ApplyTargetsResponse("[1,"));
  EXPECT_FALSE(sampler.HasRules());
}

TEST(CentralizedSampler, TargetsRequestHasTheNodeShape) {
  FakeClock clock(1795498178.4);
  CentralizedSampler sampler(Offline(&clock));
  EXPECT_EQ(sampler.TakeTargetsRequest(), "");  // nothing matched yet
  ASSERT_TRUE(sampler.ApplyRulesResponse(Rules(Rule("error-traces", 1, 0.0, 1))));
  (void)CountSampled(sampler, 4);
  std::string body = sampler.TakeTargetsRequest();
  // 13-SamplingTargets.http from aws-xray-sdk-core, with our ClientID and counts.
  EXPECT_EQ(body,
            "{\"SamplingStatisticsDocuments\":[{\"RuleName\":\"error-traces\",\"ClientID\":\"" +
                sampler.client_id() +
                "\",\"RequestCount\":4,\"BorrowCount\":1,\"SampledCount\":0,"
                "\"Timestamp\":1795498178}]}");
  EXPECT_EQ(sampler.client_id().size(), 24u);
  EXPECT_EQ(sampler.TakeTargetsRequest(), "");  // counters were reset
}

TEST(CentralizedSampler, ReportsEachRuleAtItsTargetsInterval) {
  FakeClock clock(6000.0);
  CentralizedSampler sampler(Offline(&clock));
  ASSERT_TRUE(sampler.ApplyRulesResponse(
      Rules(Rule("slow", 1, 0.0, 0, "slow-svc") + "," + Rule("fast", 2, 0.0, 0, "fast-svc"))));
  ASSERT_TRUE(sampler.ApplyTargetsResponse(
      "{\"SamplingTargetDocuments\":[{\"RuleName\":\"slow\",\"FixedRate\":0.0,"
      "\"Interval\":30},{\"RuleName\":\"fast\",\"FixedRate\":0.0,\"Interval\":5}]}"));
  SamplingRequest slow{.service_name = "slow-svc"};
  SamplingRequest fast{.service_name = "fast-svc"};
  (void)CountSampled(sampler, 3, slow);
  (void)CountSampled(sampler, 2, fast);
  std::string first = sampler.TakeTargetsRequest();
  EXPECT_NE(first.find("\"RuleName\":\"slow\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"RuleName\":\"fast\""), std::string::npos) << first;
  // Five seconds on, only the rule with Interval 5 is due again.
  (void)CountSampled(sampler, 1, slow);
  (void)CountSampled(sampler, 1, fast);
  EXPECT_DOUBLE_EQ(sampler.SecondsUntilNextReport(), 5);
  clock.Advance(5);
  std::string second = sampler.TakeTargetsRequest();
  EXPECT_EQ(second.find("\"RuleName\":\"slow\""), std::string::npos) << second;
  EXPECT_NE(second.find("\"RuleName\":\"fast\",\"ClientID\""), std::string::npos) << second;
  // slow is due in 25 s, but the poller never sleeps longer than targets_interval_s.
  EXPECT_DOUBLE_EQ(sampler.SecondsUntilNextReport(), 10);
  // At 30 s the slow rule reports what it kept counting meanwhile.
  clock.Advance(25);
  std::string third = sampler.TakeTargetsRequest();
  EXPECT_NE(third.find("\"RuleName\":\"slow\""), std::string::npos) << third;
  EXPECT_NE(third.find("\"RequestCount\":1,"), std::string::npos) << third;
}

TEST(LocalRules, ParsesVersionTwoAndOneAndRejectsBadDocuments) {
  std::string error;
  auto rules = ParseLocalRules(R"({"version": 2, "rules": [
      {"description": "moves", "host": "*", "http_method": "POST", "url_path": "/api/move/*",
       "fixed_target": 0, "rate": 0.0},
      {"description": "health", "host": "*", "http_method": "*", "url_path": "/healthz",
       "fixed_target": 0, "rate": 1}],
    "default": {"fixed_target": 2, "rate": 0.0}})",
                               &error);
  ASSERT_TRUE(rules.has_value()) << error;
  ASSERT_EQ(rules->rules.size(), 2u);
  EXPECT_EQ(rules->rules[0].url_path, "/api/move/*");
  EXPECT_EQ(rules->fallback.fixed_target, 2);
  auto v1 = ParseLocalRules(R"({"version": 1, "rules": [{"service_name": "orders",
      "http_method": "*", "url_path": "*", "fixed_target": 1, "rate": 0.5}],
      "default": {"fixed_target": 1, "rate": 0.05}})");
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->rules[0].service_name, "orders");
  for (const char* bad :
       {R"({"version": 3, "default": {"fixed_target": 1, "rate": 0.1}})", R"({"version": 2})",
        R"({"version": 2, "default": {"fixed_target": 1, "rate": 1.5}})",
        R"({"version": 2, "default": {"fixed_target": 1, "rate": 0.1},
                              "rules": [{"url_path": "/x", "rate": 0.1}]})",
        "[]", "{"}) {
    EXPECT_FALSE(ParseLocalRules(bad, &error).has_value()) << bad;
    EXPECT_EQ(error.rfind("sampling rules: ", 0), 0u) << error;
  }
  EXPECT_FALSE(LoadLocalRules("/nonexistent/rules.json", &error).has_value());
}

TEST(LocalRules, FirstMatchingRuleDecidesWithItsOwnReservoir) {
  FakeClock clock(7000.0);
  auto rules = ParseLocalRules(R"({"version": 2, "rules": [
      {"host": "*", "http_method": "POST", "url_path": "/api/move/*", "fixed_target": 0,
       "rate": 0.0},
      {"host": "*", "http_method": "*", "url_path": "/healthz", "fixed_target": 0, "rate": 1}],
    "default": {"fixed_target": 2, "rate": 0.0}})");
  ASSERT_TRUE(rules.has_value());
  LocalSampler sampler(*rules, &clock, 9);
  SamplingRequest move{.http_method = "POST", .url_path = "/api/move/up"};
  SamplingRequest health{.http_method = "GET", .url_path = "/healthz"};
  SamplingRequest other{.http_method = "GET", .url_path = "/orders"};
  EXPECT_EQ(CountSampled(sampler, 50, move), 0);
  EXPECT_EQ(CountSampled(sampler, 50, health), 50);
  EXPECT_EQ(CountSampled(sampler, 50, other), 2);  // the default's 2 per second
  clock.Advance(1);
  EXPECT_EQ(CountSampled(sampler, 50, other), 2);
  // A centralized sampler without rules falls back to the same local rules.
  CentralizedSampler::Options options = Offline(&clock);
  options.local_rules = rules;
  CentralizedSampler centralized(options);
  EXPECT_EQ(CountSampled(centralized, 50, move), 0);
  EXPECT_EQ(CountSampled(centralized, 50, health), 50);
}

// A one-connection-at-a-time fake daemon that records requests and answers from a script.
class FakeDaemon {
 public:
  FakeDaemon() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDaemon() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (true) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buf[4096];
      while (true) {
        ssize_t n = ::recv(client, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        size_t end = request.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        size_t cl = request.find("Content-Length: ");
        size_t length = cl == std::string::npos ? 0 : std::stoul(request.substr(cl + 16));
        if (request.size() >= end + 4 + length) break;
      }
      std::string body;
      if (request.find("POST /GetSamplingRules ") == 0) {
        body = Rules(Rule("orders", 1, 0.0, 5));
      } else {
        body =
            "{\"SamplingTargetDocuments\":[{\"RuleName\":\"orders\",\"FixedRate\":0.0,"
            "\"ReservoirQuota\":3,\"ReservoirQuotaTTL\":4102444800.0,\"Interval\":10}],"
            "\"LastRuleModification\":1.0,\"UnprocessedStatistics\":[]}";
      }
      std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(RG_SHARED_DIR) + "/fixtures/clients/xray-sdk-node/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Normalizes a request for comparison with the captured Node request: CRLF → LF, the Host
// port and the ClientID/counters are ours.
std::string Normalize(std::string request) {
  std::string out;
  for (char c : request) {
    if (c != '\r') out.push_back(c);
  }
  size_t host = out.find("Host: 127.0.0.1:");
  if (host != std::string::npos) {
    size_t eol = out.find('\n', host);
    out.replace(host, eol - host, "Host: 127.0.0.1:PORT");
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(CentralizedSamplerPoller, FetchesRulesAndTargetsLikeTheNodeSdk) {
  FakeDaemon daemon;
  CentralizedSampler::Options options;
  options.daemon_host = "127.0.0.1";
  options.daemon_port = daemon.port();
  options.targets_interval_s = 0.2;
  CentralizedSampler sampler(options);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!sampler.HasRules() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(sampler.HasRules());
  (void)CountSampled(sampler, 3);  // matched requests make the poller report
  while (daemon.Requests().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<std::string> requests = daemon.Requests();
  ASSERT_GE(requests.size(), 2u);
  // The rules request is byte-for-byte the Node SDK's (01-GetSamplingRules.http).
  EXPECT_EQ(Normalize(requests[0]), Normalize(ReadFixture("01-GetSamplingRules.http")));
  // The targets request has the same request line and headers as 13-SamplingTargets.http.
  std::string targets = Normalize(requests[1]);
  std::string fixture = Normalize(ReadFixture("13-SamplingTargets.http"));
  EXPECT_EQ(targets.substr(0, targets.find("Content-Length")),
            fixture.substr(0, fixture.find("Content-Length")));
  EXPECT_EQ(targets.substr(targets.find("\nHost"), targets.find("\n\n") - targets.find("\nHost")),
            fixture.substr(fixture.find("\nHost"), fixture.find("\n\n") - fixture.find("\nHost")));
  std::string body = targets.substr(targets.find("\n\n") + 2);
  std::optional<Json> parsed = Json::Parse(body);
  ASSERT_TRUE(parsed.has_value()) << body;
  const Json& doc = parsed->Find("SamplingStatisticsDocuments")->AsArray().at(0);
  EXPECT_EQ(doc.Find("RuleName")->AsString(), "orders");
  EXPECT_EQ(doc.Find("RequestCount")->AsInt(), 3);
  EXPECT_EQ(doc.Find("BorrowCount")->AsInt(), 1);
  // The quota of 3/s from the target now applies, and with a quota nothing is borrowed.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int sampled = CountSampled(sampler, 100);  // may straddle a second boundary
  EXPECT_GE(sampled, 3);
  EXPECT_LE(sampled, 6);
  EXPECT_EQ(sampler.Statistics().at(0).borrow_count, 0);
  sampler.Shutdown();
}

TEST(CentralizedSamplerPoller, UnreachableDaemonUsesTheLocalRule) {
  CentralizedSampler::Options options;
  options.daemon_host = "127.0.0.1";
  options.daemon_port = 1;  // nothing listens
  options.http_timeout_s = 0.2;
  CentralizedSampler sampler(options);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(sampler.HasRules());
  EXPECT_TRUE(sampler.ShouldSample({}).sampled);  // the local rule's first request this second
  sampler.Shutdown();
  sampler.Shutdown();  // idempotent
}

}  // namespace
}  // namespace roentgen::sdk
