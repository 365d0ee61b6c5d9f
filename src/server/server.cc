// SPDX-License-Identifier: Apache-2.0
#include "server/server.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "analysis/analysis.h"
#include "api/api.h"
#include "api/sampling_store.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/stats.h"
#include "base/status_macros.h"
#include "graph/graph.h"
#include "groups/groups.h"
#include "http/http.h"
#include "http/webhook.h"
#include "ingest/udp_daemon.h"
#include "insights/insights.h"
#include "metrics/alarms.h"
#include "metrics/metrics.h"
#include "parse/segment_parser.h"
#include "sampling/sampling.h"
#include "store/catalog.h"
#include "store/store.h"

namespace roentgen::server {

struct Server::Components {
  ServerConfig config;
  StatsRegistry stats;
  // Declared before (so destroyed after) the store, whose sealer thread uses what loads from it.
  std::unique_ptr<store::Catalog> catalog;
  std::unique_ptr<groups::GroupRegistry> groups;             // the store's classifier uses it
  std::unique_ptr<sampling::RuleStore> sampling_rule_store;  // over the catalog
  std::unique_ptr<sampling::SamplingRegistry> sampling;
  // The service-map aggregates: a seal observer, so declared before (outlives) the store.
  std::unique_ptr<graph::Aggregator> graph;
  // Insights: the sender its notifications go through (only with --insights-webhook), then the
  // engine, a seal observer too (so both outlive the store).
  std::unique_ptr<http::WebhookSender> insights_webhooks;
  std::unique_ptr<insights::Engine> insights;
  // CloudWatch metrics (docs/cloudwatch.md), and what publishes into them from the traces
  // (docs/trace_analysis.md): the per-trace publisher is a seal observer (outlives the store).
  std::unique_ptr<metrics::MetricStore> metrics;
  // Alarm actions: http:// URLs are POSTed through this sender (docs/cloudwatch.md).
  std::unique_ptr<http::WebhookSender> alarm_webhooks;
  std::unique_ptr<metrics::AlarmEngine> alarms;
  std::unique_ptr<analysis::TraceMetricsPublisher> trace_metrics;
  std::unique_ptr<store::Store> store;
  // Scheduled trace-analysis rules scan the store: destroyed before it.
  std::unique_ptr<analysis::RuleEngine> analysis_rules;
  std::unique_ptr<api::ApiRouter> router;
  std::unique_ptr<http::HttpServer> http_server;
  std::unique_ptr<ingest::UdpDaemon> udp_daemon;
  bool started = false;
  bool shut_down = false;
};

Server::Server(std::unique_ptr<Components> components) : components_(std::move(components)) {}
Server::~Server() { (void)Shutdown(); }

Result<std::unique_ptr<Server>> Server::Create(const ServerConfig& config) {
  RG_RETURN_IF_ERROR(ValidateConfig(config));
  auto c = std::make_unique<Components>();
  c->config = config;
  parse::ParseLimits limits;

  // The catalog first: groups and sampling rules load from it before the store seals.
  std::error_code mkdir_error;
  std::filesystem::create_directories(config.data_dir, mkdir_error);
  if (mkdir_error) {
    return IoError("cannot create data directory " + config.data_dir + ": " +
                   mkdir_error.message());
  }
  RG_ASSIGN_OR_RETURN(c->catalog, store::Catalog::Open(config.data_dir + "/catalog"));
  groups::GroupRegistryOptions group_options;
  group_options.stats = &c->stats;
  RG_ASSIGN_OR_RETURN(c->groups, groups::GroupRegistry::Open(c->catalog.get(), group_options));
  c->sampling_rule_store = api::NewCatalogRuleStore(c->catalog.get());
  RG_ASSIGN_OR_RETURN(c->sampling, sampling::SamplingRegistry::Open(c->sampling_rule_store.get(),
                                                                    sampling::SamplingOptions{}));

  store::EmbeddedStoreOptions store_options;
  store_options.data_dir = config.data_dir;
  store_options.parser = [limits](std::string_view raw) {
    return parse::ParseSegmentDocument(raw, limits);
  };
  store_options.stats = &c->stats;
  store_options.quiet_period = config.quiet_period;
  store_options.retention = config.retention;
  store_options.partition_duration = config.partition_duration;
  store_options.memory_limit_bytes = config.memory_limit_bytes;
  store_options.block_cache_bytes = config.block_cache_bytes;
  store_options.max_trace_bytes = config.max_trace_bytes;
  store_options.block_target_bytes = config.block_target_bytes;
  store_options.block_max_age = config.block_max_age;
  store_options.default_tenant = config.tenant;
  store_options.classifier = [registry = c->groups.get()](const model::TenantId& tenant,
                                                          const model::TraceSummary& summary,
                                                          const model::TraceDetail& detail) {
    return registry->Classify(tenant, summary, detail);
  };
  RG_ASSIGN_OR_RETURN(c->store, store::OpenEmbeddedStore(std::move(store_options)));
  // Service map: rebuilt from the stored traces (the aggregates live in memory), then kept
  // current by the seal hook; both before the store starts sealing.
  graph::AggregatorOptions graph_options;
  graph_options.stats = &c->stats;
  graph_options.retention = config.retention;
  c->graph = std::make_unique<graph::Aggregator>(graph_options);
  RG_ASSIGN_OR_RETURN(uint64_t graph_traces, c->graph->Rebuild(*c->store, config.tenant));
  RG_LOG(kInfo, "service map rebuilt from {} stored traces", graph_traces);
  c->store->AddSealObserver(c->graph.get());
  // Insights (docs/insights.md): the same, over the last hours' minute cells; the stored
  // insights load from the catalog.
  if (!config.insights_webhooks.empty()) {
    http::WebhookOptions webhook_options;
    webhook_options.stats = &c->stats;
    c->insights_webhooks = std::make_unique<http::WebhookSender>(webhook_options);
  }
  insights::EngineOptions insights_options;
  insights_options.catalog = c->catalog.get();
  insights_options.groups = c->groups.get();
  insights_options.stats = &c->stats;
  insights_options.evaluate_interval =
      std::max(std::chrono::seconds(1),
               std::chrono::duration_cast<std::chrono::seconds>(config.insights_evaluate_interval));
  insights_options.horizon =
      std::min<std::chrono::seconds>(std::chrono::hours(6), config.retention);
  // A minute is complete once its traces are sealed: a quiet period after it, with slack.
  insights_options.settle = std::chrono::duration_cast<std::chrono::seconds>(config.quiet_period) +
                            std::chrono::seconds(30);
  if (c->insights_webhooks != nullptr) {
    insights_options.notify = [sender = c->insights_webhooks.get(),
                               urls = config.insights_webhooks](const std::string& body) {
      for (const std::string& url : urls) sender->Enqueue(url, "insight", body);
    };
  }
  RG_ASSIGN_OR_RETURN(c->insights, insights::Engine::Open(insights_options, config.tenant));
  RG_ASSIGN_OR_RETURN(uint64_t insight_traces, c->insights->Rebuild(*c->store, config.tenant));
  RG_LOG(kInfo, "insights: {} recent traces folded in", insight_traces);
  c->store->AddSealObserver(c->insights.get());
  // Metrics: the store under <data_dir>/metrics; the per-trace metrics and the analysis rules
  // publish into it.
  metrics::MetricStoreOptions metric_options;
  metric_options.dir = config.data_dir + "/metrics";
  metric_options.max_series_per_tenant = config.metrics_max_series;
  RG_ASSIGN_OR_RETURN(c->metrics, metrics::MetricStore::Open(metric_options));
  http::WebhookOptions alarm_webhook_options;
  alarm_webhook_options.stats = &c->stats;
  c->alarm_webhooks = std::make_unique<http::WebhookSender>(alarm_webhook_options);
  metrics::AlarmEngineOptions alarm_options;
  alarm_options.catalog = c->catalog.get();
  alarm_options.store = c->metrics.get();
  alarm_options.deliver = [sender = c->alarm_webhooks.get()](const std::string& url,
                                                             const std::string& body) {
    sender->Enqueue(url, "alarm", body);
  };
  RG_ASSIGN_OR_RETURN(c->alarms, metrics::AlarmEngine::Open(std::move(alarm_options)));
  analysis::MetricSink metric_sink = [store = c->metrics.get()](
                                         const model::TenantId& tenant,
                                         std::span<const metrics::MetricDatum> data) {
    return store->Put(tenant, data);
  };
  analysis::TraceMetricsOptions trace_metrics_options;
  trace_metrics_options.stats = &c->stats;
  trace_metrics_options.group_name = [groups = c->groups.get()](
                                         const model::TenantId& tenant,
                                         uint32_t group_id) -> std::optional<std::string> {
    auto group = groups->snapshot()->FindById(tenant, group_id);
    if (group == nullptr) return std::nullopt;
    return group->name;
  };
  c->trace_metrics =
      std::make_unique<analysis::TraceMetricsPublisher>(trace_metrics_options, metric_sink);
  c->store->AddSealObserver(c->trace_metrics.get());
  analysis::RuleEngineOptions rule_options;
  rule_options.tenant = config.tenant;
  RG_ASSIGN_OR_RETURN(c->analysis_rules,
                      analysis::RuleEngine::Open(rule_options, c->store.get(), c->catalog.get(),
                                                 c->groups.get(), metric_sink));
  if (!config.analysis_rules_file.empty()) {
    RG_ASSIGN_OR_RETURN(size_t loaded, c->analysis_rules->LoadFile(config.analysis_rules_file));
    RG_LOG(kInfo, "analysis rules: {} loaded from {}", loaded, config.analysis_rules_file);
  }

  api::ApiOptions api_options;
  api_options.default_tenant = config.tenant;
  api_options.parse_limits = limits;
  api_options.console_dir = config.console_dir;
  api::ApiDependencies api_dependencies;
  api_dependencies.store = c->store.get();
  api_dependencies.catalog = c->catalog.get();
  api_dependencies.stats = &c->stats;
  api_dependencies.clock = &Clock::Real();
  api_dependencies.groups = c->groups.get();
  api_dependencies.sampling = c->sampling.get();
  api_dependencies.graph = c->graph.get();
  api_dependencies.insights = c->insights.get();
  api_dependencies.metrics = c->metrics.get();
  api_dependencies.alarms = c->alarms.get();
  api_dependencies.analysis_rules = c->analysis_rules.get();
  api_dependencies.traces_scanned = [publisher = c->trace_metrics.get()](
                                        const model::TenantId& tenant, uint64_t traces) {
    publisher->AddTracesScanned(tenant, traces);
  };
  c->router = std::make_unique<api::ApiRouter>(api_options, api_dependencies);

  RG_ASSIGN_OR_RETURN(
      auto http_address,
      ParseHostPort(config.http_listen.empty() ? config.listen : config.http_listen));
  http::HttpServer::Options http_options;
  http_options.address = http_address.first;
  http_options.port = http_address.second;
  http_options.io_threads = config.http_threads;
  http_options.max_body_bytes = config.max_body_bytes;
  http_options.max_decoded_body_bytes = std::max<uint64_t>(config.max_body_bytes * 2, 16u << 20);
  http_options.max_header_bytes = config.max_header_bytes;
  http_options.idle_timeout = config.idle_timeout;
  http_options.request_timeout = config.request_timeout;
  api::ApiRouter* router = c->router.get();
  c->http_server = std::make_unique<http::HttpServer>(
      http_options,
      [router](http::Request&& request, http::Responder respond) {
        router->Handle(std::move(request), std::move(respond));
      },
      &api::ApiRouter::FormatHttpError, &c->stats);

  // Gauges read at scrape time.
  store::Store* store = c->store.get();
  c->stats.AddCallbackGauge("roentgen_store_queue_depth", "Append batches waiting for the WAL.",
                            [store] { return static_cast<double>(store->Stats().queue_depth); });
  c->stats.AddCallbackGauge("roentgen_store_queue_bytes", "Bytes waiting for the WAL.",
                            [store] { return static_cast<double>(store->Stats().queue_bytes); });
  c->stats.AddCallbackGauge("roentgen_store_wal_bytes", "Bytes in WAL files on disk.",
                            [store] { return static_cast<double>(store->Stats().wal_bytes); });
  c->stats.AddCallbackGauge("roentgen_store_open_traces", "Traces not sealed yet.",
                            [store] { return static_cast<double>(store->Stats().open_traces); });
  c->stats.AddCallbackGauge(
      "roentgen_store_seal_lag_seconds",
      "How long the oldest trace past its quiet period has waited to be sealed.",
      [store] { return store->Stats().seal_lag_seconds; });
  c->stats.AddCallbackGauge("roentgen_store_blocks", "Blocks on disk.",
                            [store] { return static_cast<double>(store->Stats().block_count); });
  c->stats.AddCallbackGauge("roentgen_store_block_bytes", "Bytes in blocks on disk.",
                            [store] { return static_cast<double>(store->Stats().block_bytes); });
  return std::unique_ptr<Server>(new Server(std::move(c)));
}

Status Server::Start() {
  Components& c = *components_;
  RG_RETURN_IF_ERROR(c.store->Start());
  c.insights->Start();
  c.metrics->Start();
  c.alarms->Start();
  c.trace_metrics->Start();
  c.analysis_rules->Start();
  RG_RETURN_IF_ERROR(c.http_server->Start());
  RG_ASSIGN_OR_RETURN(
      auto udp_address,
      ParseHostPort(c.config.udp_listen.empty() ? c.config.listen : c.config.udp_listen));
  ingest::UdpDaemon::Options udp_options;
  udp_options.receiver.address = udp_address.first;
  // With port 0 for both, use the HTTP port for UDP too, so that one AWS_XRAY_DAEMON_ADDRESS
  // names both (as the SDKs' single form expects).
  udp_options.receiver.port = udp_address.second;
  if (udp_address.second == 0 && c.config.udp_listen.empty()) {
    udp_options.receiver.port = c.http_server->port();
  }
  udp_options.receiver.receive_buffer_bytes = c.config.udp_receive_buffer_bytes;
  udp_options.tenant = c.config.tenant;
  c.udp_daemon = std::make_unique<ingest::UdpDaemon>(udp_options, *c.store, c.stats);
  Status status = c.udp_daemon->Start();
  if (!status.ok()) {
    c.http_server->Shutdown();
    return status;
  }
  c.started = true;
  return Status();
}

uint16_t Server::http_port() const { return components_->http_server->port(); }
uint16_t Server::udp_port() const {
  return components_->udp_daemon ? components_->udp_daemon->port() : 0;
}

Status Server::Shutdown() {
  Components& c = *components_;
  if (c.shut_down) return Status();
  c.shut_down = true;
  if (c.udp_daemon) c.udp_daemon->Shutdown();
  if (c.http_server) c.http_server->Shutdown();
  if (c.insights) c.insights->Stop();
  if (c.insights_webhooks) (void)c.insights_webhooks->Drain(std::chrono::seconds(5));
  if (c.analysis_rules) c.analysis_rules->Stop();
  Status status = c.store ? c.store->Shutdown() : Status();
  // After the store's last seals: publish what they counted.
  if (c.trace_metrics) c.trace_metrics->Stop();
  if (c.alarms) c.alarms->Shutdown();
  if (c.alarm_webhooks) (void)c.alarm_webhooks->Drain(std::chrono::seconds(5));
  if (c.metrics) c.metrics->Shutdown();
  return status;
}

int RunServe(const ServerConfig& config) {
  // Keep large buffers (WAL batches, 256 KiB document chunks, compression buffers) in the
  // heap instead of mmap/munmap per use: otherwise every group commit and every block flush
  // pays page faults to zero fresh pages (about 15 % of the CPU under UDP load, perf).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  LogLevel level = LogLevel::kInfo;
  (void)ParseLogLevel(config.log_level, &level);
  SetLogLevel(level);
  // Block the termination signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = Server::Create(config);
  if (!server.ok()) {
    RG_LOG(kError, "roentgen: {}", server.error().ToString());
    return 1;
  }
  Status status = (*server)->Start();
  if (!status.ok()) {
    RG_LOG(kError, "roentgen: {}", status.ToString());
    return 1;
  }
  auto http_address =
      ParseHostPort(config.http_listen.empty() ? config.listen : config.http_listen);
  auto udp_address = ParseHostPort(config.udp_listen.empty() ? config.listen : config.udp_listen);
  // One machine-readable line on stdout: tests and scripts read the bound ports from it.
  std::printf("roentgen: listening http=%s:%u udp=%s:%u data=%s\n", http_address->first.c_str(),
              (*server)->http_port(), udp_address->first.c_str(), (*server)->udp_port(),
              config.data_dir.c_str());
  std::fflush(stdout);
  RG_LOG(kInfo, "roentgen: X-Ray API on http://{}:{}, daemon UDP on {}:{}", http_address->first,
         (*server)->http_port(), udp_address->first, (*server)->udp_port());
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  RG_LOG(kInfo, "roentgen: signal {} received, shutting down", signal_number);
  status = (*server)->Shutdown();
  if (!status.ok()) {
    RG_LOG(kError, "roentgen: shutdown: {}", status.ToString());
    return 1;
  }
  RG_LOG(kInfo, "roentgen: stopped cleanly");
  return 0;
}

}  // namespace roentgen::server
