// SPDX-License-Identifier: Apache-2.0
#pragma once

// The catalog value of one insight: a JSON object (format version 1) with the insight's
// fields and its events, written and read only here.
//
//   {"v":1,"id","group_id","group_name","group_arn","category":"FAULT","root_cause":SERVICE,
//    "state":"ACTIVE","start","end"?,"summary","client":IMPACT,"root":IMPACT,"top":[SERVICE],
//    "updated","events":[{"kind":"opened|updated|closed","time","summary","client","root",
//    "top"}]}
//   SERVICE = {"name","type","account"}; IMPACT = {"fault","ok","total"}

#include <string>
#include <string_view>

#include "base/json_writer.h"
#include "base/result.h"
#include "insights/insights.h"

namespace roentgen::insights::internal {

std::string EncodeInsight(const Insight& insight);
// Corruption for text EncodeInsight did not write (never asserts). The tenant is not stored
// (it is the catalog key's); the caller sets it.
Result<Insight> DecodeInsight(std::string_view text);

// RequestImpactStatistics {FaultCount, OkCount, TotalCount} as a value.
void WriteImpact(const RequestImpact& impact, JsonWriter* out);

}  // namespace roentgen::insights::internal
