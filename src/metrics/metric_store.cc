// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "base/coding.h"
#include "base/logging.h"
#include "base/periodic_thread.h"
#include "base/status_macros.h"
#include "metrics/internal/store_format.h"
#include "metrics/metrics.h"

// The metric store. Each Put turns its datums into per-bucket aggregates, merges them with
// what is stored (read-modify-write under one writer mutex) and writes one synced WriteBatch,
// so a Put is atomic and durable when it returns. A RocksDB merge operator would avoid the
// reads, but the aggregate (with its histogram) would then be merged in RocksDB's own threads
// with no way to report a corrupt operand; at the rates CloudWatch clients send (batches of
// up to 1000 datums) the reads are cheap because the buckets just written are in the memtable.
//
// Data lives in the tier of the resolution it arrived in; RunMaintenance moves buckets older
// than a tier's retention into the next coarser tier, so every sample is in exactly one tier
// and queries simply read all tiers.

namespace roentgen::metrics {
using namespace ::roentgen::coding;  // NOLINT(google-build-using-namespace): .cc only
namespace internal {

std::string EncodeSeriesKey(const MetricId& metric) {
  std::string key;
  PutLengthPrefixed(&key, metric.namespace_name);
  PutLengthPrefixed(&key, metric.metric_name);
  for (const Dimension& dimension : metric.dimensions) {
    PutLengthPrefixed(&key, dimension.name);
    PutLengthPrefixed(&key, dimension.value);
  }
  return key;
}

bool DecodeSeriesKey(std::string_view key, MetricId* metric) {
  std::string_view part;
  if (!GetLengthPrefixed(&key, &part)) return false;
  metric->namespace_name = std::string(part);
  if (!GetLengthPrefixed(&key, &part)) return false;
  metric->metric_name = std::string(part);
  metric->dimensions.clear();
  while (!key.empty()) {
    std::string_view name, value;
    if (!GetLengthPrefixed(&key, &name) || !GetLengthPrefixed(&key, &value)) return false;
    metric->dimensions.push_back({std::string(name), std::string(value)});
  }
  return true;
}

namespace {
void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}
uint64_t GetBigEndian64(const char* data) {
  uint64_t value = 0;
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx)
    value = (value << 8) | static_cast<uint8_t>(data[byte_idx]);
  return value;
}
constexpr uint64_t kBucketOffset = uint64_t{1} << 63;
}  // namespace

std::string DataKey(int tier, uint64_t series_id, int64_t bucket) {
  std::string key(1, kDataPrefix);
  key.push_back(static_cast<char>(tier));
  PutBigEndian64(&key, series_id);
  PutBigEndian64(&key, static_cast<uint64_t>(bucket) + kBucketOffset);
  return key;
}

bool ParseDataKey(std::string_view key, int* tier, uint64_t* series_id, int64_t* bucket) {
  if (key.size() != 18 || key[0] != kDataPrefix) return false;
  *tier = static_cast<uint8_t>(key[1]);
  if (*tier >= kTierCount) return false;
  *series_id = GetBigEndian64(key.data() + 2);
  *bucket = static_cast<int64_t>(GetBigEndian64(key.data() + 10) - kBucketOffset);
  return true;
}

}  // namespace internal

namespace {

using internal::kTierCount;

struct SeriesInfo {
  uint64_t id = 0;
  MetricId metric;
  double last_timestamp = 0;
};

std::string SeriesMapKey(const model::TenantId& tenant, std::string_view series_key) {
  std::string key = tenant;
  key.push_back('\0');
  key += series_key;
  return key;
}

std::string SeriesValue(const SeriesInfo& info) {
  std::string value;
  PutFixed64(&value, info.id);
  PutFixed64(&value, std::bit_cast<uint64_t>(info.last_timestamp));
  return value;
}

Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status();
  if (status.IsCorruption())
    return CorruptionError(fmt::format("metrics: {}: {}", what, status.ToString()));
  return IoError(fmt::format("metrics: {}: {}", what, status.ToString()));
}

int64_t FloorTo(double seconds, int64_t granularity) {
  return static_cast<int64_t>(std::floor(seconds / static_cast<double>(granularity))) * granularity;
}

bool ValidName(std::string_view name, size_t max_length) {
  return !name.empty() && name.size() <= max_length;
}

