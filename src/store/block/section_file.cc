// SPDX-License-Identifier: Apache-2.0
#include "store/block/section_file.h"

#include <zstd.h>

#include <memory>

#include "base/check.h"
#include "base/coding.h"
#include "base/crc32c.h"
#include "base/status_macros.h"
#include "store/file_system.h"

namespace roentgen::store::block {
namespace {

constexpr size_t kMagicSize = 8;
constexpr size_t kTrailerSize = 16;  // footer length + footer crc + magic
// Decompressed sections above this are treated as corruption rather than allocated.
constexpr uint64_t kMaxSectionRawBytes = uint64_t{1} << 30;
constexpr uint8_t kCodecPlain = 0;
constexpr uint8_t kCodecZstd = 1;

// One compression context per thread, reused: creating one per section costs more than
// compressing a small section.
ZSTD_CCtx* ThreadCompressionContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(ZSTD_createCCtx(),
                                                                            &ZSTD_freeCCtx);
  return context.get();
}

ZSTD_DCtx* ThreadDecompressionContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(),
                                                                            &ZSTD_freeDCtx);
  return context.get();
}

}  // namespace

std::string ZstdCompress(std::string_view raw, int zstd_level) {
  std::string compressed(ZSTD_compressBound(raw.size()), '\0');
  size_t size = ZSTD_compressCCtx(ThreadCompressionContext(), compressed.data(), compressed.size(),
                                  raw.data(), raw.size(), zstd_level);
  RG_CHECK(!ZSTD_isError(size));  // only fails for a too-small buffer, which the bound prevents
  compressed.resize(size);
  return compressed;
}

bool ZstdDecompress(std::string_view stored, size_t raw_length, std::string* raw) {
  return ZstdDecompressWithDictionary(stored, {}, raw_length, raw);
}

std::string ZstdCompressWithDictionary(std::string_view raw, std::string_view dictionary,
                                       int zstd_level) {
  // A prefix is always raw content (never parsed as a trained dictionary) and applies to the
  // next frame only.
  ZSTD_CCtx* context = ThreadCompressionContext();
  RG_CHECK(!ZSTD_isError(ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters)));
  RG_CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, zstd_level)));
  if (!dictionary.empty()) {
    RG_CHECK(!ZSTD_isError(ZSTD_CCtx_refPrefix(context, dictionary.data(), dictionary.size())));
  }
  std::string compressed(ZSTD_compressBound(raw.size()), '\0');
  size_t size =
      ZSTD_compress2(context, compressed.data(), compressed.size(), raw.data(), raw.size());
  RG_CHECK(!ZSTD_isError(size));  // only fails for a too-small buffer, which the bound prevents
  compressed.resize(size);
  return compressed;
}

bool ZstdDecompressWithDictionary(std::string_view stored, std::string_view dictionary,
                                  size_t raw_length, std::string* raw) {
  // Refuse a frame that declares another size before allocating what it claims.
  const unsigned long long declared = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR ||
      (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_length)) {
    return false;
  }
  ZSTD_DCtx* context = ThreadDecompressionContext();
  if (ZSTD_isError(ZSTD_DCtx_reset(context, ZSTD_reset_session_and_parameters))) return false;
  if (!dictionary.empty() &&
      ZSTD_isError(ZSTD_DCtx_refPrefix(context, dictionary.data(), dictionary.size()))) {
    return false;
  }
  raw->assign(raw_length, '\0');
  size_t size =
      ZSTD_decompressDCtx(context, raw->data(), raw->size(), stored.data(), stored.size());
  return !ZSTD_isError(size) && size == raw_length;
}

SectionFileWriter::SectionFileWriter(std::string_view header_magic, uint32_t format_version)
    : format_version_(format_version) {
  RG_CHECK(header_magic.size() == kMagicSize);
  out_.append(header_magic);
}

void SectionFileWriter::AddCompressed(uint8_t kind, uint32_t id, std::string_view raw,
                                      int zstd_level) {
  Add(kind, id, ZstdCompress(raw, zstd_level), raw.size(), true);
}

void SectionFileWriter::AddPlain(uint8_t kind, uint32_t id, std::string_view bytes) {
  Add(kind, id, bytes, bytes.size(), false);
}

void SectionFileWriter::Add(uint8_t kind, uint32_t id, std::string_view stored, uint64_t raw_length,
                            bool compressed) {
  SectionInfo info;
  info.kind = kind;
  info.id = id;
  info.offset = out_.size();
  info.stored_length = stored.size();
  info.raw_length = raw_length;
  info.masked_crc = crc32c::Mask(crc32c::Value(stored));
  info.compressed = compressed;
  directory_.push_back(info);
  out_.append(stored);
}

