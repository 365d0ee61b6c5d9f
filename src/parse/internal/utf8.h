// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace roentgen::parse::internal {

inline constexpr size_t kNoInvalidUtf8 = static_cast<size_t>(-1);

// Returns the offset of the first byte of `text` that does not start or continue a well-formed
// UTF-8 sequence (overlong forms, surrogates and code points above U+10FFFF are ill-formed), or
// kNoInvalidUtf8 when all of `text` is well-formed.
size_t FindInvalidUtf8(std::string_view text);

// The size of the longest prefix of `text` that is at most `max_bytes` long and does not end in
// the middle of a UTF-8 sequence. REQUIRES: `text` is well-formed UTF-8.
size_t Utf8TruncatedSize(std::string_view text, size_t max_bytes);

// Decodes the code point that starts at text[*pos] and advances *pos past it.
// REQUIRES: `text` is well-formed UTF-8 and *pos < text.size() is at a sequence start.
uint32_t DecodeUtf8(std::string_view text, size_t* pos);

// Appends the UTF-8 form of `code_point`. REQUIRES: code_point <= 0x10FFFF and is not a
// surrogate.
void AppendUtf8(std::string* out, uint32_t code_point);

}  // namespace roentgen::parse::internal
