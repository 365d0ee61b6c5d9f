// SPDX-License-Identifier: Apache-2.0
#include "parse/internal/name_rules.h"

#include <array>
#include <cstdint>

#include "parse/internal/utf8.h"

namespace roentgen::parse::internal {
namespace {

struct CodePointRange {
  uint32_t first;
  uint32_t last;
};

// Non-ASCII code points that are neither letters, digits nor whitespace (sorted, disjoint).
// Coarse on purpose: whole punctuation/symbol blocks, with the few letters and digits inside
// Latin-1 (ª ² ³ µ ¹ º ¼ ½ ¾) and CJK Symbols (々 〆 〇 and the Hangzhou numerals) kept.
constexpr CodePointRange kRejected[] = {
    {0x0080, 0x009F},     // C1 controls
    {0x00A1, 0x00A9},     // ¡ … ©
    {0x00AB, 0x00B1},     // « … ±
    {0x00B4, 0x00B4},     // ´
    {0x00B6, 0x00B8},     // ¶ · ¸
    {0x00BB, 0x00BB},     // »
    {0x00BF, 0x00BF},     // ¿
    {0x00D7, 0x00D7},     // ×
    {0x00F7, 0x00F7},     // ÷
    {0x200B, 0x200F},     // zero-width and direction marks
    {0x2010, 0x2027},     // dashes, quotes, bullets, ellipsis
    {0x202A, 0x202E},     // embedding controls
    {0x2030, 0x205E},     // per mille, primes, misc punctuation
    {0x2060, 0x206F},     // invisible format characters
    {0x20A0, 0x20FF},     // currency, combining marks for symbols
    {0x2190, 0x245F},     // arrows, math operators, misc technical, control pictures, OCR
    {0x2500, 0x2BFF},     // box drawing … misc symbols and arrows (incl. dingbats, braille)
    {0x2E00, 0x2E7F},     // supplemental punctuation
    {0x3001, 0x3004},     // CJK punctuation
    {0x3008, 0x3020},     // CJK brackets and marks
    {0x3030, 0x3030},     // wavy dash
    {0xE000, 0xF8FF},     // private use
    {0xFE10, 0xFE1F},     // vertical forms
    {0xFE30, 0xFE6F},     // CJK compatibility and small form variants
    {0xFEFF, 0xFEFF},     // byte order mark
    {0xFF01, 0xFF0F},     // fullwidth ! … /
    {0xFF1A, 0xFF20},     // fullwidth : … @
    {0xFF3B, 0xFF40},     // fullwidth [ … `
    {0xFF5B, 0xFF65},     // fullwidth { … halfwidth punctuation
    {0xFFF0, 0xFFFF},     // specials
    {0x1F000, 0x1FAFF},   // mahjong, cards, enclosed supplements, emoji, pictographs
    {0xE0000, 0xE007F},   // tags
    {0xF0000, 0x10FFFF},  // supplementary private use
};

bool IsRejected(uint32_t code_point) {
  for (const CodePointRange& range : kRejected) {
    if (code_point < range.first) return false;  // sorted
    if (code_point <= range.last) return true;
  }
  return false;
}

// Allowed ASCII bytes: letters, digits, whitespace and _ . : / % & # = + \ - @.
constexpr std::array<bool, 128> kAllowedAscii = [] {
  std::array<bool, 128> table{};
  for (char ch = 'a'; ch <= 'z'; ++ch) table[static_cast<size_t>(ch)] = true;
  for (char ch = 'A'; ch <= 'Z'; ++ch) table[static_cast<size_t>(ch)] = true;
  for (char ch = '0'; ch <= '9'; ++ch) table[static_cast<size_t>(ch)] = true;
  for (char ch : std::string_view(" \t\n\v\f\r_.:/%&#=+\\-@"))
    table[static_cast<size_t>(ch)] = true;
  return table;
}();

}  // namespace

NameProblem CheckEntityName(std::string_view name, size_t* bad_offset) {
  if (name.empty()) return NameProblem::kEmpty;
  // Fast path: short ASCII names, by far the common case.
  if (name.size() <= kMaxNameCodePoints) {
    size_t pos = 0;
    while (pos < name.size()) {
      const auto byte = static_cast<unsigned char>(name[pos]);
      if (byte >= 0x80 || !kAllowedAscii[byte]) break;
      ++pos;
    }
    if (pos == name.size()) return NameProblem::kNone;
  }
  size_t code_points = 0;
  size_t pos = 0;
  while (pos < name.size()) {
    const size_t start = pos;
    const auto byte = static_cast<unsigned char>(name[pos]);
    bool allowed;
    if (byte < 0x80) {
      allowed = kAllowedAscii[byte];
      ++pos;
    } else {
      allowed = !IsRejected(DecodeUtf8(name, &pos));
    }
    if (!allowed) {
      if (bad_offset != nullptr) *bad_offset = start;
      return NameProblem::kForbiddenCharacter;
    }
    if (++code_points > kMaxNameCodePoints) return NameProblem::kTooLong;
  }
  return NameProblem::kNone;
}

}  // namespace roentgen::parse::internal
