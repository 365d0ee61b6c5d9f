// SPDX-License-Identifier: Apache-2.0
// disk_bytes_bench: bytes on disk per stored segment document.
//
// Sends --traces recipe traces (recipe_traffic.h; ~4.9 documents each, unique ids, current
// times) to a fresh `roentgen serve` with PutTraceSegments over HTTP, in batches of --batch
// documents from --connections client threads (lossless: each answer is checked, and a 429
// is retried). Then SIGTERM (the server seals every trace, writes blocks and truncates the
// WAL), and every byte under the data directory is counted: blocks, WAL, catalog, LOCK,
// everything. The result is bytes per segment document, against the raw JSON bytes per
// document (the baseline: what storing the documents as received would cost) and the target
// of <= 100 B/segment. Each block's footer (docs/format/block.md) is read to break the block
// bytes down by section: document chunks, each column, index, bloom, tenants,
// supersedes, and the header/footer overhead.
//
// Usage: disk_bytes_bench [flags]
//   --traces=N            traces to send (100000)
//   --batch=N             documents per PutTraceSegments call (50)
//   --connections=N       client threads, one keep-alive connection each (4)
//   --runs=N              repeat with a fresh server; medians are reported (1)
//   --roentgen=PATH       the server binary (next to this tool, else $PATH)
//   --server-arg=ARG      extra argument for `roentgen serve` (repeatable)
//   --keep-data           keep the temp data directory
//   --seed=N              generator seed (1)
//   --smoke               CI: 2000 traces
// Exit status: 0 ok (whatever the B/segment); 1 a tool or server failure (a request failed,
// documents unprocessed, the server exited non-zero, the blocks miss documents); 2 bad flags.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "recipe_traffic.h"

