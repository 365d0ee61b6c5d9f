// SPDX-License-Identifier: Apache-2.0
#include <future>
#include <random>
#include <set>

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
    // Group 7 (filter version 3) holds the traces whose entry point is svc-1.
    options.classifier = [](const model::TenantId&, const model::TraceSummary& summary,
                            const model::TraceDetail&) {
      std::vector<model::GroupMatch> groups;
      if (summary.entry_point && summary.entry_point->name == "svc-1") groups.push_back({7, 3});
      return groups;
    };
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
                  ->ScanSummaries("000000000000", ScanRequest{TimeRange{1795497400, 1795497500}},
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
                  ->ScanSummaries("000000000000", ScanRequest{TimeRange{0, 2e9}},
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
                  ->ScanSummaries("000000000000", ScanRequest{TimeRange{0, 2e9}},
                                  [&](const SummaryRow&) { return ++rows, true; })
                  .ok());
  EXPECT_EQ(rows, 1);
  ASSERT_TRUE(store->Shutdown().ok());
}

std::vector<SummaryRecord> Scan(Store& store, ScanRequest request) {
  std::vector<SummaryRecord> rows;
  Status status = store.ScanSummaries("000000000000", request, [&](const SummaryRow& row) {
    SummaryRecord record;
    record.summary = *row.summary;
    if (row.detail != nullptr) record.detail = *row.detail;
    record.groups.assign(row.groups.begin(), row.groups.end());
    record.is_open = row.is_open;
    rows.push_back(std::move(record));
    return true;
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return rows;
}

bool HasInferredNode(const model::TraceDetail& detail, const std::string& name) {
  for (const auto& node : detail.nodes) {
    if (node.kind == model::NodeKind::kInferred && node.id.name == name) return true;
  }
  return false;
}

TEST_F(EmbeddedStoreTest, KeepsDetailAndGroupsAndSelectsByTimeRangeKind) {
  auto store = Open();
  // svc-1 calls a remote "backend" (an inferred node) and is called by nobody: the root.
  std::string root = SegmentJson(
      3, 1, 1795497420.5, false, nullptr,
      R"(,"subsegments":[{"id":"00000000000000aa","name":"backend","namespace":"remote",)"
      R"("start_time":1795497420.6,"end_time":1795497420.7}])");
  ASSERT_TRUE(AppendSync(*store, {root}).status.ok());
  ScanRequest everything{TimeRange{0, 2e9}};
  everything.include_open = true;
  everything.want_detail = true;
  // Unsealed: searchable as partial, with its detail and groups.
  auto rows = Scan(*store, everything);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].is_open);
  EXPECT_TRUE(rows[0].summary.is_partial);
  EXPECT_TRUE(HasInferredNode(rows[0].detail, "backend"));
  EXPECT_EQ(rows[0].groups, (std::vector<model::GroupMatch>{{7, 3}}));

  ASSERT_TRUE(store->FlushAll().ok());
  rows = Scan(*store, everything);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].is_open);
  EXPECT_FALSE(rows[0].summary.is_partial);
  EXPECT_TRUE(HasInferredNode(rows[0].detail, "backend"));
  EXPECT_EQ(rows[0].groups, (std::vector<model::GroupMatch>{{7, 3}}));
  // ServiceIds lists the inferred node too (xray-semantics.md §2.3).
  bool backend_listed = false;
  for (const auto& service : rows[0].summary.service_ids)
    backend_listed |= service.name == "backend";
  EXPECT_TRUE(backend_listed);
  // Without want_detail no detail is decoded.
  EXPECT_TRUE(Scan(*store, ScanRequest{TimeRange{0, 2e9}})[0].detail.nodes.empty());

  // The trace id's epoch is 0x6b051e77 = 1795497591; the trace ran 1795497420.5-1795497421.0.
  auto count = [&](TimeRangeKind kind, double start, double end) {
    ScanRequest request{TimeRange{start, end}, kind};
    return Scan(*store, request).size();
  };
  EXPECT_EQ(count(TimeRangeKind::kTraceId, 1795497591, 1795497592), 1u);
  EXPECT_EQ(count(TimeRangeKind::kTraceId, 1795497420, 1795497421), 0u);
  EXPECT_EQ(count(TimeRangeKind::kTraceId, 1795497592, 1795497600), 0u);  // half-open
  EXPECT_EQ(count(TimeRangeKind::kEvent, 1795497420, 1795497420.6), 1u);
  EXPECT_EQ(count(TimeRangeKind::kEvent, 1795497591, 1795497592), 0u);
  EXPECT_EQ(count(TimeRangeKind::kService, 1795497421, 1795497422), 1u);
  EXPECT_EQ(count(TimeRangeKind::kService, 1795497420, 1795497421), 0u);

  // The block keeps both columns across a restart.
  ASSERT_TRUE(store->Shutdown().ok());
  store = Open();
  auto id = *model::TraceId::Parse(TraceIdText(3));
  auto records = store->GetSummaries("000000000000", std::span<const model::TraceId>(&id, 1), true);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_TRUE(HasInferredNode((*records)[0].detail, "backend"));
  EXPECT_EQ((*records)[0].groups, (std::vector<model::GroupMatch>{{7, 3}}));
  EXPECT_EQ((*records)[0].summary.revision, 1u);

  // A late document makes the trace open again: one row, merged and partial, revision 1 kept
  // until it is resealed as revision 2.
  std::string late = SegmentJson(3, 4, 1795497420.8, false, "0000000000000001");
  ASSERT_TRUE(AppendSync(*store, {late}).status.ok());
  rows = Scan(*store, everything);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].is_open);
  EXPECT_EQ(rows[0].summary.segment_count, 2u);
  ASSERT_TRUE(store->FlushAll().ok());
  rows = Scan(*store, everything);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].summary.revision, 2u);
  EXPECT_EQ(rows[0].summary.segment_count, 2u);
  ASSERT_TRUE(store->Shutdown().ok());
}

