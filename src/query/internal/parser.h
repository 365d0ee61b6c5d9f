// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "query/internal/ast.h"
#include "query/query.h"

namespace roentgen::query::internal {

struct ParsedFilter {
  std::unique_ptr<Expr> root;  // never null; Kind::kTrue for the empty expression
  std::vector<GroupReference> groups;
};

// Recursive-descent parser for the grammar in docs/query_language.md, with type and scope
// checks. Bounded: expressions longer than options.max_length or nested deeper than
// options.max_depth fail cleanly, so recursion depth is O(max_depth).
Result<ParsedFilter> ParseFilter(std::string_view text, const CompileOptions& options);

}  // namespace roentgen::query::internal
