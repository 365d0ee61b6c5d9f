// SPDX-License-Identifier: Apache-2.0
#pragma once

// The CloudWatch API (docs/cloudwatch.md) in its two protocols (xray-protocol.md §7):
// awsQuery (form-encoded input, XML output) and awsJson1_0 (JSON both ways, query-compatible
// errors). Both inputs are turned into one parse::JsonValue tree (a form's
// "A.member.1.B=x" becomes {"A":[{"B":"x"}]}, every leaf a string), handlers read it with
// the tolerant readers below and build a CwOut tree, which is written as JSON or XML.

#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/internal/context.h"
#include "base/result.h"
#include "parse/json_dom.h"

namespace roentgen::api::internal {

// ---- awsQuery forms.

// Splits an application/x-www-form-urlencoded body into (name, value) pairs, percent- and
// '+'-decoded, in order. InvalidArgument for a bad %-escape, a name or value that is not
// well-formed UTF-8 once decoded, or more than `max_pairs` pairs.
Result<std::vector<std::pair<std::string, std::string>>> DecodeForm(std::string_view body,
                                                                    size_t max_pairs = 100000);
// Percent-encodes `text` as the AWS SDKs do (unreserved characters kept).
std::string EncodeFormComponent(std::string_view text);
// Builds the input tree of a decoded form (without Action and Version). "X.member.N" (and
// "X.entry.N") index lists, 1-based; other dotted parts are object members; leaves are
// strings. InvalidArgument for a key that is both a leaf and a structure, a list index that is
// not a positive number (at most 100000), or nesting deeper than 16.
Result<parse::JsonValue> FormToTree(const std::vector<std::pair<std::string, std::string>>& form);

// ---- Output.

// A response member tree; written as JSON (awsJson1_0) or XML (awsQuery).
struct CwOut {
  enum class Kind { kString, kNumber, kInt, kBool, kTime, kObject, kArray, kMap };
  Kind kind = Kind::kObject;
  std::string text;
  double number = 0;
  int64_t integer = 0;
  bool boolean = false;
  // Lists (which, unlike deques, may hold the incomplete CwOut): references returned by
  // Add/Push stay valid while siblings are added.
  std::list<std::pair<std::string, CwOut>> members;  // object, map
  std::list<CwOut> items;                            // array

  static CwOut Object() { return CwOut(); }
  static CwOut Array() {
    CwOut out;
    out.kind = Kind::kArray;
    return out;
  }
  static CwOut Map() {
    CwOut out;
    out.kind = Kind::kMap;
    return out;
  }
  static CwOut String(std::string value) {
    CwOut out;
    out.kind = Kind::kString;
    out.text = std::move(value);
    return out;
  }
  static CwOut Number(double value) {
    CwOut out;
    out.kind = Kind::kNumber;
    out.number = value;
    return out;
  }
  static CwOut Int(int64_t value) {
    CwOut out;
    out.kind = Kind::kInt;
    out.integer = value;
    return out;
  }
  static CwOut Bool(bool value) {
    CwOut out;
    out.kind = Kind::kBool;
    out.boolean = value;
    return out;
  }
  // Seconds since the epoch: a number in JSON, ISO-8601 in XML.
  static CwOut Time(double seconds) {
    CwOut out;
    out.kind = Kind::kTime;
    out.number = seconds;
    return out;
  }
  CwOut& Add(std::string key, CwOut value) {
    members.emplace_back(std::move(key), std::move(value));
    return members.back().second;
  }
  CwOut& Push(CwOut value) {
    items.push_back(std::move(value));
    return items.back();
  }
};

std::string RenderJson(const CwOut& out);
// The members of `out` as XML elements (no wrapper).
std::string RenderXmlMembers(const CwOut& out);
// "2024-01-01T00:00:00.000Z".
std::string IsoTimestamp(double seconds);
// Parses ISO-8601 ("2024-01-01T00:00:00Z", fractions, "+hh:mm" offsets) or epoch seconds.
std::optional<double> ParseTimestampText(std::string_view text);

// ---- Errors.

struct CwError {
  std::string_view shape;  // JSON __type suffix, e.g. "InvalidParameterValueException"
  std::string_view code;   // the query error code, e.g. "InvalidParameterValue"
  int http_status = 400;
  std::string message;
  // DashboardInvalidInputError's dashboardValidationMessages: (DataPath, Message).
  std::vector<std::pair<std::string, std::string>> validation_messages;
};

// ---- One call.

struct CwCall {
  const Services& services;
  const model::TenantId& tenant;
  double now = 0;
  std::optional<CwError> error;

