// SPDX-License-Identifier: Apache-2.0
#include "server/config.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace roentgen::server {
namespace {

TEST(ConfigTest, ParsesDurationsSizesAndAddresses) {
  EXPECT_EQ(ParseDuration("30d").value(), std::chrono::hours(24 * 30));
  EXPECT_EQ(ParseDuration("2s").value(), std::chrono::seconds(2));
  EXPECT_EQ(ParseDuration("500ms").value(), std::chrono::milliseconds(500));
  EXPECT_EQ(ParseDuration("1.5h").value(), std::chrono::minutes(90));
  EXPECT_FALSE(ParseDuration("2 weeks").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_EQ(ParseByteSize("1GiB").value(), uint64_t{1} << 30);
  EXPECT_EQ(ParseByteSize("500KiB").value(), 500u * 1024);
  EXPECT_EQ(ParseByteSize("10MB").value(), 10'000'000u);
  EXPECT_FALSE(ParseByteSize("12 parsecs").ok());
  auto address = ParseHostPort("127.0.0.1:2000").value();
  EXPECT_EQ(address.first, "127.0.0.1");
  EXPECT_EQ(address.second, 2000);
  EXPECT_EQ(ParseHostPort("[::1]:0").value().first, "::1");
  EXPECT_FALSE(ParseHostPort("localhost").ok());
  EXPECT_FALSE(ParseHostPort("localhost:70000").ok());
}

TEST(ConfigTest, EveryOptionRoundTripsItsDefault) {
  ServerConfig defaults;
  for (const auto& spec : ServeOptions()) {
    ServerConfig config;
    std::string text = spec.current(defaults);
    if (text.empty()) continue;
    EXPECT_TRUE(spec.apply(&config, text).ok()) << spec.name << " = " << text;
    EXPECT_EQ(spec.current(config), text) << spec.name;
  }
  EXPECT_TRUE(ValidateConfig(defaults).ok());
}

TEST(ConfigTest, RejectsOutOfBounds) {
  ServerConfig config;
  config.memory_limit_bytes = 1024;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = ServerConfig();
  config.tenant = "abc";
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = ServerConfig();
  config.quiet_period = std::chrono::milliseconds(1);
  EXPECT_FALSE(ValidateConfig(config).ok());
}

TEST(ConfigTest, EveryOptionIsDocumented) {
  std::ifstream in(std::string(RG_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& spec : ServeOptions()) {
    EXPECT_NE(text.str().find("| `" + std::string(spec.name) + "` |"), std::string::npos)
        << spec.name << " is missing from docs/configuration.md";
  }
}

}  // namespace
}  // namespace roentgen::server
