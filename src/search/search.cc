// SPDX-License-Identifier: Apache-2.0
#include "search/search.h"

#include <algorithm>
#include <optional>
#include <string>

namespace roentgen::search {
namespace {

bool HasSummaryHints(const query::ScanHints& hints) {
  return hints.response_time || hints.duration || !hints.service_names.empty() ||
         !hints.annotation_keys.empty() || hints.fault || hints.error || hints.throttle ||
         hints.partial;
}

// The summary-only test of the hints (a necessary condition of the filter).
bool PassesHints(const query::ScanHints& hints, const model::TraceSummary& summary) {
  auto flag_fails = [](const std::optional<bool>& wanted, bool have) {
    return wanted && *wanted != have;
  };
  if (flag_fails(hints.fault, summary.has_fault) || flag_fails(hints.error, summary.has_error) ||
      flag_fails(hints.throttle, summary.has_throttle) ||
      flag_fails(hints.partial, summary.is_partial)) {
    return false;
  }
  if (hints.response_time &&
      (!summary.response_time || !hints.response_time->Contains(*summary.response_time))) {
    return false;
  }
  if (hints.duration && !hints.duration->Contains(summary.duration)) return false;
  for (const std::string& name : hints.service_names) {
    if (std::none_of(summary.service_ids.begin(), summary.service_ids.end(),
                     [&](const model::ServiceId& id) { return id.name == name; })) {
      return false;
    }
  }
  for (const std::string& key : hints.annotation_keys) {
    if (std::none_of(summary.annotations.begin(), summary.annotations.end(),
                     [&](const model::AnnotationSummary& a) { return a.key == key; })) {
      return false;
    }
  }
  return true;
}

}  // namespace

ScanPlan::ScanPlan(const query::Filter& filter) : filter_(filter) {
  const query::ScanHints& hints = filter.hints();
  if (HasSummaryHints(hints)) {
    prefilter_ = [&hints](const model::TraceSummary& summary) {
      return PassesHints(hints, summary);
    };
  }
  if (hints.response_time) {
    conditions_.response_time = store::ScanConditions::Range{
        hints.response_time->min, hints.response_time->max, hints.response_time->min_inclusive,
        hints.response_time->max_inclusive};
  }
  conditions_.service_names = hints.service_names;
  for (const auto& wanted : hints.annotation_equals) {
    conditions_.annotation_equals.emplace_back(wanted.key, wanted.value);
  }
  conditions_.fault = hints.fault;
  conditions_.error = hints.error;
  conditions_.throttle = hints.throttle;
  conditions_.partial = hints.partial;
  conditions_.exact = hints.exact;
}

void ScanPlan::ApplyTo(store::ScanRequest* scan) const {
  scan->want_detail = filter_.needs_detail();
  scan->prefilter = prefilter_;
  scan->conditions = &conditions_;
  scan->summary_optional = conditions_.exact;
}

bool ScanPlan::Matches(const store::SummaryRow& row) const {
  static const model::TraceDetail kNoDetail;
  if (row.summary == nullptr) return true;
  return filter_.Matches(*row.summary, row.detail != nullptr ? *row.detail : kNoDetail);
}

}  // namespace roentgen::search
