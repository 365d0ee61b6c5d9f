// SPDX-License-Identifier: Apache-2.0
// GetInsightSummaries, GetInsight, GetInsightEvents and GetInsightImpactGraph (restJson1;
// shapes in xray-protocol.md §3.2, semantics in xray-semantics.md §4 and docs/insights.md).

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
#include "insights/insights.h"

namespace roentgen::api::internal {
namespace {

constexpr int64_t kMaxAgeSeconds = 30 * 24 * 3600;   // start/end at most 30 days old
constexpr int64_t kMaxImpactGraphWindow = 6 * 3600;  // GetInsightImpactGraph
constexpr int64_t kMaxSummaries = 100;               // GetInsightSummaries MaxResults
constexpr int64_t kMaxEvents = 50;                   // GetInsightEvents MaxResults
constexpr size_t kMaxTokenLength = 2000;
constexpr size_t kImpactGraphNodes = 100000;

void RespondInvalid(Call& call, std::string_view message) {
  call.respond(RestJsonError(400, "InvalidRequestException", message, call.request_id));
}

bool RequireEngine(Call& call) {
  if (call.services.insights != nullptr) return true;
  call.respond(RestJsonError(503, "ServiceUnavailableException",
                             "insights are not enabled on this server", call.request_id));
  return false;
}

// The InsightId pattern of the model: a UUID of version 1-5, variant 10xx.
bool IsInsightId(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return id[14] >= '1' && id[14] <= '5' &&
         std::string_view("89abAB").find(id[19]) != std::string_view::npos;
}

Result<std::string> RequiredInsightId(const parse::JsonValue& body) {
  RG_ASSIGN_OR_RETURN(std::optional<std::string> id, OptionalString(body, "InsightId"));
  if (!id) return InvalidRequest("InsightId is required");
  if (!IsInsightId(*id)) {
    return InvalidRequest(fmt::format("InsightId is not a valid insight id: {}", *id));
  }
  return *id;
}

Result<int64_t> Time(const parse::JsonValue& body, std::string_view key, int64_t now) {
  RG_ASSIGN_OR_RETURN(double value, RequiredTime(body, key));
  if (value < static_cast<double>(now - kMaxAgeSeconds)) {
    return InvalidRequest(fmt::format("{} must be within the last 30 days", key));
  }
  return static_cast<int64_t>(std::floor(value));
}

// Page tokens: "in1:<offset>" into the answer's list.
Result<size_t> Offset(const parse::JsonValue& body) {
  RG_ASSIGN_OR_RETURN(std::optional<std::string> token, OptionalString(body, "NextToken"));
  if (!token || token->empty()) return size_t{0};
  if (token->size() > kMaxTokenLength || !token->starts_with("in1:")) {
    return InvalidRequest("NextToken is not valid");
  }
  size_t offset = 0;
  const char* begin = token->data() + 4;
  const char* end = token->data() + token->size();
  auto [ptr, ec] = std::from_chars(begin, end, offset);
  if (ec != std::errc() || ptr != end) return InvalidRequest("NextToken is not valid");
  return offset;
}

Result<int64_t> MaxResults(const parse::JsonValue& body, int64_t limit) {
  RG_ASSIGN_OR_RETURN(std::optional<double> value, OptionalNumber(body, "MaxResults"));
  if (!value) return limit;
  if (*value < 1 || *value > static_cast<double>(limit) || *value != std::floor(*value)) {
    return InvalidRequest(fmt::format("MaxResults must be an integer from 1 to {}", limit));
  }
  return static_cast<int64_t>(*value);
}

void WriteImpact(std::string_view key, const insights::RequestImpact& impact, JsonWriter* out) {
  out->Key(key);
  out->BeginObject();
  out->Key("FaultCount");
  out->Int(impact.fault_count);
  out->Key("OkCount");
  out->Int(impact.ok_count);
  out->Key("TotalCount");
  out->Int(impact.total_count);
  out->EndObject();
}

void WriteTopServices(const std::vector<model::ServiceId>& ids, JsonWriter* out) {
  out->Key("TopAnomalousServices");
  out->BeginArray();
  for (const model::ServiceId& id : ids) {
    out->BeginObject();
    out->Key("ServiceId");
    model::WriteServiceIdJson(id, out);
    out->EndObject();
  }
  out->EndArray();
}

// The members Insight and InsightSummary share.
void WriteInsightMembers(const insights::Insight& insight, JsonWriter* out) {
  out->Key("InsightId");
  out->String(insight.id);
  out->Key("GroupARN");
  out->String(insight.group_arn);
  out->Key("GroupName");
  out->String(insight.group_name);
  out->Key("RootCauseServiceId");
  model::WriteServiceIdJson(insight.root_cause, out);
  out->Key("Categories");
  out->BeginArray();
  out->String(insights::CategoryName(insight.category));
  out->EndArray();
  out->Key("State");
  out->String(insights::StateName(insight.state));
  out->Key("StartTime");
  out->Int(insight.start_time);
  if (insight.end_time) {
    out->Key("EndTime");
    out->Int(*insight.end_time);
  }
  out->Key("Summary");
  out->String(insight.summary);
  WriteImpact("ClientRequestImpactStatistics", insight.client_impact, out);
  WriteImpact("RootCauseServiceRequestImpactStatistics", insight.root_cause_impact, out);
  WriteTopServices(insight.top_anomalous_services, out);
}

// The group a GetInsightSummaries names (GroupName or GroupARN, one required).
Result<std::shared_ptr<const groups::Group>> ResolveInsightGroup(const Call& call,
                                                                 const parse::JsonValue& body) {
  RG_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(body, "GroupName"));
  RG_ASSIGN_OR_RETURN(std::optional<std::string> arn, OptionalString(body, "GroupARN"));
  if ((!name || name->empty()) && (!arn || arn->empty())) {
    return InvalidRequest("GroupName or GroupARN is required");
  }
  if (name && name->size() > 32) return InvalidRequest("GroupName must be 1 to 32 characters");
  if (arn && arn->size() > 400) return InvalidRequest("GroupARN must be 1 to 400 characters");
  if (call.services.groups == nullptr) return InvalidRequest("Group not found");
  auto snapshot = call.services.groups->snapshot();
  auto group = name && !name->empty() ? snapshot->FindByName(call.tenant, *name)
                                      : snapshot->FindByArn(call.tenant, *arn);
  if (group == nullptr || (name && !name->empty() && arn && !arn->empty() && group->arn != *arn)) {
    return InvalidRequest(
        fmt::format("Group not found: {}", name && !name->empty() ? *name : *arn));
  }
  return group;
}

int64_t NowSeconds(const Call& call) { return call.services.clock->NowUnixNanos() / 1'000'000'000; }

}  // namespace

void GetInsightSummaries(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  if (!RequireEngine(call)) return;
  const int64_t now = NowSeconds(call);
  std::optional<insights::State> state;
  if (const parse::JsonValue* states = body->Find("States");
      states != nullptr && !states->is_null()) {
    if (!states->is_array()) return RespondInvalid(call, "States must be a list of strings");
    if (states->elements().size() > 1) {
      return RespondInvalid(call, "States must have at most 1 element");
    }
    for (const parse::JsonValue& element : states->elements()) {
      std::string_view text =
          element.is_string() ? std::string_view(element.string_value()) : std::string_view();
      if (text == "ACTIVE") {
        state = insights::State::kActive;
      } else if (text == "CLOSED") {
        state = insights::State::kClosed;
      } else {
        return RespondInvalid(call, "States must be ACTIVE or CLOSED");
      }
    }
  }
  auto group = ResolveInsightGroup(call, *body);
  if (!group.ok()) return RespondInvalid(call, group.error().message());
  auto start = Time(*body, "StartTime", now);
  if (!start.ok()) return RespondInvalid(call, start.error().message());
  auto end = Time(*body, "EndTime", now);
  if (!end.ok()) return RespondInvalid(call, end.error().message());
  if (*end < *start) return RespondInvalid(call, "EndTime must not be before StartTime");
  auto max_results = MaxResults(*body, kMaxSummaries);
  if (!max_results.ok()) return RespondInvalid(call, max_results.error().message());
  auto offset = Offset(*body);
  if (!offset.ok()) return RespondInvalid(call, offset.error().message());

  insights::ListRequest request;
  request.tenant = call.tenant;
  request.group_id = (*group)->id;
  request.state = state;
  request.start_time = *start;
  request.end_time = std::max(*end, *start + 1);
  std::vector<insights::Insight> found = call.services.insights->List(request);
  JsonWriter out;
  out.BeginObject();
  out.Key("InsightSummaries");
  out.BeginArray();
  size_t last = std::min(found.size(), *offset + static_cast<size_t>(*max_results));
  for (size_t i = std::min(*offset, found.size()); i < last; ++i) {
    out.BeginObject();
    WriteInsightMembers(found[i], &out);
    out.Key("LastUpdateTime");
    out.Int(found[i].last_update_time);
    out.EndObject();
  }
  out.EndArray();
  if (last < found.size()) {
    out.Key("NextToken");
    out.String(fmt::format("in1:{}", last));
  }
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

// The insight `id` of the caller's tenant, or nullopt after answering the error (an unknown id
// is InvalidRequestException, as X-Ray answers).
std::optional<insights::Insight> FindInsight(Call& call, std::string_view id) {
  auto insight = call.services.insights->Get(call.tenant, id);
  if (insight.ok()) return std::move(*insight);
  if (insight.error().code() == StatusCode::kNotFound) {
    RespondInvalid(call, insight.error().message());
  } else {
    call.respond(RestJsonError(insight.error(), call.request_id));
  }
  return std::nullopt;
}

void GetInsight(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  if (!RequireEngine(call)) return;
  auto id = RequiredInsightId(*body);
  if (!id.ok()) return RespondInvalid(call, id.error().message());
  std::optional<insights::Insight> insight = FindInsight(call, *id);
  if (!insight) return;
  JsonWriter out;
  out.BeginObject();
  out.Key("Insight");
  out.BeginObject();
  WriteInsightMembers(*insight, &out);
  out.EndObject();
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

void GetInsightEvents(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  if (!RequireEngine(call)) return;
  auto id = RequiredInsightId(*body);
  if (!id.ok()) return RespondInvalid(call, id.error().message());
  auto max_results = MaxResults(*body, kMaxEvents);
  if (!max_results.ok()) return RespondInvalid(call, max_results.error().message());
  auto offset = Offset(*body);
  if (!offset.ok()) return RespondInvalid(call, offset.error().message());
  std::optional<insights::Insight> insight = FindInsight(call, *id);
  if (!insight) return;
  const std::vector<insights::Event>& events = insight->events;
  JsonWriter out;
  out.BeginObject();
  out.Key("InsightEvents");
  out.BeginArray();
  size_t last = std::min(events.size(), *offset + static_cast<size_t>(*max_results));
  for (size_t i = std::min(*offset, events.size()); i < last; ++i) {
    const insights::Event& event = events[i];
    out.BeginObject();
    out.Key("Summary");
    out.String(event.summary);
    out.Key("EventTime");
    out.Int(event.event_time);
    WriteImpact("ClientRequestImpactStatistics", event.client_impact, &out);
    WriteImpact("RootCauseServiceRequestImpactStatistics", event.root_cause_impact, &out);
    WriteTopServices(event.top_anomalous_services, &out);
    out.EndObject();
  }
  out.EndArray();
  if (last < events.size()) {
    out.Key("NextToken");
    out.String(fmt::format("in1:{}", last));
  }
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

void GetInsightImpactGraph(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  if (!RequireEngine(call)) return;
  if (call.services.graph == nullptr) {
    call.respond(RestJsonError(503, "ServiceUnavailableException",
                               "the service map is not enabled on this server", call.request_id));
    return;
  }
  const int64_t now = NowSeconds(call);
  auto id = RequiredInsightId(*body);
  if (!id.ok()) return RespondInvalid(call, id.error().message());
  auto start = Time(*body, "StartTime", now);
  if (!start.ok()) return RespondInvalid(call, start.error().message());
  auto end = Time(*body, "EndTime", now);
  if (!end.ok()) return RespondInvalid(call, end.error().message());
  if (*end <= *start) return RespondInvalid(call, "EndTime must be after StartTime");
  if (*end - *start > kMaxImpactGraphWindow) {
    return RespondInvalid(call,
                          "the time range between StartTime and EndTime must be at most 6 hours");
  }
  auto offset = Offset(*body);  // every answer fits one page; a token is only checked
  if (!offset.ok()) return RespondInvalid(call, offset.error().message());
  std::optional<insights::Insight> insight = FindInsight(call, *id);
  if (!insight) return;
  graph::ServiceGraphRequest request;
  request.tenant = call.tenant;
  if (insight->group_id != groups::kDefaultGroupId) {
    request.group.group_id = insight->group_id;
    if (call.services.group_version) {
      request.group.current_version = call.services.group_version(call.tenant, insight->group_id);
    }
  }
  request.start_time = static_cast<double>(*start);
  request.end_time = static_cast<double>(*end);
  request.max_nodes = kImpactGraphNodes;
  graph::ServiceGraph result = call.services.graph->GetServiceGraph(request);
  JsonWriter out;
  out.BeginObject();
  out.Key("InsightId");
  out.String(insight->id);
  out.Key("StartTime");
  out.Int(*start);
  out.Key("EndTime");
  out.Int(*end);
  out.Key("ServiceGraphStartTime");
  out.Int(result.start_time);
  out.Key("ServiceGraphEndTime");
  out.Int(result.end_time);
  out.Key("Services");
  out.BeginArray();
  for (const graph::GraphNode& node : result.nodes) {
    out.BeginObject();
    out.Key("ReferenceId");
    out.Uint(node.reference_id);
    out.Key("Type");
    out.String(node.id.type);
    out.Key("Name");
    out.String(node.id.name);
    out.Key("Names");
    out.BeginArray();
    out.String(node.id.name);
    out.EndArray();
    if (!node.id.account_id.empty()) {
      out.Key("AccountId");
      out.String(node.id.account_id);
    }
    out.Key("Edges");
    out.BeginArray();
    for (const graph::GraphEdge& edge : node.edges) {
      out.BeginObject();
      out.Key("ReferenceId");
      out.Uint(edge.reference_id);
      out.EndObject();
    }
    out.EndArray();
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

}  // namespace roentgen::api::internal
