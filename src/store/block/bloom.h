// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace roentgen::store::block {

// A bloom filter over 64-bit key hashes with double hashing, LevelDB style. The encoded form
// is the bit array followed by one byte holding the probe count.
std::string BuildBloom(const std::vector<uint64_t>& hashes, int bits_per_key);
// False only if `hash` was certainly not added. A malformed filter matches everything.
bool BloomMayContain(std::string_view filter, uint64_t hash);

}  // namespace roentgen::store::block
