// Unit tests of response heads: parsing, keep-alive and the framing of the body that follows.
#include "http/ResponseHead.hpp"

#include <gtest/gtest.h>

namespace launch::http {
namespace {

TEST(ResponseHead, ParsesStatusAndHeadersInOrder) {
  const std::string text =
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Multi: a\r\n  b\r\nX-Empty:\r\nx-multi: c\r\n\r\n";
  ASSERT_EQ(findHeadEnd(text + "body"), text.size());
  auto head = parseResponseHead(text);
  ASSERT_TRUE(head.ok()) << head.error().describe();
  EXPECT_EQ(head->status, 201);
  EXPECT_EQ(head->minorVersion, 1);
  const Headers expected = {
      {"Content-Type", "application/json"}, {"X-Multi", "a b"}, {"X-Empty", ""}, {"x-multi", "c"}};
  EXPECT_EQ(head->headers, expected);
}

TEST(ResponseHead, FindsTheEndOnlyOnceItArrived) {
  EXPECT_EQ(findHeadEnd("HTTP/1.1 200 OK\r\nA: b\r\n"), std::string::npos);
  EXPECT_EQ(findHeadEnd("HTTP/1.1 200 OK\r\nA: b\r\n\r"), std::string::npos);
  EXPECT_EQ(findHeadEnd("HTTP/1.1 200 OK\n\nrest"), 17U);
  EXPECT_TRUE(parseResponseHead("HTTP/1.0 404\r\n\r\n").ok()) << "the reason phrase is optional";
}

TEST(ResponseHead, RefusesMalformedHeads) {
  for (const char* text : {"", "HTTP/2 200 OK\r\n\r\n", "ICY 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
                           "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                           "HTTP/1.1 200 OK\r\n folded first\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parseResponseHead(text).ok());
  }
}

TEST(ResponseHead, KeepAliveFollowsVersionAndConnection) {
  const struct {
    const char* head;
    bool keepAlive;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", true},
      {"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.head);
    EXPECT_EQ(parseResponseHead(c.head)->keepAlive(), c.keepAlive);
  }
}

TEST(ResponseHead, FramesTheBody) {
  using Kind = BodyFraming::Kind;
  const struct {
    const char* name;
    const char* method;
    const char* head;
    Kind kind;
    uint64_t length;
  } cases[] = {
      {"content length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", Kind::Length, 12},
      {"repeated equal lengths", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n", Kind::Length, 3},
      {"chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Kind::Chunked, 0},
      {"chunked wins over length", "GET",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Kind::Chunked, 0},
      {"other transfer coding", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", Kind::UntilClose, 0},
      {"neither", "GET", "HTTP/1.1 200 OK\r\n\r\n", Kind::UntilClose, 0},
      {"HEAD has none", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", Kind::None, 0},
      {"204 has none", "DELETE", "HTTP/1.1 204 No Content\r\n\r\n", Kind::None, 0},
      {"304 has none", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", Kind::None, 0},
      {"CONNECT 200 has none", "CONNECT", "HTTP/1.1 200 Connection established\r\n\r\n", Kind::None, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto head = parseResponseHead(c.head);
    ASSERT_TRUE(head.ok());
    auto framing = bodyFraming(*head, c.method);
    ASSERT_TRUE(framing.ok()) << framing.error().describe();
    EXPECT_EQ(framing->kind, c.kind);
    EXPECT_EQ(framing->length, c.length);
  }
}

TEST(ResponseHead, RefusesBadLengths) {
  for (const char* head :
       {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    SCOPED_TRACE(head);
    EXPECT_FALSE(bodyFraming(*parseResponseHead(head), "GET").ok());
  }
}

}  // namespace
}  // namespace launch::http
