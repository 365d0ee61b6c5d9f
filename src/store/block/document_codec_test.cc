// SPDX-License-Identifier: Apache-2.0
#include "store/block/document_codec.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/block/section_file.h"

namespace roentgen::store::block {
namespace {

model::TraceId ParseTraceId(std::string_view text) { return *model::TraceId::Parse(text); }

std::string Hex(std::mt19937_64& rng, size_t digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; ++i) out.push_back(kDigits[rng() % 16]);
  return out;
}

// A trace of documents shaped like the SDKs' (ids, a trace id, a UUID, times in ms and us).
std::vector<std::string> MakeTrace(std::mt19937_64& rng, const std::string& trace_id,
                                   double start) {
  const std::string root = Hex(rng, 16);
  const std::string child = Hex(rng, 16);
  const std::string uuid = Hex(rng, 8) + "-" + Hex(rng, 4) + "-4" + Hex(rng, 3) + "-a" +
                           Hex(rng, 3) + "-" + Hex(rng, 12);
  char times[4][32];
  std::snprintf(times[0], sizeof times[0], "%.3f", start);
  std::snprintf(times[1], sizeof times[1], "%.3f", start + 0.25);
  std::snprintf(times[2], sizeof times[2], "%.6f", start + 0.0123456);
  std::snprintf(times[3], sizeof times[3], "%.6f", start + 0.2);
  return {
      R"({"id":")" + root + R"(","name":"api","start_time":)" + times[0] + R"(,"end_time":)" +
          times[1] + R"(,"trace_id":")" + trace_id + R"(","aws":{"request_id":")" + uuid +
          R"("},"subsegments":[{"id":")" + child + R"(","name":"Lambda"}]})",
      R"({"id": ")" + Hex(rng, 16) + R"(", "parent_id": ")" + child + R"(", "trace_id": ")" +
          trace_id + R"(", "start_time": )" + times[2] + R"(, "end_time": )" + times[3] +
          R"(, "metadata": {"order_id": ")" + uuid + R"("}})",
  };
}

struct Chunk {
  std::vector<model::TraceId> trace_ids;
  std::vector<std::vector<std::string>> documents;
  std::string dictionary;  // empty: none
  std::vector<DocumentChunkRow> Rows() const {
    std::vector<DocumentChunkRow> rows;
    for (size_t i = 0; i < documents.size(); ++i) rows.push_back({trace_ids[i], &documents[i]});
    return rows;
  }
  std::vector<uint32_t> doc_counts() const {
    std::vector<uint32_t> counts;
    for (const auto& docs : documents) counts.push_back(static_cast<uint32_t>(docs.size()));
    return counts;
  }
  std::string Encode(int level = 3) const { return EncodeDocumentChunk(Rows(), dictionary, level); }
};

Chunk MakeChunk(size_t traces, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Chunk chunk;
  for (size_t i = 0; i < traces; ++i) {
    const std::string trace_id = "1-6b06094d-" + Hex(rng, 24);
    chunk.trace_ids.push_back(ParseTraceId(trace_id));
    chunk.documents.push_back(MakeTrace(rng, trace_id, 1795557709.5 + 0.01 * i));
  }
  return chunk;
}

void ExpectRoundTrip(const Chunk& chunk) {
  const std::string encoded = chunk.Encode();
  const auto counts = chunk.doc_counts();
  for (size_t row = 0; row < chunk.documents.size(); ++row) {
    auto decoded = DecodeDocumentChunkRow(encoded, chunk.dictionary, chunk.trace_ids, counts, row);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(*decoded, chunk.documents[row]) << "row " << row;
  }
}

TEST(DocumentCodec, RoundTripsSdkShapedTraces) {
  Chunk chunk = MakeChunk(50, 1);
  ExpectRoundTrip(chunk);
  chunk.dictionary = BuildDocumentDictionary(MakeChunk(200, 2).Rows());
  ASSERT_FALSE(chunk.dictionary.empty());
  ExpectRoundTrip(chunk);
}

