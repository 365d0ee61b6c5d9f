// SPDX-License-Identifier: Apache-2.0
#include "api/sampling_store.h"

#include <string>
#include <utility>
#include <vector>

#include "base/status_macros.h"

namespace roentgen::api {
namespace {

constexpr std::string_view kRuleKind = "sampling_rule";
constexpr std::string_view kTenantKind = "sampling_tenant";

class CatalogRuleStore final : public sampling::RuleStore {
 public:
  explicit CatalogRuleStore(store::Catalog* catalog) : catalog_(catalog) {}

  Result<std::vector<Entry>> LoadAll() override {
    RG_ASSIGN_OR_RETURN(auto tenants, catalog_->List(kTenantKind, model::TenantId()));
    std::vector<Entry> entries;
    for (auto& [tenant, unused] : tenants) {
      RG_ASSIGN_OR_RETURN(auto rules, catalog_->List(kRuleKind, tenant));
      for (auto& [name, value] : rules) {
        entries.push_back(Entry{tenant, std::move(name), std::move(value)});
      }
    }
    return entries;
  }

  Status Put(const model::TenantId& tenant, std::string_view name,
             std::string_view value) override {
    // The tenant first: a rule is never stored under a tenant LoadAll would not visit.
    RG_RETURN_IF_ERROR(catalog_->Put(kTenantKind, model::TenantId(), tenant, ""));
    return catalog_->Put(kRuleKind, tenant, name, value);
  }

  Status Delete(const model::TenantId& tenant, std::string_view name) override {
    return catalog_->Delete(kRuleKind, tenant, name);
  }

 private:
  store::Catalog* const catalog_;
};

}  // namespace

std::unique_ptr<sampling::RuleStore> NewCatalogRuleStore(store::Catalog* catalog) {
  return std::make_unique<CatalogRuleStore>(catalog);
}

}  // namespace roentgen::api
