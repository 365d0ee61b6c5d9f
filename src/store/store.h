// SPDX-License-Identifier: Apache-2.0
#pragma once

// The store façade: where segment documents go after validation and where every query
// reads them from. Two backends implement it: the embedded engine (default, this
// component) and, later, ClickHouse. The store knows nothing of query, graph or metrics:
// those observe sealed traces through the seal hook.

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/stats.h"
#include "base/status.h"
#include "model/group_match.h"
#include "model/segment.h"
#include "model/tenant.h"
#include "model/trace_detail.h"
#include "model/trace_id.h"
#include "model/trace_summary.h"

namespace roentgen::store {

class FileSystem;

// One validated segment document on its way into the store.
struct IncomingDocument {
  model::TraceId trace_id;
  model::SegmentId id;
  bool is_subsegment = false;  // an independent subsegment document
  bool in_progress = false;
  std::string raw;  // the document exactly as received (what BatchGetTraces returns)
};

// What happened to one document of an append.
enum class DocumentOutcome {
  kStored,         // durable (in the synced WAL)
  kTraceTooLarge,  // refused: the trace is over its size cap
  kRejected,       // refused: the store is shutting down or the WAL failed
};

struct AppendResult {
  Status status;                          // not OK if the whole batch failed
  std::vector<DocumentOutcome> outcomes;  // one per document, in order
};

// Called once per Append, on the store's writer thread, after the batch is durable (or
// refused). Must not block.
using AppendCallback = std::function<void(AppendResult)>;

// One revision of a sealed trace, as reported to seal observers and returned by reads.
struct TraceRevision {
  model::TenantId tenant;
  model::TraceId trace_id;
  uint32_t revision = 0;
  bool limit_exceeded = false;
  std::vector<std::string> documents;            // raw, deduplicated by id
  std::vector<model::SegmentDocument> segments;  // parsed, parallel to documents
  model::TraceSummary summary;
  model::TraceDetail detail;
  // The groups this revision matched when it was sealed (EmbeddedStoreOptions::classifier).
  std::vector<model::GroupMatch> groups;
};

// Observes every sealed or resealed trace. Invoked on the sealer thread in seal order;
// implementations must be thread-safe with respect to their own readers and fast.
class SealObserver {
 public:
  virtual ~SealObserver() = default;
  // `previous` is the revision this one replaces (nullptr for a first seal); its
  // contribution should be subtracted and `current`'s added. After a crash, revisions that
  // were sealed but not yet written to a block are sealed and reported again with the same
  // revision number: observers that persist state must treat (trace, revision) idempotently.
  virtual void OnSeal(const TraceRevision* previous, const TraceRevision& current) = 0;
};

// A trace as read back: the newest revision merged with documents that arrived since.
struct StoredTrace {
  model::TraceId trace_id;
  uint32_t revision = 0;  // newest sealed revision (0 if never sealed)
  bool is_open = false;   // documents arrived that are not sealed yet
  bool limit_exceeded = false;
  std::vector<std::string> documents;  // raw, deduplicated by id (complete beats in-progress)
};

// A summary row handed to scans. Pointers are valid during the visit only.
struct SummaryRow {
  const model::TenantId* tenant;
  // Null only for a row that ScanRequest::conditions (exact) matched on block columns
  // when summary_optional was set; the row then matches and id/start/end say all there is.
  const model::TraceSummary* summary;
  const model::TraceDetail* detail;  // set iff ScanRequest::want_detail and summary is set
  std::span<const model::GroupMatch> groups;
  bool is_open;  // computed from unsealed documents (partial)
  const model::TraceId* id;
  double start_time;  // seconds; block rows carry microsecond precision
  double end_time;
};

// Conditions a scan tests on block columns before it decodes a summary (what
// query::ScanHints gives, restated here because the store is below query). Rows that fail
// them are skipped; rows of blocks without the search columns, of the memtable and open
// traces are tested by the caller instead (through `prefilter` and its own filter).
struct ScanConditions {
  struct Range {
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool min_inclusive = true;
    bool max_inclusive = true;
    bool Contains(double value) const {
      return (min_inclusive ? value >= min : value > min) &&
             (max_inclusive ? value <= max : value < max);
    }
  };
  std::optional<Range> response_time;      // the trace has a response time inside it
  std::vector<std::string> service_names;  // each names a non-client node of the trace
  // Each is an indexed annotation with a value equal to this.
  std::vector<std::pair<std::string, model::AnnotationValue>> annotation_equals;
  // The trace's flags must have these values (unset: either).
  std::optional<bool> fault;
  std::optional<bool> error;
  std::optional<bool> throttle;
  std::optional<bool> partial;
  // The conditions are the whole filter: a row that passes them matches.
  bool exact = false;
};

// Which time of a trace a scan's range selects on (GetTraceSummaries' TimeRangeType).
enum class TimeRangeKind : uint8_t {
  kTraceId,  // the epoch in the trace id lies in [start, end)
  kEvent,    // the trace was active in the range: [StartTime, end of last document] overlaps it
  kService,  // the trace's last document end time lies in [start, end)
};

struct TimeRange {
  double start_seconds = 0;
  double end_seconds = 0;
};

struct ScanRequest {
  TimeRange range;
  TimeRangeKind kind = TimeRangeKind::kEvent;
  bool include_open = false;  // also unsealed traces, as partial summaries
  bool want_detail = false;   // fill SummaryRow::detail
  // When set, rows failing it are neither decoded further nor visited (a cheap summary-only
  // test, e.g. query::ScanHints, run before the detail is decoded).
  std::function<bool(const model::TraceSummary&)> prefilter = nullptr;
  // When set, incremented for every trace the time range selects (visited or not).
  uint64_t* traces_selected = nullptr;
  // Optional, borrowed for the scan: tested on block columns where a block has them.
  const ScanConditions* conditions = nullptr;
  // With exact conditions: visit the block rows they match without decoding the summary
  // (SummaryRow::summary is null then).
  bool summary_optional = false;
};

// Returns false to stop the scan.
using SummaryVisitor = std::function<bool(const SummaryRow&)>;

// The current state of one trace, as GetSummaries returns it.
struct SummaryRecord {
  model::TraceSummary summary;
  model::TraceDetail detail;  // filled iff want_detail
  std::vector<model::GroupMatch> groups;
  bool is_open = false;
};

struct StoreStats {
  uint64_t open_traces = 0;
  uint64_t open_bytes = 0;
  uint64_t sealed_unflushed_traces = 0;
  uint64_t queue_bytes = 0;
  uint64_t queue_depth = 0;
  uint64_t wal_bytes = 0;
  uint64_t block_count = 0;
  uint64_t block_bytes = 0;
  uint64_t partitions = 0;
  double seal_lag_seconds = 0;  // age of the oldest trace past its quiet period, unsealed
};

// The store interface. All methods are thread-safe.
class Store {
 public:
  virtual ~Store() = default;

