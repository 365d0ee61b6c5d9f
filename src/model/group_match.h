// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace roentgen::model {

// One group a trace revision belonged to when it was sealed (X-Ray decides group membership
// when a trace is stored, xray-semantics.md §3.8). Groups are named by a numeric id that the
// groups component assigns once and never reuses; `version` is the group's filter version
// that matched. The Default group (all traces) is implicit and never listed.
struct GroupMatch {
  uint32_t group_id = 0;
  uint32_t version = 0;
  bool operator==(const GroupMatch&) const = default;
};

}  // namespace roentgen::model
