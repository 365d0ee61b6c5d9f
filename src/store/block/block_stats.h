// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace roentgen::store::block {

// What a block's footer says about its rows; used to prune reads without opening sections.
struct BlockStats {
  uint64_t block_seq = 0;
  uint32_t row_count = 0;
  uint64_t doc_count = 0;
  uint64_t raw_doc_bytes = 0;
  double min_start = 0;  // seconds
  double max_start = 0;
  double min_end = 0;
  double max_end = 0;
  int64_t min_arrival_nanos = 0;
  int64_t max_arrival_nanos = 0;
  uint32_t min_trace_epoch = 0;  // the epoch part of the trace ids
  uint32_t max_trace_epoch = 0;
};

}  // namespace roentgen::store::block
