// SPDX-License-Identifier: Apache-2.0
// Trace search at scale (issue 3's benchmark): GetTraceSummaries over N stored traces of the
// recipe's shape, against (a) a plain scan of the same facts held in memory as arrays and (b)
// Debian's clickhouse-server 18.16 running the equivalent SQL on the same rows, in the same run.
//
//   trace_search_bench --traces=10000000 --data-dir=/var/tmp/rg-search [--span-hours=24]
//                      [--runs=21] [--clickhouse=auto|off] [--clickhouse-server=PATH]
//
// The store is built once through the real ingest path (parse, WAL, seal, blocks) and reused
// by later runs with the same --traces and --data-dir. Queries go through the API layer
// in-process (no network), single-threaded like one core's share of a server. Figures:
//   * rate: traces the query's time range selects / wall seconds, for a whole-span query
//     (TracesProcessedCount for Roentgen, rows read for ClickHouse with max_threads=1);
//   * latency: p50/p99 of a one-hour, first-page query (100 summaries, newest first).
// Outside CI: see bench/README.md for the figures and how to run it.

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <sys/wait.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/stats.h"
#include "bench_util.h"
#include "parse/json_dom.h"
#include "parse/segment_parser.h"
#include "store/catalog.h"
#include "store/store.h"

namespace roentgen::bench {
namespace {

constexpr const char* kServices[] = {"order-processor", "inventory-manager",
                                     "notification-service"};
constexpr const char* kOperations[] = {"create_order", "get_order", "cancel_order"};
constexpr const char* kTiers[] = {"gold", "silver", "bronze"};
constexpr double kBaseTime = 1'795'000'000;  // 2026-11-18

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Everything a query may test about trace n; the documents and the ClickHouse row are both
// made from it.
struct Facts {
  double start = 0;
  double response = 0;
  uint8_t service = 0;  // index into kServices
  uint8_t operation = 0;
  uint8_t tier = 0;
  bool fault = false;
};

Facts FactsOf(uint64_t n, uint64_t traces, double span_seconds) {
  uint64_t r = Mix(n);
  Facts f;
  f.start = kBaseTime + span_seconds * static_cast<double>(n) / static_cast<double>(traces);
  const double u = static_cast<double>(r & 0xffff) / 65536.0;
  f.response = (r >> 16) % 10 == 0 ? 1.0 + 2.0 * u : 0.02 + 0.48 * u;
  f.response = std::round(f.response * 1e4) / 1e4;
  const uint64_t s = (r >> 24) % 10;
  f.service = s < 4 ? 0 : s < 7 ? 1 : 2;
  const uint64_t o = (r >> 32) % 10;
  f.operation = o < 5 ? 0 : o < 8 ? 1 : 2;
  const uint64_t t = (r >> 40) % 10;
  f.tier = t < 2 ? 0 : t < 5 ? 1 : 2;
  f.fault = (r >> 48) % 50 == 0;
  return f;
}

std::string TraceIdOf(uint64_t n, const Facts& f) {
  return fmt::format("1-{:08x}-{:024x}", static_cast<uint32_t>(f.start), n);
}

void Documents(uint64_t n, const Facts& f, std::vector<std::string>* out) {
  const std::string trace = TraceIdOf(n, f);
  const std::string root_id = fmt::format("{:016x}", 2 * n + 1);
  out->push_back(fmt::format(
      R"({{"trace_id":"{}","id":"{}","name":"xray-monitoring-api/prod",)"
      R"("origin":"AWS::ApiGateway::Stage","start_time":{:.4f},"end_time":{:.4f},)"
      R"("http":{{"request":{{"method":"POST","url":"https://api.example.com/prod/orders"}},)"
      R"("response":{{"status":{}}}}},"fault":{}}})",
      trace, root_id, f.start, f.start + f.response, f.fault ? 500 : 200, f.fault));
  out->push_back(
      fmt::format(R"({{"trace_id":"{}","id":"{:016x}","parent_id":"{}","name":"{}",)"
                  R"("origin":"AWS::Lambda::Function","start_time":{:.4f},"end_time":{:.4f},)"
                  R"("annotations":{{"operation":"{}","customer_tier":"{}"}}}})",
                  trace, 2 * n + 2, root_id, kServices[f.service], f.start + 0.001,
                  f.start + f.response - 0.001, kOperations[f.operation], kTiers[f.tier]));
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t idx = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size()))) - 1;
  return values[std::min(idx, values.size() - 1)];
}

struct Query {
  std::string name;
  std::string filter;     // X-Ray filter expression
  std::string sql_where;  // the same condition in ClickHouse SQL
  // The same condition on the in-memory facts.
  bool (*matches)(const Facts&);
};

