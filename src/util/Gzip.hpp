// Gzip: zlib's deflate and inflate behind small streaming types, for tar.gz archives and zip members.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/Result.hpp"

namespace launch {

struct ZlibState;  // zlib's stream state (Gzip.cpp), kept out of this header

// Compresses what is appended into one gzip member whose header is fixed (no file name, modification time 0,
// OS byte "Unix"), so equal input gives equal output.
class GzipWriter {
 public:
  GzipWriter();
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  Status append(std::string_view data);
  // The compressed bytes; the writer is spent afterwards.
  Result<std::string> finish();

 private:
  Status run(std::string_view data, bool last);

  std::unique_ptr<ZlibState> state_;
  std::string out_;
  bool finished_ = false;
};

// Decompresses a gzip stream (one member, or several concatenated) on demand, checking each member's CRC-32
// and length. Zero bytes after the last member are allowed (some writers pad); anything else is an error.
class GzipReader {
 public:
  explicit GzipReader(std::string_view compressed);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Fills `out`; fewer bytes than asked only at the end of the stream.
  Result<std::size_t> read(std::span<char> out);

 private:
  std::unique_ptr<ZlibState> state_;
  std::string_view input_;
  std::size_t offset_ = 0;  // how much of input_ zlib has consumed
  bool done_ = false;
};

// Inflates a raw deflate stream (the form zip stores) that must produce exactly `size` bytes.
Result<std::string> inflateRaw(std::string_view compressed, std::size_t size);

// The CRC-32 that gzip and zip record.
std::uint32_t crc32Of(std::string_view data);

}  // namespace launch
