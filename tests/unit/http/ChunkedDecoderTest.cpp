// Unit tests of ChunkedDecoder: bodies whole and split at every byte, extensions, trailers, malformed input.
#include "http/ChunkedDecoder.hpp"

#include <gtest/gtest.h>

namespace launch::http {
namespace {

struct Decoded {
  std::string data;
  bool done = false;
  size_t consumed = 0;
  Headers trailers;
};

// Feeds `body` in pieces of `step` bytes (0: all at once), as a connection would.
Result<Decoded> decodeInSteps(const std::string& body, size_t step) {
  ChunkedDecoder decoder;
  Decoded out;
  size_t at = 0;
  while (at < body.size() && !decoder.done()) {
    const size_t size = step == 0 ? body.size() : std::min(step, body.size() - at);
    auto consumed =
        decoder.decode(std::string_view(body).substr(at, size), [&](std::string_view data) { out.data.append(data); });
    if (!consumed) return consumed.error();
    out.consumed += *consumed;
    at += size;
  }
  out.done = decoder.done();
  out.trailers = decoder.trailers();
  return out;
}

TEST(ChunkedDecoder, DecodesInAnySplit) {
  const struct {
    const char* name;
    std::string body;
    std::string data;
    Headers trailers;
  } cases[] = {
      {"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", {}},
      {"hex sizes in either case", "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij", {}},
      {"extensions are skipped", "3;name=value\r\nabc\r\n0;last\r\n\r\n", "abc", {}},
      {"trailers are kept",
       "2\r\nok\r\n0\r\nX-Checksum: 42\r\nX-Other:  b \r\n\r\n",
       "ok",
       {{"X-Checksum", "42"}, {"X-Other", "b"}}},
      {"bare LF line ends", "2\nok\n0\n\n", "ok", {}},
      {"only the last chunk", "0\r\n\r\n", "", {}},
      {"a chunk holding CRLF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", {}},
  };
  for (const auto& c : cases) {
    for (const size_t step : {size_t{0}, size_t{1}, size_t{2}, size_t{7}}) {
      SCOPED_TRACE(std::string(c.name) + ", step " + std::to_string(step));
      auto decoded = decodeInSteps(c.body, step);
      ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
      EXPECT_TRUE(decoded->done);
      EXPECT_EQ(decoded->data, c.data);
      EXPECT_EQ(decoded->trailers, c.trailers);
      EXPECT_EQ(decoded->consumed, c.body.size());
    }
  }
}

TEST(ChunkedDecoder, StopsAtTheEndOfTheBody) {
  const std::string body = "2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n";
  auto decoded = decodeInSteps(body, 0);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->done);
  EXPECT_EQ(decoded->consumed, body.find("HTTP/"));
}

TEST(ChunkedDecoder, WaitsForMoreOfAnUnfinishedBody) {
  auto decoded = decodeInSteps("5\r\nhel", 0);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->done);
  EXPECT_EQ(decoded->data, "hel");
}

TEST(ChunkedDecoder, RefusesMalformedBodies) {
  const struct {
    const char* name;
    std::string body;
  } cases[] = {
      {"size not hexadecimal", "zz\r\n"},
      {"no size", "\r\nabc"},
      {"data longer than its size", "2\r\nabc\r\n"},
      {"CR without LF after the size", "2\rX"},
      {"size overflowing 60 bits", "1000000000000000\r\n"},
      {"trailer without a name", "0\r\n: v\r\n\r\n"},
      {"extension too long", "1;" + std::string(20000, 'x')},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto decoded = decodeInSteps(c.body, 0);
    ASSERT_FALSE(decoded.ok());
    EXPECT_NE(decoded.error().message.find("malformed chunked body"), std::string::npos);
  }
}

}  // namespace
}  // namespace launch::http
