// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "base/coding.h"
#include "metrics/metrics.h"

// The per-bucket aggregate and its histogram. The histogram is DDSketch's log-linear bucketing
// (Masson et al., 2019) without its bucket-collapsing: per-bucket counts are doubles so that
// Values/Counts pairs merge exactly, and buckets are sparse (a 1-min bucket of latencies
// typically touches a few dozen). The rejected alternative, HDR-style fixed linear
// sub-buckets, needs a value range fixed in advance, which CloudWatch data does not have.

namespace roentgen::metrics {
using namespace ::roentgen::coding;  // NOLINT(google-build-using-namespace): .cc only
namespace {

constexpr double kRelativeAccuracy = 0.01;
const double kGamma = (1 + kRelativeAccuracy) / (1 - kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
// Magnitudes below this count as zero (CloudWatch rejects values below 2^-360 anyway).
constexpr double kMinMagnitude = 1e-100;

int32_t BucketIndex(double magnitude) {
  return static_cast<int32_t>(std::ceil(std::log(magnitude) / kLogGamma));
}

double BucketValue(int32_t index) { return 2 * std::pow(kGamma, index) / (kGamma + 1); }

void PutDouble(std::string* out, double value) { PutFixed64(out, std::bit_cast<uint64_t>(value)); }

bool GetDouble(std::string_view* input, double* value) {
  uint64_t bits = 0;
  if (!GetFixed64(input, &bits)) return false;
  *value = std::bit_cast<double>(bits);
  return true;
}

void EncodeBuckets(std::string* out, const std::map<int32_t, double>& buckets) {
  PutVarint64(out, buckets.size());
  for (const auto& [index, count] : buckets) {
    PutVarsint64(out, index);
    PutDouble(out, count);
  }
}

bool DecodeBuckets(std::string_view* input, std::map<int32_t, double>* buckets) {
  uint64_t size = 0;
  if (!GetVarint64(input, &size) || size > input->size()) return false;
  for (uint64_t bucket_idx = 0; bucket_idx < size; ++bucket_idx) {
    int64_t index = 0;
    double count = 0;
    if (!GetVarsint64(input, &index) || !GetDouble(input, &count)) return false;
    if (index < std::numeric_limits<int32_t>::min() || index > std::numeric_limits<int32_t>::max())
      return false;
    (*buckets)[static_cast<int32_t>(index)] += count;
  }
  return true;
}

constexpr std::array<std::string_view, 27> kStandardUnits = {"Seconds",
                                                             "Microseconds",
                                                             "Milliseconds",
                                                             "Bytes",
                                                             "Kilobytes",
                                                             "Megabytes",
                                                             "Gigabytes",
                                                             "Terabytes",
                                                             "Bits",
                                                             "Kilobits",
                                                             "Megabits",
                                                             "Gigabits",
                                                             "Terabits",
                                                             "Percent",
                                                             "Count",
                                                             "Bytes/Second",
                                                             "Kilobytes/Second",
                                                             "Megabytes/Second",
                                                             "Gigabytes/Second",
                                                             "Terabytes/Second",
                                                             "Bits/Second",
                                                             "Kilobits/Second",
                                                             "Megabits/Second",
                                                             "Gigabits/Second",
                                                             "Terabits/Second",
                                                             "Count/Second",
                                                             "None"};

// The percentile of "pNN" / "pNN.NN" as a fraction, or nullopt.
std::optional<double> ParsePercentile(std::string_view statistic) {
  if (statistic.size() < 2 || statistic[0] != 'p') return std::nullopt;
  std::string_view digits = statistic.substr(1);
  size_t dot = digits.find('.');
  std::string_view whole = digits.substr(0, dot);
  if (whole.empty() || whole.size() > 3) return std::nullopt;
  if (dot != std::string_view::npos) {
    std::string_view fraction = digits.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 10) return std::nullopt;
    for (char c : fraction)
      if (c < '0' || c > '9') return std::nullopt;
  }
  for (char c : whole)
    if (c < '0' || c > '9') return std::nullopt;
  double percent = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), percent);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  if (percent < 0 || percent > 100) return std::nullopt;
  return percent / 100;
}

}  // namespace

bool IsStandardUnit(std::string_view unit) {
  return std::find(kStandardUnits.begin(), kStandardUnits.end(), unit) != kStandardUnits.end();
}

void SortDimensions(std::vector<Dimension>* dimensions) {
  std::sort(dimensions->begin(), dimensions->end(), [](const Dimension& a, const Dimension& b) {
    return a.name != b.name ? a.name < b.name : a.value < b.value;
  });
}

