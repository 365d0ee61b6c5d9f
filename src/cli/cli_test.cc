// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <sstream>

#include <gtest/gtest.h>

#include "cli/time_args.h"
#include "http/http_client.h"

namespace roentgen::cli {
namespace {

TEST(TimeArgsTest, ParsesDurations) {
  EXPECT_EQ(*ParseSince("90s"), 90);
  EXPECT_EQ(*ParseSince("15m"), 900);
  EXPECT_EQ(*ParseSince("1h30m"), 5400);
  EXPECT_EQ(*ParseSince("7d"), 7 * 86400);
  EXPECT_EQ(*ParseSince("120"), 120);
  EXPECT_FALSE(ParseSince("").ok());
  EXPECT_FALSE(ParseSince("1w").ok());
  EXPECT_FALSE(ParseSince("-5m").ok());
}

TEST(TimeArgsTest, ParsesTimestamps) {
  // The recipe's `date -u +%Y-%m-%dT%H:%M:%S` form and the epoch seconds it stands for.
  EXPECT_EQ(*ParseTimestamp("2025-07-12T10:00:00"), 1752314400);
  EXPECT_EQ(*ParseTimestamp("2025-07-12T10:00:00Z"), 1752314400);
  EXPECT_EQ(*ParseTimestamp("2025-07-12T10:00:00+00:00"), 1752314400);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("2025-07-12T10:00:00.250Z"), 1752314400.25);
  EXPECT_EQ(*ParseTimestamp("2025-07-12"), 1752278400);
  EXPECT_EQ(*ParseTimestamp("1752314400"), 1752314400);
  EXPECT_FALSE(ParseTimestamp("2025-13-12T10:00:00").ok());
  EXPECT_FALSE(ParseTimestamp("2025-07-12T10:00:00+02:00").ok());  // UTC only
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
  EXPECT_EQ(FormatTimestamp(1752314400.25), "2025-07-12T10:00:00.250Z");
  EXPECT_EQ(FormatTimestamp(1752314400.9996), "2025-07-12T10:00:01.000Z");
}

TEST(EndpointTest, ParsesEndpoints) {
  auto endpoint = http::ParseEndpoint("http://127.0.0.1:2900/");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "127.0.0.1");
  EXPECT_EQ(endpoint->port, 2900);
  EXPECT_EQ(http::ParseEndpoint("localhost")->port, 2000);
  EXPECT_EQ(http::ParseEndpoint("[::1]:2000")->host, "::1");
  EXPECT_FALSE(http::ParseEndpoint("https://example.com").ok());
  EXPECT_FALSE(http::ParseEndpoint("host:99999").ok());
  EXPECT_FALSE(http::ParseEndpoint("http://:2000").ok());
}

TEST(QueryCommandTest, ReportsUsageErrorsAndUnreachableServers) {
  std::ostringstream out;
  std::ostringstream err;
  QueryOptions options;
  options.since = "forever";
  EXPECT_EQ(RunQuery(options, out, err), 2);
  EXPECT_NE(err.str().find("--since"), std::string::npos);
  // Port 1 on loopback refuses connections: an API error, exit 1, no table.
  options = QueryOptions();
  options.common.endpoint = "http://127.0.0.1:1";
  err.str("");
  EXPECT_EQ(RunQuery(options, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(err.str().find("127.0.0.1:1"), std::string::npos);
}

TEST(SamplingCommandTest, ReportsUnreachableServers) {
  std::ostringstream out;
  std::ostringstream err;
  SamplingOptions options;
  options.common.endpoint = "http://127.0.0.1:1";
  EXPECT_EQ(RunSampling(options, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(err.str().find("roentgen sampling: "), std::string::npos);
}

}  // namespace
}  // namespace roentgen::cli
