// SPDX-License-Identifier: Apache-2.0
#pragma once

// Sampling rules persisted in the store's catalog (sampling may not depend on store, so the
// adapter lives here and the server wires it).
//
// Catalog layout:
//   kind "sampling_rule",   tenant T,  name = rule name -> sampling's encoded rule
//   kind "sampling_tenant", tenant "", name T          -> "" (tenants with stored rules)

#include <memory>

#include "sampling/sampling.h"
#include "store/catalog.h"

namespace roentgen::api {

// A RuleStore over `*catalog`, which must outlive it. Thread-safe.
std::unique_ptr<sampling::RuleStore> NewCatalogRuleStore(store::Catalog* catalog);

}  // namespace roentgen::api