std::string SectionFileWriter::Finish(std::string_view footer_extra,
                                      std::string_view footer_magic) {
  RG_CHECK(footer_magic.size() == kMagicSize);
  std::string footer;
  coding::PutVarint32(&footer, format_version_);
  coding::PutVarint32(&footer, static_cast<uint32_t>(directory_.size()));
  for (const auto& entry : directory_) {
    footer.push_back(static_cast<char>(entry.kind));
    footer.push_back(static_cast<char>(entry.compressed ? kCodecZstd : kCodecPlain));
    coding::PutVarint32(&footer, entry.id);
    coding::PutVarint64(&footer, entry.offset);
    coding::PutVarint64(&footer, entry.stored_length);
    coding::PutVarint64(&footer, entry.raw_length);
    coding::PutFixed32(&footer, entry.masked_crc);
  }
  footer.append(footer_extra);
  out_.append(footer);
  coding::PutFixed32(&out_, static_cast<uint32_t>(footer.size()));
  coding::PutFixed32(&out_, crc32c::Mask(crc32c::Value(footer)));
  out_.append(footer_magic);
  return std::move(out_);
}

SectionFileReader::SectionFileReader(std::unique_ptr<RandomAccessFile> file, std::string path)
    : file_(std::move(file)), path_(std::move(path)) {}
SectionFileReader::~SectionFileReader() = default;

Status SectionFileReader::Corrupt(std::string_view what) const {
  return CorruptionError(path_ + ": " + std::string(what));
}

Result<std::unique_ptr<SectionFileReader>> SectionFileReader::Open(
    std::unique_ptr<RandomAccessFile> file, std::string path, std::string_view header_magic,
    std::string_view footer_magic, uint32_t oldest_format_version, uint32_t format_version) {
  std::unique_ptr<SectionFileReader> reader(
      new SectionFileReader(std::move(file), std::move(path)));
  uint64_t size = reader->file_size_ = reader->file_->size();
  if (size < kMagicSize + kTrailerSize) return reader->Corrupt("file too short");
  std::string scratch;
  RG_ASSIGN_OR_RETURN(std::string_view head, reader->file_->Read(0, kMagicSize, &scratch));
  if (head != header_magic) return reader->Corrupt("bad header magic");
  RG_ASSIGN_OR_RETURN(std::string_view trailer,
                      reader->file_->Read(size - kTrailerSize, kTrailerSize, &scratch));
  if (trailer.size() != kTrailerSize || trailer.substr(8) != footer_magic) {
    return reader->Corrupt("bad footer magic");
  }
  uint32_t footer_length = coding::DecodeFixed32(trailer.data());
  uint32_t footer_crc = crc32c::Unmask(coding::DecodeFixed32(trailer.data() + 4));
  if (footer_length > size - kTrailerSize - kMagicSize) return reader->Corrupt("bad footer length");
  uint64_t data_end = size - kTrailerSize - footer_length;
  std::string footer_scratch;
  RG_ASSIGN_OR_RETURN(std::string_view footer_view,
                      reader->file_->Read(data_end, footer_length, &footer_scratch));
  std::string footer(footer_view);
  if (footer.size() != footer_length || crc32c::Value(footer) != footer_crc) {
    return reader->Corrupt("footer checksum mismatch");
  }
  std::string_view in(footer);
  uint32_t version;
  uint32_t count;
  if (!coding::GetVarint32(&in, &version) || version < oldest_format_version ||
      version > format_version) {
    return reader->Corrupt("unsupported format version");
  }
  reader->format_version_ = version;
  if (!coding::GetVarint32(&in, &count) || count > in.size()) {
    return reader->Corrupt("bad section directory");
  }
  for (uint32_t idx = 0; idx < count; ++idx) {
    SectionInfo info;
    if (in.size() < 2) return reader->Corrupt("truncated section directory");
    info.kind = static_cast<uint8_t>(in[0]);
    auto codec = static_cast<uint8_t>(in[1]);
    in.remove_prefix(2);
    if (codec != kCodecPlain && codec != kCodecZstd) return reader->Corrupt("unknown codec");
    info.compressed = codec == kCodecZstd;
    if (!coding::GetVarint32(&in, &info.id) || !coding::GetVarint64(&in, &info.offset) ||
        !coding::GetVarint64(&in, &info.stored_length) ||
        !coding::GetVarint64(&in, &info.raw_length) || !coding::GetFixed32(&in, &info.masked_crc)) {
      return reader->Corrupt("truncated section directory");
    }
    if (info.offset < kMagicSize || info.offset > data_end ||
        info.stored_length > data_end - info.offset || info.raw_length > kMaxSectionRawBytes ||
        (!info.compressed && info.raw_length != info.stored_length)) {
      return reader->Corrupt("section out of bounds");
    }
    reader->sections_.push_back(info);
  }
  reader->footer_extra_ = std::string(in);
  return reader;
}

const SectionInfo* SectionFileReader::Find(uint8_t kind, uint32_t id) const {
  for (const auto& section : sections_) {
    if (section.kind == kind && section.id == id) return &section;
  }
  return nullptr;
}

Result<std::string> SectionFileReader::Read(const SectionInfo& section) const {
  std::string scratch;
  RG_ASSIGN_OR_RETURN(std::string_view stored,
                      file_->Read(section.offset, section.stored_length, &scratch));
  if (stored.size() != section.stored_length) return Corrupt("short section read");
  if (crc32c::Value(stored) != crc32c::Unmask(section.masked_crc)) {
    return Corrupt("section checksum mismatch");
  }
  if (!section.compressed) return std::string(stored);
  std::string raw;
  if (!ZstdDecompress(stored, section.raw_length, &raw)) {
    return Corrupt("section does not decompress");
  }
  return raw;
}

}  // namespace roentgen::store::block