Status ValidateDatum(const MetricDatum& datum, size_t datum_idx, double now,
                     const MetricStoreOptions& options) {
  std::string field = fmt::format("MetricData.member.{}", datum_idx + 1);
  if (!ValidName(datum.namespace_name, kMaxNameLength))
    return InvalidArgumentError("The parameter Namespace must be 1 to 255 characters long.");
  if (datum.namespace_name[0] == ':')
    return InvalidArgumentError("The parameter Namespace must not start with ':'.");
  if (!ValidName(datum.metric_name, kMaxNameLength))
    return InvalidArgumentError(
        fmt::format("The parameter {}.MetricName must be 1 to 255 characters long.", field));
  if (datum.dimensions.size() > kMaxDimensions)
    return InvalidArgumentError(
        fmt::format("The collection {}.Dimensions must not have a size greater than 30.", field));
  for (size_t dim_idx = 0; dim_idx < datum.dimensions.size(); ++dim_idx) {
    const Dimension& dimension = datum.dimensions[dim_idx];
    if (!ValidName(dimension.name, kMaxNameLength) ||
        !ValidName(dimension.value, kMaxDimensionValueLength))
      return InvalidArgumentError(fmt::format(
          "The parameter {}.Dimensions.member.{} must have a Name of 1 to 255 and a Value of 1 "
          "to 1024 characters.",
          field, dim_idx + 1));
    for (size_t other_idx = 0; other_idx < dim_idx; ++other_idx) {
      if (datum.dimensions[other_idx].name == dimension.name)
        return InvalidArgumentError(fmt::format(
            "The parameter {}.Dimensions contains the name {} twice.", field, dimension.name));
    }
  }
  if (!datum.unit.empty() && !IsStandardUnit(datum.unit))
    return InvalidArgumentError(
        fmt::format("The parameter {}.Unit must be a StandardUnit; got '{}'.", field, datum.unit));
  if (datum.storage_resolution != 1 && datum.storage_resolution != 60)
    return InvalidArgumentError(
        fmt::format("The parameter {}.StorageResolution must be 1 or 60.", field));
  int kinds =
      (datum.value ? 1 : 0) + (datum.values.empty() ? 0 : 1) + (datum.statistic_set ? 1 : 0);
  if (kinds != 1)
    return InvalidArgumentError(fmt::format(
        "The parameters {}.Value, {}.Values and {}.StatisticValues are mutually exclusive and "
        "one of them is required.",
        field, field, field));
  auto bad = [](double v) { return !std::isfinite(v) || std::fabs(v) > 0x1p360; };
  if (datum.value && bad(*datum.value))
    return InvalidArgumentError(fmt::format("The value for parameter {}.Value is invalid.", field));
  if (!datum.counts.empty() && datum.counts.size() != datum.values.size())
    return InvalidArgumentError(fmt::format(
        "The parameters {}.Values and {}.Counts must have the same length.", field, field));
  if (datum.values.size() > kMaxDistinctValues)
    return InvalidArgumentError(
        fmt::format("The collection {}.Values must not have more than 150 values.", field));
  for (double v : datum.values)
    if (bad(v))
      return InvalidArgumentError(
          fmt::format("The value for parameter {}.Values is invalid.", field));
  for (double c : datum.counts)
    if (bad(c) || c < 0)
      return InvalidArgumentError(
          fmt::format("The value for parameter {}.Counts is invalid.", field));
  if (datum.statistic_set) {
    const StatisticSet& s = *datum.statistic_set;
    if (bad(s.sample_count) || bad(s.sum) || bad(s.minimum) || bad(s.maximum) ||
        s.sample_count <= 0 || s.minimum > s.maximum)
      return InvalidArgumentError(fmt::format(
          "The parameter {}.StatisticValues must have SampleCount > 0 and Minimum <= Maximum.",
          field));
  }
  if (!std::isfinite(datum.timestamp) || datum.timestamp < now - options.max_past_seconds ||
      datum.timestamp > now + options.max_future_seconds)
    return InvalidArgumentError(fmt::format(
        "The parameter {}.Timestamp must specify a time no more than two weeks in the past "
        "and no more than two hours in the future.",
        field));
  return Status();
}

