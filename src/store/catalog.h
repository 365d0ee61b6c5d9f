// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "model/tenant.h"

namespace roentgen::store {

// The small durable catalog of named, user-managed objects: groups (with filter versions),
// sampling rules, alarms, dashboards, insights, analysis rules. Backed by RocksDB under
// <data_dir>/catalog, every write synced. Keys are (kind, tenant, name); values are opaque
// bytes owned by the component that writes them (usually JSON). Thread-safe.
class Catalog {
 public:
  static Result<std::unique_ptr<Catalog>> Open(const std::string& dir);
  virtual ~Catalog() = default;

  // Writes (kind, tenant, name) -> value durably.
  virtual Status Put(std::string_view kind, const model::TenantId& tenant, std::string_view name,
                     std::string_view value) = 0;
  // NotFound if absent.
  virtual Result<std::string> Get(std::string_view kind, const model::TenantId& tenant,
                                  std::string_view name) = 0;
  // OK also if absent.
  virtual Status Delete(std::string_view kind, const model::TenantId& tenant,
                        std::string_view name) = 0;
  // Every (name, value) of (kind, tenant), ordered by name.
  virtual Result<std::vector<std::pair<std::string, std::string>>> List(
      std::string_view kind, const model::TenantId& tenant) = 0;
};

}  // namespace roentgen::store
