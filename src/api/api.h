// SPDX-License-Identifier: Apache-2.0
#pragma once

// The API layer: every request that reaches Roentgen's TCP port goes through ApiRouter,
// which dispatches on the URL layout of docs/url_layout.md (one table, api/operations.cc).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "analysis/analysis.h"
#include "base/clock.h"
#include "base/stats.h"
#include "graph/graph.h"
#include "groups/groups.h"
#include "http/http.h"
#include "insights/insights.h"
#include "metrics/alarms.h"
#include "metrics/metrics.h"
#include "model/tenant.h"
#include "parse/segment_parser.h"
#include "sampling/sampling.h"
#include "store/catalog.h"
#include "store/store.h"

namespace roentgen::api {

struct ApiOptions {
  model::TenantId default_tenant = std::string(model::kDefaultTenant);
  parse::ParseLimits parse_limits;
  size_t max_documents_per_put = 10000;    // PutTraceSegments documents per call
  size_t max_batch_get_ids = 5;            // BatchGetTraces ids per call (X-Ray's limit)
  size_t trace_summaries_page_size = 100;  // GetTraceSummaries summaries per page
  // Matches one GetTraceSummaries scan keeps for paging (32 bytes each); past it the last
  // page's NextToken continues with a new scan below the last entry.
  size_t max_summary_snapshot_traces = 1'000'000;
  size_t summary_snapshot_bytes = 256u << 20;  // all pinned result sets together
  std::chrono::seconds summary_snapshot_idle_expiry{900};
  // console/dist, served at /console/ (api/console_files.h); empty: a page saying how to build it.
  std::string console_dir;
};

// What the router serves from; every pointer must outlive the router.
struct ApiDependencies {
  store::Store* store = nullptr;            // required
  store::Catalog* catalog = nullptr;        // required
  StatsRegistry* stats = nullptr;           // required
  Clock* clock = nullptr;                   // required
  groups::GroupRegistry* groups = nullptr;  // optional: without it only Default exists
  // Optional: without it the sampling operations answer 503.
  sampling::SamplingRegistry* sampling = nullptr;
  // Optional: without it GetServiceGraph and GetTimeSeriesServiceStatistics answer 503.
  graph::Aggregator* graph = nullptr;
  // Optional: without it the insight operations answer 503.
  insights::Engine* insights = nullptr;
  // Optional group lookups for the service map (see internal::Services).
  std::function<std::optional<uint32_t>(const model::TenantId&, std::string_view name,
                                        std::string_view arn)>
      resolve_group_id;
  std::function<std::optional<uint32_t>(const model::TenantId&, uint32_t group_id)> group_version;
  // Optional: without them the CloudWatch operations answer 503 (docs/cloudwatch.md).
  metrics::MetricStore* metrics = nullptr;
  metrics::AlarmEngine* alarms = nullptr;
  std::string region = "us-east-1";  // for CloudWatch ARNs
  // Optional: without it /analysis/rules answers 503 (docs/trace_analysis.md).
  analysis::RuleEngine* analysis_rules = nullptr;
  // Optional: told how many traces each GetTraceSummaries examined (AWS/X-Ray TracesScanned).
  std::function<void(const model::TenantId&, uint64_t traces)> traces_scanned;
};

// Routes HTTP requests to the X-Ray operations and the operational endpoints.
// Thread-safe: Handle() may be called from any number of I/O threads.
class ApiRouter {
 public:
  ApiRouter(ApiOptions options, const ApiDependencies& dependencies);
  ~ApiRouter();

  // Serves one request; `respond` is called exactly once, possibly from another thread.
  void Handle(http::Request&& request, http::Responder respond);

  // Formats errors the HTTP layer detects itself (malformed request, body too large) in the
  // restJson1 error form. Suitable as http::ErrorFormatter.
  static http::Response FormatHttpError(int http_status, std::string_view error_type,
                                        std::string_view message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roentgen::api
