// SPDX-License-Identifier: Apache-2.0
#include "sampling/sampling.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "sampling/internal/quota.h"
#include "sampling/internal/rule_codec.h"

namespace roentgen::sampling {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'795'497'600;  // 2026-11-24T00:00:00Z
const model::TenantId kTenant = "123456789012";

// The recipe's two rules (000_91255ed27935efe5.txt, "Create sampling rules").
SamplingRule HighPriority() {
  SamplingRule rule;
  rule.name = "high-priority-requests";
  rule.priority = 100;
  rule.fixed_rate = 1.0;
  rule.reservoir_size = 10;
  rule.service_name = "order-processor";
  return rule;
}

SamplingRule ErrorTraces() {
  SamplingRule rule;
  rule.name = "error-traces";
  rule.priority = 50;
  rule.fixed_rate = 1.0;
  rule.reservoir_size = 5;
  return rule;
}

class SamplingTest : public ::testing::Test {
 protected:
  SamplingTest() : clock_(kStart * 1'000'000'000) {}

  std::unique_ptr<SamplingRegistry> Open(SamplingOptions options = {}) {
    options.clock = &clock_;
    auto registry = SamplingRegistry::Open(&store_, options);
    EXPECT_TRUE(registry.ok()) << registry.error().ToString();
    return std::move(registry).value();
  }

  static std::vector<std::string> Names(const RulePage& page) {
    std::vector<std::string> names;
    for (const SamplingRule& rule : page.rules) names.push_back(rule.name);
    return names;
  }

  ManualClock clock_;
  MemoryRuleStore store_;
};

TEST_F(SamplingTest, DefaultRuleAlwaysExists) {
  auto registry = Open();
  auto page = registry->List(kTenant, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rules.size(), 1u);
  const SamplingRule& rule = page->rules[0];
  EXPECT_EQ(rule.name, "Default");
  EXPECT_EQ(rule.arn, "arn:aws:xray:us-east-1:123456789012:sampling-rule/Default");
  EXPECT_EQ(rule.priority, 10000);
  EXPECT_EQ(rule.reservoir_size, 1);
  EXPECT_DOUBLE_EQ(rule.fixed_rate, 0.05);
  EXPECT_EQ(rule.service_name, "*");
  EXPECT_EQ(rule.resource_arn, "*");
  EXPECT_EQ(rule.version, 1);
  EXPECT_EQ(rule.created_at, 0);
  EXPECT_TRUE(page->next_token.empty());
}

TEST_F(SamplingTest, CreateListDeleteRecipeRules) {
  auto registry = Open();
  auto created = registry->Create(kTenant, HighPriority());
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(created->arn,
            "arn:aws:xray:us-east-1:123456789012:sampling-rule/high-priority-requests");
  EXPECT_EQ(created->created_at, static_cast<double>(kStart));
  EXPECT_EQ(created->modified_at, static_cast<double>(kStart));
  ASSERT_TRUE(registry->Create(kTenant, ErrorTraces()).ok());
  EXPECT_THAT(Names(registry->List(kTenant, "").value()),
              ElementsAre("Default", "error-traces", "high-priority-requests"));
  // Other tenants do not see them.
  EXPECT_THAT(Names(registry->List("000000000000", "").value()), ElementsAre("Default"));

  auto duplicate = registry->Create(kTenant, ErrorTraces());
  EXPECT_EQ(duplicate.error().code(), StatusCode::kAlreadyExists);

  RuleSelector by_name{std::string("high-priority-requests"), std::nullopt};
  auto deleted = registry->Delete(kTenant, by_name);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->name, "high-priority-requests");
  EXPECT_EQ(registry->Delete(kTenant, by_name).error().code(), StatusCode::kNotFound);
  RuleSelector by_arn{std::nullopt, registry->RuleArn(kTenant, "error-traces")};
  ASSERT_TRUE(registry->Delete(kTenant, by_arn).ok());
  EXPECT_THAT(Names(registry->List(kTenant, "").value()), ElementsAre("Default"));
  RuleSelector both{std::string("x"), std::string("y")};
  EXPECT_EQ(registry->Delete(kTenant, both).error().code(), StatusCode::kInvalidArgument);
  RuleSelector default_rule{std::string("Default"), std::nullopt};
  EXPECT_EQ(registry->Delete(kTenant, default_rule).error().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(SamplingTest, ValidationRejectsOutOfRangeRules) {
  auto registry = Open();
  auto expect_invalid = [&](SamplingRule rule, std::string_view message) {
    auto result = registry->Create(kTenant, rule);
    ASSERT_FALSE(result.ok()) << message;
    EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.error().message()), HasSubstr(message));
  };
  SamplingRule rule = HighPriority();
  rule.name = std::string(33, 'a');
  expect_invalid(rule, "RuleName");
  rule.name = "bad name";
  expect_invalid(rule, "RuleName");
  rule.name = "";
  expect_invalid(rule, "RuleName");
  rule.name = "Default";
  expect_invalid(rule, "Default");
  rule = HighPriority();
  rule.priority = 0;
  expect_invalid(rule, "Priority");
  rule.priority = 10000;
  expect_invalid(rule, "Priority");
  rule = HighPriority();
  rule.fixed_rate = 1.5;
  expect_invalid(rule, "FixedRate");
  rule.fixed_rate = -0.1;
  expect_invalid(rule, "FixedRate");
  rule = HighPriority();
  rule.reservoir_size = -1;
  expect_invalid(rule, "ReservoirSize");
  rule = HighPriority();
  rule.version = 2;
  expect_invalid(rule, "Version");
  rule = HighPriority();
  rule.service_name = std::string(65, 's');
  expect_invalid(rule, "ServiceName");
  rule = HighPriority();
  rule.http_method = "";
  expect_invalid(rule, "HTTPMethod");
  rule = HighPriority();
  rule.url_path = "/a\nb";
  expect_invalid(rule, "URLPath");
  rule = HighPriority();
  for (int idx = 0; idx < 6; ++idx) rule.attributes["k" + std::to_string(idx)] = "v";
  expect_invalid(rule, "Attributes");
  rule = HighPriority();
  rule.attributes[std::string(33, 'k')] = "v";
  expect_invalid(rule, "Attributes");
  // Wildcards and the extreme valid values are fine.
  rule = HighPriority();
  rule.priority = 9999;
  rule.fixed_rate = 0;
  rule.reservoir_size = 0;
  rule.url_path = "/api/*/orders?";
  rule.name = std::string(32, 'r');
  rule.attributes = {{"env", "prod"}};
  EXPECT_TRUE(registry->Create(kTenant, rule).ok());
}

TEST_F(SamplingTest, RuleLimit) {
  SamplingOptions options;
  options.max_rules = 2;
  auto registry = Open(options);
  ASSERT_TRUE(registry->Create(kTenant, HighPriority()).ok());
  ASSERT_TRUE(registry->Create(kTenant, ErrorTraces()).ok());
  SamplingRule third = ErrorTraces();
  third.name = "third";
  EXPECT_EQ(registry->Create(kTenant, third).error().code(), StatusCode::kOutOfRange);
}

TEST_F(SamplingTest, UpdateChangesOnlyGivenMembersAndDefaultOnlyRates) {
  auto registry = Open();
  ASSERT_TRUE(registry->Create(kTenant, HighPriority()).ok());
  clock_.Advance(std::chrono::seconds(5));
  RuleUpdate update;
  update.selector.name = "high-priority-requests";
  update.fixed_rate = 0.5;
  update.reservoir_size = 20;
  auto updated = registry->Update(kTenant, update);
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  EXPECT_DOUBLE_EQ(updated->fixed_rate, 0.5);
  EXPECT_EQ(updated->reservoir_size, 20);
  EXPECT_EQ(updated->priority, 100);
  EXPECT_EQ(updated->service_name, "order-processor");
  EXPECT_EQ(updated->created_at, static_cast<double>(kStart));
  EXPECT_EQ(updated->modified_at, static_cast<double>(kStart + 5));
  EXPECT_EQ(registry->LastRuleModification(kTenant), static_cast<double>(kStart + 5));

  update.fixed_rate = 2;
  EXPECT_EQ(registry->Update(kTenant, update).error().code(), StatusCode::kInvalidArgument);

  RuleUpdate default_update;
  default_update.selector.name = "Default";
  default_update.fixed_rate = 0.1;
  default_update.reservoir_size = 3;
  default_update.priority = 10000;  // unchanged values are accepted
  auto updated_default = registry->Update(kTenant, default_update);
  ASSERT_TRUE(updated_default.ok()) << updated_default.error().ToString();
  EXPECT_DOUBLE_EQ(updated_default->fixed_rate, 0.1);
  EXPECT_EQ(updated_default->reservoir_size, 3);
  default_update.service_name = "other";
  EXPECT_EQ(registry->Update(kTenant, default_update).error().code(),
            StatusCode::kFailedPrecondition);

  RuleUpdate missing;
  missing.selector.name = "nope";
  EXPECT_EQ(registry->Update(kTenant, missing).error().code(), StatusCode::kNotFound);
}

TEST_F(SamplingTest, RulesPersistAcrossReopen) {
  {
    auto registry = Open();
    ASSERT_TRUE(registry->Create(kTenant, HighPriority()).ok());
    ASSERT_TRUE(registry->Create(kTenant, ErrorTraces()).ok());
    RuleUpdate update;
    update.selector.name = "Default";
    update.reservoir_size = 7;
    ASSERT_TRUE(registry->Update(kTenant, update).ok());
    ASSERT_TRUE(registry->Delete(kTenant, RuleSelector{std::string("error-traces"), {}}).ok());
  }
  auto reopened = Open();
  auto page = reopened->List(kTenant, "").value();
  ASSERT_THAT(Names(page), ElementsAre("Default", "high-priority-requests"));
  EXPECT_EQ(page.rules[0].reservoir_size, 7);
  EXPECT_EQ(page.rules[1].service_name, "order-processor");
  EXPECT_EQ(page.rules[1].arn,
            "arn:aws:xray:us-east-1:123456789012:sampling-rule/high-priority-requests");
}

TEST_F(SamplingTest, CorruptStoredRuleFailsOpen) {
  ASSERT_TRUE(store_.Put(kTenant, "x", "garbage").ok());
  auto registry = SamplingRegistry::Open(&store_, {});
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.error().code(), StatusCode::kCorruption);
}