namespace roentgen::bench {
namespace {

// ---- Block footers (docs/format/block.md) ----

constexpr std::string_view kBlockFooterMagic = "RGBLKEND";
constexpr size_t kBlockTrailer = 16;

const char* SectionKindName(uint8_t kind) {
  switch (kind) {
    case 1:
      return "column";
    case 2:
      return "document chunks";
    case 3:
      return "trace-id index";
    case 4:
      return "bloom filter";
    case 5:
      return "tenant dictionary";
    case 6:
      return "supersedes";
    case 7:
      return "document dictionary";
    default:
      return "unknown section";
  }
}

const char* ColumnName(uint32_t id) {
  switch (id) {
    case 1:
      return "trace id";
    case 2:
      return "tenant";
    case 3:
      return "revision";
    case 4:
      return "seal_lsn";
    case 5:
      return "first arrival";
    case 6:
      return "start";
    case 7:
      return "end";
    case 8:
      return "flags";
    case 9:
      return "document count";
    case 10:
      return "summary";
    case 12:
      return "detail";
    case 13:
      return "groups";
    case 14:
      return "response time";
    case 15:
      return "service names";
    case 16:
      return "annotations";
    case 11:
      return "trace bytes";
    default:
      return "unknown";
  }
}

bool GetVarint(std::string_view* in, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

uint32_t GetFixed32(std::string_view bytes) {
  uint32_t value = 0;
  for (int idx = 3; idx >= 0; --idx)
    value = (value << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(idx)]);
  return value;
}

struct SectionTotals {
  uint64_t count = 0;
  uint64_t stored = 0;
  uint64_t raw = 0;
};

struct BlockTotals {
  uint64_t blocks = 0;
  uint64_t file_bytes = 0;
  uint64_t rows = 0;
  uint64_t docs = 0;
  uint64_t raw_doc_bytes = 0;
  uint64_t framing = 0;                           // magic, footer, trailer
  std::map<std::string, SectionTotals> sections;  // by label
  std::vector<std::string> problems;
};

// Parses a block footer (docs/format/block.md) into *out (sections, rows, docs). True when
// it parses and the sections are contiguous from offset 8 up to `footer_offset`.
bool ParseFooter(std::string_view in, bool with_codec, uint64_t footer_offset, BlockTotals* out) {
  uint64_t version = 0, section_count = 0;
  // Format 1 had no codec byte; format 2 added it; format 3 changed the document chunks'
  // contents and added the document dictionary (docs/format/block.md).
  if (!GetVarint(&in, &version) || !GetVarint(&in, &section_count)) return false;
  if (with_codec ? (version != 2u && version != 3u) : version != 1u) return false;
  uint64_t expected_offset = 8;
  for (uint64_t idx = 0; idx < section_count; ++idx) {
    if (in.size() < (with_codec ? 2u : 1u)) return false;
    auto kind = static_cast<uint8_t>(in.front());
    in.remove_prefix(with_codec ? 2 : 1);
    uint64_t id = 0, offset = 0, stored = 0, raw = 0;
    if (!GetVarint(&in, &id) || !GetVarint(&in, &offset) || !GetVarint(&in, &stored) ||
        !GetVarint(&in, &raw) || in.size() < 4) {
      return false;
    }
    in.remove_prefix(4);  // crc
    if (offset != expected_offset || kind == 0 || kind > 7) return false;
    expected_offset = offset + stored;
    std::string label = SectionKindName(kind);
    if (kind == 1) label = std::string("column: ") + ColumnName(static_cast<uint32_t>(id));
    SectionTotals& section = out->sections[label];
    ++section.count;
    section.stored += stored;
    section.raw += raw;
  }
  uint64_t block_seq = 0;
  return expected_offset == footer_offset && GetVarint(&in, &block_seq) &&
         GetVarint(&in, &out->rows) && GetVarint(&in, &out->docs) &&
         GetVarint(&in, &out->raw_doc_bytes);
}

// Reads one block's footer and adds its sections to *totals.
void AddBlock(const std::string& path, BlockTotals* totals) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    totals->problems.push_back(path + ": cannot open");
    return;
  }
  off_t size = lseek(fd, 0, SEEK_END);
  std::string trailer(kBlockTrailer, '\0');
  if (size < static_cast<off_t>(kBlockTrailer + 8) ||
      pread(fd, trailer.data(), kBlockTrailer, size - static_cast<off_t>(kBlockTrailer)) !=
          static_cast<ssize_t>(kBlockTrailer) ||
      trailer.substr(8) != kBlockFooterMagic) {
    totals->problems.push_back(path + ": no block trailer");
    close(fd);
    return;
  }
  const uint32_t footer_length = GetFixed32(trailer);
  std::string footer(footer_length, '\0');
  const off_t footer_at =
      size - static_cast<off_t>(kBlockTrailer) - static_cast<off_t>(footer_length);
  if (footer_at < 8 ||
      pread(fd, footer.data(), footer_length, footer_at) != static_cast<ssize_t>(footer_length)) {
    totals->problems.push_back(path + ": bad footer length");
    close(fd);
    return;
  }
  close(fd);
  // The section directory. Blocks written since the section-file refactor carry a codec byte
  // after the kind; older ones do not (both say format version 1), so try the newer layout
  // first and accept the one whose sections tile the file from byte 8 to the footer.
  BlockTotals parsed;
  for (bool with_codec : {true, false}) {
    parsed = BlockTotals{};
    if (ParseFooter(footer, with_codec, static_cast<uint64_t>(footer_at), &parsed)) {
      ++totals->blocks;
      totals->file_bytes += static_cast<uint64_t>(size);
      totals->rows += parsed.rows;
      totals->docs += parsed.docs;
      totals->raw_doc_bytes += parsed.raw_doc_bytes;
      uint64_t section_bytes = 0;
      for (const auto& [label, section] : parsed.sections) {
        SectionTotals& total = totals->sections[label];
        total.count += section.count;
        total.stored += section.stored;
        total.raw += section.raw;
        section_bytes += section.stored;
      }
      totals->framing += static_cast<uint64_t>(size) - section_bytes;
      return;
    }
  }
  totals->problems.push_back(path + ": cannot parse the footer (docs/format/block.md changed?)");
}

// ---- Sending ----

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out->append(escaped);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

struct SendTotals {
  std::atomic<uint64_t> traces{0};
  std::atomic<uint64_t> documents{0};
  std::atomic<uint64_t> raw_bytes{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> unprocessed{0};
  std::mutex mu;
  std::string first_error;  // guarded by mu
  void Fail(const std::string& error) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.empty()) first_error = error;
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(mu);
    return !first_error.empty();
  }
};

