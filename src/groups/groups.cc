// SPDX-License-Identifier: Apache-2.0
#include "groups/groups.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/logging.h"
#include "base/status_macros.h"
#include "groups/internal/group_codec.h"
#include "groups/internal/validation.h"

namespace roentgen::groups {

constexpr std::string_view kGroupKind = "group";
constexpr std::string_view kSequenceKind = "group_seq";
constexpr std::string_view kTenantKind = "group_tenant";
constexpr std::string_view kTagsKind = "tags";
constexpr std::string_view kNextIdName = "next_id";

// One tenant's groups. Immutable once published.
struct GroupSnapshot::TenantState {
  std::shared_ptr<const Group> default_group;        // never null
  std::vector<std::shared_ptr<const Group>> groups;  // user groups, ordered by name
  uint32_t next_id = 1;
};

namespace {

std::string DefaultArn(std::string_view region, const model::TenantId& tenant) {
  return fmt::format("arn:aws:xray:{}:{}:group/Default", region, tenant);
}

std::shared_ptr<Group> NewDefaultGroup(std::string_view region, const model::TenantId& tenant) {
  auto group = std::make_shared<Group>();
  group->id = kDefaultGroupId;
  group->name = std::string(kDefaultGroupName);
  group->arn = DefaultArn(region, tenant);
  group->versions.push_back(FilterVersion{1, "", 0});
  return group;
}

// The definitions group.name / group.arn expand to, over one tenant's groups.
query::CompileOptions CompileOptionsOver(std::shared_ptr<const GroupSnapshot::TenantState> state,
                                         std::string defining_group) {
  query::CompileOptions options;
  options.defining_group = std::move(defining_group);
  options.group_definition = [state = std::move(state)](
                                 query::GroupKey key,
                                 std::string_view value) -> std::optional<query::GroupDefinition> {
    auto matches = [&](const Group& group) {
      return key == query::GroupKey::kName ? group.name == value : group.arn == value;
    };
    if (matches(*state->default_group))
      return query::GroupDefinition{state->default_group->name, ""};
    for (const auto& group : state->groups) {
      if (matches(*group)) {
        return query::GroupDefinition{group->name, std::string(group->filter_expression())};
      }
    }
    return std::nullopt;
  };
  return options;
}

// Compiles every group of `state` again (references may have changed meaning). Groups whose
// filter no longer compiles keep filter_error and are not applied.
void RecompileAll(GroupSnapshot::TenantState* state) {
  auto view = std::make_shared<GroupSnapshot::TenantState>(*state);
  for (auto& slot : state->groups) {
    auto group = std::make_shared<Group>(*slot);
    auto filter = query::Compile(group->filter_expression(), CompileOptionsOver(view, group->name));
    if (filter.ok()) {
      group->filter = std::move(*filter);
      group->filter_error.clear();
    } else {
      group->filter = query::Filter();
      group->filter_error = std::string(filter.error().message());
    }
    slot = std::move(group);
  }
}

bool References(const Group& group, const Group& target) {
  // The compiled filter keeps only direct references; nested ones are reached through the
  // referenced group, which then refers to `target` itself.
  auto filter = query::Compile(group.filter_expression());
  if (!filter.ok()) return false;
  for (const query::GroupReference& reference : filter->referenced_groups()) {
    if (reference.key == query::GroupKey::kName ? reference.value == target.name
                                                : reference.value == target.arn) {
      return true;
    }
  }
  return false;
}

void SortByName(std::vector<std::shared_ptr<const Group>>* groups) {
  std::sort(groups->begin(), groups->end(),
            [](const auto& a, const auto& b) { return a->name < b->name; });
}

}  // namespace

const FilterVersion& Group::VersionAt(int64_t unix_nanos) const {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->created_unix_nanos <= unix_nanos) return *it;
  }
  return versions.front();
}

Status ValidateGroupName(std::string_view name) {
  if (name.empty() || name.size() > kMaxGroupNameLength) {
    return InvalidArgumentError(fmt::format("GroupName must be 1 to {} characters long, got {}",
                                            kMaxGroupNameLength, name.size()));
  }
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-';
    if (!ok) {
      return InvalidArgumentError(
          fmt::format("GroupName \"{}\" may contain only letters, digits, \"_\" and \"-\"", name));
    }
  }
  return Status();
}

// ---- GroupSnapshot ----

