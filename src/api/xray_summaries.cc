// SPDX-License-Identifier: Apache-2.0
// GetTraceSummaries (POST /TraceSummaries): filter-expression search over stored traces
// (xray-semantics.md §2.5, docs/api.md "GetTraceSummaries").
//
// The first call scans the store once: time range first (blocks pruned by their time
// bounds), then the filter's summary-only hints, then the compiled filter. The matching ids
// are sorted newest first and kept as a snapshot (summary_snapshots.h) that NextToken names;
// every page reads the current summaries of its ids. Tokens:
//   s1.<snapshot id>.<offset>                       a position in a pinned snapshot
//   c1.<request hash>.<sort micros>.<trace id>      continue below this entry with a new scan
//                                                   (after a snapshot that hit the entry cap)

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
#include "api/internal/summary_json.h"
#include "api/internal/summary_snapshots.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "query/query.h"
#include "search/search.h"

namespace roentgen::api::internal {
namespace {

struct SummariesRequest {
  double start = 0;
  double end = 0;
  store::TimeRangeKind kind = store::TimeRangeKind::kTraceId;
  std::string filter_expression;
  bool sampling = false;
  std::string sampling_strategy = "FixedRate";  // when sampling
  double sampling_value = 0;
  std::string next_token;
};

// FNV-1a over the fields a NextToken may not change between pages.
uint64_t RequestHash(const SummariesRequest& request, const model::TenantId& tenant) {
  std::string key =
      fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", tenant, request.start, request.end,
                  static_cast<int>(request.kind), request.filter_expression, request.sampling,
                  request.sampling_strategy, request.sampling_value);
  uint64_t hash = 1469598103934665603ull;
  for (char c : key) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return hash;
}

Result<SummariesRequest> ParseRequest(const parse::JsonValue& body) {
  SummariesRequest request;
  RG_ASSIGN_OR_RETURN(request.start, RequiredTime(body, "StartTime"));
  RG_ASSIGN_OR_RETURN(request.end, RequiredTime(body, "EndTime"));
  if (request.end < request.start) return InvalidRequest("EndTime must not be before StartTime");
  if (const parse::JsonValue* kind = body.Find("TimeRangeType"); kind && !kind->is_null()) {
    if (!kind->is_string()) return InvalidRequest("TimeRangeType must be a string");
    const std::string& text = kind->string_value();
    if (text == "TraceId") {
      request.kind = store::TimeRangeKind::kTraceId;
    } else if (text == "Event" || text == "TimeStamp") {
      // "TimeStamp" is what the reference recipe sends; AWS rejects it. We take it as Event
      // (the trace's update time), which is what the recipe means (docs/api.md).
      request.kind = store::TimeRangeKind::kEvent;
    } else if (text == "Service") {
      request.kind = store::TimeRangeKind::kService;
    } else {
      return InvalidRequest(
          "TimeRangeType must be one of TraceId, Event, Service (case-sensitive), not \"" + text +
          "\"");
    }
  }
  if (const parse::JsonValue* filter = body.Find("FilterExpression");
      filter && !filter->is_null()) {
    if (!filter->is_string()) return InvalidRequest("FilterExpression must be a string");
    request.filter_expression = filter->string_value();
  }
  if (const parse::JsonValue* sampling = body.Find("Sampling"); sampling && !sampling->is_null()) {
    if (!sampling->is_bool()) return InvalidRequest("Sampling must be a boolean");
    request.sampling = sampling->bool_value();
  }
  if (const parse::JsonValue* strategy = body.Find("SamplingStrategy");
      strategy && !strategy->is_null()) {
    if (!strategy->is_object()) return InvalidRequest("SamplingStrategy must be an object");
    if (const parse::JsonValue* name = strategy->Find("Name"); name && !name->is_null()) {
      if (!name->is_string() ||
          (name->string_value() != "FixedRate" && name->string_value() != "PartialScan")) {
        return InvalidRequest("SamplingStrategy.Name must be FixedRate or PartialScan");
      }
      request.sampling_strategy = name->string_value();
    }
    if (const parse::JsonValue* value = strategy->Find("Value"); value && !value->is_null()) {
      std::optional<double> number = value->is_number() ? value->number_as_double() : std::nullopt;
      if (!number || !(*number >= 0 && *number <= 1)) {
        return InvalidRequest("SamplingStrategy.Value must be a number from 0 to 1");
      }
      request.sampling_value = *number;
    }
  }
  if (request.sampling && body.Find("SamplingStrategy") == nullptr) {
    return InvalidRequest("Sampling requires a SamplingStrategy with a Value");
  }
  if (const parse::JsonValue* token = body.Find("NextToken"); token && !token->is_null()) {
    if (!token->is_string()) return InvalidRequest("NextToken must be a string");
    request.next_token = token->string_value();
  }
  return request;
}

// The time a result is ordered by: newest first means descending.
double SortTime(const SummariesRequest& request, double start_time, double end_time) {
  switch (request.kind) {
    case store::TimeRangeKind::kTraceId:
      return start_time;
    case store::TimeRangeKind::kEvent:
    case store::TimeRangeKind::kService:
      return end_time;
  }
  return start_time;
}

constexpr NewerFirstOrder NewerFirst;

// Deterministic per trace, so that FixedRate keeps the same traces on every call.
bool KeptBySampling(const model::TraceId& id, double rate) {
  uint64_t hash = model::TraceIdHash()(id) * 0x9e3779b97f4a7c15ull;
  return static_cast<double>(hash >> 11) < rate * static_cast<double>(1ull << 53);
}

struct Cursor {
  double sort_time;
  model::TraceId id;
};

// Scans the store and builds a snapshot of the matches (below `below` when set).
Result<std::shared_ptr<SummarySnapshot>> BuildSnapshot(Call& call, const SummariesRequest& request,
                                                       const query::Filter& filter,
                                                       const std::optional<Cursor>& below) {
  auto snapshot = std::make_shared<SummarySnapshot>();
  snapshot->tenant = call.tenant;
  snapshot->request_hash = RequestHash(request, call.tenant);
  store::ScanRequest scan;
  scan.range = store::TimeRange{request.start, request.end};
  if (request.sampling && request.sampling_strategy == "PartialScan") {
    // Scan only the newest fraction `Value` of the window.
    scan.range.start_seconds = request.end - (request.end - request.start) * request.sampling_value;
  }
  scan.kind = request.kind;
  scan.include_open = true;
  scan.traces_selected = &snapshot->traces_processed;
  // The filter's hints as a summary prefilter and block-column conditions: blocks with the
  // search columns are tested without decoding summaries; an exact filter needs none.
  search::ScanPlan plan(filter);
  plan.ApplyTo(&scan);
  const size_t cap = call.services.options.max_summary_snapshot_traces;
  bool sample = request.sampling && request.sampling_strategy == "FixedRate";
  RG_RETURN_IF_ERROR(
      call.services.store->ScanSummaries(call.tenant, scan, [&](const store::SummaryRow& row) {
        if (sample && !KeptBySampling(*row.id, request.sampling_value)) return true;
        SnapshotEntry entry{*row.id, SortTime(request, row.start_time, row.end_time),
                            std::clamp(row.end_time, request.start, request.end)};
        if (below && !NewerFirst(SnapshotEntry{below->id, below->sort_time, 0}, entry)) {
          return true;
        }
        // group.name / group.arn were expanded when compiling.
        if (!plan.Matches(row)) return true;
        snapshot->entries.push_back(entry);
        // Keep memory bounded: past twice the cap, keep only the newest `cap`.
        if (snapshot->entries.size() >= 2 * cap) {
          std::nth_element(snapshot->entries.begin(),
                           snapshot->entries.begin() + static_cast<std::ptrdiff_t>(cap),
                           snapshot->entries.end(), NewerFirst);
          snapshot->entries.resize(cap);
          snapshot->truncated = true;
        }
        return true;
      }));
  if (snapshot->entries.size() > cap) {
    std::nth_element(snapshot->entries.begin(),
                     snapshot->entries.begin() + static_cast<std::ptrdiff_t>(cap),
                     snapshot->entries.end(), NewerFirst);
    snapshot->entries.resize(cap);
    snapshot->truncated = true;
  }
  // Pages are ordered as they are read (SummarySnapshot::EnsureOrdered).
  return snapshot;
}

Result<std::optional<Cursor>> ParseCursorToken(std::string_view token, uint64_t expected_hash) {
  // c1.<hash hex>.<sort micros>.<trace id>
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < 4) {
    size_t dot = token.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(token.substr(start));
      break;
    }
    parts.push_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  uint64_t hash = 0;
  int64_t micros = 0;
  if (parts.size() != 4 ||
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), hash, 16).ec !=
          std::errc() ||
      std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), micros).ec !=
          std::errc()) {
    return InvalidRequest("NextToken is not valid");
  }
  if (hash != expected_hash) {
    return InvalidRequest("NextToken belongs to a request with other parameters");
  }
  auto id = model::TraceId::Parse(parts[3]);
  if (!id) return InvalidRequest("NextToken is not valid");
  return std::optional<Cursor>(Cursor{static_cast<double>(micros) / 1e6, *id});
}

}  // namespace