Aggregate DatumAggregate(const MetricDatum& datum) {
  Aggregate aggregate;
  aggregate.unit = datum.unit.empty() ? "None" : datum.unit;
  auto add = [&](double value, double count) {
    if (count <= 0) return;
    if (aggregate.sample_count <= 0) {
      aggregate.minimum = value;
      aggregate.maximum = value;
    } else {
      aggregate.minimum = std::min(aggregate.minimum, value);
      aggregate.maximum = std::max(aggregate.maximum, value);
    }
    aggregate.sample_count += count;
    aggregate.sum += value * count;
    aggregate.distribution.Add(value, count);
  };
  if (datum.value) {
    add(*datum.value, 1);
  } else if (datum.statistic_set) {
    aggregate.sample_count = datum.statistic_set->sample_count;
    aggregate.sum = datum.statistic_set->sum;
    aggregate.minimum = datum.statistic_set->minimum;
    aggregate.maximum = datum.statistic_set->maximum;
  } else {
    for (size_t value_idx = 0; value_idx < datum.values.size(); ++value_idx)
      add(datum.values[value_idx], datum.counts.empty() ? 1 : datum.counts[value_idx]);
  }
  return aggregate;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char byte : bytes) {
    auto c = static_cast<unsigned char>(byte);
    out.push_back(kDigits[(c >> 4) & 15]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t pos = 0; pos < hex.size(); pos += 2) {
    int high = nibble(hex[pos]), low = nibble(hex[pos + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high << 4 | low));
  }
  return out;
}

bool MetricLess(const MetricId& a, const MetricId& b) {
  if (a.namespace_name != b.namespace_name) return a.namespace_name < b.namespace_name;
  if (a.metric_name != b.metric_name) return a.metric_name < b.metric_name;
  return std::lexicographical_compare(
      a.dimensions.begin(), a.dimensions.end(), b.dimensions.begin(), b.dimensions.end(),
      [](const Dimension& x, const Dimension& y) {
        return x.name != y.name ? x.name < y.name : x.value < y.value;
      });
}

}  // namespace

struct MetricStore::Impl {
  // Immutable after construction.
  MetricStoreOptions options;
  Clock* clock = nullptr;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;

  // Serializes read-modify-write of buckets (Put, RunMaintenance).
  std::mutex write_mu;

  // Guarded by series_mu. Keyed by SeriesMapKey(tenant, series_key).
  mutable std::mutex series_mu;
  std::map<std::string, SeriesInfo> series;
  std::unordered_map<model::TenantId, size_t> series_per_tenant;
  uint64_t next_id = 1;

  // The background job.
  PeriodicThread job;

  Result<std::optional<Aggregate>> ReadBucket(const std::string& key) {
    std::string value;
    rocksdb::Status status = db->Get(rocksdb::ReadOptions(), key, &value);
    if (status.IsNotFound()) return std::optional<Aggregate>();
    RG_RETURN_IF_ERROR(FromRocks(status, "read bucket"));
    Aggregate aggregate;
    if (!internal::DecodeAggregate(value, &aggregate))
      return CorruptionError("metrics: undecodable bucket");
    return std::optional<Aggregate>(std::move(aggregate));
  }

  std::optional<SeriesInfo> FindSeries(const model::TenantId& tenant,
                                       const MetricId& metric) const {
    MetricId sorted = metric;
    SortDimensions(&sorted.dimensions);
    std::lock_guard lock(series_mu);
    auto it = series.find(SeriesMapKey(tenant, internal::EncodeSeriesKey(sorted)));
    if (it == series.end()) return std::nullopt;
    return it->second;
  }
};

MetricStore::MetricStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricStore::~MetricStore() { Shutdown(); }