TEST_F(EmbeddedStoreTest, SearchColumnsDecideConditionsWithoutSummaries) {
  auto store = Open();
  // Trace n: a root svc-1 (response 0.5 s) annotated tier = gold for n % 3 == 0; even traces
  // also have a child segment of svc-2.
  std::set<std::string> expected;
  for (int n = 0; n < 30; ++n) {
    std::vector<std::string> docs = {SegmentJson(
        100 + n, 1, 1795497420.0 + n, false, nullptr,
        n % 3 == 0 ? R"(,"annotations":{"tier":"gold"})" : R"(,"annotations":{"tier":"silver"})")};
    if (n % 2 == 0)
      docs.push_back(SegmentJson(100 + n, 2, 1795497420.1 + n, false, "0000000000000001"));
    ASSERT_TRUE(AppendSync(*store, docs).status.ok());
    if (n % 6 == 0) expected.insert(TraceIdText(100 + n));
  }
  ASSERT_TRUE(store->FlushAll().ok());

  ScanConditions conditions;
  conditions.response_time = ScanConditions::Range{0.4, 1, false, true};
  conditions.service_names = {"svc-2"};
  conditions.annotation_equals = {
      {"tier", model::AnnotationValue{model::AnnotationType::kString, "gold", 0, false}}};
  conditions.exact = true;
  auto scan = [&](bool summary_optional, uint64_t* selected) {
    ScanRequest request{TimeRange{0, 2e9}};
    request.conditions = &conditions;
    request.summary_optional = summary_optional;
    request.traces_selected = selected;
    std::set<std::string> ids;
    size_t without_summary = 0;
    Status status = store->ScanSummaries("000000000000", request, [&](const SummaryRow& row) {
      ids.insert(row.id->ToString());
      if (row.summary == nullptr) {
        ++without_summary;
      } else {
        EXPECT_EQ(row.summary->id, *row.id);
        EXPECT_DOUBLE_EQ(row.summary->start_time, row.start_time);
      }
      return true;
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return std::make_pair(ids, without_summary);
  };
  uint64_t selected = 0;
  auto [ids, without_summary] = scan(true, &selected);
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(without_summary, expected.size());
  EXPECT_EQ(selected, 30u);  // every trace in the range counts as processed
  auto [decoded_ids, none_without] = scan(false, nullptr);
  EXPECT_EQ(decoded_ids, expected);
  EXPECT_EQ(none_without, 0u);

  // A value no row of the block has rules the block out.
  conditions.service_names = {"svc-9"};
  EXPECT_TRUE(scan(true, nullptr).first.empty());
  conditions.service_names.clear();
  conditions.response_time = ScanConditions::Range{0.6, 1, true, true};
  EXPECT_TRUE(scan(true, nullptr).first.empty());
  conditions.response_time.reset();
  conditions.annotation_equals = {
      {"tier", model::AnnotationValue{model::AnnotationType::kString, "silver", 0, false}}};
  EXPECT_EQ(scan(true, nullptr).first.size(), 20u);
  // Flags: no trace here faulted.
  conditions.fault = false;
  EXPECT_EQ(scan(true, nullptr).first.size(), 20u);
  conditions.fault = true;
  EXPECT_TRUE(scan(true, nullptr).first.empty());
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
