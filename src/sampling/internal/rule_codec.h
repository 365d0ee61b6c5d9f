// SPDX-License-Identifier: Apache-2.0
#pragma once

// The stored form of a sampling rule (the RuleStore value):
//   byte    format version (1)
//   lp      name, resource_arn, service_name, service_type, host, http_method, url_path
//   varsint priority, reservoir_size, version
//   fixed64 fixed_rate, created_at, modified_at (IEEE-754 doubles, little-endian)
//   varint  attribute count, then lp key, lp value per attribute (keys strictly increasing)
// (lp = varint length + bytes.) The ARN is not stored: it is derived from the tenant.

#include <string>
#include <string_view>

#include "base/result.h"
#include "sampling/sampling.h"

namespace roentgen::sampling::internal {

inline constexpr char kRuleFormatVersion = 1;

std::string EncodeRule(const SamplingRule& rule);
// Corruption when `bytes` is not exactly one encoded rule (trailing bytes, a non-finite
// number, attribute keys out of order). Never asserts on bad input.
Result<SamplingRule> DecodeRule(std::string_view bytes);

}  // namespace roentgen::sampling::internal