const GroupSnapshot::TenantState* GroupSnapshot::FindTenant(const model::TenantId& tenant) const {
  auto found = tenants_.find(tenant);
  return found == tenants_.end() ? nullptr : found->second.get();
}

std::shared_ptr<const Group> GroupSnapshot::DefaultFor(const model::TenantId& tenant) const {
  if (const TenantState* state = FindTenant(tenant)) return state->default_group;
  return NewDefaultGroup(region_, tenant);
}

std::vector<std::shared_ptr<const Group>> GroupSnapshot::List(const model::TenantId& tenant) const {
  std::vector<std::shared_ptr<const Group>> out{DefaultFor(tenant)};
  if (const TenantState* state = FindTenant(tenant)) {
    out.insert(out.end(), state->groups.begin(), state->groups.end());
  }
  return out;
}

std::shared_ptr<const Group> GroupSnapshot::FindById(const model::TenantId& tenant,
                                                     uint32_t id) const {
  if (id == kDefaultGroupId) return DefaultFor(tenant);
  if (const TenantState* state = FindTenant(tenant)) {
    for (const auto& group : state->groups) {
      if (group->id == id) return group;
    }
  }
  return nullptr;
}

std::shared_ptr<const Group> GroupSnapshot::FindByName(const model::TenantId& tenant,
                                                       std::string_view name) const {
  if (name == kDefaultGroupName) return DefaultFor(tenant);
  if (const TenantState* state = FindTenant(tenant)) {
    for (const auto& group : state->groups) {
      if (group->name == name) return group;
    }
  }
  return nullptr;
}

std::shared_ptr<const Group> GroupSnapshot::FindByArn(const model::TenantId& tenant,
                                                      std::string_view arn) const {
  if (arn == DefaultArn(region_, tenant)) return DefaultFor(tenant);
  if (const TenantState* state = FindTenant(tenant)) {
    for (const auto& group : state->groups) {
      if (group->arn == arn) return group;
    }
  }
  return nullptr;
}

bool GroupSnapshot::Exists(const model::TenantId& tenant, query::GroupKey key,
                           std::string_view value) const {
  return (key == query::GroupKey::kName ? FindByName(tenant, value) : FindByArn(tenant, value)) !=
         nullptr;
}

std::vector<std::pair<std::string, std::string>> GroupSnapshot::MembershipNames(
    const model::TenantId& tenant, std::span<const model::GroupMatch> matches) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto default_group = DefaultFor(tenant);
  out.emplace_back(default_group->name, default_group->arn);
  for (const model::GroupMatch& match : matches) {
    if (match.group_id == kDefaultGroupId) continue;
    if (auto group = FindById(tenant, match.group_id)) out.emplace_back(group->name, group->arn);
  }
  return out;
}

size_t GroupSnapshot::group_count() const {
  size_t count = 0;
  for (const auto& [tenant, state] : tenants_) count += state->groups.size();
  return count;
}

// ---- GroupRegistry ----

GroupRegistry::GroupRegistry(store::Catalog* catalog, GroupRegistryOptions options)
    : catalog_(catalog),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &Clock::Real()),
      rng_(options_.random_seed != 0 ? options_.random_seed : std::random_device{}()) {
  if (options_.stats != nullptr) {
    memberships_ = &options_.stats->GetCounter(
        "roentgen_group_matches_total",
        "Group filter matches found when classifying trace revisions, sealed ones and open "
        "ones read as partial (Default not counted).");
  }
}

GroupRegistry::~GroupRegistry() = default;

Result<std::unique_ptr<GroupRegistry>> GroupRegistry::Open(store::Catalog* catalog,
                                                           GroupRegistryOptions options) {
  if (catalog == nullptr) return InvalidArgumentError("groups: a catalog is required");
  std::unique_ptr<GroupRegistry> registry(new GroupRegistry(catalog, std::move(options)));
  auto snapshot = std::make_shared<GroupSnapshot>();
  snapshot->region_ = registry->options_.region;
  RG_ASSIGN_OR_RETURN(auto tenants, catalog->List(kTenantKind, ""));
  for (const auto& [tenant, unused] : tenants) {
    RG_RETURN_IF_ERROR(registry->LoadTenant(tenant, snapshot.get()));
  }
  registry->snapshot_ = std::move(snapshot);
  return registry;
}

