// Gzip: deflate and inflate through zlib, in chunks zlib's 32-bit counters can hold.
#include "util/Gzip.hpp"

#include <zlib.h>

#include <algorithm>

namespace launch {

struct ZlibState {
  enum class Kind { None, Deflate, Inflate };

  ZlibState() = default;
  ZlibState(const ZlibState&) = delete;
  ZlibState& operator=(const ZlibState&) = delete;
  ZlibState(ZlibState&&) = delete;
  ZlibState& operator=(ZlibState&&) = delete;
  ~ZlibState() {
    if (kind == Kind::Deflate) deflateEnd(&stream);
    if (kind == Kind::Inflate) inflateEnd(&stream);
  }

  z_stream stream{};
  gz_header header{};  // zlib reads it while writing the gzip header, so it lives as long as the stream
  Kind kind = Kind::None;
  int initResult = Z_OK;
};

namespace {

// zlib counts in uInt; larger buffers go through in pieces of this size.
constexpr std::size_t kChunk = std::size_t{1} << 30;
constexpr int kGzipWindow = 15 + 16;  // 32 KiB window, gzip wrapper
constexpr int kRawWindow = -15;       // 32 KiB window, no wrapper (zip)
constexpr int kOsUnix = 3;

uInt chunkOf(std::size_t size) { return static_cast<uInt>(std::min(size, kChunk)); }

std::string zlibDetail(const z_stream& stream, int rc) {
  if (stream.msg != nullptr) return stream.msg;
  return "zlib error " + std::to_string(rc);
}

Bytef* bytes(const char* data) {
  // zlib's next_in is not const-qualified but is only read.
  return reinterpret_cast<Bytef*>(const_cast<char*>(data));  // NOLINT
}

}  // namespace

GzipWriter::GzipWriter() : state_(std::make_unique<ZlibState>()) {
  state_->initResult =
      deflateInit2(&state_->stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY);
  if (state_->initResult != Z_OK) return;
  state_->kind = ZlibState::Kind::Deflate;
  state_->header.os = kOsUnix;  // fixed, whatever platform compressed it
  state_->header.time = 0;
  state_->initResult = deflateSetHeader(&state_->stream, &state_->header);
}

GzipWriter::~GzipWriter() = default;

Status GzipWriter::run(std::string_view data, bool last) {
  if (state_->initResult != Z_OK) {
    return makeError(ErrorCode::Internal,
                     "gzip: cannot start deflate: " + zlibDetail(state_->stream, state_->initResult));
  }
  if (finished_) return makeError(ErrorCode::Internal, "gzip: data appended after finish");
  z_stream& zs = state_->stream;
  std::size_t offset = 0;
  char buffer[65536];
  for (;;) {
    const uInt in = chunkOf(data.size() - offset);
    zs.next_in = bytes(data.data() + offset);
    zs.avail_in = in;
    const bool lastChunk = offset + in == data.size();
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    const int rc = deflate(&zs, last && lastChunk ? Z_FINISH : Z_NO_FLUSH);
    offset += in - zs.avail_in;
    out_.append(buffer, sizeof buffer - zs.avail_out);
    if (rc == Z_STREAM_END) return {};
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return makeError(ErrorCode::Internal, "gzip: deflate failed: " + zlibDetail(zs, rc));
    }
    // Done with this call's input once zlib has taken all of it and had room to spare for its output.
    if (!last && offset == data.size() && zs.avail_out != 0) return {};
  }
}

Status GzipWriter::append(std::string_view data) {
  if (data.empty()) return {};
  return run(data, false);
}

Result<std::string> GzipWriter::finish() {
  if (Status done = run({}, true); !done.ok()) return done.error();
  finished_ = true;
  return std::move(out_);
}

GzipReader::GzipReader(std::string_view compressed) : state_(std::make_unique<ZlibState>()), input_(compressed) {
  state_->initResult = inflateInit2(&state_->stream, kGzipWindow);
  if (state_->initResult == Z_OK) state_->kind = ZlibState::Kind::Inflate;
}

GzipReader::~GzipReader() = default;