  // Each records the error and returns false, so handlers can `return call.Invalid(...)`.
  bool Fail(CwError e) {
    error = std::move(e);
    return false;
  }
  bool Invalid(std::string message) {
    return Fail(
        {"InvalidParameterValueException", "InvalidParameterValue", 400, std::move(message), {}});
  }
  bool Missing(std::string_view parameter) {
    return Fail({"MissingRequiredParameterException",
                 "MissingParameter",
                 400,
                 "The parameter " + std::string(parameter) + " is required.",
                 {}});
  }
  bool Combination(std::string message) {
    return Fail({"InvalidParameterCombinationException",
                 "InvalidParameterCombination",
                 400,
                 std::move(message),
                 {}});
  }
  // Maps a component's Status (the one place for CloudWatch, STYLE.md 26).
  bool FailStatus(const Status& status);
};

// ---- Tolerant input readers. Each returns false after recording an error in `call` when the
// member has the wrong type; absent members leave the output untouched and return true.

bool ReadString(CwCall& call, const parse::JsonValue& in, std::string_view key,
                std::optional<std::string>* out);
bool ReadNumber(CwCall& call, const parse::JsonValue& in, std::string_view key,
                std::optional<double>* out);
bool ReadInt(CwCall& call, const parse::JsonValue& in, std::string_view key,
             std::optional<int64_t>* out);
bool ReadBool(CwCall& call, const parse::JsonValue& in, std::string_view key,
              std::optional<bool>* out);
bool ReadTime(CwCall& call, const parse::JsonValue& in, std::string_view key,
              std::optional<double>* out);
// A list member: an array, or "" (awsQuery's empty list). Absent: empty.
bool ReadList(CwCall& call, const parse::JsonValue& in, std::string_view key,
              std::vector<const parse::JsonValue*>* out);
bool ReadStringList(CwCall& call, const parse::JsonValue& in, std::string_view key,
                    std::vector<std::string>* out);

// Handlers: each fills `out` (the output members) and returns true, or returns false with
// call.error set.
using CwHandler = bool (*)(CwCall& call, const parse::JsonValue& in, CwOut* out);

// cloudwatch_metrics.cc
bool CwPutMetricData(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwGetMetricStatistics(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwGetMetricData(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwListMetrics(CwCall& call, const parse::JsonValue& in, CwOut* out);
// cloudwatch_alarms.cc
bool CwPutMetricAlarm(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwDescribeAlarms(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwDescribeAlarmHistory(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwDeleteAlarms(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwSetAlarmState(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwPutAnomalyDetector(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwDescribeAnomalyDetectors(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwDeleteAnomalyDetector(CwCall& call, const parse::JsonValue& in, CwOut* out);
// cloudwatch_dashboards.cc
bool CwPutDashboard(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwGetDashboard(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwListDashboards(CwCall& call, const parse::JsonValue& in, CwOut* out);
bool CwDeleteDashboards(CwCall& call, const parse::JsonValue& in, CwOut* out);

// Shared readers of metric shapes (cloudwatch_metrics.cc).
bool ReadDimensions(CwCall& call, const parse::JsonValue& in, std::string_view key,
                    std::vector<metrics::Dimension>* out);
bool ReadMetricDataQueries(CwCall& call, const parse::JsonValue& in, std::string_view key,
                           std::vector<metrics::MetricDataQuery>* out);
void WriteDimensions(CwOut& parent, const std::vector<metrics::Dimension>& dimensions);
void WriteMetricDataQueries(CwOut& parent, const std::vector<metrics::MetricDataQuery>& queries);

}  // namespace roentgen::api::internal