TEST_F(SamplingTest, RulesPaginate) {
  SamplingOptions options;
  options.rules_page_size = 2;
  auto registry = Open(options);
  for (std::string name : {"e", "a", "d", "c", "b"}) {
    SamplingRule rule = ErrorTraces();
    rule.name = name;
    ASSERT_TRUE(registry->Create(kTenant, rule).ok());
  }
  std::vector<std::string> all;
  std::vector<std::string> tokens;
  std::string token;
  do {
    auto page = registry->List(kTenant, token);
    ASSERT_TRUE(page.ok());
    for (const auto& name : Names(*page)) all.push_back(name);
    token = page->next_token;
    ASSERT_TRUE(std::find(tokens.begin(), tokens.end(), token) == tokens.end());
    tokens.push_back(token);
  } while (!token.empty());
  EXPECT_THAT(all, ElementsAre("Default", "a", "b", "c", "d", "e"));
  EXPECT_EQ(registry->List(kTenant, "bogus").error().code(), StatusCode::kInvalidArgument);
}

StatisticsDocument Report(std::string rule, std::string client, int64_t requests,
                          double timestamp = kStart) {
  return StatisticsDocument{std::move(rule), std::move(client), timestamp, requests, 0, 0};
}

TEST_F(SamplingTest, TargetsCarryEpochSecondTtlAndInterval) {
  auto registry = Open();
  ASSERT_TRUE(registry->Create(kTenant, HighPriority()).ok());
  std::vector<StatisticsDocument> documents = {
      Report("high-priority-requests", "0123456789abcdef01234567", 100),
      Report("nope", "0123456789abcdef01234567", 1)};
  TargetsResult result = registry->GetTargets(kTenant, documents);
  ASSERT_EQ(result.targets.size(), 1u);
  const TargetDocument& target = result.targets[0];
  EXPECT_EQ(target.rule_name, "high-priority-requests");
  EXPECT_DOUBLE_EQ(target.fixed_rate, 1.0);
  EXPECT_EQ(target.reservoir_quota, 10);
  EXPECT_EQ(target.reservoir_quota_ttl, kStart + 15);
  EXPECT_EQ(target.interval, 10);
  EXPECT_EQ(result.last_rule_modification, static_cast<double>(kStart));
  ASSERT_EQ(result.unprocessed.size(), 1u);
  EXPECT_EQ(result.unprocessed[0].rule_name, "nope");
  EXPECT_EQ(result.unprocessed[0].error_code, "400");
}

