// SPDX-License-Identifier: Apache-2.0
#include "groups/groups.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "groups/internal/group_codec.h"
#include "groups/internal/validation.h"

namespace roentgen::groups {
namespace {

constexpr std::string_view kTenant = "000000000000";
constexpr int64_t kStart = 1'795'000'000'000'000'000;

class GroupRegistryTest : public ::testing::Test {
 protected:
  GroupRegistryTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("rg_groups_test_" + std::to_string(::getpid()))),
        clock_(kStart) {
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  ~GroupRegistryTest() override {
    registry_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Reopen() {
    registry_.reset();
    catalog_.reset();
    auto catalog = store::Catalog::Open(dir_.string());
    ASSERT_TRUE(catalog.ok()) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
    GroupRegistryOptions options;
    options.clock = &clock_;
    options.random_seed = 7;
    options.max_groups = 5;
    options.page_size = 3;
    auto registry = GroupRegistry::Open(catalog_.get(), options);
    ASSERT_TRUE(registry.ok()) << registry.error().ToString();
    registry_ = std::move(*registry);
  }

  std::shared_ptr<const Group> Create(std::string name, std::string filter) {
    auto group = registry_->Create(std::string(kTenant), {std::move(name), std::move(filter)});
    EXPECT_TRUE(group.ok()) << group.error().ToString();
    return group.ok() ? *group : nullptr;
  }

  static GroupSelector Name(std::string name) { return GroupSelector{std::move(name), {}}; }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<GroupRegistry> registry_;
};

model::TraceSummary Summary(double response_time, bool fault) {
  model::TraceSummary summary;
  summary.start_time = 1795000000;
  summary.end_time = summary.start_time + response_time;
  summary.duration = response_time;
  summary.response_time = response_time;
  summary.has_fault = fault;
  summary.has_root = true;
  return summary;
}

TEST_F(GroupRegistryTest, DefaultGroupAlwaysExistsAndCannotBeDeletedOrFiltered) {
  auto group = registry_->Get(std::string(kTenant), Name("Default"));
  ASSERT_TRUE(group.ok());
  EXPECT_EQ((*group)->arn, "arn:aws:xray:us-east-1:000000000000:group/Default");
  EXPECT_EQ((*group)->filter_expression(), "");
  auto by_arn = registry_->Get(
      std::string(kTenant), GroupSelector{{}, "arn:aws:xray:us-east-1:000000000000:group/Default"});
  ASSERT_TRUE(by_arn.ok());
  EXPECT_TRUE((*by_arn)->is_default());
  EXPECT_EQ(registry_->Delete(std::string(kTenant), Name("Default")).code(),
            StatusCode::kFailedPrecondition);
  UpdateGroupRequest set_filter;
  set_filter.filter_expression = "fault";
  EXPECT_EQ(registry_->Update(std::string(kTenant), Name("Default"), set_filter).error().code(),
            StatusCode::kFailedPrecondition);
  // Insights can be turned on for Default, and that survives a restart.
  UpdateGroupRequest insights;
  insights.insights_enabled = true;
  ASSERT_TRUE(registry_->Update(std::string(kTenant), Name("Default"), insights).ok());
  Reopen();
  EXPECT_TRUE(
      registry_->Get(std::string(kTenant), Name("Default")).value()->insights.insights_enabled);
  EXPECT_EQ(registry_->Create(std::string(kTenant), {"Default", ""}).error().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GroupRegistryTest, CreateValidatesNamesFiltersAndQuota) {
  auto slow = Create("slow-requests_1", "responsetime > 1");
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(slow->version(), 1u);
  EXPECT_EQ(slow->id, 1u);
  EXPECT_TRUE(slow->arn.starts_with("arn:aws:xray:us-east-1:000000000000:group/slow-requests_1/"))
      << slow->arn;
  EXPECT_EQ(slow->arn.size(),
            std::string("arn:aws:xray:us-east-1:000000000000:group/slow-requests_1/").size() + 26);
  auto duplicate = registry_->Create(std::string(kTenant), {"slow-requests_1", ""});
  EXPECT_EQ(duplicate.error().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(registry_->Create(std::string(kTenant), {"", ""}).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->Create(std::string(kTenant), {std::string(33, 'a'), ""}).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->Create(std::string(kTenant), {"has space", ""}).error().code(),
            StatusCode::kInvalidArgument);
  auto bad_filter = registry_->Create(std::string(kTenant), {"bad", "responsetime >"});
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(bad_filter.error().message(), "filter: expected a value after \">\" at column 15");
  CreateGroupRequest bad_insights{"insights", ""};
  bad_insights.insights = InsightsConfiguration{false, true};
  EXPECT_EQ(registry_->Create(std::string(kTenant), bad_insights).error().code(),
            StatusCode::kInvalidArgument);
  for (int idx = 0; idx < 4; ++idx) ASSERT_NE(Create("g" + std::to_string(idx), ""), nullptr);
  EXPECT_EQ(registry_->Create(std::string(kTenant), {"one-too-many", ""}).error().code(),
            StatusCode::kOutOfRange);
  // Another tenant has its own quota and namespace.
  EXPECT_TRUE(registry_->Create("111111111111", {"slow-requests_1", ""}).ok());
}

TEST_F(GroupRegistryTest, UpdateKeepsFilterVersionsWithTheirTimesAcrossRestarts) {
  ASSERT_NE(Create("slow", "responsetime > 1"), nullptr);
  clock_.Advance(std::chrono::seconds(60));
  UpdateGroupRequest same;
  same.filter_expression = "responsetime > 1";
  EXPECT_EQ(registry_->Update(std::string(kTenant), Name("slow"), same).value()->version(), 1u);
  UpdateGroupRequest change;
  change.filter_expression = "responsetime > 2";
  auto updated = registry_->Update(std::string(kTenant), Name("slow"), change);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)->version(), 2u);
  UpdateGroupRequest broken;
  broken.filter_expression = "responsetime >>";
  EXPECT_EQ(registry_->Update(std::string(kTenant), Name("slow"), broken).error().code(),
            StatusCode::kInvalidArgument);
  Reopen();
  auto group = registry_->Get(std::string(kTenant), Name("slow"));
  ASSERT_TRUE(group.ok());
  ASSERT_EQ((*group)->versions.size(), 2u);
  EXPECT_EQ((*group)->versions[0], (FilterVersion{1, "responsetime > 1", kStart}));
  EXPECT_EQ((*group)->versions[1], (FilterVersion{2, "responsetime > 2", kStart + 60'000'000'000}));
  EXPECT_EQ((*group)->VersionAt(kStart + 59'000'000'000).version, 1u);
  EXPECT_EQ((*group)->VersionAt(kStart + 60'000'000'000).version, 2u);
  EXPECT_EQ((*group)->VersionAt(0).version, 1u);
  // The restored filter is the new one.
  EXPECT_TRUE(registry_->Classify(std::string(kTenant), Summary(1.5, false), {}).empty());
  EXPECT_EQ(registry_->Classify(std::string(kTenant), Summary(2.5, false), {}),
            (std::vector<model::GroupMatch>{{1, 2}}));
  // Ids are never reused, also after a restart.
  ASSERT_TRUE(registry_->Delete(std::string(kTenant), Name("slow")).ok());
  Reopen();
  EXPECT_EQ(Create("again", "")->id, 2u);
  EXPECT_EQ(registry_->Get(std::string(kTenant), Name("slow")).error().code(),
            StatusCode::kNotFound);
}

TEST_F(GroupRegistryTest, GroupReferencesExpandAndProtectWhatTheyReferTo) {
  auto slow = Create("slow", "responsetime > 1");
  ASSERT_NE(Create("slow-faults", "group.name = \"slow\" AND fault"), nullptr);
  ASSERT_NE(Create("by-arn", "group.arn = \"" + slow->arn + "\""), nullptr);
  EXPECT_EQ(registry_->Classify(std::string(kTenant), Summary(2, true), {}),
            (std::vector<model::GroupMatch>{{3, 1}, {1, 1}, {2, 1}}));  // by name
  EXPECT_EQ(registry_->Classify(std::string(kTenant), Summary(2, false), {}),
            (std::vector<model::GroupMatch>{{3, 1}, {1, 1}}));
  // A referenced group's new filter applies to the groups that refer to it.
  UpdateGroupRequest change;
  change.filter_expression = "responsetime > 5";
  ASSERT_TRUE(registry_->Update(std::string(kTenant), Name("slow"), change).ok());
  EXPECT_TRUE(registry_->Classify(std::string(kTenant), Summary(2, true), {}).empty());
  // Cycles and self references fail; so does an unknown group.
  UpdateGroupRequest cycle;
  cycle.filter_expression = "group.name = \"slow-faults\"";
  auto cyclic = registry_->Update(std::string(kTenant), Name("slow"), cycle);
  ASSERT_FALSE(cyclic.ok());
  EXPECT_NE(cyclic.error().message().find("refers to itself"), std::string_view::npos);
  EXPECT_EQ(registry_->Create(std::string(kTenant), {"x", "group.name = \"nope\""}).error().code(),
            StatusCode::kInvalidArgument);
  // A referenced group cannot be deleted until nothing refers to it.
  auto refused = registry_->Delete(std::string(kTenant), Name("slow"));
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("refers to it"), std::string_view::npos);
  ASSERT_TRUE(registry_->Delete(std::string(kTenant), Name("slow-faults")).ok());
  ASSERT_TRUE(registry_->Delete(std::string(kTenant), Name("by-arn")).ok());
  EXPECT_TRUE(registry_->Delete(std::string(kTenant), Name("slow")).ok());
  // Compile options for searches see the current groups.
  ASSERT_NE(Create("faults", "fault"), nullptr);
  auto filter = query::Compile("group.name = \"faults\"",
                               registry_->FilterCompileOptions(std::string(kTenant)));
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->Matches(Summary(0.1, true), {}));
  EXPECT_FALSE(filter->Matches(Summary(0.1, false), {}));
  EXPECT_TRUE(query::Compile("group.name = \"Default\"",
                             registry_->FilterCompileOptions(std::string(kTenant)))
                  ->Matches(Summary(0.1, false), {}));
}

TEST_F(GroupRegistryTest, ListPagesWithDefaultFirstThenByName) {
  for (std::string name : {"delta", "alpha", "charlie", "bravo"})
    ASSERT_NE(Create(name, ""), nullptr);
  auto first = registry_->List(std::string(kTenant), "");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->groups.size(), 3u);
  EXPECT_EQ(first->groups[0]->name, "Default");
  EXPECT_EQ(first->groups[1]->name, "alpha");
  EXPECT_EQ(first->groups[2]->name, "bravo");
  ASSERT_FALSE(first->next_token.empty());
  // A group created between pages before the token's position is not repeated.
  ASSERT_NE(Create("aardvark", ""), nullptr);
  auto second = registry_->List(std::string(kTenant), first->next_token);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->groups.size(), 2u);
  EXPECT_EQ(second->groups[0]->name, "charlie");
  EXPECT_EQ(second->groups[1]->name, "delta");
  EXPECT_TRUE(second->next_token.empty());
  EXPECT_FALSE(registry_->List(std::string(kTenant), "garbage").ok());
}

TEST_F(GroupRegistryTest, TagsValidatedMergedAndPersisted) {
  CreateGroupRequest request{"tagged", ""};
  request.tags = {{"team", "orders"}, {"env", "prod"}};
  auto group = registry_->Create(std::string(kTenant), request);
  ASSERT_TRUE(group.ok());
  const std::string arn = (*group)->arn;
  ASSERT_TRUE(
      registry_->TagResource(std::string(kTenant), arn, {{"team", "payments"}, {"tier", "1"}})
          .ok());
  ASSERT_TRUE(registry_->UntagResource(std::string(kTenant), arn, {"env", "absent"}).ok());
  Reopen();
  auto tags = registry_->ListTags(std::string(kTenant), arn);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (std::vector<Tag>{{"team", "payments"}, {"tier", "1"}}));
  EXPECT_EQ(registry_->TagResource(std::string(kTenant), arn, {{"aws:reserved", "x"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->TagResource(std::string(kTenant), arn + "x", {{"a", "b"}}).code(),
            StatusCode::kNotFound);
  std::vector<Tag> many;
  for (int idx = 0; idx < 49; ++idx) many.push_back({"k" + std::to_string(idx), ""});
  EXPECT_EQ(registry_->TagResource(std::string(kTenant), arn, many).code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(registry_->ListTags(std::string(kTenant), arn)->size(), 2u);
  // Deleting the group deletes its tags.
  ASSERT_TRUE(registry_->Delete(std::string(kTenant), Name("tagged")).ok());
  EXPECT_TRUE(catalog_->List("tags", std::string(kTenant))->empty());
}

TEST(GroupCodec, RoundTripsAndRejectsDamage) {
  internal::GroupRecord record{4, "g", "arn:g", {true, true}, -5, {{1, "fault", 10}, {2, "", 20}}};
  std::string encoded = internal::EncodeGroupRecord(record);
  EXPECT_EQ(internal::DecodeGroupRecord(encoded).value(), record);
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(internal::DecodeGroupRecord(encoded.substr(0, size)).ok()) << size;
  }
  EXPECT_FALSE(internal::DecodeGroupRecord(encoded + "x").ok());
  std::vector<Tag> tags = {{"a", "1"}, {"b", ""}};
  EXPECT_EQ(internal::DecodeTags(internal::EncodeTags(tags)).value(), tags);
  EXPECT_EQ(internal::DecodeNextId(internal::EncodeNextId(77)).value(), 77u);
}

TEST(GroupValidation, TagRules) {
  EXPECT_TRUE(internal::ValidateTagKey("team:orders/a=b+c-d@e_f.g h").ok());
  EXPECT_TRUE(internal::ValidateTagKey("équipe").ok());
  EXPECT_FALSE(internal::ValidateTagKey("").ok());
  EXPECT_FALSE(internal::ValidateTagKey("AWS:x").ok());
  EXPECT_FALSE(internal::ValidateTagKey("a*b").ok());
  EXPECT_FALSE(internal::ValidateTagKey(std::string(129, 'k')).ok());
  EXPECT_TRUE(internal::ValidateTagValue("").ok());
  EXPECT_FALSE(internal::ValidateTagValue(std::string(257, 'v')).ok());
  EXPECT_FALSE(internal::ValidateTags(std::vector<Tag>{{"a", "1"}, {"a", "2"}}).ok());
}

}  // namespace
}  // namespace roentgen::groups