Status GroupRegistry::LoadTenant(const model::TenantId& tenant, GroupSnapshot* snapshot) {
  auto state = std::make_shared<GroupSnapshot::TenantState>();
  RG_ASSIGN_OR_RETURN(auto records, catalog_->List(kGroupKind, tenant));
  RG_ASSIGN_OR_RETURN(auto tag_records, catalog_->List(kTagsKind, tenant));
  std::map<std::string, std::vector<Tag>> tags_by_arn;
  for (auto& [arn, value] : tag_records) {
    RG_ASSIGN_OR_RETURN(tags_by_arn[arn], internal::DecodeTags(value));
  }
  std::shared_ptr<Group> default_group = NewDefaultGroup(options_.region, tenant);
  uint32_t max_id = 0;
  for (const auto& [key, value] : records) {
    RG_ASSIGN_OR_RETURN(internal::GroupRecord record, internal::DecodeGroupRecord(value));
    auto group = record.id == kDefaultGroupId ? default_group : std::make_shared<Group>();
    group->id = record.id;
    group->name = std::move(record.name);
    group->arn = std::move(record.arn);
    group->insights = record.insights;
    group->created_unix_nanos = record.created_unix_nanos;
    group->versions = std::move(record.versions);
    if (record.id != kDefaultGroupId) {
      max_id = std::max(max_id, record.id);
      state->groups.push_back(std::move(group));
    }
  }
  auto with_tags = [&](const std::shared_ptr<Group>& group) {
    auto found = tags_by_arn.find(group->arn);
    if (found != tags_by_arn.end()) group->tags = found->second;
  };
  with_tags(default_group);
  for (auto& group : state->groups) with_tags(std::const_pointer_cast<Group>(group));
  state->default_group = std::move(default_group);
  SortByName(&state->groups);

  auto next = catalog_->Get(kSequenceKind, tenant, kNextIdName);
  if (next.ok()) {
    RG_ASSIGN_OR_RETURN(state->next_id, internal::DecodeNextId(*next));
  } else if (next.error().code() != StatusCode::kNotFound) {
    return next.error();
  }
  state->next_id = std::max(state->next_id, max_id + 1);
  RecompileAll(state.get());
  for (const auto& group : state->groups) {
    if (!group->filter_error.empty()) {
      RG_LOG(kWarning, "group {} of tenant {}: stored filter no longer compiles, not applied: {}",
             group->name, tenant, group->filter_error);
    }
  }
  snapshot->tenants_[tenant] = std::move(state);
  return Status();
}

std::shared_ptr<const GroupSnapshot> GroupRegistry::snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

void GroupRegistry::Publish(std::shared_ptr<const GroupSnapshot> snapshot) {
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = std::move(snapshot);
}

int64_t GroupRegistry::Now() const { return clock_->NowUnixNanos(); }

std::string GroupRegistry::NewUniqueId() {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string id;
  for (int idx = 0; idx < 26; ++idx) id.push_back(kAlphabet[rng_() % kAlphabet.size()]);
  return id;
}

std::string GroupRegistry::DefaultGroupArn(const model::TenantId& tenant) const {
  return DefaultArn(options_.region, tenant);
}

query::CompileOptions GroupRegistry::FilterCompileOptions(const model::TenantId& tenant) const {
  auto current = snapshot();
  auto state = std::make_shared<GroupSnapshot::TenantState>();
  if (const auto* found = current->FindTenant(tenant)) {
    *state = *found;
  } else {
    state->default_group = NewDefaultGroup(options_.region, tenant);
  }
  return CompileOptionsOver(std::move(state), "");
}

Status GroupRegistry::PersistGroup(const model::TenantId& tenant, const Group& group) {
  internal::GroupRecord record{
      group.id, group.name, group.arn, group.insights, group.created_unix_nanos, group.versions};
  return catalog_->Put(kGroupKind, tenant, internal::GroupKey(group.id),
                       internal::EncodeGroupRecord(record));
}

Status GroupRegistry::PersistTags(const model::TenantId& tenant, std::string_view arn,
                                  const std::vector<Tag>& tags) {
  if (tags.empty()) return catalog_->Delete(kTagsKind, tenant, arn);
  return catalog_->Put(kTagsKind, tenant, arn, internal::EncodeTags(tags));
}

