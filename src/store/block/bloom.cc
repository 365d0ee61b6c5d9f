// SPDX-License-Identifier: Apache-2.0
#include "store/block/bloom.h"

#include <algorithm>

namespace roentgen::store::block {

std::string BuildBloom(const std::vector<uint64_t>& hashes, int bits_per_key) {
  size_t bits = std::max<size_t>(64, hashes.size() * static_cast<size_t>(bits_per_key));
  size_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  // k = ln 2 * bits per key, clamped as LevelDB does.
  int probes = std::clamp(static_cast<int>(bits_per_key * 69 / 100), 1, 30);
  std::string filter(bytes, '\0');
  for (uint64_t hash : hashes) {
    uint64_t delta = (hash >> 33) | (hash << 31);
    for (int probe = 0; probe < probes; ++probe) {
      size_t bit = hash % bits;
      filter[bit / 8] = static_cast<char>(filter[bit / 8] | (1 << (bit % 8)));
      hash += delta;
    }
  }
  filter.push_back(static_cast<char>(probes));
  return filter;
}

bool BloomMayContain(std::string_view filter, uint64_t hash) {
  if (filter.size() < 2) return true;
  int probes = static_cast<uint8_t>(filter.back());
  if (probes < 1 || probes > 30) return true;
  size_t bits = (filter.size() - 1) * 8;
  uint64_t delta = (hash >> 33) | (hash << 31);
  for (int probe = 0; probe < probes; ++probe) {
    size_t bit = hash % bits;
    if ((static_cast<uint8_t>(filter[bit / 8]) & (1 << (bit % 8))) == 0) return false;
    hash += delta;
  }
  return true;
}

}  // namespace roentgen::store::block
