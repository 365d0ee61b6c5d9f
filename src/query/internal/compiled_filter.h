// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/trace_detail.h"
#include "model/trace_summary.h"
#include "query/internal/ast.h"
#include "query/query.h"

namespace roentgen::query::internal {

// What the fast evaluator reads for one trace.
struct TraceInput {
  const model::TraceSummary& summary;
  const model::TraceDetail& detail;
  const EvalContext& context;
};

using TracePredicate = std::function<bool(const TraceInput&)>;

// Everything a Filter holds. Immutable after Compile; the predicate's closures point into
// `ast`, which therefore lives (on the heap, never moved) as long as they do.
struct CompiledFilter {
  std::string expression;
  std::unique_ptr<Expr> ast;
  std::vector<GroupReference> groups;
  TracePredicate predicate;
  bool needs_detail = false;
  bool needs_groups = false;
  bool matches_everything = false;
  ScanHints hints;
};

// The component's own access to a Filter's internals (reference evaluator, tests).
struct FilterAccess {
  static const CompiledFilter& Get(const Filter& filter) { return *filter.impl_; }
};

}  // namespace roentgen::query::internal