void SendTraces(uint16_t port, uint64_t seed, uint64_t traces, size_t batch, SendTotals* totals) {
  RecipeTraffic traffic(RecipeTrafficOptions{.seed = seed});
  HttpClient client("127.0.0.1", port);
  std::vector<std::string> pending;  // documents of the batch being built
  auto flush = [&]() {
    if (pending.empty()) return true;
    std::string body = "{\"TraceSegmentDocuments\":[";
    for (size_t idx = 0; idx < pending.size(); ++idx) {
      if (idx > 0) body.push_back(',');
      AppendJsonString(&body, pending[idx]);
    }
    body.append("]}");
    for (int attempt = 0;; ++attempt) {
      int status = 0;
      std::string answer, error;
      if (!client.Request("POST", "/TraceSegments", "application/json", body, &status, &answer,
                          &error, 60)) {
        totals->Fail("PutTraceSegments: " + error);
        return false;
      }
      totals->requests.fetch_add(1);
      if (status == 429 && attempt < 100) {  // ingest queue full: back off and retry
        totals->retries.fetch_add(1);
        SleepSeconds(0.01 * (attempt + 1));
        continue;
      }
      if (status != 200) {
        totals->Fail("PutTraceSegments answered " + std::to_string(status) + ": " + answer);
        return false;
      }
      if (answer.find("\"UnprocessedTraceSegments\":[]") == std::string::npos) {
        totals->unprocessed.fetch_add(1);
        totals->Fail("PutTraceSegments left documents unprocessed: " + answer.substr(0, 500));
        return false;
      }
      break;
    }
    totals->documents.fetch_add(pending.size());
    pending.clear();
    return true;
  };
  for (uint64_t count = 0; count < traces; ++count) {
    const RecipeTrace& trace = traffic.NextTrace(WallSeconds());
    for (std::string_view document : trace.documents) {
      pending.emplace_back(document);
      totals->raw_bytes.fetch_add(document.size(), std::memory_order_relaxed);
      if (pending.size() == batch && !flush()) return;
    }
    totals->traces.fetch_add(1, std::memory_order_relaxed);
    if (totals->failed()) return;
  }
  flush();
}

struct RunResult {
  uint64_t documents = 0;
  uint64_t raw_bytes = 0;
  uint64_t disk_bytes = 0;
  uint64_t allocated_bytes = 0;
  uint64_t block_bytes = 0;
  uint64_t wal_bytes = 0;  // left after the clean shutdown
  uint64_t doc_chunk_bytes = 0;
  double send_seconds = 0;
  double shutdown_seconds = 0;
  double server_cpu_us_per_doc = 0;
  double b_per_segment() const {
    return documents > 0 ? static_cast<double>(disk_bytes) / static_cast<double>(documents) : 0;
  }
  double raw_per_segment() const {
    return documents > 0 ? static_cast<double>(raw_bytes) / static_cast<double>(documents) : 0;
  }
};

