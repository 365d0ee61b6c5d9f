// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "analysis/analysis.h"
#include "api/api.h"
#include "api/internal/summary_snapshots.h"
#include "base/stats.h"
#include "graph/graph.h"
#include "groups/groups.h"
#include "http/http.h"
#include "insights/insights.h"
#include "model/group_match.h"
#include "parse/json_dom.h"
#include "query/query.h"
#include "sampling/sampling.h"

namespace roentgen::api::internal {

// What every handler gets: the shared dependencies and the request being served.
struct Services {
  ApiOptions options;
  store::Store* store;
  store::Catalog* catalog;
  // GetTraceSummaries' pinned result sets.
  std::shared_ptr<SummarySnapshots> summary_snapshots;
  // Groups (null: only the Default group exists; group operations answer 503).
  groups::GroupRegistry* groups;
  // Sampling rules, quotas, statistics (null: sampling operations answer 503).
  sampling::SamplingRegistry* sampling;
  // Service-map aggregates (null: GetServiceGraph and GetTimeSeriesServiceStatistics answer
  // 503; GetTraceGraph works without them).
  graph::Aggregator* graph = nullptr;
  // Insights (null: the insight operations answer 503).
  insights::Engine* insights = nullptr;
  // Resolves a GetServiceGraph/GetTimeSeriesServiceStatistics GroupName or GroupARN (one of
  // them non-empty) to the group's numeric id (0 = Default); nullopt: no such group. Unset:
  // only "Default" (by name or ARN) resolves, to 0.
  std::function<std::optional<uint32_t>(const model::TenantId&, std::string_view name,
                                        std::string_view arn)>
      resolve_group_id;
  // Optional: the group's current filter version, for ContainsOldGroupVersions (unset: old
  // versions are reported when a window mixes several).
  std::function<std::optional<uint32_t>(const model::TenantId&, uint32_t group_id)> group_version;
  // CloudWatch (null: its operations answer 503 ServiceUnavailable).
  metrics::MetricStore* metrics = nullptr;
  metrics::AlarmEngine* alarms = nullptr;
  std::string region = "us-east-1";
  // Trace-analysis rules (null: /analysis/rules answers 503).
  analysis::RuleEngine* analysis_rules = nullptr;
  // Optional: counts the traces GetTraceSummaries examined.
  std::function<void(const model::TenantId&, uint64_t traces)> traces_scanned;
  StatsRegistry* stats;
  Clock* clock;
  // Telemetry reported by aws-xray-daemon instances (PutTelemetryRecords).
  Counter* telemetry_records;
  Counter* telemetry_segments_received;
  Counter* telemetry_segments_sent;
  Counter* telemetry_segments_rejected;
  Counter* telemetry_segments_spillover;
  Counter* put_documents_accepted;
  Counter* put_documents_rejected;
};

struct Call {
  const Services& services;
  http::Request request;
  http::Responder respond;
  std::string request_id;
  model::TenantId tenant;
};

// Parses the request body as a JSON object; an empty body counts as {} (some SDKs send
// none). On failure answers 400 InvalidRequestException itself and returns nullopt.
std::optional<parse::JsonValue> ParseBodyObject(Call& call);

// CloudWatch (cloudwatch.cc): POST / with X-Amz-Target GraniteServiceVersion20100801.* or a
// form body. Whether `request` is one; then CloudWatch answers it.
bool IsCloudWatchRequest(const http::Request& request);
void CloudWatch(Call call);

// The trace-analysis rules API (analysis_rules.cc): GET/PUT/DELETE/POST under /analysis/rules.
bool IsAnalysisRulesPath(std::string_view path);
void AnalysisRules(Call call);

// Handlers of X-Ray operations. Each answers through call.respond exactly once.
void PutTraceSegments(Call call);
void BatchGetTraces(Call call);
void PutTelemetryRecords(Call call);
void GetTraceSummaries(Call call);
// Groups and tags (xray_groups.cc).
void CreateGroup(Call call);
void GetGroup(Call call);
void GetGroups(Call call);
void UpdateGroup(Call call);
void DeleteGroup(Call call);
void TagResource(Call call);
void UntagResource(Call call);
void ListTagsForResource(Call call);
// Sampling (xray_sampling.cc).
void CreateSamplingRule(Call call);
void GetSamplingRules(Call call);
void UpdateSamplingRule(Call call);
void DeleteSamplingRule(Call call);
void GetSamplingTargets(Call call);
void GetSamplingStatisticSummaries(Call call);
// Service map (xray_graph.cc).
void GetServiceGraph(Call call);
void GetTraceGraph(Call call);
void GetTimeSeriesServiceStatistics(Call call);
// Insights (xray_insights.cc).
void GetInsightSummaries(Call call);
void GetInsight(Call call);
void GetInsightEvents(Call call);
void GetInsightImpactGraph(Call call);

}  // namespace roentgen::api::internal