void GetTraceSummaries(Call call) {
  auto body = ParseBodyObject(call);
  if (!body) return;
  auto request_or = ParseRequest(*body);
  if (!request_or.ok()) {
    call.respond(RestJsonError(400, "InvalidRequestException", request_or.error().message(),
                               call.request_id));
    return;
  }
  const SummariesRequest& request = *request_or;
  // group.name / group.arn expand to the named group's current filter (xray-semantics.md
  // §1.6); without a registry only Default exists.
  query::CompileOptions compile_options;
  if (call.services.groups != nullptr) {
    compile_options = call.services.groups->FilterCompileOptions(call.tenant);
  } else {
    compile_options.group_definition =
        [](query::GroupKey key, std::string_view value) -> std::optional<query::GroupDefinition> {
      if (key == query::GroupKey::kName && value == "Default")
        return query::GroupDefinition{"Default", ""};
      return std::nullopt;
    };
  }
  auto filter = query::Compile(request.filter_expression, compile_options);
  if (!filter.ok()) {
    call.respond(
        RestJsonError(400, "InvalidRequestException", filter.error().message(), call.request_id));
    return;
  }
  uint64_t request_hash = RequestHash(request, call.tenant);
  SummarySnapshots& snapshots = *call.services.summary_snapshots;

  std::shared_ptr<const SummarySnapshot> snapshot;
  std::string snapshot_id;
  size_t offset = 0;
  bool scanned_now = true;  // this call scanned the store (and reports what it processed)
  const std::string& token = request.next_token;
  if (token.rfind("s1.", 0) == 0) {
    size_t dot = token.find('.', 3);
    snapshot_id = token.substr(3, dot == std::string::npos ? std::string::npos : dot - 3);
    std::string_view offset_text =
        dot == std::string::npos ? std::string_view() : std::string_view(token).substr(dot + 1);
    snapshot = snapshots.Get(snapshot_id);
    if (snapshot == nullptr ||
        std::from_chars(offset_text.data(), offset_text.data() + offset_text.size(), offset).ec !=
            std::errc()) {
      call.respond(RestJsonError(400, "InvalidRequestException",
                                 "NextToken is expired or not valid; start again without it",
                                 call.request_id));
      return;
    }
    if (snapshot->request_hash != request_hash || snapshot->tenant != call.tenant) {
      call.respond(RestJsonError(400, "InvalidRequestException",
                                 "NextToken belongs to a request with other parameters",
                                 call.request_id));
      return;
    }
    offset = std::min(offset, snapshot->entries.size());
    scanned_now = false;
  } else {
    std::optional<Cursor> below;
    if (token.rfind("c1.", 0) == 0) {
      auto cursor = ParseCursorToken(token, request_hash);
      if (!cursor.ok()) {
        call.respond(RestJsonError(400, "InvalidRequestException", cursor.error().message(),
                                   call.request_id));
        return;
      }
      below = *cursor;
    } else if (!token.empty()) {
      call.respond(
          RestJsonError(400, "InvalidRequestException", "NextToken is not valid", call.request_id));
      return;
    }
    auto built = BuildSnapshot(call, request, *filter, below);
    if (!built.ok()) {
      call.respond(RestJsonError(built.error(), call.request_id));
      return;
    }
    snapshot = std::move(built).value();
  }

  const size_t page_size = call.services.options.trace_summaries_page_size;
  size_t page_end = std::min(snapshot->entries.size(), offset + page_size);
  snapshot->EnsureOrdered(page_end);
  std::vector<model::TraceId> ids;
  for (size_t idx = offset; idx < page_end; ++idx) ids.push_back(snapshot->entries[idx].id);
  auto records = call.services.store->GetSummaries(call.tenant, ids, /*want_detail=*/true);
  if (!records.ok()) {
    call.respond(RestJsonError(records.error(), call.request_id));
    return;
  }

  std::string next_token;
  if (page_end < snapshot->entries.size()) {
    if (snapshot_id.empty()) snapshot_id = snapshots.Put(snapshot);
    next_token = fmt::format("s1.{}.{}", snapshot_id, page_end);
  } else if (snapshot->truncated && !snapshot->entries.empty()) {
    const SnapshotEntry& last = snapshot->entries.back();
    next_token = fmt::format("c1.{:x}.{}.{}", request_hash, std::llround(last.sort_time * 1e6),
                             last.id.ToString());
  }

  JsonWriter out;
  out.BeginObject();
  out.Key("TraceSummaries");
  out.BeginArray();
  size_t record_idx = 0;
  for (size_t idx = offset; idx < page_end; ++idx) {
    const SnapshotEntry& entry = snapshot->entries[idx];
    // GetSummaries skips traces that left the store (retention) since the snapshot.
    if (record_idx >= records->size() || (*records)[record_idx].summary.id != entry.id) continue;
    const store::SummaryRecord& record = (*records)[record_idx++];
    std::optional<double> matched;
    if (request.kind == store::TimeRangeKind::kEvent) matched = entry.matched_time;
    WriteTraceSummary(record.summary, record.detail, matched, &out);
  }
  out.EndArray();
  out.Key("ApproximateTime");
  // How far back this page reached: the oldest entry on it, or the window's start.
  out.Double(page_end > offset
                 ? std::clamp(snapshot->entries[page_end - 1].sort_time, request.start, request.end)
                 : request.start);
  out.Key("TracesProcessedCount");
  out.Uint(scanned_now ? snapshot->traces_processed : 0);
  if (scanned_now && call.services.traces_scanned) {
    call.services.traces_scanned(call.tenant, snapshot->traces_processed);
  }
  if (!next_token.empty()) {
    out.Key("NextToken");
    out.String(next_token);
  }
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

}  // namespace roentgen::api::internal