TEST(DocumentCodec, RoundTripsTokensAtTheirEdges) {
  Chunk chunk;
  chunk.trace_ids.push_back(ParseTraceId("1-6b06094d-92f89756082a4514c266a3a7"));
  chunk.documents.push_back({
      // Times: 1, 3, 6 and 9 fraction digits, trailing zeros, 10 digits (kept as text), an
      // integer part out of range, a negative, an exponent, one at each end of the document.
      R"(1795557709.5,1795557709.100,1795557709.000001,1795557709.123456789)",
      R"([1795557709.1234567890,9795557709.5,0795557709.5,-1795557709.25,1795557709.5e3])",
      R"(x1795557709.5 11795557709.5 1795557709. 1.1795557709.5 8999999999.999999999)",
      // Ids: uppercase (kept as text), too short, too long, unquoted, a trace id of another
      // trace, a trace id with uppercase, UUIDs with and without uppercase.
      R"({"a":"24C123126FFDA722","b":"24c123126ffda72","c":"24c123126ffda7222","d":24c123126ffda722})",
      R"({"t":"1-6b06094d-92f89756082a4514c266a3a8","u":"1-6B06094D-92f89756082a4514c266a3a7"})",
      R"({"u":"76964109-4930-4791-9053-8449e2d4f5af","v":"76964109-4930-4791-9053-8449E2D4F5AF"})",
      // The same ids again (references), adjacent tokens, quotes inside strings.
      R"(["24c123126ffda722""24c123126ffda722","76964109-4930-4791-9053-8449e2d4f5af"])",
      R"({"s":"a\"24c123126ffda722\"b","t":"1-6b06094d-92f89756082a4514c266a3a7"})",
      // Bytes the skeleton uses as markers, raw, and non-ASCII bytes.
      std::string("\0\1\2\3\4\5\6 \xff\xc3\xa9", 12),
      "",
      "\"",
  });
  chunk.trace_ids.push_back(ParseTraceId("1-6b06094d-92f89756082a4514c266a3a8"));
  chunk.documents.push_back({});  // a row without documents
  chunk.trace_ids.push_back(ParseTraceId("1-6b06094d-92f89756082a4514c266a3a7"));
  chunk.documents.push_back({R"({"trace_id":"1-6b06094d-92f89756082a4514c266a3a7"})"});
  ExpectRoundTrip(chunk);
  chunk.dictionary = BuildDocumentDictionary(chunk.Rows());
  ExpectRoundTrip(chunk);
}

