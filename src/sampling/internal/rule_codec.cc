// SPDX-License-Identifier: Apache-2.0
#include "sampling/internal/rule_codec.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "base/coding.h"

namespace roentgen::sampling::internal {

using namespace ::roentgen::coding;  // NOLINT(google-build-using-namespace)

namespace {

void PutDouble(std::string* out, double value) { PutFixed64(out, std::bit_cast<uint64_t>(value)); }

bool GetDouble(std::string_view* input, double* value) {
  uint64_t bits = 0;
  if (!GetFixed64(input, &bits)) return false;
  *value = std::bit_cast<double>(bits);
  return true;
}

bool GetString(std::string_view* input, std::string* value) {
  std::string_view view;
  if (!GetLengthPrefixed(input, &view)) return false;
  value->assign(view);
  return true;
}

bool GetInt32(std::string_view* input, int32_t* value) {
  int64_t wide = 0;
  if (!GetVarsint64(input, &wide)) return false;
  if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *value = static_cast<int32_t>(wide);
  return true;
}

}  // namespace

std::string EncodeRule(const SamplingRule& rule) {
  std::string out;
  out.push_back(kRuleFormatVersion);
  for (const std::string* field :
       {&rule.name, &rule.resource_arn, &rule.service_name, &rule.service_type, &rule.host,
        &rule.http_method, &rule.url_path}) {
    PutLengthPrefixed(&out, *field);
  }
  PutVarsint64(&out, rule.priority);
  PutVarsint64(&out, rule.reservoir_size);
  PutVarsint64(&out, rule.version);
  PutDouble(&out, rule.fixed_rate);
  PutDouble(&out, rule.created_at);
  PutDouble(&out, rule.modified_at);
  PutVarint64(&out, rule.attributes.size());
  for (const auto& [key, value] : rule.attributes) {
    PutLengthPrefixed(&out, key);
    PutLengthPrefixed(&out, value);
  }
  return out;
}

Result<SamplingRule> DecodeRule(std::string_view bytes) {
  auto corrupt = [] { return CorruptionError("sampling rule record is malformed"); };
  if (bytes.empty() || bytes[0] != kRuleFormatVersion) {
    return CorruptionError("sampling rule record has an unknown format version");
  }
  bytes.remove_prefix(1);
  SamplingRule rule;
  for (std::string* field : {&rule.name, &rule.resource_arn, &rule.service_name, &rule.service_type,
                             &rule.host, &rule.http_method, &rule.url_path}) {
    if (!GetString(&bytes, field)) return corrupt();
  }
  if (!GetInt32(&bytes, &rule.priority) || !GetVarsint64(&bytes, &rule.reservoir_size) ||
      !GetInt32(&bytes, &rule.version) || !GetDouble(&bytes, &rule.fixed_rate) ||
      !GetDouble(&bytes, &rule.created_at) || !GetDouble(&bytes, &rule.modified_at)) {
    return corrupt();
  }
  // Stored rules were validated: a non-finite number is damage.
  if (!std::isfinite(rule.fixed_rate) || !std::isfinite(rule.created_at) ||
      !std::isfinite(rule.modified_at)) {
    return corrupt();
  }
  uint64_t count = 0;
  if (!GetVarint64(&bytes, &count) || count > bytes.size()) return corrupt();
  for (uint64_t idx = 0; idx < count; ++idx) {
    std::string key;
    std::string value;
    if (!GetString(&bytes, &key) || !GetString(&bytes, &value)) return corrupt();
    // Keys are written in increasing order, each once.
    if (!rule.attributes.empty() && !(rule.attributes.rbegin()->first < key)) return corrupt();
    rule.attributes.emplace(std::move(key), std::move(value));
  }
  if (!bytes.empty()) return corrupt();
  return rule;
}

}  // namespace roentgen::sampling::internal