Status GroupRegistry::EnsureTenantRecorded(const model::TenantId& tenant) {
  if (snapshot()->FindTenant(tenant) != nullptr) return Status();
  return catalog_->Put(kTenantKind, "", tenant, "");
}

Result<std::shared_ptr<const Group>> GroupRegistry::Resolve(const GroupSnapshot& snapshot,
                                                            const model::TenantId& tenant,
                                                            const GroupSelector& selector) const {
  if (selector.name.has_value() == selector.arn.has_value()) {
    return InvalidArgumentError("exactly one of GroupName and GroupARN must be given");
  }
  if (selector.name) {
    if (auto group = snapshot.FindByName(tenant, *selector.name)) return group;
    return NotFoundError(fmt::format("Group not found: GroupName \"{}\"", *selector.name));
  }
  if (auto group = snapshot.FindByArn(tenant, *selector.arn)) return group;
  return NotFoundError(fmt::format("Group not found: GroupARN \"{}\"", *selector.arn));
}

// Copy-on-write: the tenant's state as a fresh mutable copy (Default only when new).
namespace {
std::shared_ptr<GroupSnapshot::TenantState> MutableTenant(const GroupSnapshot::TenantState* found,
                                                          std::shared_ptr<Group> default_group) {
  auto state = std::make_shared<GroupSnapshot::TenantState>();
  if (found != nullptr) {
    *state = *found;
  } else {
    state->default_group = std::move(default_group);
  }
  return state;
}

std::vector<Tag> SortedTags(std::vector<Tag> tags) {
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
  return tags;
}
}  // namespace

Result<std::shared_ptr<const Group>> GroupRegistry::Create(const model::TenantId& tenant,
                                                           CreateGroupRequest request) {
  RG_RETURN_IF_ERROR(ValidateGroupName(request.name));
  if (request.name == kDefaultGroupName) {
    return InvalidArgumentError("GroupName \"Default\" is reserved for the default group");
  }
  InsightsConfiguration insights = request.insights.value_or(InsightsConfiguration{});
  RG_RETURN_IF_ERROR(internal::ValidateInsights(insights));
  RG_RETURN_IF_ERROR(internal::ValidateTags(request.tags));
  if (request.tags.size() > kMaxUserTagsPerResource) {
    return InvalidArgumentError(
        fmt::format("a group may have at most {} tags", kMaxUserTagsPerResource));
  }

  std::lock_guard write_lock(write_mu_);
  auto current = snapshot();
  const auto* found = current->FindTenant(tenant);
  if (current->FindByName(tenant, request.name) != nullptr) {
    return AlreadyExistsError(fmt::format("Group \"{}\" already exists", request.name));
  }
  if (found != nullptr && found->groups.size() >= options_.max_groups) {
    return OutOfRangeError(
        fmt::format("this account already has the maximum of {} groups", options_.max_groups));
  }
  auto state = MutableTenant(found, NewDefaultGroup(options_.region, tenant));
  RG_ASSIGN_OR_RETURN(auto filter, query::Compile(request.filter_expression,
                                                  CompileOptionsOver(state, request.name)));

  auto group = std::make_shared<Group>();
  group->id = state->next_id;
  group->name = request.name;
  group->arn = fmt::format("arn:aws:xray:{}:{}:group/{}/{}", options_.region, tenant, request.name,
                           NewUniqueId());
  group->insights = insights;
  group->created_unix_nanos = Now();
  group->versions.push_back(FilterVersion{1, request.filter_expression, group->created_unix_nanos});
  group->tags = SortedTags(std::move(request.tags));
  group->filter = std::move(filter);

  RG_RETURN_IF_ERROR(EnsureTenantRecorded(tenant));
  RG_RETURN_IF_ERROR(
      catalog_->Put(kSequenceKind, tenant, kNextIdName, internal::EncodeNextId(group->id + 1)));
  RG_RETURN_IF_ERROR(PersistTags(tenant, group->arn, group->tags));
  RG_RETURN_IF_ERROR(PersistGroup(tenant, *group));

  state->next_id = group->id + 1;
  state->groups.push_back(group);
  SortByName(&state->groups);
  auto next = std::make_shared<GroupSnapshot>(*current);
  next->tenants_[tenant] = std::move(state);
  Publish(std::move(next));
  return std::shared_ptr<const Group>(std::move(group));
}

