// SPDX-License-Identifier: Apache-2.0
#pragma once

// Metric math (the subset of CloudWatch's documented in docs/cloudwatch.md):
//
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '/') unary)*
//   unary   := '-' unary | primary
//   primary := number | id | '(' expr ')' | '[' expr (',' expr)* ']'
//            | FUNC '(' [expr (',' expr)*] ')'        FUNC: SUM AVG MIN MAX METRICS
//                                                     ANOMALY_DETECTION_BAND ABS
//
// A value is a scalar or a list of time series. Arithmetic between two series keeps the
// timestamps both have; between a list and a single series or a scalar it applies to each
// series of the list; division by zero drops the point.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "metrics/metrics.h"

namespace roentgen::metrics::internal {

struct ExpressionContext {
  // Results of earlier queries by id.
  const std::map<std::string, std::vector<TimeSeries>>* named = nullptr;
  // The ids of MetricStat queries in request order (METRICS()).
  const std::vector<std::string>* metric_ids = nullptr;
  // ANOMALY_DETECTION_BAND(id, stddevs): lower and upper band of a MetricStat query.
  std::function<Result<AnomalyBand>(const std::string& id, double stddevs)> anomaly_band;
};

// Evaluates `expression`. A scalar result is returned as an empty list with *scalar set
// (when scalar is non-null). InvalidArgument with the column for syntax errors and unknown
// ids or functions.
Result<std::vector<TimeSeries>> EvaluateExpression(std::string_view expression,
                                                   const ExpressionContext& context,
                                                   double* scalar = nullptr);

}  // namespace roentgen::metrics::internal