Result<std::unique_ptr<MetricStore>> MetricStore::Open(const MetricStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = options.clock != nullptr ? options.clock : &Clock::Real();
  impl->write_options.sync = options.sync_writes;
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.max_open_files = 128;
  db_options.keep_log_file_num = 2;
  db_options.write_buffer_size = 16 << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.dir, &raw);
  if (!status.ok()) return IoError("metrics: open " + options.dir + ": " + status.ToString());
  impl->db.reset(raw);
  // Load the series registry.
  std::string next_id;
  status = impl->db->Get(rocksdb::ReadOptions(), internal::kNextIdKey, &next_id);
  if (status.ok() && next_id.size() == 8) impl->next_id = DecodeFixed64(next_id.data());
  std::unique_ptr<rocksdb::Iterator> it(impl->db->NewIterator(rocksdb::ReadOptions()));
  std::string prefix(1, internal::kSeriesPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view key(it->key().data() + 1, it->key().size() - 1);
    std::string_view value(it->value().data(), it->value().size());
    size_t nul = key.find('\0');
    SeriesInfo info;
    if (nul == std::string_view::npos || value.size() != 16 ||
        !internal::DecodeSeriesKey(key.substr(nul + 1), &info.metric)) {
      RG_LOG(kWarning, "metrics: skipping an undecodable series record");
      continue;
    }
    info.id = DecodeFixed64(value.data());
    info.last_timestamp = std::bit_cast<double>(DecodeFixed64(value.data() + 8));
    impl->next_id = std::max(impl->next_id, info.id + 1);
    ++impl->series_per_tenant[std::string(key.substr(0, nul))];
    impl->series.emplace(std::string(key), std::move(info));
  }
  RG_RETURN_IF_ERROR(FromRocks(it->status(), "load series"));
  return std::unique_ptr<MetricStore>(new MetricStore(std::move(impl)));
}

Status MetricStore::Put(const model::TenantId& tenant, std::span<const MetricDatum> data) {
  Impl& s = *impl_;
  if (data.size() > kMaxDatumsPerPut)
    return InvalidArgumentError(
        "The collection MetricData must not have a size greater than 1000.");
  double now = s.clock->NowUnixSeconds();
  for (size_t datum_idx = 0; datum_idx < data.size(); ++datum_idx)
    RG_RETURN_IF_ERROR(ValidateDatum(data[datum_idx], datum_idx, now, s.options));

  // Per series: the buckets this call touches.
  struct Pending {
    MetricId metric;
    double last_timestamp = 0;
    std::map<std::pair<int, int64_t>, Aggregate> buckets;  // (tier, bucket)
  };
  std::map<std::string, Pending> pending;  // by series key
  for (const MetricDatum& datum : data) {
    MetricId metric{datum.namespace_name, datum.metric_name, datum.dimensions};
    SortDimensions(&metric.dimensions);
    std::string series_key = internal::EncodeSeriesKey(metric);
    Pending& entry = pending[series_key];
    if (entry.metric.metric_name.empty()) entry.metric = std::move(metric);
    entry.last_timestamp = std::max(entry.last_timestamp, datum.timestamp);
    int tier = datum.storage_resolution == 1 ? 0 : 1;
    int64_t bucket = FloorTo(datum.timestamp, internal::TierSeconds(tier));
    entry.buckets[{tier, bucket}].Merge(DatumAggregate(datum));
  }

  std::lock_guard write_lock(s.write_mu);
  rocksdb::WriteBatch batch;
  std::vector<std::pair<std::string, SeriesInfo>> updated;
  uint64_t next_id;
  {
    std::lock_guard lock(s.series_mu);
    next_id = s.next_id;
    size_t new_series = 0;
    for (auto& [series_key, entry] : pending) {
      std::string map_key = SeriesMapKey(tenant, series_key);
      auto it = s.series.find(map_key);
      SeriesInfo info;
      if (it == s.series.end()) {
        ++new_series;
        info.id = next_id++;
        info.metric = entry.metric;
        info.last_timestamp = entry.last_timestamp;
      } else {
        info = it->second;
        if (entry.last_timestamp <= info.last_timestamp) {
          updated.emplace_back(std::move(map_key), std::move(info));
          continue;
        }
        info.last_timestamp = entry.last_timestamp;
      }
      batch.Put(std::string(1, internal::kSeriesPrefix) + map_key, SeriesValue(info));
      updated.emplace_back(std::move(map_key), std::move(info));
    }
    auto count = s.series_per_tenant.find(tenant);
    size_t existing = count == s.series_per_tenant.end() ? 0 : count->second;
    if (existing + new_series > s.options.max_series_per_tenant)
      return ResourceExhaustedError(fmt::format("The account would exceed its limit of {} metrics.",
                                                s.options.max_series_per_tenant));
  }
  if (next_id != s.next_id) {
    std::string value;
    PutFixed64(&value, next_id);
    batch.Put(internal::kNextIdKey, value);
  }
  size_t series_idx = 0;
  for (auto& [series_key, entry] : pending) {
    uint64_t id = updated[series_idx++].second.id;
    for (auto& [tier_bucket, aggregate] : entry.buckets) {
      std::string key = internal::DataKey(tier_bucket.first, id, tier_bucket.second);
      RG_ASSIGN_OR_RETURN(std::optional<Aggregate> stored, s.ReadBucket(key));
      Aggregate merged = stored ? std::move(*stored) : Aggregate();
      merged.Merge(aggregate);
      std::string value;
      internal::EncodeAggregate(merged, &value);
      batch.Put(key, value);
    }
  }
  RG_RETURN_IF_ERROR(FromRocks(s.db->Write(s.write_options, &batch), "write"));
  std::lock_guard lock(s.series_mu);
  for (auto& [map_key, info] : updated) {
    auto [it, inserted] = s.series.insert_or_assign(map_key, info);
    (void)it;
    if (inserted) ++s.series_per_tenant[tenant];
  }
  s.next_id = std::max(s.next_id, next_id);
  return Status();
}

