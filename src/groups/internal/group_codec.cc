// SPDX-License-Identifier: Apache-2.0
#include "groups/internal/group_codec.h"

#include <fmt/format.h>

#include "base/coding.h"

namespace roentgen::groups::internal {
namespace {

constexpr uint8_t kInsightsEnabledBit = 1;
constexpr uint8_t kNotificationsEnabledBit = 2;

Status Truncated(std::string_view what) {
  return CorruptionError(fmt::format("groups: truncated or malformed {} record", what));
}

bool GetFormat(std::string_view* input) {
  if (input->empty() || static_cast<uint8_t>(input->front()) != kRecordFormat) return false;
  input->remove_prefix(1);
  return true;
}

bool GetString(std::string_view* input, std::string* out) {
  std::string_view value;
  if (!coding::GetLengthPrefixed(input, &value)) return false;
  out->assign(value);
  return true;
}

}  // namespace

std::string EncodeGroupRecord(const GroupRecord& record) {
  std::string out;
  out.push_back(static_cast<char>(kRecordFormat));
  coding::PutVarint32(&out, record.id);
  coding::PutLengthPrefixed(&out, record.name);
  coding::PutLengthPrefixed(&out, record.arn);
  uint8_t flags = 0;
  if (record.insights.insights_enabled) flags |= kInsightsEnabledBit;
  if (record.insights.notifications_enabled) flags |= kNotificationsEnabledBit;
  out.push_back(static_cast<char>(flags));
  coding::PutVarsint64(&out, record.created_unix_nanos);
  coding::PutVarint32(&out, static_cast<uint32_t>(record.versions.size()));
  for (const FilterVersion& version : record.versions) {
    coding::PutVarint32(&out, version.version);
    coding::PutVarsint64(&out, version.created_unix_nanos);
    coding::PutLengthPrefixed(&out, version.expression);
  }
  return out;
}

Result<GroupRecord> DecodeGroupRecord(std::string_view input) {
  GroupRecord record;
  if (!GetFormat(&input)) return CorruptionError("groups: unknown group record format");
  if (!coding::GetVarint32(&input, &record.id) || !GetString(&input, &record.name) ||
      !GetString(&input, &record.arn) || input.empty()) {
    return Truncated("group");
  }
  auto flags = static_cast<uint8_t>(input.front());
  input.remove_prefix(1);
  if ((flags & ~(kInsightsEnabledBit | kNotificationsEnabledBit)) != 0) return Truncated("group");
  record.insights.insights_enabled = (flags & kInsightsEnabledBit) != 0;
  record.insights.notifications_enabled = (flags & kNotificationsEnabledBit) != 0;
  uint32_t count = 0;
  if (!coding::GetVarsint64(&input, &record.created_unix_nanos) ||
      !coding::GetVarint32(&input, &count) || count == 0) {
    return Truncated("group");
  }
  // Each version takes at least 3 bytes: bound the reservation by the input.
  if (count > input.size() / 3 + 1) return Truncated("group");
  record.versions.reserve(count);
  for (uint32_t idx = 0; idx < count; ++idx) {
    FilterVersion version;
    if (!coding::GetVarint32(&input, &version.version) ||
        !coding::GetVarsint64(&input, &version.created_unix_nanos) ||
        !GetString(&input, &version.expression)) {
      return Truncated("group");
    }
    record.versions.push_back(std::move(version));
  }
  if (!input.empty()) return Truncated("group");
  return record;
}

std::string EncodeNextId(uint32_t next_id) {
  std::string out;
  out.push_back(static_cast<char>(kRecordFormat));
  coding::PutVarint32(&out, next_id);
  return out;
}

Result<uint32_t> DecodeNextId(std::string_view input) {
  uint32_t next_id = 0;
  if (!GetFormat(&input) || !coding::GetVarint32(&input, &next_id) || !input.empty()) {
    return Truncated("group_seq");
  }
  return next_id;
}

std::string EncodeTags(const std::vector<Tag>& tags) {
  std::string out;
  out.push_back(static_cast<char>(kRecordFormat));
  coding::PutVarint32(&out, static_cast<uint32_t>(tags.size()));
  for (const Tag& tag : tags) {
    coding::PutLengthPrefixed(&out, tag.key);
    coding::PutLengthPrefixed(&out, tag.value);
  }
  return out;
}

Result<std::vector<Tag>> DecodeTags(std::string_view input) {
  uint32_t count = 0;
  if (!GetFormat(&input) || !coding::GetVarint32(&input, &count) || count > input.size() / 2) {
    return Truncated("tags");
  }
  std::vector<Tag> tags(count);
  for (Tag& tag : tags) {
    if (!GetString(&input, &tag.key) || !GetString(&input, &tag.value)) return Truncated("tags");
  }
  if (!input.empty()) return Truncated("tags");
  return tags;
}

std::string GroupKey(uint32_t id) { return fmt::format("{:010}", id); }

}  // namespace roentgen::groups::internal
