// SPDX-License-Identifier: Apache-2.0
#pragma once

// Input rules of the group and tag operations (xray-protocol.md §2 "Groups, tags",
// xray-semantics.md §6). Each returns InvalidArgument with a message fit for the client.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "groups/groups.h"

namespace roentgen::groups::internal {

// A tag key: 1-128 characters of letters, digits, spaces and `_ . : / = + - @` (UTF-8; any
// non-ASCII letter counts as a letter), not starting with "aws:" in any case.
Status ValidateTagKey(std::string_view key);
// A tag value: 0-256 characters of the same set.
Status ValidateTagValue(std::string_view value);
// Every tag of one request: at most kMaxTagsPerRequest, valid keys and values, no key twice.
Status ValidateTags(std::span<const Tag> tags);
// Keys of an UntagResource request: at most kMaxTagsPerRequest, each a valid key.
Status ValidateTagKeys(std::span<const std::string> keys);
// Notifications need insights.
Status ValidateInsights(const InsightsConfiguration& insights);

}  // namespace roentgen::groups::internal