Result<std::shared_ptr<const Group>> GroupRegistry::Get(const model::TenantId& tenant,
                                                        const GroupSelector& selector) const {
  return Resolve(*snapshot(), tenant, selector);
}

Result<GroupPage> GroupRegistry::List(const model::TenantId& tenant,
                                      std::string_view next_token) const {
  // Tokens: "n." + the name of the last group of the previous page ("n." alone after Default).
  bool after_default = false;
  std::string after;
  if (!next_token.empty()) {
    if (!next_token.starts_with("n.") || next_token.size() > 2 + kMaxGroupNameLength) {
      return InvalidArgumentError("invalid NextToken");
    }
    after_default = true;
    after = std::string(next_token.substr(2));
  }
  GroupPage page;
  auto groups = snapshot()->List(tenant);
  for (size_t idx = 0; idx < groups.size(); ++idx) {
    const bool is_default = idx == 0;
    if (after_default && (is_default || groups[idx]->name <= after)) continue;
    if (page.groups.size() == options_.page_size) {
      page.next_token =
          "n." + (page.groups.back()->is_default() ? std::string() : page.groups.back()->name);
      break;
    }
    page.groups.push_back(groups[idx]);
  }
  return page;
}

Result<std::shared_ptr<const Group>> GroupRegistry::Update(const model::TenantId& tenant,
                                                           const GroupSelector& selector,
                                                           const UpdateGroupRequest& request) {
  std::lock_guard write_lock(write_mu_);
  auto current = snapshot();
  RG_ASSIGN_OR_RETURN(auto existing, Resolve(*current, tenant, selector));
  auto group = std::make_shared<Group>(*existing);
  if (request.insights_enabled) {
    group->insights.insights_enabled = *request.insights_enabled;
    if (!*request.insights_enabled && !request.notifications_enabled) {
      group->insights.notifications_enabled = false;
    }
  }
  if (request.notifications_enabled) {
    group->insights.notifications_enabled = *request.notifications_enabled;
  }
  RG_RETURN_IF_ERROR(internal::ValidateInsights(group->insights));

  auto state = MutableTenant(current->FindTenant(tenant), std::const_pointer_cast<Group>(group));
  if (request.filter_expression && *request.filter_expression != group->filter_expression()) {
    if (group->is_default()) {
      return FailedPreconditionError("the Default group's filter expression cannot be set");
    }
    RG_ASSIGN_OR_RETURN(group->filter, query::Compile(*request.filter_expression,
                                                      CompileOptionsOver(state, group->name)));
    group->filter_error.clear();
    group->versions.push_back(
        FilterVersion{group->version() + 1, *request.filter_expression, Now()});
    if (group->versions.size() > options_.max_filter_versions) {
      group->versions.erase(
          group->versions.begin(),
          group->versions.end() - static_cast<std::ptrdiff_t>(options_.max_filter_versions));
    }
  }

  RG_RETURN_IF_ERROR(EnsureTenantRecorded(tenant));
  RG_RETURN_IF_ERROR(PersistGroup(tenant, *group));
  if (group->is_default()) {
    state->default_group = group;
  } else {
    for (auto& slot : state->groups) {
      if (slot->id == group->id) slot = group;
    }
    // Groups that refer to this one see its new filter.
    RecompileAll(state.get());
  }
  auto next = std::make_shared<GroupSnapshot>(*current);
  next->tenants_[tenant] = state;
  Publish(std::move(next));
  if (group->is_default()) return std::shared_ptr<const Group>(state->default_group);
  for (const auto& slot : state->groups) {
    if (slot->id == group->id) return slot;
  }
  return InternalError("groups: updated group vanished");
}

Status GroupRegistry::Delete(const model::TenantId& tenant, const GroupSelector& selector) {
  std::lock_guard write_lock(write_mu_);
  auto current = snapshot();
  RG_ASSIGN_OR_RETURN(auto group, Resolve(*current, tenant, selector));
  if (group->is_default()) return FailedPreconditionError("the Default group cannot be deleted");
  const auto* found = current->FindTenant(tenant);
  for (const auto& other : found->groups) {
    if (other->id != group->id && References(*other, *group)) {
      return FailedPreconditionError(
          fmt::format("group \"{}\" cannot be deleted: the filter of group \"{}\" refers to it",
                      group->name, other->name));
    }
  }
  RG_RETURN_IF_ERROR(catalog_->Delete(kGroupKind, tenant, internal::GroupKey(group->id)));
  RG_RETURN_IF_ERROR(catalog_->Delete(kTagsKind, tenant, group->arn));
  auto state = MutableTenant(found, nullptr);
  std::erase_if(state->groups, [&](const auto& slot) { return slot->id == group->id; });
  auto next = std::make_shared<GroupSnapshot>(*current);
  next->tenants_[tenant] = std::move(state);
  Publish(std::move(next));
  return Status();
}