Result<std::vector<Datapoint>> MetricStore::Query(const model::TenantId& tenant,
                                                  const MetricId& metric, double start, double end,
                                                  int64_t period, std::string_view unit) const {
  if (period <= 0) return InvalidArgumentError("The parameter Period must be at least 1.");
  std::optional<SeriesInfo> info = impl_->FindSeries(tenant, metric);
  std::vector<Datapoint> points;
  if (!info) return points;
  int64_t first = FloorTo(start, period);
  std::map<int64_t, Aggregate> periods;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  for (int tier = 0; tier < kTierCount; ++tier) {
    std::string begin = internal::DataKey(
        tier, info->id, FloorTo(static_cast<double>(first), internal::TierSeconds(tier)));
    std::string prefix = begin.substr(0, 10);
    for (it->Seek(begin); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      int key_tier = 0;
      uint64_t series_id = 0;
      int64_t bucket = 0;
      std::string_view key(it->key().data(), it->key().size());
      if (!internal::ParseDataKey(key, &key_tier, &series_id, &bucket)) continue;
      if (static_cast<double>(bucket) >= end) break;
      if (bucket < first) continue;
      Aggregate aggregate;
      if (!internal::DecodeAggregate(std::string_view(it->value().data(), it->value().size()),
                                     &aggregate))
        return CorruptionError("metrics: undecodable bucket");
      if (!unit.empty() && aggregate.unit != unit) continue;
      periods[FloorTo(static_cast<double>(bucket), period)].Merge(aggregate);
    }
    RG_RETURN_IF_ERROR(FromRocks(it->status(), "query"));
  }
  points.reserve(periods.size());
  for (auto& [timestamp, aggregate] : periods)
    points.push_back({static_cast<double>(timestamp), std::move(aggregate)});
  return points;
}

Result<ListMetricsPage> MetricStore::ListMetrics(const model::TenantId& tenant,
                                                 const ListMetricsRequest& request) const {
  const Impl& s = *impl_;
  std::string after;
  if (!request.next_token.empty()) {
    std::optional<std::string> decoded = HexDecode(request.next_token);
    if (!decoded) return InvalidArgumentError("The NextToken is invalid.");
    after = std::move(*decoded);
  }
  double now = s.clock->NowUnixSeconds();
  double active_since = now - (request.recently_active ? 3 * 3600.0 : 14 * 86400.0);
  std::string prefix = tenant;
  prefix.push_back('\0');
  std::vector<std::pair<std::string, MetricId>> matches;
  {
    std::lock_guard lock(s.series_mu);
    for (auto it = s.series.lower_bound(prefix); it != s.series.end(); ++it) {
      if (!std::string_view(it->first).starts_with(prefix)) break;
      const SeriesInfo& info = it->second;
      if (info.last_timestamp < active_since) continue;
      const MetricId& metric = info.metric;
      if (!request.namespace_name.empty() && metric.namespace_name != request.namespace_name)
        continue;
      if (!request.metric_name.empty() && metric.metric_name != request.metric_name) continue;
      bool matched = std::all_of(
          request.dimensions.begin(), request.dimensions.end(),
          [&](const ListMetricsRequest::Filter& filter) {
            return std::any_of(
                metric.dimensions.begin(), metric.dimensions.end(), [&](const Dimension& d) {
                  return d.name == filter.name && (!filter.value || d.value == *filter.value);
                });
          });
      if (matched) matches.emplace_back(it->first.substr(prefix.size()), metric);
    }
  }
  std::sort(matches.begin(), matches.end(),
            [](const auto& a, const auto& b) { return MetricLess(a.second, b.second); });
  ListMetricsPage page;
  size_t begin_idx = 0;
  if (!after.empty()) {
    MetricId last;
    if (!internal::DecodeSeriesKey(after, &last))
      return InvalidArgumentError("The NextToken is invalid.");
    while (begin_idx < matches.size() && !MetricLess(last, matches[begin_idx].second)) ++begin_idx;
  }
  size_t page_size = std::max<size_t>(1, request.page_size);
  for (size_t match_idx = begin_idx; match_idx < matches.size(); ++match_idx) {
    if (page.metrics.size() == page_size) {
      page.next_token = HexEncode(matches[match_idx - 1].first);
      break;
    }
    page.metrics.push_back(matches[match_idx].second);
  }
  return page;
}