bool IsStandardStatistic(std::string_view statistic) {
  return statistic == "SampleCount" || statistic == "Average" || statistic == "Sum" ||
         statistic == "Minimum" || statistic == "Maximum";
}

bool IsExtendedStatistic(std::string_view statistic) {
  return ParsePercentile(statistic).has_value();
}

void Distribution::Add(double value, double count) {
  if (!(count > 0) || !std::isfinite(value)) return;
  total_ += count;
  double magnitude = std::fabs(value);
  if (magnitude < kMinMagnitude) {
    zero_ += count;
  } else if (value > 0) {
    positive_[BucketIndex(magnitude)] += count;
  } else {
    negative_[BucketIndex(magnitude)] += count;
  }
}

void Distribution::Merge(const Distribution& other) {
  for (const auto& [index, count] : other.positive_) positive_[index] += count;
  for (const auto& [index, count] : other.negative_) negative_[index] += count;
  zero_ += other.zero_;
  total_ += other.total_;
}

std::optional<double> Distribution::Quantile(double q, double minimum, double maximum) const {
  if (empty()) return std::nullopt;
  if (q <= 0) return minimum;
  if (q >= 1) return maximum;
  // The rank of the wanted sample, 0-based as in DDSketch: q * (n - 1).
  double rank = q * (total_ - 1);
  double seen = 0;
  std::optional<double> found;
  // Most negative first: the largest magnitudes of negative_.
  for (auto it = negative_.rbegin(); it != negative_.rend() && !found; ++it) {
    seen += it->second;
    if (seen > rank) found = -BucketValue(it->first);
  }
  if (!found) {
    seen += zero_;
    if (zero_ > 0 && seen > rank) found = 0.0;
  }
  for (auto it = positive_.begin(); it != positive_.end() && !found; ++it) {
    seen += it->second;
    if (seen > rank) found = BucketValue(it->first);
  }
  if (!found) found = maximum;
  return std::clamp(*found, minimum, maximum);
}

void Distribution::EncodeTo(std::string* out) const {
  EncodeBuckets(out, positive_);
  EncodeBuckets(out, negative_);
  PutDouble(out, zero_);
}

bool Distribution::DecodeFrom(std::string_view* input) {
  positive_.clear();
  negative_.clear();
  if (!DecodeBuckets(input, &positive_) || !DecodeBuckets(input, &negative_) ||
      !GetDouble(input, &zero_))
    return false;
  total_ = zero_;
  for (const auto& [index, count] : positive_) total_ += count;
  for (const auto& [index, count] : negative_) total_ += count;
  return true;
}

void Aggregate::Merge(const Aggregate& other) {
  if (other.sample_count <= 0) return;
  if (sample_count <= 0) {
    minimum = other.minimum;
    maximum = other.maximum;
  } else {
    minimum = std::min(minimum, other.minimum);
    maximum = std::max(maximum, other.maximum);
  }
  sample_count += other.sample_count;
  sum += other.sum;
  distribution.Merge(other.distribution);
  if (!other.unit.empty()) unit = other.unit;
}

std::optional<double> Aggregate::Statistic(std::string_view statistic) const {
  if (sample_count <= 0) return std::nullopt;
  if (statistic == "SampleCount") return sample_count;
  if (statistic == "Sum") return sum;
  if (statistic == "Average") return sum / sample_count;
  if (statistic == "Minimum") return minimum;
  if (statistic == "Maximum") return maximum;
  std::optional<double> q = ParsePercentile(statistic);
  if (!q) return std::nullopt;
  return distribution.Quantile(*q, minimum, maximum);
}

namespace internal {

void EncodeAggregate(const Aggregate& aggregate, std::string* out) {
  PutDouble(out, aggregate.sample_count);
  PutDouble(out, aggregate.sum);
  PutDouble(out, aggregate.minimum);
  PutDouble(out, aggregate.maximum);
  PutLengthPrefixed(out, aggregate.unit);
  aggregate.distribution.EncodeTo(out);
}

bool DecodeAggregate(std::string_view input, Aggregate* aggregate) {
  std::string_view unit;
  if (!GetDouble(&input, &aggregate->sample_count) || !GetDouble(&input, &aggregate->sum) ||
      !GetDouble(&input, &aggregate->minimum) || !GetDouble(&input, &aggregate->maximum) ||
      !GetLengthPrefixed(&input, &unit))
    return false;
  aggregate->unit = std::string(unit);
  return aggregate->distribution.DecodeFrom(&input) && input.empty();
}

}  // namespace internal
}  // namespace roentgen::metrics