TEST_F(SamplingTest, TimestampsInMillisecondsAndBadDocuments) {
  auto registry = Open();
  std::vector<StatisticsDocument> documents = {
      Report("Default", "aaaaaaaaaaaaaaaaaaaaaaaa", 4, kStart * 1000.0 + 500),
      Report("Default", "", 4),
      StatisticsDocument{"Default", "bbbbbbbbbbbbbbbbbbbbbbbb", kStart, -1, 0, 0},
      Report("Default", "cccccccccccccccccccccccc", 4, -5)};
  TargetsResult result = registry->GetTargets(kTenant, documents);
  EXPECT_EQ(result.targets.size(), 1u);
  EXPECT_EQ(result.unprocessed.size(), 3u);
  auto summaries = registry->StatisticSummaries(kTenant, "").value();
  ASSERT_EQ(summaries.summaries.size(), 1u);
  EXPECT_EQ(summaries.summaries[0].timestamp, kStart);  // the ms timestamp's window
  EXPECT_EQ(summaries.summaries[0].request_count, 4);
}

TEST_F(SamplingTest, FleetOfThreeConvergesToTheReservoir) {
  auto registry = Open();
  SamplingRule rule = HighPriority();
  rule.fixed_rate = 0;
  ASSERT_TRUE(registry->Create(kTenant, rule).ok());
  std::vector<std::string> clients = {"aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb",
                                      "cccccccccccccccccccccccc"};
  std::vector<int64_t> quotas(3);
  for (int round = 0; round < 6; ++round) {
    clock_.Advance(std::chrono::seconds(10));
    for (size_t idx = 0; idx < clients.size(); ++idx) {
      StatisticsDocument document = Report(rule.name, clients[idx], 500, clock_.NowUnixSeconds());
      quotas[idx] = registry->GetTargets(kTenant, {&document, 1}).targets.at(0).reservoir_quota;
    }
    // The first round hands everything to the first reporter; from the second round on, each
    // client's new quota replaces its old one and the fleet shares the reservoir.
    if (round >= 1) {
      EXPECT_EQ(quotas[0] + quotas[1] + quotas[2], 10) << round;
    }
  }
  // Water-filling gives 3, 3, 4 (the remainder to the last by id), stable from round to round.
  EXPECT_THAT(quotas, ElementsAre(3, 3, 4));
  // When one client leaves, the other two take its share once its quota has expired.
  for (int round = 0; round < 6; ++round) {
    clock_.Advance(std::chrono::seconds(10));
    for (size_t idx = 0; idx < 2; ++idx) {
      StatisticsDocument document = Report(rule.name, clients[idx], 500, clock_.NowUnixSeconds());
      quotas[idx] = registry->GetTargets(kTenant, {&document, 1}).targets.at(0).reservoir_quota;
    }
  }
  EXPECT_EQ(quotas[0] + quotas[1], 10);
  // Statistics: one window per round and rule.
  auto summaries = registry->StatisticSummaries(kTenant, "").value();
  ASSERT_FALSE(summaries.summaries.empty());
  EXPECT_EQ(summaries.summaries[0].rule_name, rule.name);
  EXPECT_EQ(summaries.summaries[0].request_count, 1000);
  EXPECT_GT(summaries.summaries[0].timestamp, summaries.summaries[1].timestamp);
}