size_t MetricStore::SeriesCount(const model::TenantId& tenant) const {
  std::lock_guard lock(impl_->series_mu);
  auto it = impl_->series_per_tenant.find(tenant);
  return it == impl_->series_per_tenant.end() ? 0 : it->second;
}

Status MetricStore::RunMaintenance(double now) {
  Impl& s = *impl_;
  std::lock_guard write_lock(s.write_mu);
  for (int tier = 0; tier < kTierCount; ++tier) {
    int64_t cutoff = static_cast<int64_t>(std::floor(now)) - internal::TierRetention(tier);
    bool last_tier = tier + 1 == kTierCount;
    std::map<std::string, Aggregate> rolled;  // target key -> aggregate to add
    rocksdb::WriteBatch batch;
    size_t moved = 0;
    std::string prefix{internal::kDataPrefix, static_cast<char>(tier)};
    std::unique_ptr<rocksdb::Iterator> it(s.db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      int key_tier = 0;
      uint64_t series_id = 0;
      int64_t bucket = 0;
      std::string_view key(it->key().data(), it->key().size());
      if (!internal::ParseDataKey(key, &key_tier, &series_id, &bucket)) continue;
      if (bucket >= cutoff) continue;
      batch.Delete(it->key());
      ++moved;
      if (last_tier) continue;
      Aggregate aggregate;
      if (!internal::DecodeAggregate(std::string_view(it->value().data(), it->value().size()),
                                     &aggregate)) {
        RG_LOG(kWarning, "metrics: dropping an undecodable bucket during rollup");
        continue;
      }
      int64_t target = FloorTo(static_cast<double>(bucket), internal::TierSeconds(tier + 1));
      rolled[internal::DataKey(tier + 1, series_id, target)].Merge(aggregate);
    }
    RG_RETURN_IF_ERROR(FromRocks(it->status(), "maintenance scan"));
    if (moved == 0) continue;
    for (auto& [key, aggregate] : rolled) {
      RG_ASSIGN_OR_RETURN(std::optional<Aggregate> stored, s.ReadBucket(key));
      Aggregate merged = stored ? std::move(*stored) : Aggregate();
      merged.Merge(aggregate);
      std::string value;
      internal::EncodeAggregate(merged, &value);
      batch.Put(key, value);
    }
    RG_RETURN_IF_ERROR(FromRocks(s.db->Write(s.write_options, &batch), "maintenance write"));
    RG_LOG(kDebug, "metrics: tier {} moved {} buckets", tier, moved);
  }
  return Status();
}

void MetricStore::Start() {
  Impl& s = *impl_;
  // Ticks every second and runs when the injected clock says the period has passed.
  s.job.Start(
      std::chrono::seconds(1),
      [&s, this, last_run = 0.0]() mutable {
        double now = s.clock->NowUnixSeconds();
        if (now - last_run < s.options.maintenance_interval_seconds) return;
        last_run = now;
        Status status = RunMaintenance(now);
        if (!status.ok()) RG_LOG(kWarning, "metrics: maintenance: {}", status.message());
      },
      PeriodicThread::FirstTick::kImmediately);
}

void MetricStore::Shutdown() { impl_->job.Stop(); }

}  // namespace roentgen::metrics