void GroupRegistry::PublishReplaced(const GroupSnapshot& current, const model::TenantId& tenant,
                                    std::shared_ptr<Group> group) {
  auto state = MutableTenant(current.FindTenant(tenant), group);
  if (group->is_default()) {
    state->default_group = group;
  } else {
    for (auto& slot : state->groups) {
      if (slot->id == group->id) slot = group;
    }
  }
  auto next = std::make_shared<GroupSnapshot>(current);
  next->tenants_[tenant] = std::move(state);
  Publish(std::move(next));
}

Status GroupRegistry::TagResource(const model::TenantId& tenant, std::string_view arn,
                                  const std::vector<Tag>& tags) {
  RG_RETURN_IF_ERROR(internal::ValidateTags(tags));
  std::lock_guard write_lock(write_mu_);
  auto current = snapshot();
  auto existing = current->FindByArn(tenant, arn);
  if (existing == nullptr) return NotFoundError(fmt::format("Resource not found: {}", arn));
  auto group = std::make_shared<Group>(*existing);
  for (const Tag& tag : tags) {
    auto it = std::find_if(group->tags.begin(), group->tags.end(),
                           [&](const Tag& have) { return have.key == tag.key; });
    if (it != group->tags.end()) {
      it->value = tag.value;
    } else {
      group->tags.push_back(tag);
    }
  }
  if (group->tags.size() > kMaxUserTagsPerResource) {
    return OutOfRangeError(fmt::format("a resource may have at most {} tags, this would make {}",
                                       kMaxUserTagsPerResource, group->tags.size()));
  }
  group->tags = SortedTags(std::move(group->tags));
  RG_RETURN_IF_ERROR(EnsureTenantRecorded(tenant));
  RG_RETURN_IF_ERROR(PersistTags(tenant, group->arn, group->tags));
  if (group->is_default()) RG_RETURN_IF_ERROR(PersistGroup(tenant, *group));
  PublishReplaced(*current, tenant, std::move(group));
  return Status();
}

Status GroupRegistry::UntagResource(const model::TenantId& tenant, std::string_view arn,
                                    const std::vector<std::string>& keys) {
  RG_RETURN_IF_ERROR(internal::ValidateTagKeys(keys));
  std::lock_guard write_lock(write_mu_);
  auto current = snapshot();
  auto existing = current->FindByArn(tenant, arn);
  if (existing == nullptr) return NotFoundError(fmt::format("Resource not found: {}", arn));
  auto group = std::make_shared<Group>(*existing);
  std::erase_if(group->tags, [&](const Tag& tag) {
    return std::find(keys.begin(), keys.end(), tag.key) != keys.end();
  });
  RG_RETURN_IF_ERROR(PersistTags(tenant, group->arn, group->tags));
  PublishReplaced(*current, tenant, std::move(group));
  return Status();
}

Result<std::vector<Tag>> GroupRegistry::ListTags(const model::TenantId& tenant,
                                                 std::string_view arn) const {
  auto group = snapshot()->FindByArn(tenant, arn);
  if (group == nullptr) return NotFoundError(fmt::format("Resource not found: {}", arn));
  return group->tags;
}

std::vector<model::GroupMatch> GroupRegistry::Classify(const model::TenantId& tenant,
                                                       const model::TraceSummary& summary,
                                                       const model::TraceDetail& detail) const {
  std::vector<model::GroupMatch> matches;
  auto current = snapshot();
  const auto* state = current->FindTenant(tenant);
  if (state == nullptr) return matches;
  for (const auto& group : state->groups) {
    if (!group->filter_error.empty()) continue;
    if (group->filter.Matches(summary, detail)) {
      matches.push_back(model::GroupMatch{group->id, group->version()});
    }
  }
  if (memberships_ != nullptr && !matches.empty()) memberships_->Add(matches.size());
  return matches;
}

}  // namespace roentgen::groups