const Query kQueries[] = {
    {"service+responsetime", R"(service("order-processor") AND responsetime > 1)",
     "has(services, 'order-processor') AND response > 1",
     [](const Facts& f) { return f.service == 0 && f.response > 1; }},
    {"annotation", R"(annotation.customer_tier = "gold")", "tier = 'gold'",
     [](const Facts& f) { return f.tier == 0; }},
};

// ---- Roentgen ----

class Roentgen {
 public:
  bool Open(const std::string& dir, uint64_t traces, double span_seconds, std::string* error) {
    const std::string marker = dir + "/bench_complete";
    bool complete = false;
    {
      std::ifstream in(marker);
      uint64_t stored = 0;
      complete = (in >> stored) && stored == traces;
    }
    if (!complete) std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store::EmbeddedStoreOptions options;
    options.data_dir = dir;
    options.parser = [](std::string_view raw) {
      return parse::ParseSegmentDocument(raw, parse::ParseLimits());
    };
    options.stats = &stats_;
    options.quiet_period = std::chrono::milliseconds(1);
    options.memory_limit_bytes = size_t{2} << 30;
    // Room for every block's scan columns (~110 B per trace) and some payloads: the working
    // set of the queries, as ClickHouse gets its mark cache and the page cache.
    options.block_cache_bytes = size_t{4} << 30;
    auto opened = store::OpenEmbeddedStore(std::move(options));
    if (!opened.ok()) return Fail(opened.error(), error);
    store_ = std::move(*opened);
    if (Status status = store_->Start(); !status.ok()) return Fail(status, error);
    auto catalog = store::Catalog::Open(dir + "/catalog");
    if (!catalog.ok()) return Fail(catalog.error(), error);
    catalog_ = std::move(*catalog);
    if (!complete) {
      if (!Load(traces, span_seconds, error)) return false;
      std::ofstream(marker) << traces << "\n";
    }
    api::ApiOptions api_options;
    api::ApiDependencies dependencies;
    dependencies.store = store_.get();
    dependencies.catalog = catalog_.get();
    dependencies.stats = &stats_;
    dependencies.clock = &Clock::Real();
    router_ = std::make_unique<api::ApiRouter>(api_options, dependencies);
    return true;
  }

  // One GetTraceSummaries call; returns false on a failed call.
  bool Summaries(double start, double end, const std::string& filter, uint64_t* processed,
                 size_t* returned, std::string* error) {
    http::Request request;
    request.method = "POST";
    request.target = request.path = "/TraceSummaries";
    request.body = fmt::format(R"({{"StartTime":{},"EndTime":{},"TimeRangeType":"Event",)"
                               R"("FilterExpression":"{}"}})",
                               start, end, JsonEscape(filter));
    std::promise<http::Response> promise;
    router_->Handle(std::move(request),
                    [&](http::Response response) { promise.set_value(std::move(response)); });
    http::Response response = promise.get_future().get();
    if (response.status != 200) {
      *error = response.body;
      return false;
    }
    auto body = parse::ParseJson(response.body, 64);
    if (!body.ok()) {
      *error = "unparsable answer";
      return false;
    }
    *processed =
        static_cast<uint64_t>(body->Find("TracesProcessedCount")->number_as_double().value_or(0));
    *returned = body->Find("TraceSummaries")->elements().size();
    return true;
  }

  void Close() {
    router_.reset();
    if (store_) (void)store_->Shutdown();
  }

 private:
  static bool Fail(const Status& status, std::string* error) {
    *error = status.ToString();
    return false;
  }
  static std::string JsonEscape(std::string_view text) {
    std::string out;
    for (char ch : text) {
      if (ch == '"' || ch == '\\') out.push_back('\\');
      out.push_back(ch);
    }
    return out;
  }