std::string Percent(uint64_t part, uint64_t whole) {
  char text[32];
  std::snprintf(text, sizeof(text), "%5.1f%%",
                whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return text;
}

bool RunOnce(const std::string& binary, const Flags& flags, int run_idx, RunResult* result) {
  const uint64_t traces =
      static_cast<uint64_t>(flags.GetInt("traces", flags.GetBool("smoke") ? 2000 : 100000));
  const auto batch = static_cast<size_t>(std::max<int64_t>(1, flags.GetInt("batch", 50)));
  const auto connections =
      static_cast<size_t>(std::max<int64_t>(1, flags.GetInt("connections", 4)));
  const auto seed =
      static_cast<uint64_t>(flags.GetInt("seed", 1)) + static_cast<uint64_t>(run_idx) * 7919;
  const bool keep = flags.GetBool("keep-data");
  std::string error, temp_dir;
  if (!MakeTempDir("roentgen-disk-bench-", &temp_dir, &error)) {
    std::fprintf(stderr, "disk_bytes_bench: %s\n", error.c_str());
    return false;
  }
  struct Cleanup {
    std::string dir;
    bool keep;
    ~Cleanup() {
      if (!keep) RemoveTree(dir);
    }
  } cleanup{temp_dir, keep};
  const std::string data_dir = temp_dir + "/data";
  ServerProcess server;
  ServerProcess::Options options;
  options.binary = binary;
  options.data_dir = data_dir;
  options.log_dir = temp_dir;
  options.extra_args = flags.All("server-arg");
  if (!server.Start(options, &error)) {
    std::fprintf(stderr, "disk_bytes_bench: %s\n", error.c_str());
    return false;
  }
  std::printf(
      "\n== run %d: %llu traces over HTTP (%zu connections, %zu documents per call) to "
      "roentgen pid %d, data %s\n",
      run_idx + 1, static_cast<unsigned long long>(traces), connections, batch,
      static_cast<int>(server.pid()), data_dir.c_str());
  std::fflush(stdout);

  SendTotals totals;
  const double send_start = MonoSeconds();
  std::vector<std::thread> threads;
  for (size_t idx = 0; idx < connections; ++idx) {
    uint64_t share = traces / connections + (idx < traces % connections ? 1 : 0);
    threads.emplace_back(SendTraces, server.http_port(), seed * 131 + idx, share, batch, &totals);
  }
  for (std::thread& thread : threads) thread.join();
  result->send_seconds = MonoSeconds() - send_start;
  result->documents = totals.documents.load();
  result->raw_bytes = totals.raw_bytes.load();
  if (totals.failed()) {
    std::fprintf(stderr, "disk_bytes_bench: %s\n", totals.first_error.c_str());
    int exit_code = 0;
    if (!server.Running(&exit_code)) {
      std::fprintf(stderr, "disk_bytes_bench: roentgen died (exit status %d%s); stderr: %s\n",
                   exit_code, exit_code > 128 ? ", killed by a signal" : "",
                   server.StderrTail(2000).c_str());
    }
    return false;
  }
  HttpClient client("127.0.0.1", server.http_port());
  Metrics metrics;
  if (!FetchMetrics(client, &metrics, &error)) {
    std::fprintf(stderr, "disk_bytes_bench: %s\n", error.c_str());
    return false;
  }
  const auto stored =
      static_cast<uint64_t>(MetricValue(metrics, "roentgen_store_documents_stored_total"));
  std::printf(
      "  sent %llu documents (%llu traces) in %.1f s = %.0f documents/s; %llu calls, "
      "%llu retried after 429; server says %llu stored\n",
      static_cast<unsigned long long>(result->documents),
      static_cast<unsigned long long>(totals.traces.load()), result->send_seconds,
      static_cast<double>(result->documents) / result->send_seconds,
      static_cast<unsigned long long>(totals.requests.load()),
      static_cast<unsigned long long>(totals.retries.load()),
      static_cast<unsigned long long>(stored));
  bool ok = true;
  if (stored != result->documents) {
    std::printf(
        "  PROBLEM: roentgen_store_documents_stored_total is %llu, %llu documents "
        "were acknowledged\n",
        static_cast<unsigned long long>(stored),
        static_cast<unsigned long long>(result->documents));
    ok = false;
  }

  ProcCpu cpu;
  int exit_code = 0;
  const double stop_start = MonoSeconds();
  if (!server.Stop(300, &exit_code, &cpu, &error) || exit_code != 0) {
    std::fprintf(stderr, "disk_bytes_bench: roentgen shutdown: %s (exit status %d); stderr: %s\n",
                 error.c_str(), exit_code, server.StderrTail(2000).c_str());
    return false;
  }
  result->shutdown_seconds = MonoSeconds() - stop_start;
  result->server_cpu_us_per_doc =
      result->documents > 0 ? cpu.total() * 1e6 / static_cast<double>(result->documents) : 0;
  std::printf(
      "  SIGTERM -> exit 0 in %.1f s; server CPU over the run %.2f s (user %.2f, sys "
      "%.2f) = %.2f us/document\n",
      result->shutdown_seconds, cpu.total(), cpu.user, cpu.system, result->server_cpu_us_per_doc);

  // Every byte under the data directory.
  std::map<std::string, std::pair<uint64_t, uint64_t>> groups;  // name -> (files, bytes)
  BlockTotals blocks;
  for (const FileEntry& file : ListFiles(data_dir)) {
    result->disk_bytes += file.size;
    result->allocated_bytes += file.allocated;
    std::string top = file.relative_path.substr(0, file.relative_path.find('/'));
    std::string group = top == file.relative_path ? "(top level: " + top + ")" : top + "/";
    if (top == "blocks" && file.relative_path.size() > 4 &&
        file.relative_path.substr(file.relative_path.size() - 4) == ".blk") {
      AddBlock(data_dir + "/" + file.relative_path, &blocks);
    }
    groups[group].first += 1;
    groups[group].second += file.size;
    if (top == "blocks") result->block_bytes += file.size;
    if (top == "wal") result->wal_bytes += file.size;
  }
  result->doc_chunk_bytes = blocks.sections["document chunks"].stored;
  const double docs = static_cast<double>(std::max<uint64_t>(result->documents, 1));
  std::printf("  data directory: %llu bytes (%llu allocated on disk)\n",
              static_cast<unsigned long long>(result->disk_bytes),
              static_cast<unsigned long long>(result->allocated_bytes));
  std::printf("    %-44s %6s %12s %10s %7s\n", "what", "files", "bytes", "B/segment", "share");
  for (const auto& [group, entry] : groups) {
    std::printf("    %-44s %6llu %12llu %10.1f %7s\n", group.c_str(),
                static_cast<unsigned long long>(entry.first),
                static_cast<unsigned long long>(entry.second),
                static_cast<double>(entry.second) / docs,
                Percent(entry.second, result->disk_bytes).c_str());
  }
  std::printf(
      "  blocks: %llu files, %llu rows (trace revisions), %llu documents, %llu raw "
      "document bytes\n",
      static_cast<unsigned long long>(blocks.blocks), static_cast<unsigned long long>(blocks.rows),
      static_cast<unsigned long long>(blocks.docs),
      static_cast<unsigned long long>(blocks.raw_doc_bytes));
  std::printf("    %-44s %6s %12s %12s %10s %7s\n", "block section", "count", "stored", "raw",
              "B/segment", "share");
  std::vector<std::pair<std::string, SectionTotals>> sections(blocks.sections.begin(),
                                                              blocks.sections.end());
  std::sort(sections.begin(), sections.end(),
            [](const auto& a, const auto& b) { return a.second.stored > b.second.stored; });
  for (const auto& [label, section] : sections) {
    std::printf("    %-44s %6llu %12llu %12llu %10.2f %7s\n", label.c_str(),
                static_cast<unsigned long long>(section.count),
                static_cast<unsigned long long>(section.stored),
                static_cast<unsigned long long>(section.raw),
                static_cast<double>(section.stored) / docs,
                Percent(section.stored, result->disk_bytes).c_str());
  }
  std::printf("    %-44s %6s %12llu %12s %10.2f %7s\n", "magic, footers, trailers", "",
              static_cast<unsigned long long>(blocks.framing), "",
              static_cast<double>(blocks.framing) / docs,
              Percent(blocks.framing, result->disk_bytes).c_str());
  for (const std::string& problem : blocks.problems)
    std::printf("  PROBLEM: %s\n", problem.c_str());
  if (!blocks.problems.empty()) ok = false;
  if (blocks.docs < result->documents) {
    std::printf("  PROBLEM: the blocks hold %llu documents, %llu were acknowledged\n",
                static_cast<unsigned long long>(blocks.docs),
                static_cast<unsigned long long>(result->documents));
    ok = false;
  } else if (blocks.docs > result->documents) {
    std::printf(
        "  note: the blocks hold %llu documents for %llu sent: resealed traces keep an "
        "older revision until compaction\n",
        static_cast<unsigned long long>(blocks.docs),
        static_cast<unsigned long long>(result->documents));
  }
  std::printf("  => %.1f B/segment on disk (raw JSON %.1f B/segment, %.1fx smaller)\n",
              result->b_per_segment(), result->raw_per_segment(),
              result->disk_bytes > 0
                  ? static_cast<double>(result->raw_bytes) / static_cast<double>(result->disk_bytes)
                  : 0);
  std::fflush(stdout);
  return ok;
}

int Main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!flags.Parse(argc, argv, &error)) {
    std::fprintf(stderr, "disk_bytes_bench: %s\n", error.c_str());
    return 2;
  }
  auto unknown = flags.Unknown({"traces", "batch", "connections", "runs", "roentgen", "server-arg",
                                "keep-data", "seed", "smoke", "help"});
  if (!unknown.empty() || flags.Has("help")) {
    if (!unknown.empty())
      std::fprintf(stderr, "disk_bytes_bench: unknown flag --%s\n", unknown[0].c_str());
    std::fprintf(stderr,
                 "usage: disk_bytes_bench [--traces=N] [--batch=N] [--connections=N] "
                 "[--runs=N] [--roentgen=PATH] [--server-arg=ARG]... [--keep-data] "
                 "[--seed=N] [--smoke]\n"
                 "(see the comment at the top of bench/disk_bytes_bench.cc)\n");
    return flags.Has("help") ? 0 : 2;
  }
  const std::string binary = FindRoentgen(flags.Get("roentgen", ""));
  if (binary.empty()) {
    std::fprintf(stderr, "disk_bytes_bench: no roentgen binary found (use --roentgen=PATH)\n");
    return 1;
  }
  std::printf("roentgen: %s\n", binary.c_str());
  const int runs = static_cast<int>(std::max<int64_t>(1, flags.GetInt("runs", 1)));
  std::vector<RunResult> results;
  for (int run_idx = 0; run_idx < runs; ++run_idx) {
    RunResult result;
    if (!RunOnce(binary, flags, run_idx, &result)) {
      std::printf("FAIL\n");
      return 1;
    }
    results.push_back(result);
  }
  std::vector<double> per_segment, raw, ratio, cpu, rate, blocks, wal, chunks;
  for (const RunResult& r : results) {
    const double docs = static_cast<double>(std::max<uint64_t>(r.documents, 1));
    blocks.push_back(static_cast<double>(r.block_bytes) / docs);
    wal.push_back(static_cast<double>(r.wal_bytes) / docs);
    chunks.push_back(static_cast<double>(r.doc_chunk_bytes) / docs);
    per_segment.push_back(r.b_per_segment());
    raw.push_back(r.raw_per_segment());
    ratio.push_back(r.disk_bytes > 0
                        ? static_cast<double>(r.raw_bytes) / static_cast<double>(r.disk_bytes)
                        : 0);
    cpu.push_back(r.server_cpu_us_per_doc);
    rate.push_back(static_cast<double>(r.documents) / r.send_seconds);
  }
  const double median = Median(per_segment);
  std::printf("\n== summary (%s of %d run%s)\n", runs > 1 ? "median" : "result", runs,
              runs > 1 ? "s" : "");
  std::printf(
      "  on disk: %.1f B/segment (target <= 100: %s); raw JSON %.1f B/segment; "
      "compression %.1fx\n",
      median, median <= 100 ? "met" : "NOT met", Median(raw), Median(ratio));
  std::printf(
      "  of which blocks %.1f B/segment (document chunks %.1f), WAL left after the "
      "clean shutdown %.1f B/segment\n",
      Median(blocks), Median(chunks), Median(wal));
  std::printf("  HTTP ingest %.0f documents/s; server CPU %.2f us/document (whole run)\n",
              Median(rate), Median(cpu));
  std::printf(
      "RESULT disk_bytes_per_segment=%.1f block_bytes_per_segment=%.1f "
      "wal_bytes_per_segment=%.1f raw_bytes_per_segment=%.1f ratio=%.2f "
      "server_cpu_us_per_document=%.2f\n",
      median, Median(blocks), Median(wal), Median(raw), Median(ratio), Median(cpu));
  return 0;
}

}  // namespace
}  // namespace roentgen::bench

int main(int argc, char** argv) { return roentgen::bench::Main(argc, argv); }
