// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string_view>

namespace roentgen::parse::internal {

// X-Ray's rule for segment and subsegment names: 1 to 200 characters (code points) from
// Unicode letters, digits, whitespace and `_ . : / % & # = + \ - @`.
inline constexpr size_t kMaxNameCodePoints = 200;

// Why a name was rejected.
enum class NameProblem { kNone, kEmpty, kTooLong, kForbiddenCharacter };

// Checks `name` against the rule above. REQUIRES: `name` is well-formed UTF-8.
// ASCII follows the rule exactly. For other code points we have no Unicode category tables, so
// "letter or digit or whitespace" is approximated by rejecting the blocks that hold no letters
// or digits: C1 controls, Latin-1 punctuation and symbols, general punctuation and format
// characters, currency, arrows, mathematical and technical symbols, box drawing, shapes,
// dingbats, CJK punctuation, fullwidth ASCII punctuation, private use, specials, emoji and
// tags. Everything else (letters of all scripts, combining marks, CJK, ...) is accepted.
// On kForbiddenCharacter sets *bad_offset (when non-null) to the byte offset of the culprit.
NameProblem CheckEntityName(std::string_view name, size_t* bad_offset);

}  // namespace roentgen::parse::internal