  bool Load(uint64_t traces, double span_seconds, std::string* error) {
    fmt::print(stderr, "loading {} traces through the store (parse, WAL, seal, blocks)...\n",
               traces);
    const double started = MonoSeconds();
    constexpr uint64_t kBatch = 4000;
    std::vector<std::string> raws;
    std::atomic<int> in_flight{0};
    std::atomic<bool> failed{false};
    for (uint64_t first = 0; first < traces; first += kBatch) {
      raws.clear();
      for (uint64_t n = first; n < std::min(traces, first + kBatch); ++n) {
        Documents(n, FactsOf(n, traces, span_seconds), &raws);
      }
      std::vector<store::IncomingDocument> docs;
      docs.reserve(raws.size());
      for (std::string& raw : raws) {
        auto parsed = parse::ParseSegmentDocument(raw, parse::ParseLimits());
        if (!parsed.ok()) {
          *error = parsed.error().ToString();
          return false;
        }
        store::IncomingDocument doc;
        doc.trace_id = parsed->trace_id;
        doc.id = parsed->entity.id;
        doc.raw = std::move(raw);
        docs.push_back(std::move(doc));
      }
      while (in_flight.load() >= 8) std::this_thread::sleep_for(std::chrono::microseconds(200));
      for (;;) {
        ++in_flight;
        std::vector<store::IncomingDocument> attempt = docs;
        Status status =
            store_->Append("000000000000", std::move(attempt), [&](store::AppendResult result) {
              if (!result.status.ok()) failed = true;
              --in_flight;
            });
        if (status.ok()) break;
        --in_flight;
        if (status.code() != StatusCode::kResourceExhausted) return Fail(status, error);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (first % 1'000'000 == 0 && first > 0) {
        fmt::print(stderr, "  {} traces, {:.0f} s\n", first, MonoSeconds() - started);
      }
    }
    while (in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (failed) {
      *error = "an append failed";
      return false;
    }
    if (Status status = store_->FlushAll(); !status.ok()) return Fail(status, error);
    fmt::print(stderr, "loaded in {:.0f} s ({} blocks, {:.0f} MiB on disk)\n",
               MonoSeconds() - started, store_->Stats().block_count,
               static_cast<double>(store_->Stats().block_bytes) / 1048576.0);
    return true;
  }

  StatsRegistry stats_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<api::ApiRouter> router_;
};

// ---- ClickHouse ----

class ClickHouse {
 public:
  ~ClickHouse() { Stop(); }

  bool Start(const std::string& binary, std::string* error) {
    if (!MakeTempDir("rg-clickhouse-", &dir_, error)) return false;
    port_ = static_cast<uint16_t>(20000 + getpid() % 20000);
    std::ofstream(dir_ + "/config.xml") << fmt::format(
        R"(<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>{}</http_port><tcp_port>{}</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>{}/data/</path><tmp_path>{}/tmp/</tmp_path><user_files_path>{}/files/</user_files_path>
  <users_config>/etc/clickhouse-server/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>
</yandex>
)",
        port_, port_ + 1, dir_, dir_, dir_);
    std::fflush(stdout);
    std::fflush(stderr);
    pid_ = fork();
    if (pid_ == 0) {
      std::string log = dir_ + "/server.log";
      std::freopen(log.c_str(), "w", stdout);
      std::freopen(log.c_str(), "a", stderr);
      std::string config = "--config-file=" + dir_ + "/config.xml";
      execl(binary.c_str(), binary.c_str(), config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    client_ = std::make_unique<HttpClient>("127.0.0.1", port_);
    for (int attempt = 0; attempt < 300; ++attempt) {
      std::string out;
      if (Sql("SELECT 1", &out, error) && out.starts_with("1")) return true;
      SleepSeconds(0.1);
    }
    *error = "clickhouse-server did not start (see " + dir_ + "/server.log)";
    return false;
  }

  bool Sql(std::string_view sql, std::string* out, std::string* error, std::string_view body = {}) {
    int status = 0;
    std::string path = "/?query=" + UrlEncode(sql);
    if (!client_->Request("POST", path, "text/plain", body, &status, out, error, 600)) {
      return false;
    }
    if (status != 200) {
      *error = fmt::format("HTTP {}: {}", status, *out);
      return false;
    }
    return true;
  }

  bool Load(uint64_t traces, double span_seconds, std::string* error) {
    std::string out;
    if (!Sql("CREATE TABLE traces (id String, start Float64, end Float64, response Float64, "
             "services Array(String), operation String, tier String, fault UInt8) "
             "ENGINE = MergeTree ORDER BY end",
             &out, error)) {
      return false;
    }
    const double started = MonoSeconds();
    std::string rows;
    for (uint64_t n = 0; n < traces; ++n) {
      Facts f = FactsOf(n, traces, span_seconds);
      rows += fmt::format(
          "{}\t{:.4f}\t{:.4f}\t{:.4f}\t['xray-monitoring-api/prod','{}']\t{}\t{}\t{}\n",
          TraceIdOf(n, f), f.start, f.start + f.response, f.response, kServices[f.service],
          kOperations[f.operation], kTiers[f.tier], f.fault ? 1 : 0);
      if (rows.size() > (64u << 20) || n + 1 == traces) {
        if (!Sql("INSERT INTO traces FORMAT TabSeparated", &out, error, rows)) return false;
        rows.clear();
      }
    }
    if (!Sql("OPTIMIZE TABLE traces FINAL", &out, error)) return false;
    fmt::print(stderr, "clickhouse: loaded {} rows in {:.0f} s\n", traces, MonoSeconds() - started);
    return true;
  }

  // Server-side elapsed seconds and rows read of one query (FORMAT JSON statistics).
  bool Timed(const std::string& sql, double* elapsed, uint64_t* rows_read, std::string* error) {
    std::string out;
    if (!Sql(sql + " FORMAT JSON", &out, error)) return false;
    auto json = parse::ParseJson(out, 16);
    if (!json.ok() || json->Find("statistics") == nullptr) {
      *error = "unexpected ClickHouse answer: " + out.substr(0, 200);
      return false;
    }
    const parse::JsonValue& stats = *json->Find("statistics");
    *elapsed = stats.Find("elapsed")->number_as_double().value_or(0);
    *rows_read = static_cast<uint64_t>(stats.Find("rows_read")->number_as_double().value_or(0));
    return true;
  }

  void Stop() {
    client_.reset();
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) RemoveTree(dir_);
    dir_.clear();
  }

 private:
  static std::string UrlEncode(std::string_view text) {
    std::string out;
    for (char raw : text) {
      const auto ch = static_cast<unsigned char>(raw);
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.') {
        out.push_back(static_cast<char>(ch));
      } else {
        out += fmt::format("%{:02X}", ch);
      }
    }
    return out;
  }

  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<HttpClient> client_;
};

int Run(int argc, char** argv) {
  // The allocator settings of `roentgen serve` (server.cc), so that large result sets reuse
  // memory instead of mapping fresh pages on every query.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  Flags flags;
  std::string error;
  if (!flags.Parse(argc, argv, &error)) {
    fmt::print(stderr, "{}\n", error);
    return 2;
  }
  const uint64_t traces = static_cast<uint64_t>(flags.GetInt("traces", 1'000'000));
  const double span = flags.GetDouble("span-hours", 24) * 3600;
  const int runs = static_cast<int>(flags.GetInt("runs", 21));
  const std::string dir = flags.Get("data-dir", "/var/tmp/rg-trace-search-bench");
  const std::string clickhouse_mode = flags.Get("clickhouse", "auto");
  const std::string clickhouse_binary =
      flags.Get("clickhouse-server", "/usr/sbin/clickhouse-server");

  fmt::print("trace_search_bench: {} traces over {:.0f} h ({} per hour), {} runs per figure\n",
             traces, span / 3600, static_cast<uint64_t>(static_cast<double>(traces) * 3600 / span),
             runs);

  // (a) The plain memory scan: the facts as arrays, one pass per query.
  std::vector<Facts> facts(traces);
  for (uint64_t n = 0; n < traces; ++n) facts[n] = FactsOf(n, traces, span);

  Roentgen roentgen;
  if (!roentgen.Open(dir, traces, span, &error)) {
    fmt::print(stderr, "roentgen: {}\n", error);
    return 1;
  }
  ClickHouse clickhouse;
  bool have_clickhouse = false;
  if (clickhouse_mode != "off") {
    if (access(clickhouse_binary.c_str(), X_OK) != 0) {
      fmt::print("clickhouse: {} not installed; skipped (apt-get install clickhouse-server)\n",
                 clickhouse_binary);
    } else if (!clickhouse.Start(clickhouse_binary, &error) ||
               !clickhouse.Load(traces, span, &error)) {
      fmt::print(stderr, "clickhouse: {}\n", error);
      return 1;
    } else {
      have_clickhouse = true;
    }
  }

  const double span_end = kBaseTime + span + 10;
  const double hour_start = kBaseTime + span / 2;
  const double hour_end = hour_start + 3600;
  fmt::print("\n{:<22} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>9}\n", "whole span: rate/s",
             "roentgen", "memory scan", "CH page", "CH count", "/memory", "/CH page", "/CH count");
  for (const Query& query : kQueries) {
    // Memory scan.
    std::vector<double> memory_rates;
    uint64_t expected = 0;
    for (int run = 0; run < std::max(3, runs / 3); ++run) {
      const double t0 = MonoSeconds();
      uint64_t count = 0;
      for (const Facts& f : facts) count += query.matches(f) ? 1u : 0u;
      memory_rates.push_back(static_cast<double>(traces) / (MonoSeconds() - t0));
      expected = count;
    }
    // Roentgen: GetTraceSummaries over the whole span (first page, every match pinned).
    std::vector<double> rates;
    for (int run = 0; run < runs; ++run) {
      uint64_t processed = 0;
      size_t returned = 0;
      const double t0 = MonoSeconds();
      if (!roentgen.Summaries(kBaseTime - 10, span_end, query.filter, &processed, &returned,
                              &error)) {
        fmt::print(stderr, "roentgen query failed: {}\n", error);
        return 1;
      }
      rates.push_back(static_cast<double>(processed) / (MonoSeconds() - t0));
      if (processed != traces || returned != std::min<uint64_t>(expected, 100)) {
        fmt::print(stderr, "roentgen processed {} traces and returned {}, expected {} and {}\n",
                   processed, returned, traces, std::min<uint64_t>(expected, 100));
        return 1;
      }
    }
    // ClickHouse on one thread: the same first page (ORDER BY end DESC LIMIT 100), and a
    // bare count() of the matches.
    double ch_page_rate = 0;
    double ch_count_rate = 0;
    if (have_clickhouse) {
      std::vector<double> page_rates;
      std::vector<double> count_rates;
      for (int run = 0; run < runs; ++run) {
        double elapsed = 0;
        uint64_t rows_read = 0;
        if (!clickhouse.Timed("SELECT id, end, response FROM traces WHERE " + query.sql_where +
                                  " ORDER BY end DESC LIMIT 100 SETTINGS max_threads = 1",
                              &elapsed, &rows_read, &error)) {
          fmt::print(stderr, "clickhouse: {}\n", error);
          return 1;
        }
        page_rates.push_back(static_cast<double>(traces) / elapsed);
        if (!clickhouse.Timed(
                "SELECT count() FROM traces WHERE " + query.sql_where + " SETTINGS max_threads = 1",
                &elapsed, &rows_read, &error)) {
          fmt::print(stderr, "clickhouse: {}\n", error);
          return 1;
        }
        count_rates.push_back(static_cast<double>(traces) / elapsed);
      }
      ch_page_rate = Percentile(page_rates, 0.5);
      ch_count_rate = Percentile(count_rates, 0.5);
    }
    const double rate = Percentile(rates, 0.5);
    const double memory_rate = Percentile(memory_rates, 0.5);
    auto ratio = [&](double base) {
      return have_clickhouse ? fmt::format("{:.3f}", rate / base) : std::string("-");
    };
    fmt::print("{:<22} {:>12.3e} {:>12.3e} {:>12.3e} {:>12.3e} {:>9.3f} {:>9} {:>9}\n", query.name,
               rate, memory_rate, ch_page_rate, ch_count_rate, rate / memory_rate,
               ratio(ch_page_rate), ratio(ch_count_rate));
    fmt::print("  {}: {} of {} traces match\n", query.filter, expected, traces);
  }

  fmt::print("\n{:<22} {:>12} {:>12} {:>14} {:>14}\n", "one hour, first page", "roentgen p50",
             "roentgen p99", "clickhouse p50", "clickhouse p99");
  for (const Query& query : kQueries) {
    std::vector<double> latencies;
    for (int run = 0; run < runs; ++run) {
      uint64_t processed = 0;
      size_t returned = 0;
      const double t0 = MonoSeconds();
      if (!roentgen.Summaries(hour_start, hour_end, query.filter, &processed, &returned, &error)) {
        fmt::print(stderr, "roentgen query failed: {}\n", error);
        return 1;
      }
      latencies.push_back((MonoSeconds() - t0) * 1e3);
    }
    std::vector<double> ch_latencies;
    if (have_clickhouse) {
      for (int run = 0; run < runs; ++run) {
        double elapsed = 0;
        uint64_t rows_read = 0;
        const double t0 = MonoSeconds();
        if (!clickhouse.Timed(fmt::format("SELECT id, start, end, response FROM traces WHERE "
                                          "end >= {} AND start < {} AND {} ORDER BY end DESC "
                                          "LIMIT 100 SETTINGS max_threads = 1",
                                          hour_start, hour_end, query.sql_where),
                              &elapsed, &rows_read, &error)) {
          fmt::print(stderr, "clickhouse: {}\n", error);
          return 1;
        }
        ch_latencies.push_back((MonoSeconds() - t0) * 1e3);
      }
    }
    fmt::print("{:<22} {:>10.2f}ms {:>10.2f}ms {:>12.2f}ms {:>12.2f}ms\n", query.name,
               Percentile(latencies, 0.5), Percentile(latencies, 0.99),
               Percentile(ch_latencies, 0.5), Percentile(ch_latencies, 0.99));
  }
  roentgen.Close();
  return 0;
}

}  // namespace
}  // namespace roentgen::bench

int main(int argc, char** argv) { return roentgen::bench::Run(argc, argv); }
