// ChunkedDecoder: a byte-at-a-time state machine over chunk sizes, data, and the trailer section.
#include "http/ChunkedDecoder.hpp"

#include <algorithm>

#include "util/Text.hpp"

namespace launch::http {
namespace {

constexpr size_t kMaxLine = 16384;  // a chunk extension or a trailer line longer than this is refused

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error malformed(const std::string& why) { return makeError(ErrorCode::Internal, "malformed chunked body: " + why); }

}  // namespace

Status ChunkedDecoder::endSizeLine() {
  if (digits_ == 0) return malformed("a chunk size line has no size");
  digits_ = 0;
  line_.clear();
  state_ = remaining_ == 0 ? State::Trailer : State::Data;
  return {};
}

Status ChunkedDecoder::endTrailerLine() {
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_.empty()) {
    state_ = State::Done;
    return {};
  }
  const auto colon = line_.find(':');
  if (colon == std::string::npos || colon == 0) return malformed("a trailer line has no field name");
  const std::string_view line(line_);
  trailers_.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  line_.clear();
  return {};
}

Result<size_t> ChunkedDecoder::decode(std::string_view input,
                                      const std::function<void(std::string_view data)>& onData) {
  size_t at = 0;
  while (at < input.size() && state_ != State::Done) {
    if (state_ == State::Data) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - at));
      onData(input.substr(at, take));
      at += take;
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::DataCr;
      continue;
    }
    const char c = input[at++];
    switch (state_) {
      case State::Size: {
        const int digit = hexValue(c);
        if (digit >= 0) {
          if (++digits_ > 15) return malformed("a chunk size is too large");
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::Extension;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else if (c == '\n') {
          if (auto ended = endSizeLine(); !ended) return ended.error();
        } else {
          return malformed("a chunk size is not hexadecimal");
        }
        break;
      }
      case State::Extension:
        if (c == '\r') {
          state_ = State::SizeLf;
        } else if (c == '\n') {
          if (auto ended = endSizeLine(); !ended) return ended.error();
        } else if (line_.size() >= kMaxLine) {
          return malformed("a chunk extension is too long");
        } else {
          line_.push_back(c);  // kept only to bound its length
        }
        break;
      case State::SizeLf:
        if (c != '\n') return malformed("a chunk size line does not end in CRLF");
        if (auto ended = endSizeLine(); !ended) return ended.error();
        break;
      case State::DataCr:
        if (c == '\n') {
          state_ = State::Size;
        } else if (c == '\r') {
          state_ = State::DataLf;
        } else {
          return malformed("chunk data is longer than its size");
        }
        break;
      case State::DataLf:
        if (c != '\n') return malformed("chunk data does not end in CRLF");
        state_ = State::Size;
        break;
      case State::Trailer:
        if (c == '\n') {
          if (auto ended = endTrailerLine(); !ended) return ended.error();
        } else if (line_.size() >= kMaxLine) {
          return malformed("a trailer line is too long");
        } else {
          line_.push_back(c);
        }
        break;
      case State::Data:
      case State::Done:
        break;
    }
  }
  return at;
}

}  // namespace launch::http