Result<std::size_t> GzipReader::read(std::span<char> out) {
  if (state_->initResult != Z_OK) {
    return makeError(ErrorCode::Internal,
                     "gzip: cannot start inflate: " + zlibDetail(state_->stream, state_->initResult));
  }
  z_stream& zs = state_->stream;
  std::size_t produced = 0;
  while (!done_ && produced < out.size()) {
    zs.next_in = bytes(input_.data() + offset_);
    zs.avail_in = chunkOf(input_.size() - offset_);
    const uInt room = chunkOf(out.size() - produced);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = room;
    const uInt offered = zs.avail_in;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    offset_ += offered - zs.avail_in;
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Another member may follow (concatenated .gz files are one stream); zero padding ends it.
      const std::string_view rest = input_.substr(offset_);
      if (rest.size() >= 2 && static_cast<unsigned char>(rest[0]) == 0x1f &&
          static_cast<unsigned char>(rest[1]) == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      if (std::any_of(rest.begin(), rest.end(), [](char c) { return c != 0; })) {
        return makeError(ErrorCode::Invalid, "the gzip stream is followed by " + std::to_string(rest.size()) +
                                                 " bytes that are not gzip data");
      }
      done_ = true;
    } else if (rc == Z_BUF_ERROR || (rc == Z_OK && offset_ == input_.size() && zs.avail_out != 0)) {
      return makeError(ErrorCode::Invalid, "the gzip stream is truncated (it ends after " +
                                               std::to_string(input_.size()) + " bytes, inside its data)");
    } else if (rc == Z_MEM_ERROR) {
      return makeError(ErrorCode::Internal, "gzip: out of memory while inflating");
    } else if (rc != Z_OK) {
      return makeError(ErrorCode::Invalid, "the gzip data is corrupt: " + zlibDetail(zs, rc));
    }
  }
  return produced;
}

Result<std::string> inflateRaw(std::string_view compressed, std::size_t size) {
  ZlibState state;
  z_stream& zs = state.stream;
  if (const int rc = inflateInit2(&zs, kRawWindow); rc != Z_OK) {
    return makeError(ErrorCode::Internal, "cannot start inflate: " + zlibDetail(zs, rc));
  }
  state.kind = ZlibState::Kind::Inflate;
  // The output grows as it is produced, so a member declaring more than its data holds costs no memory.
  std::string out;
  char beyond = 0;  // where output past the declared size lands, to notice it
  std::size_t consumed = 0;
  std::size_t produced = 0;
  for (;;) {
    if (produced == out.size() && produced < size) {
      out.resize(std::min(size, std::max<std::size_t>(2 * out.size(), std::size_t{1} << 16)));
    }
    zs.next_in = bytes(compressed.data() + consumed);
    zs.avail_in = chunkOf(compressed.size() - consumed);
    const uInt room = produced < size ? chunkOf(out.size() - produced) : 1;
    zs.next_out = reinterpret_cast<Bytef*>(produced < size ? out.data() + produced : &beyond);
    zs.avail_out = room;
    const uInt offered = zs.avail_in;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += offered - zs.avail_in;
    produced += room - zs.avail_out;
    if (produced > size) {
      return makeError(ErrorCode::Invalid,
                       "inflates to more than its declared size of " + std::to_string(size) + " bytes");
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR || (rc == Z_OK && consumed == compressed.size() && zs.avail_out != 0)) {
      return makeError(ErrorCode::Invalid, "its deflate data is truncated");
    }
    if (rc == Z_MEM_ERROR) return makeError(ErrorCode::Internal, "out of memory while inflating");
    if (rc != Z_OK) return makeError(ErrorCode::Invalid, "its deflate data is corrupt: " + zlibDetail(zs, rc));
  }
  if (produced != size) {
    return makeError(ErrorCode::Invalid,
                     "inflates to " + std::to_string(produced) + " bytes, not its declared " + std::to_string(size));
  }
  return out;
}

std::uint32_t crc32Of(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (std::size_t offset = 0; offset < data.size();) {
    const uInt n = chunkOf(data.size() - offset);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + offset), n);
    offset += n;
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace launch
