// ResponseHead: the status line and header section of an HTTP/1.x response, and what they say about the body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::http {

struct ResponseHead {
  int minorVersion = 1;  // HTTP/1.<minorVersion>
  long status = 0;
  Headers headers;  // in order, names as sent, values trimmed; obsolete line folding joined

  // Whether the connection may carry another request after this response (HTTP/1.1 unless "close";
  // HTTP/1.0 only with "keep-alive").
  bool keepAlive() const;
};

// How a response's body is delimited (RFC 9112 section 6.3).
struct BodyFraming {
  enum class Kind { None, Length, Chunked, UntilClose };
  Kind kind = Kind::None;
  uint64_t length = 0;  // for Kind::Length
};

// Where the head in `buffer` ends (the offset just past its blank line), or npos when more bytes are needed.
size_t findHeadEnd(std::string_view buffer);

// Parses a head up to and including its blank line. A malformed head is ErrorCode::Internal.
Result<ResponseHead> parseResponseHead(std::string_view text);

// The body's framing for a response to a request with this method.
Result<BodyFraming> bodyFraming(const ResponseHead& head, std::string_view method);

// Whether a comma-separated header value (Connection, Transfer-Encoding) lists `token`, ignoring case.
bool listsToken(std::string_view value, std::string_view token);

}  // namespace launch::http
