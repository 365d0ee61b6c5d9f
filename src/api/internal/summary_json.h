// SPDX-License-Identifier: Apache-2.0
#pragma once

// The JSON form of X-Ray's TraceSummary (xray-protocol.md "TraceSummary",
// xray-semantics.md §2.3): absent values are omitted, never written as zeros.

#include <optional>

#include "base/json_writer.h"
#include "model/trace_detail.h"
#include "model/trace_summary.h"

namespace roentgen::api::internal {

// Writes one TraceSummary object. The root causes come from `detail`; `matched_event_time`
// is written only when set (TimeRangeType Event).
void WriteTraceSummary(const model::TraceSummary& summary, const model::TraceDetail& detail,
                       std::optional<double> matched_event_time, JsonWriter* out);

}  // namespace roentgen::api::internal
