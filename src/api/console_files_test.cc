// SPDX-License-Identifier: Apache-2.0
#include "api/console_files.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace roentgen::api {
namespace {

std::string Header(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class ConsoleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        std::filesystem::temp_directory_path() /
        ("console_files_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "dist" / "assets");
    Write("dist/index.html", "<!doctype html><title>console</title>");
    Write("dist/assets/index-3f2a1b.js", "console.log(1)");
    Write("dist/assets/index-77aa.css", "body{}");
    Write("dist/favicon.svg", "<svg/>");
    Write("dist/.env", "SECRET=1");
    Write("secret.txt", "outside the console directory");
    dist_ = (root_ / "dist").string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(root_ / relative, std::ios::binary) << text;
  }

  std::filesystem::path root_;
  std::string dist_;
};

TEST_F(ConsoleFilesTest, ConsolePaths) {
  EXPECT_TRUE(IsConsolePath("/console"));
  EXPECT_TRUE(IsConsolePath("/console/"));
  EXPECT_TRUE(IsConsolePath("/console/assets/x.js"));
  EXPECT_FALSE(IsConsolePath("/consoles"));
  EXPECT_FALSE(IsConsolePath("/TraceSummaries"));
}

TEST_F(ConsoleFilesTest, IndexIsServedAndRevalidated) {
  auto response = ServeConsoleFile(dist_, "/console/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<!doctype html><title>console</title>");
  EXPECT_EQ(Header(response, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Header(response, "Cache-Control"), "no-cache");
  auto direct = ServeConsoleFile(dist_, "/console/index.html");
  EXPECT_EQ(direct.status, 200);
  EXPECT_EQ(Header(direct, "Cache-Control"), "no-cache");
}

TEST_F(ConsoleFilesTest, BareConsoleRedirects) {
  auto response = ServeConsoleFile(dist_, "/console");
  EXPECT_EQ(response.status, 301);
  EXPECT_EQ(Header(response, "Location"), "/console/");
}

TEST_F(ConsoleFilesTest, HashedAssetsAreImmutableWithTheirType) {
  auto js = ServeConsoleFile(dist_, "/console/assets/index-3f2a1b.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(Header(js, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  auto css = ServeConsoleFile(dist_, "/console/assets/index-77aa.css");
  EXPECT_EQ(Header(css, "Content-Type"), "text/css; charset=utf-8");
  auto svg = ServeConsoleFile(dist_, "/console/favicon.svg");
  EXPECT_EQ(svg.status, 200);
  EXPECT_EQ(Header(svg, "Content-Type"), "image/svg+xml");
  EXPECT_EQ(Header(svg, "Cache-Control"), "no-cache");
}

TEST_F(ConsoleFilesTest, ClientRoutesFallBackToIndex) {
  for (std::string_view route :
       {"/console/traces", "/console/traces/1-5759e988-bd862e3fe1be46a994272793",
        "/console/map/"}) {
    auto response = ServeConsoleFile(dist_, route);
    EXPECT_EQ(response.status, 200) << route;
    EXPECT_EQ(response.body, "<!doctype html><title>console</title>") << route;
    EXPECT_EQ(Header(response, "Cache-Control"), "no-cache") << route;
  }
}

TEST_F(ConsoleFilesTest, MissingAssetsAre404) {
  EXPECT_EQ(ServeConsoleFile(dist_, "/console/assets/gone-123.js").status, 404);
  EXPECT_EQ(ServeConsoleFile(dist_, "/console/robots.txt").status, 404);
}

TEST_F(ConsoleFilesTest, TraversalIsRefused) {
  for (std::string_view path :
       {"/console/../secret.txt", "/console/assets/../../secret.txt", "/console/%2e%2e/secret.txt",
        "/console/%2E%2E%2Fsecret.txt", "/console/..%5csecret.txt", "/console/.env",
        "/console/assets/%00.js", "/console/%zz", "/console/%2"}) {
    auto response = ServeConsoleFile(dist_, path);
    EXPECT_EQ(response.status, 400) << path;
    EXPECT_EQ(response.body.find("outside"), std::string::npos) << path;
    EXPECT_EQ(response.body.find("SECRET"), std::string::npos) << path;
  }
}

TEST_F(ConsoleFilesTest, MissingDirectoryExplainsHowToBuild) {
  auto response = ServeConsoleFile((root_ / "nowhere").string(), "/console/");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(Header(response, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("npm --prefix console ci"), std::string::npos);
  EXPECT_NE(response.body.find("--console-dir"), std::string::npos);
  EXPECT_NE(response.body.find("nowhere"), std::string::npos);
  EXPECT_EQ(ServeConsoleFile("", "/console/traces").status, 503);
}

}  // namespace
}  // namespace roentgen::api
