// SPDX-License-Identifier: Apache-2.0
#include <future>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "parse/segment_parser.h"
#include "store/file_system.h"
#include "store/store.h"

namespace roentgen::store {
namespace {

constexpr int64_t kStartNanos = 1'795'497'420'000'000'000;

std::string TraceIdText(int n) { return fmt::format("1-6b051e77-{:024x}", n); }

std::string SegmentJson(int trace, int seg, double start, bool in_progress = false,
                        const char* parent = nullptr, const char* extra = "") {
  std::string doc =
      fmt::format(R"({{"trace_id":"{}","id":"{:016x}","name":"svc-{}","start_time":{})",
                  TraceIdText(trace), seg, seg % 3, start);
  if (in_progress) {
    doc += R"(,"in_progress":true)";
  } else {
    doc += fmt::format(R"(,"end_time":{})", start + 0.5);
  }
  if (parent != nullptr) doc += fmt::format(R"(,"parent_id":"{}")", parent);
  doc += extra;
  doc += "}";
  return doc;
}

IncomingDocument Incoming(const std::string& raw) {
  auto parsed = parse::ParseSegmentDocument(raw, parse::ParseLimits());
  EXPECT_TRUE(parsed.ok()) << raw;
  IncomingDocument doc;
  doc.trace_id = parsed->trace_id;
  doc.id = parsed->entity.id;
  doc.is_subsegment = parsed->kind == model::DocumentKind::kSubsegment;
  doc.in_progress = parsed->entity.in_progress;
  doc.raw = raw;
  return doc;
}

class RecordingObserver : public SealObserver {
 public:
  void OnSeal(const TraceRevision* previous, const TraceRevision& current) override {
    std::lock_guard<std::mutex> lock(mu);
    events.emplace_back(previous ? previous->revision : 0, current.revision);
    last_summary = current.summary;
  }
  std::mutex mu;
  std::vector<std::pair<uint32_t, uint32_t>> events;
  model::TraceSummary last_summary;
};

class EmbeddedStoreTest : public ::testing::Test {
 protected:
  EmbeddedStoreTest() : clock_(kStartNanos), base_fs_(NewMemFileSystem()), fs_(*base_fs_) {}

  std::unique_ptr<Store> Open(size_t max_trace_bytes = 500 * 1024) {
    EmbeddedStoreOptions options;
    options.data_dir = "/data";
    options.file_system = &fs_;
    options.clock = &clock_;
    options.parser = [](std::string_view raw) {
      return parse::ParseSegmentDocument(raw, parse::ParseLimits());
    };
    options.max_trace_bytes = max_trace_bytes;
    options.zstd_level = 1;
    auto store = OpenEmbeddedStore(std::move(options));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    (*store)->AddSealObserver(&observer_);
    EXPECT_TRUE((*store)->Start().ok());
    return std::move(store).value();
  }

