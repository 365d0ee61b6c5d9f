// SPDX-License-Identifier: Apache-2.0
#pragma once

// A section file: the container under blocks (docs/format/block.md) and, later, metric
// time-series chunks. Layout:
//   header magic (8) | sections ... | footer | footer_length (fixed32) |
//   masked crc32c of the footer (fixed32) | footer magic (8)
// footer = varint format version | varint section count |
//          count × {u8 kind, u8 codec (0 plain, 1 zstd), varint id, varint offset,
//                   varint stored length, varint raw length,
//                   fixed32 masked crc32c of the stored bytes} |
//          caller's footer extra bytes
// Each section is stored zstd-compressed or plain; every read verifies its checksum.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace roentgen::store {
class RandomAccessFile;
}

namespace roentgen::store::block {

// zstd with a reused per-thread context, for the section and document codecs.
std::string ZstdCompress(std::string_view raw, int zstd_level);
// Decompresses a frame of exactly `raw_length` bytes into `raw`; false when `stored` is not
// one. The caller bounds `raw_length`.
bool ZstdDecompress(std::string_view stored, size_t raw_length, std::string* raw);
// The same with a raw-content dictionary (the dictionary's bytes act as earlier input that
// matches may refer to); decompression needs the same dictionary.
std::string ZstdCompressWithDictionary(std::string_view raw, std::string_view dictionary,
                                       int zstd_level);
bool ZstdDecompressWithDictionary(std::string_view stored, std::string_view dictionary,
                                  size_t raw_length, std::string* raw);

struct SectionInfo {
  uint8_t kind = 0;
  uint32_t id = 0;
  uint64_t offset = 0;
  uint64_t stored_length = 0;
  uint64_t raw_length = 0;
  uint32_t masked_crc = 0;
  bool compressed = false;  // zstd
};

// Builds a section file in memory. Not thread-safe.
class SectionFileWriter {
 public:
  // Both magics are exactly 8 bytes.
  SectionFileWriter(std::string_view header_magic, uint32_t format_version);

  void AddCompressed(uint8_t kind, uint32_t id, std::string_view raw, int zstd_level);
  void AddPlain(uint8_t kind, uint32_t id, std::string_view bytes);
  // Appends the footer (with `footer_extra` after the directory) and returns the file.
  std::string Finish(std::string_view footer_extra, std::string_view footer_magic);

 private:
  void Add(uint8_t kind, uint32_t id, std::string_view stored, uint64_t raw_length,
           bool compressed);

  uint32_t format_version_;
  std::string out_;
  std::vector<SectionInfo> directory_;
};

// Reads a section file. Damage is reported as Corruption naming the file. Thread-safe.
class SectionFileReader {
 public:
  static Result<std::unique_ptr<SectionFileReader>> Open(
      std::unique_ptr<RandomAccessFile> file, std::string path, std::string_view header_magic,
      std::string_view footer_magic, uint32_t oldest_format_version, uint32_t format_version);
  ~SectionFileReader();

  const std::string& path() const { return path_; }
  // The file's format version, between the oldest and newest that Open accepted.
  uint32_t format_version() const { return format_version_; }
  uint64_t file_size() const { return file_size_; }
  const std::vector<SectionInfo>& sections() const { return sections_; }
  // The first section with (kind, id), or nullptr.
  const SectionInfo* Find(uint8_t kind, uint32_t id) const;
  // The footer bytes after the directory.
  std::string_view footer_extra() const { return footer_extra_; }
  // Reads, verifies and (if compressed) decompresses a section.
  Result<std::string> Read(const SectionInfo& section) const;
  // A Corruption status naming this file.
  Status Corrupt(std::string_view what) const;

 private:
  SectionFileReader(std::unique_ptr<RandomAccessFile> file, std::string path);

  std::unique_ptr<RandomAccessFile> file_;
  std::string path_;
  uint64_t file_size_ = 0;
  uint32_t format_version_ = 0;
  std::vector<SectionInfo> sections_;
  std::string footer_extra_;
};

}  // namespace roentgen::store::block
