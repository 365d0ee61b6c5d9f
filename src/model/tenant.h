// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace roentgen::model {

// The account that owns stored data: every stored record carries one. Until authentication
// arrives every request runs under the configured default account. This is not the
// `aws.account_id` a segment reports about its own resource, which is data.
using TenantId = std::string;

inline constexpr std::string_view kDefaultTenant = "000000000000";

}  // namespace roentgen::model
