// SPDX-License-Identifier: Apache-2.0
#pragma once

// Runs a compiled filter expression over the store: the one place that turns a filter's scan
// hints (query::ScanHints) into the store's summary prefilter and block-column conditions, so
// that GetTraceSummaries and the scheduled trace-analysis rules search the same way and
// equally fast (docs/query_language.md "How a search runs").

#include <functional>

#include "base/status.h"
#include "query/query.h"
#include "store/store.h"

namespace roentgen::search {

// What a scan tests before it decodes more of a row, derived from one filter. Holds a
// reference to the filter's hints: the filter must outlive the plan, and the plan the scan.
class ScanPlan {
 public:
  explicit ScanPlan(const query::Filter& filter);
  ScanPlan(const ScanPlan&) = delete;
  ScanPlan& operator=(const ScanPlan&) = delete;

  // Sets scan's want_detail, prefilter, conditions and summary_optional for the filter.
  // `scan` then points into this plan.
  void ApplyTo(store::ScanRequest* scan) const;

  // Whether a visited row matches: rows without a summary matched exact block conditions;
  // others are tested with the compiled filter.
  bool Matches(const store::SummaryRow& row) const;

 private:
  const query::Filter& filter_;
  store::ScanConditions conditions_;
  std::function<bool(const model::TraceSummary&)> prefilter_;
};

}  // namespace roentgen::search
