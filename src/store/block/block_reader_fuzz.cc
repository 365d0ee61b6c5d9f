// SPDX-License-Identifier: Apache-2.0
// Feeds arbitrary bytes to BlockReader as a block file. Property: no crash, no unbounded
// allocation; every failure is a Corruption status.
#include <cstdint>
#include <string>

#include "store/block/block_reader.h"
#include "store/file_system.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace roentgen::store;  // NOLINT(google-build-using-namespace): fuzz entry point
  auto fs = NewMemFileSystem();
  {
    auto file = fs->NewWritableFile("/f.blk").value();
    (void)file->Append(std::string_view(reinterpret_cast<const char*>(data), size));
    (void)file->Close();
  }
  auto reader = block::BlockReader::Open(fs->NewRandomAccessFile("/f.blk").value(), "/f.blk");
  if (!reader.ok()) return 0;
  auto columns = (*reader)->Columns();
  uint32_t rows = (*reader)->stats().row_count;
  for (uint32_t row = 0; row < rows && row < 64 && columns.ok(); ++row) {
    (void)(*reader)->ReadDocuments(row);
    (void)(*reader)->ReadSummary(row);
    if (auto payload = (*reader)->Payload(); payload.ok()) {
      (void)block::BlockReader::EncodedDetail(**payload, row);
    }
    const block::BlockColumns& c = **columns;
    if (!c.service_offsets.empty()) (void)c.service_codes_of(row);
    if (!c.annotation_offsets.empty()) (void)c.annotation_codes_of(row);
    if (!c.response_times.empty()) (void)c.response_times[row];
    if (row < (*columns)->trace_ids.size()) (void)(*reader)->FindRows((*columns)->trace_ids[row]);
  }
  (void)(*reader)->Supersedes();
  return 0;
}
