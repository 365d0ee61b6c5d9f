// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "model/trace_summary.h"

namespace roentgen::store::block {

// Binary encoding of a TraceSummary, versioned by a leading byte (docs/format/block.md).
void EncodeSummary(const model::TraceSummary& summary, std::string* out);
// Returns false on malformed input (never reads past `input`).
bool DecodeSummary(std::string_view input, model::TraceSummary* summary);

}  // namespace roentgen::store::block
