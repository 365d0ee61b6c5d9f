// SPDX-License-Identifier: Apache-2.0
#pragma once

// The groups component's façade: X-Ray groups (named, saved filter expressions), their filter
// versions, InsightsConfiguration and resource tags, persisted in the store's catalog, and the
// classifier that decides at seal time which groups a trace belongs to (xray-semantics.md
// §3.8: "incoming traces are checked against it as they are stored").
//
//   RG_ASSIGN_OR_RETURN(auto registry, groups::GroupRegistry::Open(catalog, {}));
//   store_options.classifier = [r = registry.get()](auto& tenant, auto& summary, auto& detail) {
//     return r->Classify(tenant, summary, detail);
//   };
//
// Catalog layout (all values are the binary records of internal/group_codec.h):
//   kind "group",        tenant T, name = 10-digit decimal group id  -> group record
//   kind "group_seq",    tenant T, name "next_id"                    -> next id to assign
//   kind "group_tenant", tenant "", name T                          -> "" (tenants with state)
//   kind "tags",         tenant T, name = resource ARN               -> tag list
// The "tags" kind is keyed by ARN only, so other resources (sampling rules) can share it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/stats.h"
#include "base/status.h"
#include "model/group_match.h"
#include "model/tenant.h"
#include "model/trace_detail.h"
#include "model/trace_summary.h"
#include "query/query.h"
#include "store/catalog.h"

namespace roentgen::groups {

// The implicit group of all traces. It always exists, has no filter expression, cannot be
// deleted and is never reported in model::GroupMatch lists.
inline constexpr uint32_t kDefaultGroupId = 0;
inline constexpr std::string_view kDefaultGroupName = "Default";

// X-Ray's limits (xray-protocol.md §2 "Groups, tags", xray-semantics.md §6).
inline constexpr size_t kMaxGroupNameLength = 32;
inline constexpr size_t kMaxUserTagsPerResource = 50;
inline constexpr size_t kMaxTagsPerRequest = 200;
inline constexpr size_t kMaxTagKeyLength = 128;    // characters (UTF-8 code points)
inline constexpr size_t kMaxTagValueLength = 256;  // characters (UTF-8 code points)

struct InsightsConfiguration {
  bool insights_enabled = false;
  bool notifications_enabled = false;  // only allowed with insights_enabled
  bool operator==(const InsightsConfiguration&) const = default;
};

// One filter expression a group has had. Versions are numbered from 1; a new version is
// made only when the expression text changes.
struct FilterVersion {
  uint32_t version = 0;
  std::string expression;
  int64_t created_unix_nanos = 0;  // when this version took effect
  bool operator==(const FilterVersion&) const = default;
};

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

// One group as of one snapshot. Immutable; safe to share.
struct Group {
  uint32_t id = kDefaultGroupId;  // assigned once, never reused (per tenant)
  std::string name;
  std::string arn;
  InsightsConfiguration insights;
  int64_t created_unix_nanos = 0;
  // Oldest first; never empty; back() is the current version. Only the newest
  // GroupRegistryOptions::max_filter_versions are kept.
  std::vector<FilterVersion> versions;
  std::vector<Tag> tags;  // sorted by key
  // The current version, compiled. Matches everything when the expression is empty.
  query::Filter filter;
  // Non-empty when the stored expression no longer compiles (found when loading): the group
  // is then not applied to new traces, as X-Ray stops applying a group whose filter fails.
  std::string filter_error;

