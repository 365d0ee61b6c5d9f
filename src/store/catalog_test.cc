// SPDX-License-Identifier: Apache-2.0
#include "store/catalog.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace roentgen::store {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  CatalogTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("rg_catalog_test_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
  }
  ~CatalogTest() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CatalogTest, PersistsAndSeparatesKindsAndTenants) {
  {
    auto catalog = Catalog::Open(dir_.string());
    ASSERT_TRUE(catalog.ok()) << catalog.error().ToString();
    ASSERT_TRUE((*catalog)->Put("group", "000000000000", "b", "{\"f\":2}").ok());
    ASSERT_TRUE((*catalog)->Put("group", "000000000000", "a", "{\"f\":1}").ok());
    ASSERT_TRUE((*catalog)->Put("group", "111111111111", "a", "other tenant").ok());
    ASSERT_TRUE((*catalog)->Put("sampling_rule", "000000000000", "a", "rule").ok());
    ASSERT_TRUE((*catalog)->Delete("group", "000000000000", "missing").ok());
  }
  auto catalog = Catalog::Open(dir_.string());
  ASSERT_TRUE(catalog.ok());
  auto groups = (*catalog)->List("group", "000000000000");
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].first, "a");
  EXPECT_EQ((*groups)[0].second, "{\"f\":1}");
  EXPECT_EQ((*groups)[1].first, "b");
  EXPECT_EQ((*catalog)->Get("group", "111111111111", "a").value(), "other tenant");
  EXPECT_EQ((*catalog)->Get("sampling_rule", "000000000000", "a").value(), "rule");
  EXPECT_EQ((*catalog)->Get("group", "000000000000", "zzz").error().code(), StatusCode::kNotFound);
  ASSERT_TRUE((*catalog)->Delete("group", "000000000000", "a").ok());
  EXPECT_EQ((*catalog)->List("group", "000000000000")->size(), 1u);
}

}  // namespace
}  // namespace roentgen::store
