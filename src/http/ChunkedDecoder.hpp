// ChunkedDecoder: decodes an HTTP/1.1 chunked body (RFC 9112 section 7.1) as its bytes arrive in any split.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::http {

class ChunkedDecoder {
 public:
  // Decodes the next bytes of the body, handing the data they carry to onData. Returns how many bytes were
  // consumed: all of them, unless the body ended inside `input` (what follows belongs to the connection).
  // A malformed body is ErrorCode::Internal.
  Result<size_t> decode(std::string_view input, const std::function<void(std::string_view data)>& onData);

  // The last chunk and the trailer section have been read.
  bool done() const { return state_ == State::Done; }
  // Trailer fields sent after the last chunk, in order.
  const Headers& trailers() const { return trailers_; }

 private:
  enum class State { Size, Extension, SizeLf, Data, DataCr, DataLf, Trailer, Done };

  Status endSizeLine();
  Status endTrailerLine();

  State state_ = State::Size;
  uint64_t remaining_ = 0;  // bytes left in the current chunk
  int digits_ = 0;
  std::string line_;  // the trailer line being read
  Headers trailers_;
};

}  // namespace launch::http