  AppendResult AppendSync(Store& store, std::vector<std::string> raws,
                          const std::string& tenant = "000000000000") {
    std::vector<IncomingDocument> docs;
    for (const auto& raw : raws) docs.push_back(Incoming(raw));
    std::promise<AppendResult> promise;
    Status status = store.Append(tenant, std::move(docs), [&](AppendResult result) {
      promise.set_value(std::move(result));
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return promise.get_future().get();
  }

  std::vector<std::string> Documents(Store& store, int trace,
                                     const std::string& tenant = "000000000000") {
    auto id = *model::TraceId::Parse(TraceIdText(trace));
    auto traces = store.GetTraces(tenant, std::span<const model::TraceId>(&id, 1));
    EXPECT_TRUE(traces.ok());
    if (traces->empty()) return {};
    return (*traces)[0].documents;
  }

  ManualClock clock_;
  std::unique_ptr<FileSystem> base_fs_;
  FaultInjectionFileSystem fs_;
  RecordingObserver observer_;
};

TEST_F(EmbeddedStoreTest, StoresReadsSealsAndFlushes) {
  auto store = Open();
  std::string a = SegmentJson(1, 1, 1795497420.5);
  std::string b = SegmentJson(1, 2, 1795497420.6, false, "0000000000000001");
  auto result = AppendSync(*store, {a, b});
  ASSERT_TRUE(result.status.ok());
  EXPECT_EQ(result.outcomes,
            (std::vector<DocumentOutcome>{DocumentOutcome::kStored, DocumentOutcome::kStored}));
  EXPECT_EQ(Documents(*store, 1), (std::vector<std::string>{a, b}));
  ASSERT_TRUE(store->FlushAll().ok());
  EXPECT_EQ(store->Stats().block_count, 1u);
  EXPECT_EQ(store->Stats().open_traces, 0u);
  EXPECT_EQ(Documents(*store, 1), (std::vector<std::string>{a, b}));
  std::vector<model::TraceSummary> seen;
  ASSERT_TRUE(store
                  ->ScanSummaries("000000000000", TimeRange{1795497400, 1795497500}, false,
                                  [&](const SummaryRow& row) {
                                    seen.push_back(*row.summary);
                                    return true;
                                  })
                  .ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].entry_point->name, "svc-1");
  EXPECT_NEAR(*seen[0].response_time, 0.5, 1e-9);
  EXPECT_EQ(observer_.events, (std::vector<std::pair<uint32_t, uint32_t>>{{0, 1}}));
  ASSERT_TRUE(store->Shutdown().ok());
  // A clean shutdown leaves every document in blocks and only an empty WAL file behind.
  uint64_t wal_bytes = 0;
  auto names = fs_.ListDir("/data/wal");
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) wal_bytes += *fs_.GetFileSize("/data/wal/" + name);
  EXPECT_LT(wal_bytes, 100u);
}

TEST_F(EmbeddedStoreTest, LateDocumentReopensAndNewestRevisionWins) {
  auto store = Open();
  std::string root = SegmentJson(2, 1, 1795497420.5);
  ASSERT_TRUE(AppendSync(*store, {root}).status.ok());
  ASSERT_TRUE(store->FlushAll().ok());
  // An in-progress child, then its completed version, after the trace was sealed.
  std::string child_open = SegmentJson(2, 2, 1795497420.6, true, "0000000000000001");
  std::string child_done = SegmentJson(2, 2, 1795497420.6, false, "0000000000000001");
  ASSERT_TRUE(AppendSync(*store, {child_open}).status.ok());
  EXPECT_EQ(Documents(*store, 2), (std::vector<std::string>{root, child_open}));
  ASSERT_TRUE(AppendSync(*store, {child_done}).status.ok());
  EXPECT_EQ(Documents(*store, 2), (std::vector<std::string>{root, child_done}));
  ASSERT_TRUE(store->FlushAll().ok());
  EXPECT_EQ(Documents(*store, 2), (std::vector<std::string>{root, child_done}));
  EXPECT_EQ(observer_.events, (std::vector<std::pair<uint32_t, uint32_t>>{{0, 1}, {1, 2}}));
  int rows = 0;
  ASSERT_TRUE(store
                  ->ScanSummaries("000000000000", TimeRange{0, 2e9}, false,
                                  [&](const SummaryRow& row) {
                                    ++rows;
                                    EXPECT_EQ(row.summary->revision, 2u);
                                    EXPECT_EQ(row.summary->segment_count, 2u);
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(rows, 1);
  ASSERT_TRUE(store->Shutdown().ok());
  // After a restart the old row is still known to be replaced.
  store = Open();
  rows = 0;
  ASSERT_TRUE(store
                  ->ScanSummaries("000000000000", TimeRange{0, 2e9}, false,
                                  [&](const SummaryRow&) { return ++rows, true; })
                  .ok());
  EXPECT_EQ(rows, 1);
  ASSERT_TRUE(store->Shutdown().ok());
}

TEST_F(EmbeddedStoreTest, TenantsAreSeparate) {
  auto store = Open();
  std::string a = SegmentJson(3, 1, 1795497420.5);
  std::string b = SegmentJson(3, 1, 1795497421.5);
  ASSERT_TRUE(AppendSync(*store, {a}, "111111111111").status.ok());
  ASSERT_TRUE(AppendSync(*store, {b}, "222222222222").status.ok());
  ASSERT_TRUE(store->FlushAll().ok());
  EXPECT_EQ(Documents(*store, 3, "111111111111"), (std::vector<std::string>{a}));
  EXPECT_EQ(Documents(*store, 3, "222222222222"), (std::vector<std::string>{b}));
  EXPECT_TRUE(Documents(*store, 3, "333333333333").empty());
  ASSERT_TRUE(store->Shutdown().ok());
}

TEST_F(EmbeddedStoreTest, RefusesDocumentsPastTheTraceCap) {
  auto store = Open(/*max_trace_bytes=*/400);
  std::string pad(150, 'x');
  std::string extra = fmt::format(R"(,"metadata":{{"d":{{"p":"{}"}}}})", pad);
  auto result = AppendSync(*store, {SegmentJson(4, 1, 1.0, false, nullptr, extra.c_str()),
                                    SegmentJson(4, 2, 1.0, false, nullptr, extra.c_str())});
  ASSERT_TRUE(result.status.ok());
  EXPECT_EQ(result.outcomes[0], DocumentOutcome::kStored);
  EXPECT_EQ(result.outcomes[1], DocumentOutcome::kTraceTooLarge);
  EXPECT_EQ(Documents(*store, 4).size(), 1u);
  ASSERT_TRUE(store->Shutdown().ok());
}

TEST_F(EmbeddedStoreTest, RetentionDropsWholeExpiredPartitions) {
  auto store = Open();
  ASSERT_TRUE(AppendSync(*store, {SegmentJson(5, 1, 1795497420.5)}).status.ok());
  ASSERT_TRUE(store->FlushAll().ok());
  clock_.Advance(std::chrono::hours(24 * 15));
  ASSERT_TRUE(AppendSync(*store, {SegmentJson(6, 1, 1795497420.5)}).status.ok());
  ASSERT_TRUE(store->FlushAll().ok());
  EXPECT_EQ(store->Stats().partitions, 2u);
  // 31 days after the first block: its partition is past the 30-day retention, the second's
  // is not.
  clock_.Advance(std::chrono::hours(24 * 16));
  ASSERT_TRUE(store->FlushAll().ok());
  EXPECT_EQ(store->Stats().partitions, 1u);
  EXPECT_TRUE(Documents(*store, 5).empty());
  EXPECT_EQ(Documents(*store, 6).size(), 1u);
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_FALSE(fs_.ListDir("/data/blocks").value().empty());
}

TEST_F(EmbeddedStoreTest, AcknowledgedDocumentsSurvivePowerCuts) {
  std::mt19937 rng(7);
  std::map<int, std::vector<std::string>> acknowledged;
  int next_trace = 100;
  for (int round = 0; round < 8; ++round) {
    auto store = Open();
    for (int batch = 0; batch < 5; ++batch) {
      std::vector<std::string> raws;
      std::vector<int> traces;
      for (int doc = 0; doc < 3; ++doc) {
        // Mostly new traces, sometimes a late document for an acknowledged one.
        int trace = (!acknowledged.empty() && rng() % 4 == 0)
                        ? std::next(acknowledged.begin(), rng() % acknowledged.size())->first
                        : next_trace++;
        raws.push_back(SegmentJson(trace, 1000 + static_cast<int>(rng() % 100000), 1795497420.5));
        traces.push_back(trace);
      }
      auto result = AppendSync(*store, raws);
      ASSERT_TRUE(result.status.ok());
      for (size_t idx = 0; idx < raws.size(); ++idx) acknowledged[traces[idx]].push_back(raws[idx]);
      if (rng() % 3 == 0) {
        ASSERT_TRUE(store->FlushAll().ok());
      }
    }
    store->CrashForTest();
    store.reset();
    ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  }
  auto store = Open();
  for (const auto& [trace, raws] : acknowledged) {
    std::vector<std::string> stored = Documents(*store, trace);
    for (const auto& raw : raws) {
      EXPECT_NE(std::find(stored.begin(), stored.end(), raw), stored.end())
          << "lost acknowledged document of trace " << trace;
    }
  }
  ASSERT_TRUE(store->Shutdown().ok());
}

}  // namespace
}  // namespace roentgen::store
