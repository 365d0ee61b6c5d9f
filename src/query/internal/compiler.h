// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "query/internal/ast.h"
#include "query/internal/compiled_filter.h"
#include "query/query.h"

namespace roentgen::query::internal {

struct CompiledPredicate {
  TracePredicate predicate;
  bool needs_detail = false;
  bool needs_groups = false;
};

// Compiles a checked syntax tree into a tree of closures. Keywords are resolved here, once:
// each closure reads one field directly and applies a pre-chosen operator, and AND/OR
// operands are reordered so that summary-only tests run before detail scans (evaluation
// has no side effects, so the order does not change the result).
// REQUIRES: `root` outlives the returned predicate (closures keep pointers into it).
CompiledPredicate CompileExpression(const Expr& root);

// Necessary conditions from the top-level AND chain (see ScanHints).
ScanHints ComputeScanHints(const Expr& root);

}  // namespace roentgen::query::internal
