// SPDX-License-Identifier: Apache-2.0
#include "http/internal/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include <fmt/format.h>

namespace roentgen::http::internal {
namespace {

constexpr size_t kOutputStep = 64 * 1024;

// Owns a z_stream set up for gzip decoding.
class Inflater {
 public:
  Inflater() { ok_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  bool ok() const { return ok_; }
  z_stream* stream() { return &stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

Status Gunzip(std::string_view input, size_t max_output, std::string* output) {
  output->clear();
  if (input.empty()) return Status::Ok();
  Inflater inflater;
  if (!inflater.ok()) return InternalError("gzip: inflateInit2 failed");
  z_stream* zs = inflater.stream();
  output->reserve(std::min(max_output, std::max<size_t>(input.size() * 4, 4096)));

  const auto* next = reinterpret_cast<const Bytef*>(input.data());
  size_t remaining = input.size();
  for (;;) {
    // Feed input in pieces that fit zlib's 32-bit counters.
    if (zs->avail_in == 0 && remaining > 0) {
      const size_t piece = std::min<size_t>(remaining, UINT_MAX);
      zs->next_in = const_cast<Bytef*>(next);  // zlib does not write through next_in
      zs->avail_in = static_cast<uInt>(piece);
      next += piece;
      remaining -= piece;
    }
    // Offer at most one byte more than the limit allows, so that exceeding it is detected
    // without inflating further.
    const size_t used = output->size();
    const size_t room = std::min(kOutputStep, max_output - used + 1);
    output->resize(used + room);
    zs->next_out = reinterpret_cast<Bytef*>(output->data() + used);
    zs->avail_out = static_cast<uInt>(room);
    const int rc = inflate(zs, Z_NO_FLUSH);
    output->resize(used + room - zs->avail_out);
    if (output->size() > max_output) {
      return OutOfRangeError(
          fmt::format("gzip: decoded body exceeds the limit of {} bytes", max_output));
    }
    if (rc == Z_STREAM_END) {
      const size_t left = zs->avail_in + remaining;
      if (left == 0) return Status::Ok();
      // Another member may follow; anything else is an error.
      const auto* rest = zs->next_in;
      if (zs->avail_in >= 2 ? (rest[0] != 0x1f || rest[1] != 0x8b)
                            : (zs->avail_in == 1 && rest[0] != 0x1f)) {
        return InvalidArgumentError(
            fmt::format("gzip: {} bytes of trailing garbage after the compressed data", left));
      }
      if (inflateReset(zs) != Z_OK) return InternalError("gzip: inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either more output room is needed (loop grows it) or the input
      // ran out before the end of the stream.
      if (zs->avail_in == 0 && remaining == 0) {
        return InvalidArgumentError("gzip: truncated data (unexpected end of input)");
      }
      continue;
    }
    return InvalidArgumentError(
        fmt::format("gzip: corrupt data ({})", zs->msg != nullptr ? zs->msg : "inflate failed"));
  }
}

}  // namespace roentgen::http::internal
