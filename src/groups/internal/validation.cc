// SPDX-License-Identifier: Apache-2.0
#include "groups/internal/validation.h"

#include <set>

#include <fmt/format.h>

namespace roentgen::groups::internal {
namespace {

// Counts the code points of valid UTF-8; false for invalid UTF-8.
bool CountCodePoints(std::string_view text, size_t* count) {
  size_t points = 0;
  for (size_t idx = 0; idx < text.size();) {
    auto byte = static_cast<unsigned char>(text[idx]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xe  ? 3
                    : (byte >> 3) == 0x1e ? 4
                                          : 0;
    if (length == 0 || idx + length > text.size()) return false;
    for (size_t more = 1; more < length; ++more) {
      if ((static_cast<unsigned char>(text[idx + more]) & 0xc0) != 0x80) return false;
    }
    idx += length;
    ++points;
  }
  *count = points;
  return true;
}

bool IsAllowedTagByte(unsigned char byte) {
  if (byte >= 0x80) return true;  // part of a non-ASCII (letter) code point
  if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9'))
    return true;
  switch (byte) {
    case ' ':
    case '_':
    case '.':
    case ':':
    case '/':
    case '=':
    case '+':
    case '-':
    case '@':
      return true;
    default:
      return false;
  }
}

Status ValidateTagText(std::string_view what, std::string_view text, size_t min, size_t max) {
  size_t length = 0;
  if (!CountCodePoints(text, &length)) {
    return InvalidArgumentError(fmt::format("Tag {} is not valid UTF-8", what));
  }
  if (length < min || length > max) {
    return InvalidArgumentError(
        fmt::format("Tag {} \"{}\" must be {} to {} characters long", what, text, min, max));
  }
  for (char ch : text) {
    if (!IsAllowedTagByte(static_cast<unsigned char>(ch))) {
      return InvalidArgumentError(
          fmt::format("Tag {} \"{}\" may contain only letters, digits, spaces and _ . : / = + - @",
                      what, text));
    }
  }
  return Status();
}

}  // namespace

Status ValidateTagKey(std::string_view key) {
  Status status = ValidateTagText("key", key, 1, kMaxTagKeyLength);
  if (!status.ok()) return status;
  if (key.size() >= 4 && (key[0] == 'a' || key[0] == 'A') && (key[1] == 'w' || key[1] == 'W') &&
      (key[2] == 's' || key[2] == 'S') && key[3] == ':') {
    return InvalidArgumentError(
        fmt::format("Tag key \"{}\": keys beginning with \"aws:\" are reserved", key));
  }
  return Status();
}

Status ValidateTagValue(std::string_view value) {
  return ValidateTagText("value", value, 0, kMaxTagValueLength);
}

Status ValidateTags(std::span<const Tag> tags) {
  if (tags.size() > kMaxTagsPerRequest) {
    return InvalidArgumentError(
        fmt::format("at most {} tags may be given in one request", kMaxTagsPerRequest));
  }
  std::set<std::string_view> seen;
  for (const Tag& tag : tags) {
    Status status = ValidateTagKey(tag.key);
    if (!status.ok()) return status;
    status = ValidateTagValue(tag.value);
    if (!status.ok()) return status;
    if (!seen.insert(tag.key).second) {
      return InvalidArgumentError(fmt::format("Tag key \"{}\" is given more than once", tag.key));
    }
  }
  return Status();
}

Status ValidateTagKeys(std::span<const std::string> keys) {
  if (keys.size() > kMaxTagsPerRequest) {
    return InvalidArgumentError(
        fmt::format("at most {} tag keys may be given in one request", kMaxTagsPerRequest));
  }
  for (const std::string& key : keys) {
    Status status = ValidateTagKey(key);
    if (!status.ok()) return status;
  }
  return Status();
}

Status ValidateInsights(const InsightsConfiguration& insights) {
  if (insights.notifications_enabled && !insights.insights_enabled) {
    return InvalidArgumentError(
        "InsightsConfiguration: NotificationsEnabled requires InsightsEnabled");
  }
  return Status();
}

}  // namespace roentgen::groups::internal