  bool is_default() const { return id == kDefaultGroupId; }
  const FilterVersion& current() const { return versions.back(); }
  uint32_t version() const { return versions.back().version; }
  std::string_view filter_expression() const { return versions.back().expression; }
  // The version in force at `unix_nanos` (the newest created at or before it); the oldest
  // kept version for earlier times. Never null.
  const FilterVersion& VersionAt(int64_t unix_nanos) const;
};

// Names a group: exactly one of name or ARN (xray-protocol.md §2.1).
struct GroupSelector {
  std::optional<std::string> name;
  std::optional<std::string> arn;
};

struct CreateGroupRequest {
  std::string name;
  std::string filter_expression;  // empty: every trace
  std::optional<InsightsConfiguration> insights = std::nullopt;
  std::vector<Tag> tags = {};
};

// Only the members present change.
struct UpdateGroupRequest {
  std::optional<std::string> filter_expression;
  std::optional<bool> insights_enabled;
  std::optional<bool> notifications_enabled;
};

struct GroupPage {
  std::vector<std::shared_ptr<const Group>> groups;
  std::string next_token;  // empty on the last page
};

// Every group of every tenant at one moment. Immutable; safe to share across threads.
class GroupSnapshot {
 public:
  // The groups of `tenant`: Default first, then the others ordered by name.
  std::vector<std::shared_ptr<const Group>> List(const model::TenantId& tenant) const;
  // Lookups; nullptr when absent. The Default group is found (by id 0, name "Default" or its
  // ARN) for every tenant, including tenants that never stored anything.
  std::shared_ptr<const Group> FindById(const model::TenantId& tenant, uint32_t id) const;
  std::shared_ptr<const Group> FindByName(const model::TenantId& tenant,
                                          std::string_view name) const;
  std::shared_ptr<const Group> FindByArn(const model::TenantId& tenant, std::string_view arn) const;
  // Whether group.name / group.arn `value` names an existing group (Default included).
  bool Exists(const model::TenantId& tenant, query::GroupKey key, std::string_view value) const;
  // (name, ARN) of each group a trace belongs to, for query::GroupMembership: Default first
  // (every trace is in it), then each match whose group still exists, in `matches` order.
  // Matches of deleted groups are skipped; the version is not compared (a trace stays a
  // member of the group its filter version admitted it to).
  std::vector<std::pair<std::string, std::string>> MembershipNames(
      const model::TenantId& tenant, std::span<const model::GroupMatch> matches) const;
  // User-created groups of all tenants.
  size_t group_count() const;

 private:
  friend class GroupRegistry;

 public:
  struct TenantState;  // defined in groups.cc

 private:
  const TenantState* FindTenant(const model::TenantId& tenant) const;
  std::shared_ptr<const Group> DefaultFor(const model::TenantId& tenant) const;

  std::string region_;
  std::map<model::TenantId, std::shared_ptr<const TenantState>, std::less<>> tenants_;
  // Copies share TenantState of tenants they do not change (copy-on-write per tenant).
};

struct GroupRegistryOptions {
  std::string region = "us-east-1";  // for ARNs
  size_t max_groups = 25;            // user groups per tenant (Default not counted)
  size_t max_filter_versions = 100;  // per group; older versions are forgotten
  size_t page_size = 100;            // GetGroups groups per page
  Clock* clock = nullptr;            // nullptr: the real clock
  StatsRegistry* stats = nullptr;    // optional
  uint64_t random_seed = 0;          // for ARN unique ids; 0: random
};

// The groups of every tenant. Thread-safe: writers (Create, Update, Delete, tags) are
// serialized and persist to the catalog before publishing a new immutable GroupSnapshot;
// readers (Get, List, Classify, snapshot()) never wait for a writer's catalog I/O.
//
// Error contract: InvalidArgument for bad input (names, filters, tags, selectors), with a
// message fit for the client; AlreadyExists for a duplicate name; NotFound when the named
// group or resource does not exist; FailedPrecondition for what the Default group forbids
// or a group still referenced by another group's filter; OutOfRange for the group quota and
// (only in TagResource) for more than kMaxUserTagsPerResource tags; catalog errors as they
// come. On any error nothing changes.
class GroupRegistry {
 public:
  // Loads every tenant's groups and tags from `catalog`. `*catalog` must outlive the
  // registry. A stored filter that no longer compiles is logged and kept, not applied.
  static Result<std::unique_ptr<GroupRegistry>> Open(store::Catalog* catalog,
                                                     GroupRegistryOptions options);
  ~GroupRegistry();
  GroupRegistry(const GroupRegistry&) = delete;
  GroupRegistry& operator=(const GroupRegistry&) = delete;

