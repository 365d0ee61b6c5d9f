// SPDX-License-Identifier: Apache-2.0
#pragma once

// A deliberately naive second evaluator for filter expressions, for differential testing
// (STYLE.md 36): it walks a compiled filter's syntax tree and answers every keyword straight
// from the trace's raw segment documents, recomputing roots, nodes, edges and root causes
// from the definitions (xray-semantics.md §1-§3, model/trace_detail.h) without the trace
// summary, the trace detail, or any code of the fast evaluator. Slow on purpose; never use it
// to serve queries.

#include <span>

#include "model/segment.h"
#include "query/query.h"

namespace roentgen::query {

// Whether the trace made of `documents` (all documents of one trace, deduplicated, independent
// subsegments as separate documents) matches `filter`. Must agree with
// filter.Matches(ComputeTraceSummary(documents), ComputeTraceDetail(documents), context).
// Thread-safe. Cost: roughly quadratic in the number of entities per keyword; fine for tests.
bool ReferenceMatches(const Filter& filter, std::span<const model::SegmentDocument> documents,
                      const EvalContext& context = {});

}  // namespace roentgen::query