  // Queues `documents` of `tenant` for durable storage. Returns ResourceExhausted at once
  // (without calling `done`) when the ingest queue is over its bound, Unavailable after
  // Shutdown. Otherwise `done` is called exactly once, after the documents are in the
  // synced WAL (acknowledged = survives kill -9 and power loss) or were refused.
  virtual Status Append(const model::TenantId& tenant, std::vector<IncomingDocument>&& documents,
                        AppendCallback done) = 0;

  // Reads traces by id. Missing traces are absent from the result (no error).
  virtual Result<std::vector<StoredTrace>> GetTraces(const model::TenantId& tenant,
                                                     std::span<const model::TraceId> ids) = 0;

  // Visits, once per trace, the current summary of every trace of `tenant` that `request`
  // selects: unsealed traces first (merged with their sealed revision, as partial) when
  // include_open, then sealed ones, in no particular order. A trace sealed or resealed
  // while the scan runs is seen in one of its revisions, never twice.
  virtual Status ScanSummaries(const model::TenantId& tenant, const ScanRequest& request,
                               const SummaryVisitor& visit) = 0;

  // The current summaries of the given traces (absent ones are skipped), in `ids` order.
  virtual Result<std::vector<SummaryRecord>> GetSummaries(const model::TenantId& tenant,
                                                          std::span<const model::TraceId> ids,
                                                          bool want_detail) = 0;

  // Registers an observer; only before Start(). `observer` must outlive the store.
  virtual void AddSealObserver(SealObserver* observer) = 0;

  // Starts the writer and sealer threads. Documents recovered from the WAL are sealed
  // (and reported to observers) only after Start().
  virtual Status Start() = 0;

  virtual StoreStats Stats() const = 0;

  // Seals every open trace and writes every sealed trace to blocks now (tests, shutdown).
  virtual Status FlushAll() = 0;

  // Stops accepting, seals and flushes what is open, syncs, and stops the threads.
  virtual Status Shutdown() = 0;

  // Stops the threads at once without sealing or flushing anything, as kill -9 would leave
  // the files (tests of crash recovery).
  virtual void CrashForTest() = 0;
};

// Parses a raw document; injected so that the store stays below parse/ in the layering.
using DocumentParser = std::function<Result<model::SegmentDocument>(std::string_view raw)>;

// Decides which groups a trace revision belongs to; called on the sealer thread for every
// seal, so it must be thread-safe and fast. Injected (like the parser) by the groups
// component, which the store cannot depend on.
using GroupClassifier = std::function<std::vector<model::GroupMatch>(
    const model::TenantId& tenant, const model::TraceSummary& summary,
    const model::TraceDetail& detail)>;

struct EmbeddedStoreOptions {
  std::string data_dir;
  FileSystem* file_system = nullptr;               // nullptr: the posix file system
  Clock* clock = nullptr;                          // nullptr: the real clock
  DocumentParser parser;                           // required
  GroupClassifier classifier;                      // optional: no group memberships
  StatsRegistry* stats = nullptr;                  // optional
  std::chrono::milliseconds quiet_period{2000};    // seal a trace after this long without news
  std::chrono::seconds retention{30 * 24 * 3600};  // drop arrival partitions older than this
  std::chrono::seconds partition_duration{3600};   // arrival-time width of a partition
  size_t memory_limit_bytes = size_t{1} << 30;     // open + sealed-unflushed + queue
  // Decoded block columns and payloads kept for searches and point reads; least recently
  // used blocks are dropped past it. 0: memory_limit_bytes / 4.
  size_t block_cache_bytes = 0;
  size_t max_trace_bytes = 500 * 1024;     // X-Ray's trace document cap
  size_t block_target_bytes = 32u << 20;   // flush sealed traces at this many raw bytes
  std::chrono::seconds block_max_age{30};  // ... or when the oldest is this old
  size_t wal_file_bytes = 64u << 20;
  // Level 3: on the columns (details, summaries) it writes a quarter less than level 1 at
  // about the same speed; levels above 4 cost 4x the time (bench/README.md).
  int zstd_level = 3;
  model::TenantId default_tenant = std::string(model::kDefaultTenant);
};

// Opens the embedded engine under options.data_dir, recovering the WAL. Call Start() next.
Result<std::unique_ptr<Store>> OpenEmbeddedStore(EmbeddedStoreOptions options);

}  // namespace roentgen::store
