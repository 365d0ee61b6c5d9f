// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "model/trace_detail.h"
#include "store/block/block_builder.h"
#include "store/block/block_reader.h"
#include "store/block/bloom.h"
#include "store/block/summary_codec.h"
#include "store/file_system.h"

namespace roentgen::store::block {
namespace {

model::TraceId MakeId(uint32_t epoch, uint32_t n) {
  model::TraceId id;
  id.bytes[0] = static_cast<uint8_t>(epoch >> 24);
  id.bytes[1] = static_cast<uint8_t>(epoch >> 16);
  id.bytes[2] = static_cast<uint8_t>(epoch >> 8);
  id.bytes[3] = static_cast<uint8_t>(epoch);
  id.bytes[12] = static_cast<uint8_t>(n >> 24);
  id.bytes[13] = static_cast<uint8_t>(n >> 16);
  id.bytes[14] = static_cast<uint8_t>(n >> 8);
  id.bytes[15] = static_cast<uint8_t>(n);
  return id;
}

BlockRow MakeRow(uint32_t n, const std::string& tenant) {
  BlockRow row;
  row.tenant = tenant;
  row.summary.id = MakeId(1795497420 + n % 7, n);
  row.summary.start_time = 1795497420.125 + n;
  row.summary.end_time = row.summary.start_time + 0.5;
  row.summary.duration = 0.5;
  row.summary.response_time = 0.25;
  row.summary.has_fault = n % 3 == 0;
  row.summary.has_root = true;
  row.summary.entry_point = model::ServiceId{"order-processor", "AWS::Lambda::Function", ""};
  row.summary.http_status = 200;
  row.summary.annotations.push_back(model::AnnotationSummary{
      "operation",
      {{model::AnnotationValue{model::AnnotationType::kString, "create_order", 0, false},
        {model::ServiceId{"order-processor", "", ""}}}}});
  row.summary.revision = 1 + n % 2;
  row.seal_lsn = 1000 + n;
  row.first_arrival_nanos = 1'795'497'420'000'000'000 + static_cast<int64_t>(n) * 1000;
  for (uint32_t doc = 0; doc < 1 + n % 4; ++doc) {
    row.documents.push_back("{\"doc\":" + std::to_string(doc) + ",\"row\":" + std::to_string(n) +
                            ",\"pad\":\"" + std::string(n % 500, 'x') + "\"}");
  }
  if (n % 10 == 0) row.supersedes = RowRef{7, n};
  return row;
}

std::unique_ptr<BlockReader> WriteAndOpen(FileSystem& fs, const BlockBuilder& builder) {
  std::string bytes = builder.Finish();
  auto file = fs.NewWritableFile("/b.blk");
  EXPECT_TRUE(file.ok());
  EXPECT_TRUE((*file)->Append(bytes).ok());
  EXPECT_TRUE((*file)->Close().ok());
  auto reader = BlockReader::Open(fs.NewRandomAccessFile("/b.blk").value(), "/b.blk");
  EXPECT_TRUE(reader.ok()) << reader.error().ToString();
  return std::move(reader).value();
}

TEST(BlockTest, SearchColumnsHoldResponseTimesServicesAndAnnotations) {
  auto fs = NewMemFileSystem();
  BlockBuilder builder(43, 1);
  for (uint32_t n = 0; n < 4; ++n) {
    BlockRow row = MakeRow(n, "000000000000");
    if (n == 1) row.summary.response_time.reset();
    if (n == 2) row.summary.response_time = -0.0;
    model::TraceDetail detail;
    model::ServiceNode client;
    client.kind = model::NodeKind::kClient;
    client.id.name = "client-should-not-count";
    detail.nodes.push_back(client);
    model::ServiceNode node;
    node.id.name = n % 2 == 0 ? "order-processor" : "inventory";
    detail.nodes.push_back(node);
    model::EncodeTraceDetail(detail, &row.detail);
    row.summary.annotations.push_back(model::AnnotationSummary{
        "attempt",
        {{model::AnnotationValue{model::AnnotationType::kNumber, "", 1.0 * n, false}, {}}}});
    builder.Add(std::move(row));
  }
  auto reader = WriteAndOpen(*fs, builder);
  auto columns = reader->Columns();
  ASSERT_TRUE(columns.ok()) << columns.error().ToString();
  const BlockColumns& c = **columns;
  ASSERT_EQ(c.response_times.size(), 4u);
  EXPECT_EQ(c.response_times[0], 0.25);
  EXPECT_TRUE(std::isnan(c.response_times[1]));
  EXPECT_EQ(c.service_dictionary, (std::vector<std::string>{"order-processor", "inventory"}));
  for (uint32_t row = 0; row < 4; ++row) {
    ASSERT_EQ(c.service_codes_of(row).size(), 1u);
    EXPECT_EQ(c.service_codes_of(row)[0], row % 2);
    ASSERT_EQ(c.annotation_codes_of(row).size(), 2u);
    EXPECT_EQ(
        c.annotation_dictionary[c.annotation_codes_of(row)[1]],
        EncodeAnnotationEntry("attempt", model::AnnotationValue{model::AnnotationType::kNumber, "",
                                                                1.0 * row, false}));
  }
  // -0 and 0 are the same entry; all rows share the create_order entry.
  EXPECT_EQ(c.annotation_dictionary.size(), 5u);
  EXPECT_EQ(EncodeAnnotationEntry("k", {model::AnnotationType::kNumber, "", -0.0, false}),
            EncodeAnnotationEntry("k", {model::AnnotationType::kNumber, "", 0.0, false}));

  // A row without a detail leaves the block without the services column (scans fall back).
  BlockBuilder without(44, 1);
  without.Add(MakeRow(9, "000000000000"));
  auto old_reader = WriteAndOpen(*fs, without);
  auto old_columns = old_reader->Columns();
  ASSERT_TRUE(old_columns.ok());
  EXPECT_TRUE((*old_columns)->service_offsets.empty());
  EXPECT_EQ((*old_columns)->annotation_offsets.size(), 2u);
}

TEST(BlockTest, RoundTripsRowsDocumentsAndIndex) {
  auto fs = NewMemFileSystem();
  BlockBuilder builder(42, 3);
  std::vector<BlockRow> rows;
  for (uint32_t n = 0; n < 3000; ++n) {
    rows.push_back(MakeRow(n, n % 5 == 0 ? "111111111111" : "000000000000"));
    builder.Add(rows.back());
  }
  auto reader = WriteAndOpen(*fs, builder);
  EXPECT_EQ(reader->stats().block_seq, 42u);
  EXPECT_EQ(reader->stats().row_count, 3000u);
  auto columns = reader->Columns();
  ASSERT_TRUE(columns.ok());
  for (uint32_t n = 0; n < 3000; n += 97) {
    auto found = reader->FindRows(rows[n].summary.id);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->size(), 1u);
    uint32_t row = (*found)[0];
    EXPECT_EQ(row, n);
    EXPECT_EQ((*columns)->tenant(row), rows[n].tenant);
    EXPECT_EQ((*columns)->revisions[row], rows[n].summary.revision);
    EXPECT_EQ((*columns)->seal_lsns[row], rows[n].seal_lsn);
    EXPECT_DOUBLE_EQ((*columns)->start_times[row], rows[n].summary.start_time);
    EXPECT_EQ((*columns)->first_arrival_nanos[row], rows[n].first_arrival_nanos);
    auto docs = reader->ReadDocuments(row);
    ASSERT_TRUE(docs.ok()) << docs.error().ToString();
    EXPECT_EQ(*docs, rows[n].documents);
    auto summary = reader->ReadSummary(row);
    ASSERT_TRUE(summary.ok());
    EXPECT_EQ(summary->entry_point->name, "order-processor");
    EXPECT_EQ(summary->annotations.at(0).values.at(0).value.string_value, "create_order");
    EXPECT_EQ(summary->has_fault, rows[n].summary.has_fault);
    EXPECT_EQ(*summary->response_time, 0.25);
  }
  EXPECT_TRUE(reader->FindRows(MakeId(1, 99999))->empty());
  auto supersedes = reader->Supersedes();
  ASSERT_TRUE(supersedes.ok());
  EXPECT_EQ(supersedes->size(), 300u);
  EXPECT_EQ((*supersedes)[1].first, 10u);
  EXPECT_EQ((*supersedes)[1].second, (RowRef{7, 10}));
}

TEST(BlockTest, DamageIsReportedAsCorruption) {
  auto fs = NewMemFileSystem();
  BlockBuilder builder(1, 3);
  for (uint32_t n = 0; n < 50; ++n) builder.Add(MakeRow(n, "000000000000"));
  std::string bytes = builder.Finish();
  // Flip a byte in every position class: header, a section, the footer.
  for (size_t pos :
       {size_t{2}, size_t{100}, bytes.size() / 2, bytes.size() - 20, bytes.size() - 3}) {
    std::string damaged = bytes;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5a);
    auto file = fs->NewWritableFile("/d.blk").value();
    ASSERT_TRUE(file->Append(damaged).ok());
    ASSERT_TRUE(file->Close().ok());
    auto reader = BlockReader::Open(fs->NewRandomAccessFile("/d.blk").value(), "/d.blk");
    if (!reader.ok()) {
      EXPECT_EQ(reader.error().code(), StatusCode::kCorruption);
      continue;
    }
    // Opened: the damage is in a section and must surface when that section is read.
    bool any_error = !(*reader)->Columns().ok() || !(*reader)->Payload().ok();
    for (uint32_t row = 0; row < 50 && !any_error; ++row) {
      any_error = !(*reader)->ReadDocuments(row).ok();
    }
    any_error = any_error || !(*reader)->FindRows(MakeRow(3, "").summary.id).ok();
    EXPECT_TRUE(any_error || pos < 8) << "damage at " << pos << " went unnoticed";
  }
}