TEST_F(SamplingTest, SummariesPaginate) {
  SamplingOptions options;
  options.summaries_page_size = 3;
  auto registry = Open(options);
  for (int window = 0; window < 7; ++window) {
    clock_.Advance(std::chrono::seconds(10));
    StatisticsDocument document =
        Report("Default", "aaaaaaaaaaaaaaaaaaaaaaaa", window + 1, clock_.NowUnixSeconds());
    (void)registry->GetTargets(kTenant, {&document, 1});
  }
  std::vector<int64_t> counts;
  std::string token;
  int pages = 0;
  do {
    auto page = registry->StatisticSummaries(kTenant, token);
    ASSERT_TRUE(page.ok());
    for (const auto& summary : page->summaries) counts.push_back(summary.request_count);
    token = page->next_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(counts, ElementsAre(7, 6, 5, 4, 3, 2, 1));
  EXPECT_EQ(registry->StatisticSummaries(kTenant, "offset:x").error().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SamplingTest, ConcurrentCallsAreSafe) {
  auto registry = Open();
  ASSERT_TRUE(registry->Create(kTenant, HighPriority()).ok());
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < 4; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      std::string client = std::string(23, 'a') + static_cast<char>('0' + thread_idx);
      for (int call = 0; call < 200; ++call) {
        StatisticsDocument document = Report("high-priority-requests", client, 50);
        TargetsResult result = registry->GetTargets(kTenant, {&document, 1});
        EXPECT_LE(result.targets.at(0).reservoir_quota, 10);
        if (call % 50 == 0) {
          SamplingRule rule = ErrorTraces();
          rule.name = "t" + std::to_string(thread_idx) + "-" + std::to_string(call);
          EXPECT_TRUE(registry->Create(kTenant, rule).ok());
          EXPECT_TRUE(registry->List(kTenant, "").ok());
          EXPECT_TRUE(registry->StatisticSummaries(kTenant, "").ok());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(registry->List(kTenant, "")->rules.size(), 2u + 16u);
}

// The property: for random client arrivals, departures and request rates, the
// quotas valid at any second, including those of clients that went quiet, never sum above
// the reservoir.
TEST(QuotaAllocatorTest, ValidQuotasNeverExceedTheReservoir) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    internal::QuotaAllocator allocator({10, 30, 10000});
    int64_t reservoir = std::uniform_int_distribution<int64_t>(0, 50)(rng);
    struct Client {
      std::string id;
      int64_t next_report;
      int64_t period;
      int64_t rate;
      bool active;
    };
    std::vector<Client> clients;
    for (int64_t now = 0; now < 600; ++now) {
      if (rng() % 10 == 0) {
        clients.push_back(Client{
            "client-" + std::to_string(clients.size()), now + static_cast<int64_t>(rng() % 10),
            static_cast<int64_t>(5 + rng() % 20), static_cast<int64_t>(rng() % 200), true});
      }
      for (Client& client : clients) {
        if (client.active && rng() % 100 == 0) client.active = false;  // goes quiet
        if (client.active && rng() % 20 == 0) client.rate = static_cast<int64_t>(rng() % 200);
        if (!client.active || client.next_report > now) continue;
        int64_t ttl = now + static_cast<int64_t>(rng() % 40);
        int64_t quota =
            allocator.Allocate(client.id, now, client.rate * client.period, reservoir, ttl);
        ASSERT_GE(quota, 0);
        client.next_report = now + client.period;
      }
      for (int64_t ahead = 0; ahead < 45; ++ahead) {
        ASSERT_LE(allocator.OutstandingAt(now + ahead), reservoir)
            << "seed " << seed << " at " << now << "+" << ahead;
      }
    }
  }
}

TEST(QuotaAllocatorTest, QuietClientsAreForgotten) {
  internal::QuotaAllocator allocator({10, 30, 10000});
  EXPECT_EQ(allocator.Allocate("a", 0, 100, 10, 15), 10);
  EXPECT_EQ(allocator.Allocate("b", 5, 100, 10, 20), 0);       // a holds everything until 15
  EXPECT_EQ(allocator.Allocate("b", 16, 100, 10, 31), 5);      // a's quota expired; a still counts
  EXPECT_EQ(allocator.Allocate("b", 100, 1000, 10, 115), 10);  // a gone quiet
  EXPECT_EQ(allocator.client_count(), 1u);
}

TEST(RuleCodecTest, RoundTripsAndRejectsDamage) {
  SamplingRule rule = HighPriority();
  rule.attributes = {{"env", "prod"}, {"team", "a"}};
  rule.created_at = 1700000000.5;
  rule.modified_at = 1700000001.25;
  std::string bytes = internal::EncodeRule(rule);
  auto decoded = internal::DecodeRule(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, rule);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(internal::DecodeRule(bytes.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(internal::DecodeRule(bytes + "x").ok());
  rule.fixed_rate = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(internal::DecodeRule(internal::EncodeRule(rule)).error().code(),
            StatusCode::kCorruption);
}

// The fuzz seeds were written from the format comment in rule_codec.h, not by EncodeRule: the
// stored format must keep decoding them.
TEST(RuleCodecTest, DecodesTheDocumentedFormat) {
  std::ifstream file(std::string(RG_SOURCE_DIR) +
                         "/src/sampling/testdata/rule_codec_corpus/high_priority_requests",
                     std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto rule = internal::DecodeRule(bytes);
  ASSERT_TRUE(rule.ok()) << rule.error().ToString();
  EXPECT_EQ(rule->name, "high-priority-requests");
  EXPECT_EQ(rule->service_name, "order-processor");
  EXPECT_EQ(rule->priority, 100);
  EXPECT_EQ(rule->reservoir_size, 10);
  EXPECT_EQ(rule->version, 1);
  EXPECT_DOUBLE_EQ(rule->fixed_rate, 1.0);
  EXPECT_DOUBLE_EQ(rule->created_at, 1795526609.098);
  EXPECT_TRUE(rule->attributes.empty());
}

}  // namespace
}  // namespace roentgen::sampling
