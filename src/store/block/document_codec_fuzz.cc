// SPDX-License-Identifier: Apache-2.0
// Two properties of the document-chunk codec on arbitrary bytes:
//  - decoding them as a chunk never crashes nor allocates without bound (Corruption or a
//    result);
//  - encoding them (cut into documents at '\n' and rows at "\n\n") and decoding gives back
//    exactly the same documents.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "store/block/document_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace roentgen::store::block;  // NOLINT(google-build-using-namespace): fuzz entry
  using roentgen::model::TraceId;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  TraceId id = *TraceId::Parse("1-6b06094d-92f89756082a4514c266a3a7");
  std::vector<TraceId> ids(4, id);
  std::vector<uint32_t> counts = {1, 3, 0, 2};
  // The seed chunks were encoded against the dictionary the fuzz target builds from the
  // text "{\"a\":1}" (see document_codec_test.cc, WritesSeedCorpusWhenAsked).
  const std::vector<std::string> dictionary_docs = {"{\"a\":1}"};
  const std::string dictionary =
      BuildDocumentDictionary(std::vector<DocumentChunkRow>{{id, &dictionary_docs}});
  for (size_t row = 0; row < ids.size(); ++row) {
    (void)DecodeDocumentChunkRow(input, dictionary, ids, counts, row);
  }

  std::vector<std::vector<std::string>> rows(1);
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view doc = input.substr(start, end - start);
    if (doc.empty() && !rows.back().empty()) {
      rows.emplace_back();
    } else {
      rows.back().emplace_back(doc);
    }
    start = end + 1;
  }
  std::vector<DocumentChunkRow> chunk_rows;
  ids.clear();
  counts.clear();
  for (size_t row = 0; row < rows.size(); ++row) {
    id.bytes[15] = static_cast<uint8_t>(row);
    ids.push_back(id);
    counts.push_back(static_cast<uint32_t>(rows[row].size()));
  }
  for (size_t row = 0; row < rows.size(); ++row) chunk_rows.push_back({ids[row], &rows[row]});
  // Against a dictionary made of the input itself, as a block's is made of its rows.
  const std::string own_dictionary = BuildDocumentDictionary(chunk_rows);
  const std::string encoded = EncodeDocumentChunk(chunk_rows, own_dictionary, 1);
  for (size_t row = 0; row < rows.size(); ++row) {
    auto decoded = DecodeDocumentChunkRow(encoded, own_dictionary, ids, counts, row);
    RG_CHECK(decoded.ok());
    RG_CHECK(*decoded == rows[row]);
  }
  return 0;
}
