// SPDX-License-Identifier: Apache-2.0
#pragma once

// The catalog records of the groups component (groups.h lists the keys). Binary, with the
// varint and length-prefixed encodings of base/coding.h, each opening with a format byte so
// that a later version can change the layout:
//
//   group record (kind "group"):
//     u8       format = 1
//     varint32 id                         (0 = the Default group)
//     lp       name
//     lp       ARN
//     u8       flags                      (bit 0 InsightsEnabled, bit 1 NotificationsEnabled)
//     varsint  created_unix_nanos
//     varint32 version count (>= 1), then per version, oldest first:
//       varint32 version, varsint created_unix_nanos, lp expression
//
//   id sequence (kind "group_seq", name "next_id"):
//     u8 format = 1, varint32 next id
//
//   tag list (kind "tags", name = resource ARN; shared with other tagged resources):
//     u8 format = 1, varint32 count, then per tag: lp key, lp value
//
// lp = varint32 length + bytes. Decoders reject truncated input, trailing bytes and unknown
// format bytes with Corruption naming the record.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "groups/groups.h"

namespace roentgen::groups::internal {

inline constexpr uint8_t kRecordFormat = 1;

// The fields of a group record (the compiled filter and tags are not part of it).
struct GroupRecord {
  uint32_t id = 0;
  std::string name;
  std::string arn;
  InsightsConfiguration insights;
  int64_t created_unix_nanos = 0;
  std::vector<FilterVersion> versions;
  bool operator==(const GroupRecord&) const = default;
};

std::string EncodeGroupRecord(const GroupRecord& record);
Result<GroupRecord> DecodeGroupRecord(std::string_view encoded);

std::string EncodeNextId(uint32_t next_id);
Result<uint32_t> DecodeNextId(std::string_view encoded);

std::string EncodeTags(const std::vector<Tag>& tags);
Result<std::vector<Tag>> DecodeTags(std::string_view encoded);

// The catalog name of a group record: the id as 10 decimal digits, so names sort by id.
std::string GroupKey(uint32_t id);

}  // namespace roentgen::groups::internal
