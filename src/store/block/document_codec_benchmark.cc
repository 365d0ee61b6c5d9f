// SPDX-License-Identifier: Apache-2.0
// The document-chunk codec against plain zstd on the same documents (the baseline, what
// format 2 stored): encoding a 512 KiB chunk, and the point read of its last row (the worst
// case: every earlier row is decoded too). Documents are SDK-shaped (the Python SDK's
// subsegments with random ids, UUIDs and microsecond times). Counters: stored bytes per
// document; bytes/s counts the documents' bytes.
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/coding.h"
#include "store/block/block_format.h"
#include "store/block/document_codec.h"
#include "store/block/section_file.h"

namespace roentgen::store::block {
namespace {

constexpr int kLevel = 3;

std::string Hex(std::mt19937_64& rng, size_t digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; ++i) out.push_back(kDigits[rng() % 16]);
  return out;
}

std::string Time(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", seconds);
  return text;
}

struct Corpus {
  std::vector<model::TraceId> trace_ids;
  std::vector<std::vector<std::string>> documents;
  std::vector<uint32_t> doc_counts;
  size_t bytes = 0;
  size_t document_count = 0;

  std::vector<DocumentChunkRow> Rows() const {
    std::vector<DocumentChunkRow> rows;
    for (size_t i = 0; i < documents.size(); ++i) rows.push_back({trace_ids[i], &documents[i]});
    return rows;
  }
  std::string LengthPrefixed() const {
    std::string out;
    for (const auto& docs : documents) {
      for (const auto& doc : docs) coding::PutLengthPrefixed(&out, doc);
    }
    return out;
  }
};

// Traces of 4 documents until `target_bytes` of documents.
Corpus MakeCorpus(size_t target_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Corpus corpus;
  double start = 1795557709.0;
  while (corpus.bytes < target_bytes) {
    const std::string trace_id = "1-6b06094d-" + Hex(rng, 24);
    corpus.trace_ids.push_back(*model::TraceId::Parse(trace_id));
    std::vector<std::string> docs;
    std::string parent = Hex(rng, 16);
    for (int d = 0; d < 4; ++d) {
      const std::string id = Hex(rng, 16);
      std::string doc = R"({"id": ")" + id + R"(", "name": "service-)" + std::to_string(d) +
                        R"(", "start_time": )" + Time(start) + R"(, "parent_id": ")" + parent +
                        R"(", "aws": {"request_id": ")" + Hex(rng, 8) + "-" + Hex(rng, 4) + "-4" +
                        Hex(rng, 3) + "-a" + Hex(rng, 3) + "-" + Hex(rng, 12) +
                        R"(", "account_id": "123456789012"}, "subsegments": [)";
      for (int s = 0; s < 4; ++s) {
        const double begin = start + 0.001 * static_cast<double>(rng() % 100);
        doc += std::string(s ? ", " : "") + R"({"id": ")" + Hex(rng, 16) + R"(", "name": "step_)" +
               std::to_string(s) + R"(", "start_time": )" + Time(begin) + R"(, "parent_id": ")" +
               id + R"(", "trace_id": ")" + trace_id +
               R"(", "type": "subsegment", "namespace": "local", "end_time": )" +
               Time(begin + 0.000001 * static_cast<double>(rng() % 100000)) + "}";
      }
      doc += R"(], "trace_id": ")" + trace_id + R"(", "end_time": )" + Time(start + 0.2) + "}";
      parent = id;
      corpus.bytes += doc.size();
      docs.push_back(std::move(doc));
    }
    corpus.document_count += docs.size();
    corpus.doc_counts.push_back(static_cast<uint32_t>(docs.size()));
    corpus.documents.push_back(std::move(docs));
    start += 0.003;
  }
  return corpus;
}

const Corpus& ChunkCorpus() {
  static const Corpus corpus = MakeCorpus(kDocChunkTargetBytes, 1);
  return corpus;
}

const std::string& Dictionary() {
  static const std::string dictionary = BuildDocumentDictionary(MakeCorpus(4 << 20, 2).Rows());
  return dictionary;
}

void BM_EncodeChunk(benchmark::State& state) {
  const Corpus& corpus = ChunkCorpus();
  const auto rows = corpus.Rows();
  size_t stored = 0;
  for (auto _ : state) {
    std::string chunk = EncodeDocumentChunk(rows, Dictionary(), kLevel);
    stored = chunk.size();
    benchmark::DoNotOptimize(chunk);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.bytes));
  state.counters["B/doc"] = static_cast<double>(stored) / corpus.document_count;
}
BENCHMARK(BM_EncodeChunk);

void BM_ZstdChunk_Baseline(benchmark::State& state) {
  const std::string plain = ChunkCorpus().LengthPrefixed();
  size_t stored = 0;
  for (auto _ : state) {
    std::string chunk = ZstdCompress(plain, kLevel);
    stored = chunk.size();
    benchmark::DoNotOptimize(chunk);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ChunkCorpus().bytes));
  state.counters["B/doc"] = static_cast<double>(stored) / ChunkCorpus().document_count;
}
BENCHMARK(BM_ZstdChunk_Baseline);

void BM_DecodeLastRow(benchmark::State& state) {
  const Corpus& corpus = ChunkCorpus();
  const std::string chunk = EncodeDocumentChunk(corpus.Rows(), Dictionary(), kLevel);
  const size_t last = corpus.documents.size() - 1;
  for (auto _ : state) {
    auto documents =
        DecodeDocumentChunkRow(chunk, Dictionary(), corpus.trace_ids, corpus.doc_counts, last);
    if (!documents.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(documents);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.bytes));
}
BENCHMARK(BM_DecodeLastRow);

void BM_ZstdDecompressChunk_Baseline(benchmark::State& state) {
  const std::string plain = ChunkCorpus().LengthPrefixed();
  const std::string chunk = ZstdCompress(plain, kLevel);
  std::string raw;
  for (auto _ : state) {
    if (!ZstdDecompress(chunk, plain.size(), &raw)) state.SkipWithError("decompress failed");
    benchmark::DoNotOptimize(raw);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ChunkCorpus().bytes));
}
BENCHMARK(BM_ZstdDecompressChunk_Baseline);

}  // namespace
}  // namespace roentgen::store::block

BENCHMARK_MAIN();