TEST(DocumentCodec, RoundTripsRandomBytes) {
  std::mt19937_64 rng(7);
  Chunk chunk;
  const std::string alphabet = "0123456789abcdef-.\"1e\0\1\2\3\4\5";
  for (int row = 0; row < 20; ++row) {
    chunk.trace_ids.push_back(ParseTraceId("1-6b06094d-92f89756082a4514c266a3a7"));
    chunk.documents.emplace_back();
    for (int doc = 0; doc < 3; ++doc) {
      std::string text;
      for (int i = 0; i < 400; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
      chunk.documents.back().push_back(text);
    }
  }
  ExpectRoundTrip(chunk);
  chunk.dictionary = BuildDocumentDictionary(chunk.Rows());
  ExpectRoundTrip(chunk);
}

// The point of the encoding: random ids and times cost their entropy, not their text.
TEST(DocumentCodec, BeatsZstdOnTheTextByAThird) {
  const Chunk chunk = MakeChunk(400, 3);
  std::string plain;
  for (const auto& docs : chunk.documents) {
    for (const auto& doc : docs) plain += doc;
  }
  const size_t zstd_bytes = ZstdCompress(plain, 3).size();
  const size_t encoded_bytes = chunk.Encode(3).size();
  EXPECT_LT(encoded_bytes * 3, zstd_bytes * 2) << encoded_bytes << " vs " << zstd_bytes;
}

// A block's dictionary takes the repeated shapes out of each small chunk.
TEST(DocumentCodec, DictionaryShrinksSmallChunks) {
  Chunk chunk = MakeChunk(20, 5);
  const size_t without = chunk.Encode(3).size();
  chunk.dictionary = BuildDocumentDictionary(MakeChunk(500, 6).Rows());
  EXPECT_LE(chunk.dictionary.size(), kDocumentDictionaryBytes);
  const size_t with = chunk.Encode(3).size();
  EXPECT_LT(with * 10, without * 9) << with << " vs " << without;
  // Decoding needs the dictionary.
  EXPECT_FALSE(
      DecodeDocumentChunkRow(chunk.Encode(3), "", chunk.trace_ids, chunk.doc_counts(), 0).ok());
  EXPECT_TRUE(BuildDocumentDictionary(Chunk{}.Rows()).empty());
}

TEST(DocumentCodec, DamageIsCorruptionNeverACrash) {
  Chunk chunk = MakeChunk(5, 4);
  chunk.dictionary = BuildDocumentDictionary(MakeChunk(50, 8).Rows());
  const std::string encoded = chunk.Encode();
  const std::string& dictionary = chunk.dictionary;
  const auto counts = chunk.doc_counts();
  for (size_t length = 0; length < encoded.size(); ++length) {
    auto decoded =
        DecodeDocumentChunkRow(encoded.substr(0, length), dictionary, chunk.trace_ids, counts, 4);
    EXPECT_FALSE(decoded.ok()) << "length " << length;
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    }
  }
  for (size_t pos = 0; pos < encoded.size(); ++pos) {
    std::string damaged = encoded;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5a);
    (void)DecodeDocumentChunkRow(damaged, dictionary, chunk.trace_ids, counts, 4);  // no crash
  }
  // More documents claimed than the chunk holds.
  auto more = counts;
  more[4] += 1;
  EXPECT_FALSE(DecodeDocumentChunkRow(encoded, dictionary, chunk.trace_ids, more, 4).ok());
  EXPECT_FALSE(DecodeDocumentChunkRow(encoded, dictionary, chunk.trace_ids, counts, 5).ok());
}

TEST(DocumentCodec, WritesSeedCorpusWhenAsked) {
  const char* dir = std::getenv("RG_WRITE_DOCUMENT_CODEC_CORPUS");
  if (dir == nullptr) GTEST_SKIP() << "set RG_WRITE_DOCUMENT_CODEC_CORPUS to regenerate";
  // Encoded chunks whose rows match what the fuzz target assumes (4 rows of 1, 3, 0, 2
  // documents, all of the same trace id).
  std::mt19937_64 rng(11);
  const std::string trace_id = "1-6b06094d-92f89756082a4514c266a3a7";
  Chunk chunk;
  for (uint32_t count : {1u, 3u, 0u, 2u}) {
    chunk.trace_ids.push_back(ParseTraceId(trace_id));
    std::vector<std::string> docs = MakeTrace(rng, trace_id, 1795557709.5);
    auto more = MakeTrace(rng, trace_id, 1795557710.5);
    docs.insert(docs.end(), more.begin(), more.end());
    docs.resize(count);
    chunk.documents.push_back(docs);
  }
  // The dictionary the fuzz target uses.
  const std::vector<std::string> dictionary_docs = {"{\"a\":1}"};
  chunk.dictionary = BuildDocumentDictionary(
      std::vector<DocumentChunkRow>{{ParseTraceId(trace_id), &dictionary_docs}});
  for (int level : {1, 3}) {
    std::string bytes = chunk.Encode(level);
    std::FILE* file =
        std::fopen((std::string(dir) + "/chunk_level" + std::to_string(level)).c_str(), "wb");
    ASSERT_NE(file, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fclose(file);
  }
}

}  // namespace
}  // namespace roentgen::store::block