  // Creates a group: name 1-32 characters of [A-Za-z0-9_-], case-sensitive, unique, not
  // "Default"; the filter is compiled (unknown groups, self and cyclic group references
  // fail, with the column); tags are validated like TagResource's (more than 50 is
  // InvalidArgument here). The new group has filter version 1.
  Result<std::shared_ptr<const Group>> Create(const model::TenantId& tenant,
                                              CreateGroupRequest request);
  Result<std::shared_ptr<const Group>> Get(const model::TenantId& tenant,
                                           const GroupSelector& selector) const;
  // One page of groups (Default first, then by name). `next_token` is empty for the first
  // page or a token a previous page returned; pages never repeat or skip a group that
  // exists throughout the listing.
  Result<GroupPage> List(const model::TenantId& tenant, std::string_view next_token) const;
  // Changes the filter (a new version when the text differs) and/or InsightsConfiguration.
  // The Default group's filter cannot be set. Turning insights off turns notifications off
  // unless the request sets them explicitly (then the combination must be valid).
  Result<std::shared_ptr<const Group>> Update(const model::TenantId& tenant,
                                              const GroupSelector& selector,
                                              const UpdateGroupRequest& request);
  // Deletes a group and its tags. The Default group, and a group whose name or ARN another
  // group's filter refers to, cannot be deleted.
  Status Delete(const model::TenantId& tenant, const GroupSelector& selector);

  // Tags of any group ARN of `tenant` (Default included). TagResource adds or replaces
  // values; UntagResource ignores keys that are absent. Keys starting with "aws:" are
  // reserved. NotFound for an ARN that is not a group of `tenant`.
  Status TagResource(const model::TenantId& tenant, std::string_view arn,
                     const std::vector<Tag>& tags);
  Status UntagResource(const model::TenantId& tenant, std::string_view arn,
                       const std::vector<std::string>& keys);
  Result<std::vector<Tag>> ListTags(const model::TenantId& tenant, std::string_view arn) const;

  // The groups (not Default) whose current filter matches the trace revision, with the
  // matching version. group.name / group.arn in a filter were expanded to the referenced
  // group's filter when it was compiled (and are recompiled when that group changes). Called
  // on the store's sealer thread for every seal: no allocation when the tenant has no
  // groups. Thread-safe.
  std::vector<model::GroupMatch> Classify(const model::TenantId& tenant,
                                          const model::TraceSummary& summary,
                                          const model::TraceDetail& detail) const;

  // The current snapshot; it stays valid (and unchanged) as long as it is held.
  std::shared_ptr<const GroupSnapshot> snapshot() const;

  // Options that compile filter expressions of `tenant` with group.name / group.arn expanded
  // to the current filters of its groups (unknown groups fail). They hold the current
  // snapshot, so they stay valid after later changes.
  query::CompileOptions FilterCompileOptions(const model::TenantId& tenant) const;

  // The ARN of `tenant`'s Default group in this registry's region.
  std::string DefaultGroupArn(const model::TenantId& tenant) const;

 private:
  GroupRegistry(store::Catalog* catalog, GroupRegistryOptions options);
  struct Prepared;

  Status LoadTenant(const model::TenantId& tenant, GroupSnapshot* snapshot);
  void Publish(std::shared_ptr<const GroupSnapshot> snapshot);
  // Publishes `current` with `group` (same id) in place of its older version.
  // REQUIRES: write_mu_ held, `current` is the published snapshot.
  void PublishReplaced(const GroupSnapshot& current, const model::TenantId& tenant,
                       std::shared_ptr<Group> group);
  Status PersistGroup(const model::TenantId& tenant, const Group& group);
  Status PersistTags(const model::TenantId& tenant, std::string_view arn,
                     const std::vector<Tag>& tags);
  Status EnsureTenantRecorded(const model::TenantId& tenant);
  Result<std::shared_ptr<const Group>> Resolve(const GroupSnapshot& snapshot,
                                               const model::TenantId& tenant,
                                               const GroupSelector& selector) const;
  std::string NewUniqueId();
  int64_t Now() const;

  // Immutable after construction.
  store::Catalog* const catalog_;
  const GroupRegistryOptions options_;
  Clock* const clock_;
  Counter* memberships_ = nullptr;  // roentgen_group_matches_total (may be null)

  // Writers: held across a whole mutation, including catalog I/O.
  std::mutex write_mu_;
  std::mt19937_64 rng_;  // guarded by write_mu_

  // Guards only the pointer swap; readers copy the pointer and release it at once.
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const GroupSnapshot> snapshot_;  // guarded by snapshot_mu_; never null
};

// Checks a group name: 1-32 characters of [A-Za-z0-9_-]. InvalidArgument otherwise.
Status ValidateGroupName(std::string_view name);

}  // namespace roentgen::groups
