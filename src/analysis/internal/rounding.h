// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cmath>

namespace roentgen::analysis::internal {

// Response times are published rounded: whole milliseconds below 1 s, three significant
// digits above, so that a minute of a busy service has at most a few thousand distinct values.
inline double RoundResponseTime(double seconds) {
  if (!(seconds > 0)) return 0;
  if (seconds < 1) return std::round(seconds * 1000) / 1000;
  double scale = std::pow(10.0, 2 - std::floor(std::log10(seconds)));
  return std::round(seconds * scale) / scale;
}

}  // namespace roentgen::analysis::internal