// Regenerates the block_reader_fuzz seed corpus when RG_WRITE_BLOCK_CORPUS names a folder.
TEST(BlockTest, WritesSeedCorpusWhenAsked) {
  const char* dir = std::getenv("RG_WRITE_BLOCK_CORPUS");
  if (dir == nullptr) GTEST_SKIP() << "set RG_WRITE_BLOCK_CORPUS to regenerate the corpus";
  for (uint32_t rows : {1u, 3u, 40u}) {
    BlockBuilder builder(rows, 1);
    for (uint32_t n = 0; n < rows; ++n)
      builder.Add(MakeRow(n, n % 2 ? "000000000000" : "123456789012"));
    std::string bytes = builder.Finish();
    std::FILE* file =
        std::fopen((std::string(dir) + "/block_" + std::to_string(rows)).c_str(), "wb");
    ASSERT_NE(file, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fclose(file);
  }
}

// Blocks written before the structural document encoding (format 2: zstd frames of
// length-prefixed documents) stay readable. The file is the 40-row seed block of that format.
TEST(BlockTest, ReadsFormatTwoBlocks) {
  auto fs = NewMemFileSystem();
  std::FILE* in = std::fopen(RG_SOURCE_DIR "/src/store/block/testdata/format2_block_40.blk", "rb");
  ASSERT_NE(in, nullptr);
  std::string bytes;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, in)) > 0;) bytes.append(buffer, n);
  std::fclose(in);
  {
    auto file = fs->NewWritableFile("/old.blk").value();
    ASSERT_TRUE(file->Append(bytes).ok());
    ASSERT_TRUE(file->Close().ok());
  }
  auto reader = BlockReader::Open(fs->NewRandomAccessFile("/old.blk").value(), "/old.blk");
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  ASSERT_EQ((*reader)->stats().row_count, 40u);
  for (uint32_t n = 0; n < 40; ++n) {
    auto docs = (*reader)->ReadDocuments(n);
    ASSERT_TRUE(docs.ok()) << docs.status().message();
    EXPECT_EQ(*docs, MakeRow(n, "").documents) << "row " << n;
  }
}

TEST(BloomTest, NoFalseNegativesAndFewFalsePositives) {
  std::vector<uint64_t> hashes;
  for (uint64_t n = 0; n < 10000; ++n) hashes.push_back(n * 0x9e3779b97f4a7c15ull);
  std::string filter = BuildBloom(hashes, 10);
  for (uint64_t hash : hashes) EXPECT_TRUE(BloomMayContain(filter, hash));
  int false_positives = 0;
  for (uint64_t n = 0; n < 10000; ++n) {
    false_positives += BloomMayContain(filter, (n + 20000) * 0x9e3779b97f4a7c15ull + 1) ? 1 : 0;
  }
  EXPECT_LT(false_positives, 300);  // about 1 % expected at 10 bits per key
}

}  // namespace
}  // namespace roentgen::store::block
