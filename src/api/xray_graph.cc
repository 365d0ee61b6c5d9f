// SPDX-License-Identifier: Apache-2.0
// GetServiceGraph, GetTraceGraph and GetTimeSeriesServiceStatistics (restJson1; semantics in
// xray-semantics.md §3 and docs/service_map.md).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "api/errors.h"
#include "api/internal/context.h"
#include "api/internal/request_fields.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "graph/graph.h"

namespace roentgen::api::internal {
namespace {

// Nodes per GetServiceGraph page.
constexpr size_t kServicesPerPage = 100;
// GetServiceGraph windows longer than this are refused (X-Ray's console offers up to 6 h at
// once; we allow a day, the aggregates make it cheap).
constexpr double kMaxGraphWindowSeconds = 24 * 3600;
constexpr size_t kMaxTraceGraphIds = 5;
constexpr size_t kMaxSelectorLength = 500;

void RespondInvalid(Call& call, std::string_view message) {
  call.respond(RestJsonError(400, "InvalidRequestException", message, call.request_id));
}

// The group a request names (GroupName or GroupARN; neither: Default).
Result<graph::GroupSelection> ResolveGroup(const Call& call, const parse::JsonValue& body) {
  RG_ASSIGN_OR_RETURN(std::optional<std::string> given_name, OptionalString(body, "GroupName"));
  RG_ASSIGN_OR_RETURN(std::optional<std::string> given_arn, OptionalString(body, "GroupARN"));
  const std::string name = given_name.value_or("");
  const std::string arn = given_arn.value_or("");
  graph::GroupSelection selection;
  if (name.empty() && arn.empty()) return selection;
  if (name.size() > 32) return InvalidRequest("GroupName must be 1 to 32 characters");
  if (arn.size() > 400) return InvalidRequest("GroupARN must be 1 to 400 characters");
  std::optional<uint32_t> id;
  const Services& s = call.services;
  if (s.resolve_group_id) {
    id = s.resolve_group_id(call.tenant, name, arn);
  } else {
    bool default_name = name.empty() || name == "Default";
    bool default_arn = arn.empty() || arn.ends_with(":group/Default") ||
                       arn.find(":group/Default/") != std::string::npos;
    if (default_name && default_arn) id = 0;
  }
  if (!id) {
    return InvalidRequest(fmt::format("Group not found: {}", name.empty() ? arn : name));
  }
  if (*id != 0) {
    selection.group_id = *id;
    if (s.group_version) selection.current_version = s.group_version(call.tenant, *id);
  }
  return selection;
}

// GetServiceGraph tokens: "sg1:<aggregator generation, hex>:<first reference id>". A token
// from another process (whose reference ids differ) is refused.
std::string GraphToken(uint64_t generation, uint32_t reference_id) {
  return fmt::format("sg1:{:x}:{}", generation, reference_id);
}

Result<uint32_t> ParseGraphToken(std::string_view token, uint64_t generation) {
  auto invalid = [] {
    return InvalidRequest(
        "NextToken is not valid (or the server restarted); start again without it");
  };
  if (!token.starts_with("sg1:")) return invalid();
  token.remove_prefix(4);
  size_t colon = token.find(':');
  if (colon == std::string_view::npos) return invalid();
  uint64_t token_generation = 0;
  uint32_t reference_id = 0;
  auto [p1, e1] = std::from_chars(token.data(), token.data() + colon, token_generation, 16);
  auto rest = token.substr(colon + 1);
  auto [p2, e2] = std::from_chars(rest.data(), rest.data() + rest.size(), reference_id);
  if (e1 != std::errc() || p1 != token.data() + colon || e2 != std::errc() ||
      p2 != rest.data() + rest.size() || token_generation != generation) {
    return invalid();
  }
  return reference_id;
}

struct Window {
  double start = 0;
  double end = 0;
};

Result<Window> ParseWindow(const parse::JsonValue& body) {
  Window window;
  RG_ASSIGN_OR_RETURN(window.start, RequiredTime(body, "StartTime"));
  RG_ASSIGN_OR_RETURN(window.end, RequiredTime(body, "EndTime"));
  if (window.end <= window.start) return InvalidRequest("EndTime must be after StartTime");
  return window;
}

void WriteStatisticsKey(std::string_view key, const graph::Statistics& statistics,
                        JsonWriter* out) {
  out->Key(key);
  graph::WriteStatisticsJson(statistics, out);
}

}  // namespace

void GetServiceGraph(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  if (call.services.graph == nullptr) {
    call.respond(RestJsonError(503, "ServiceUnavailableException",
                               "the service map is not enabled on this server", call.request_id));
    return;
  }
  auto window = ParseWindow(*body);
  if (!window.ok()) return RespondInvalid(call, window.error().message());
  if (window->end - window->start > kMaxGraphWindowSeconds) {
    return RespondInvalid(call,
                          "the time range between StartTime and EndTime must be at most "
                          "24 hours");
  }
  auto group = ResolveGroup(call, *body);
  if (!group.ok()) return RespondInvalid(call, group.error().message());
  graph::ServiceGraphRequest request;
  request.tenant = call.tenant;
  request.group = *group;
  request.start_time = window->start;
  request.end_time = window->end;
  request.max_nodes = kServicesPerPage;
  auto token = OptionalString(*body, "NextToken");
  if (!token.ok()) return RespondInvalid(call, token.error().message());
  if (token->has_value() && !(*token)->empty()) {
    auto first = ParseGraphToken(**token, call.services.graph->generation());
    if (!first.ok()) return RespondInvalid(call, first.error().message());
    request.first_reference_id = *first;
  }
  graph::ServiceGraph result = call.services.graph->GetServiceGraph(request);
  JsonWriter out;
  out.BeginObject();
  out.Key("StartTime");
  out.Int(result.start_time);
  out.Key("EndTime");
  out.Int(result.end_time);
  out.Key("Services");
  graph::WriteServicesJson(result.nodes, &out);
  out.Key("ContainsOldGroupVersions");
  out.Bool(result.contains_old_group_versions);
  if (result.next_reference_id) {
    out.Key("NextToken");
    out.String(GraphToken(call.services.graph->generation(), *result.next_reference_id));
  }
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

void GetTraceGraph(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  const parse::JsonValue* trace_ids = body->Find("TraceIds");
  if (trace_ids == nullptr || !trace_ids->is_array()) {
    return RespondInvalid(call, "TraceIds is required and must be a list of strings");
  }
  if (trace_ids->elements().size() > kMaxTraceGraphIds) {
    return RespondInvalid(call, fmt::format("Exceeding maximum query size: {}", kMaxTraceGraphIds));
  }
  // NextToken is accepted and ignored: every answer fits one page (X-Ray documents it as
  // not used).
  std::vector<model::TraceId> ids;
  for (const parse::JsonValue& element : trace_ids->elements()) {
    if (!element.is_string())
      return RespondInvalid(call, "every TraceIds element must be a string");
    auto id = model::TraceId::Parse(element.string_value());
    if (!id) {
      return RespondInvalid(call, fmt::format("Invalid trace id: {}", element.string_value()));
    }
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  auto records = call.services.store->GetSummaries(call.tenant, ids, /*want_detail=*/true);
  if (!records.ok()) {
    call.respond(RestJsonError(records.error(), call.request_id));
    return;
  }
  std::vector<model::TraceDetail> details;
  details.reserve(records->size());
  for (store::SummaryRecord& record : *records) details.push_back(std::move(record.detail));
  graph::ServiceGraph result = graph::BuildTraceGraph(details);
  JsonWriter out;
  out.BeginObject();
  out.Key("Services");
  graph::WriteServicesJson(result.nodes, &out);
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

void GetTimeSeriesServiceStatistics(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  if (call.services.graph == nullptr) {
    call.respond(RestJsonError(503, "ServiceUnavailableException",
                               "the service map is not enabled on this server", call.request_id));
    return;
  }
  auto window = ParseWindow(*body);
  if (!window.ok()) return RespondInvalid(call, window.error().message());
  auto group = ResolveGroup(call, *body);
  if (!group.ok()) return RespondInvalid(call, group.error().message());
  graph::TimeSeriesRequest request;
  request.tenant = call.tenant;
  request.group = *group;
  request.start_time = window->start;
  request.end_time = window->end;
  if (const parse::JsonValue* period = body->Find("Period"); period && !period->is_null()) {
    std::optional<double> seconds = period->is_number() ? period->number_as_double() : std::nullopt;
    if (!seconds || (*seconds != 60 && *seconds != 300 && *seconds != 3600)) {
      return RespondInvalid(call, "Period must be 60, 300 or 3600 (seconds)");
    }
    request.period_seconds = static_cast<int64_t>(*seconds);
  }
  auto selector_text = OptionalString(*body, "EntitySelectorExpression");
  if (!selector_text.ok()) return RespondInvalid(call, selector_text.error().message());
  const std::string selector_expression = selector_text->value_or("");
  if (selector_expression.size() > kMaxSelectorLength) {
    return RespondInvalid(call, "EntitySelectorExpression must be at most 500 characters");
  }
  auto selector = graph::ParseEntitySelector(selector_expression);
  if (!selector.ok()) return RespondInvalid(call, selector.error().message());
  request.selector = *selector;
  auto forecast = OptionalBool(*body, "ForecastStatistics");
  if (!forecast.ok()) return RespondInvalid(call, forecast.error().message());
  request.forecast = forecast->value_or(false);
  if (request.forecast && request.selector.kind != graph::EntitySelector::Kind::kService) {
    return RespondInvalid(call,
                          "ForecastStatistics needs an EntitySelectorExpression naming a service");
  }
  // NextToken: every answer fits one page (points are bounded by the buckets kept).
  auto series = call.services.graph->GetTimeSeries(request);
  if (!series.ok()) return RespondInvalid(call, series.error().message());
  JsonWriter out;
  out.BeginObject();
  out.Key("TimeSeriesServiceStatistics");
  out.BeginArray();
  for (const graph::TimeSeriesPoint& point : series->points) {
    out.BeginObject();
    out.Key("Timestamp");
    out.Int(point.timestamp);
    WriteStatisticsKey(
        series->edge_statistics ? "EdgeSummaryStatistics" : "ServiceSummaryStatistics",
        point.statistics, &out);
    if (point.forecast) {
      out.Key("ServiceForecastStatistics");
      out.BeginObject();
      out.Key("FaultCountHigh");
      out.Int(point.forecast->high);
      out.Key("FaultCountLow");
      out.Int(point.forecast->low);
      out.EndObject();
    }
    out.Key("ResponseTimeHistogram");
    graph::WriteHistogramJson(point.response_time_histogram, &out);
    out.EndObject();
  }
  out.EndArray();
  out.Key("ContainsOldGroupVersions");
  out.Bool(series->contains_old_group_versions);
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

}  // namespace roentgen::api::internal
