// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace roentgen {

// Appends the character a one-letter JSON escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`,
// `\t`) stands for and returns true; returns false for any other letter (including `u`,
// which the caller decodes). Shared by every JSON reader of ours.
inline bool AppendSimpleJsonEscape(char escape, std::string* out) {
  switch (escape) {
    case '"':
    case '\\':
    case '/':
      out->push_back(escape);
      return true;
    case 'b':
      out->push_back('\b');
      return true;
    case 'f':
      out->push_back('\f');
      return true;
    case 'n':
      out->push_back('\n');
      return true;
    case 'r':
      out->push_back('\r');
      return true;
    case 't':
      out->push_back('\t');
      return true;
    default:
      return false;
  }
}

}  // namespace roentgen
