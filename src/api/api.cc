// SPDX-License-Identifier: Apache-2.0
#include "api/api.h"

// The URL layout of the port (docs/url_layout.md), as one table:
//   X-Ray API            POST on fixed, case-sensitive paths (restJson1)
//   daemon sampling      POST /GetSamplingRules, /SamplingTargets (unsigned)
//   CloudWatch           POST / (form or X-Amz-Target)
//   OTLP                 /v1/traces;  Zipkin: /api/v2/spans
//   console              GET /console/ (GET / redirects there)
//   operational          GET /healthz, GET /metrics

#include "api/console_files.h"
#include "api/errors.h"
#include "api/internal/context.h"
#include "base/logging.h"

namespace roentgen::api {
namespace {

using internal::Call;

struct Operation {
  std::string_view path;
  std::string_view name;
  void (*handler)(Call);
};

// X-Ray operations served so far. Paths are case-sensitive, as AWS's are.
constexpr Operation kXRayOperations[] = {
    {"/TraceSegments", "PutTraceSegments", &internal::PutTraceSegments},
    {"/Traces", "BatchGetTraces", &internal::BatchGetTraces},
    {"/TelemetryRecords", "PutTelemetryRecords", &internal::PutTelemetryRecords},
    {"/TraceSummaries", "GetTraceSummaries", &internal::GetTraceSummaries},
    {"/CreateGroup", "CreateGroup", &internal::CreateGroup},
    {"/GetGroup", "GetGroup", &internal::GetGroup},
    {"/Groups", "GetGroups", &internal::GetGroups},
    {"/UpdateGroup", "UpdateGroup", &internal::UpdateGroup},
    {"/DeleteGroup", "DeleteGroup", &internal::DeleteGroup},
    {"/TagResource", "TagResource", &internal::TagResource},
    {"/UntagResource", "UntagResource", &internal::UntagResource},
    {"/ListTagsForResource", "ListTagsForResource", &internal::ListTagsForResource},
    {"/CreateSamplingRule", "CreateSamplingRule", &internal::CreateSamplingRule},
    {"/GetSamplingRules", "GetSamplingRules", &internal::GetSamplingRules},
    {"/UpdateSamplingRule", "UpdateSamplingRule", &internal::UpdateSamplingRule},
    {"/DeleteSamplingRule", "DeleteSamplingRule", &internal::DeleteSamplingRule},
    {"/SamplingTargets", "GetSamplingTargets", &internal::GetSamplingTargets},
    // The path one older Java SDK release used (xray-protocol.md §4.2).
    {"/GetSamplingTargets", "GetSamplingTargets", &internal::GetSamplingTargets},
    {"/SamplingStatisticSummaries", "GetSamplingStatisticSummaries",
     &internal::GetSamplingStatisticSummaries},
    {"/ServiceGraph", "GetServiceGraph", &internal::GetServiceGraph},
    {"/TraceGraph", "GetTraceGraph", &internal::GetTraceGraph},
    {"/TimeSeriesServiceStatistics", "GetTimeSeriesServiceStatistics",
     &internal::GetTimeSeriesServiceStatistics},
    {"/InsightSummaries", "GetInsightSummaries", &internal::GetInsightSummaries},
    {"/Insight", "GetInsight", &internal::GetInsight},
    {"/InsightEvents", "GetInsightEvents", &internal::GetInsightEvents},
    {"/InsightImpactGraph", "GetInsightImpactGraph", &internal::GetInsightImpactGraph},
};

http::Response TextResponse(int status, std::string content_type, std::string body) {
  http::Response response;
  response.status = status;
  response.headers = {{"Content-Type", std::move(content_type)}};
  response.body = std::move(body);
  return response;
}

}  // namespace

struct ApiRouter::Impl {
  internal::Services services;
};

ApiRouter::ApiRouter(ApiOptions options, const ApiDependencies& dependencies)
    : impl_(std::make_unique<Impl>()) {
  auto& s = impl_->services;
  s.options = std::move(options);
  s.store = dependencies.store;
  s.catalog = dependencies.catalog;
  s.stats = dependencies.stats;
  s.clock = dependencies.clock;
  s.groups = dependencies.groups;
  s.sampling = dependencies.sampling;
  s.graph = dependencies.graph;
  s.insights = dependencies.insights;
  s.resolve_group_id = dependencies.resolve_group_id;
  s.group_version = dependencies.group_version;
  s.metrics = dependencies.metrics;
  s.alarms = dependencies.alarms;
  s.region = dependencies.region;
  s.analysis_rules = dependencies.analysis_rules;
  s.traces_scanned = dependencies.traces_scanned;
  // With a group registry, the service map resolves groups and their versions through it.
  if (s.groups != nullptr && !s.resolve_group_id) {
    s.resolve_group_id = [groups = s.groups](const model::TenantId& tenant, std::string_view name,
                                             std::string_view arn) -> std::optional<uint32_t> {
      auto snapshot = groups->snapshot();
      auto group =
          !name.empty() ? snapshot->FindByName(tenant, name) : snapshot->FindByArn(tenant, arn);
      if (group == nullptr) return std::nullopt;
      return group->id;
    };
  }
  if (s.groups != nullptr && !s.group_version) {
    s.group_version = [groups = s.groups](const model::TenantId& tenant,
                                          uint32_t group_id) -> std::optional<uint32_t> {
      auto group = groups->snapshot()->FindById(tenant, group_id);
      if (group == nullptr) return std::nullopt;
      return group->version();
    };
  }
  StatsRegistry& stats = *dependencies.stats;
  s.summary_snapshots = std::make_shared<internal::SummarySnapshots>(
      *s.clock, s.options.summary_snapshot_bytes, s.options.summary_snapshot_idle_expiry);
  s.telemetry_records = &stats.GetCounter("roentgen_daemon_telemetry_records_total",
                                          "PutTelemetryRecords records received from daemons.");
  constexpr std::string_view kTelemetryHelp =
      "Segment counts reported by aws-xray-daemon instances through PutTelemetryRecords.";
  s.telemetry_segments_received = &stats.GetCounter("roentgen_daemon_telemetry_segments_total",
                                                    kTelemetryHelp, "kind=\"received\"");
  s.telemetry_segments_sent = &stats.GetCounter("roentgen_daemon_telemetry_segments_total",
                                                kTelemetryHelp, "kind=\"sent\"");
  s.telemetry_segments_rejected = &stats.GetCounter("roentgen_daemon_telemetry_segments_total",
                                                    kTelemetryHelp, "kind=\"rejected\"");
  s.telemetry_segments_spillover = &stats.GetCounter("roentgen_daemon_telemetry_segments_total",
                                                     kTelemetryHelp, "kind=\"spillover\"");
  constexpr std::string_view kPutHelp = "PutTraceSegments documents by outcome.";
  s.put_documents_accepted = &stats.GetCounter("roentgen_put_trace_segments_documents_total",
                                               kPutHelp, "outcome=\"stored\"");
  s.put_documents_rejected = &stats.GetCounter("roentgen_put_trace_segments_documents_total",
                                               kPutHelp, "outcome=\"unprocessed\"");
}

ApiRouter::~ApiRouter() = default;

http::Response ApiRouter::FormatHttpError(int http_status, std::string_view error_type,
                                          std::string_view message) {
  // The HTTP layer's own error kinds (MalformedRequest, PayloadTooLarge, ...) become the
  // X-Ray types clients know; the kind stays in the message.
  std::string_view type = http_status == 429   ? "ThrottledException"
                          : http_status == 503 ? "ServiceUnavailableException"
                          : http_status >= 500 ? "InternalFailure"
                                               : "InvalidRequestException";
  std::string text = error_type.empty() ? std::string(message)
                                        : std::string(error_type) + ": " + std::string(message);
  return RestJsonError(http_status, type, text, NewRequestId());
}

void ApiRouter::Handle(http::Request&& request, http::Responder respond) {
  const std::string& path = request.path;
  if (request.method == "GET" || request.method == "HEAD") {
    if (path == "/healthz") {
      respond(TextResponse(200, "text/plain; charset=utf-8", "ok\n"));
      return;
    }
    if (path == "/metrics") {
      respond(TextResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                           impl_->services.stats->RenderPrometheus()));
      return;
    }
    if (path == "/") {
      http::Response response = TextResponse(302, "text/plain; charset=utf-8", "/console/\n");
      response.headers.emplace_back("Location", "/console/");
      respond(std::move(response));
      return;
    }
    if (IsConsolePath(path)) {
      respond(ServeConsoleFile(impl_->services.options.console_dir, path));
      return;
    }
  }
  if (internal::IsAnalysisRulesPath(path)) {
    Call call{impl_->services, std::move(request), std::move(respond), NewRequestId(),
              impl_->services.options.default_tenant};
    internal::AnalysisRules(std::move(call));
    return;
  }
  if (request.method == "POST") {
    if (path == "/" && internal::IsCloudWatchRequest(request)) {
      Call call{impl_->services, std::move(request), std::move(respond), NewRequestId(),
                impl_->services.options.default_tenant};
      internal::CloudWatch(std::move(call));
      return;
    }
    for (const Operation& operation : kXRayOperations) {
      if (operation.path != path) continue;
      Call call{impl_->services, std::move(request), std::move(respond), NewRequestId(),
                impl_->services.options.default_tenant};
      operation.handler(std::move(call));
      return;
    }
  }
  std::string message = "no operation at " + request.method + " " + path;
  respond(RestJsonError(404, "UnknownOperationException", message, NewRequestId()));
}

namespace internal {

std::optional<parse::JsonValue> ParseBodyObject(Call& call) {
  std::string_view body = call.request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return parse::JsonValue::Object();
  auto parsed = parse::ParseJson(body, 64);
  if (!parsed.ok()) {
    call.respond(
        RestJsonError(400, "InvalidRequestException",
                      "request body is not valid JSON: " + std::string(parsed.error().message()),
                      call.request_id));
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    call.respond(RestJsonError(400, "InvalidRequestException", "request body must be a JSON object",
                               call.request_id));
    return std::nullopt;
  }
  return std::move(parsed).value();
}

}  // namespace internal
}  // namespace roentgen::api
