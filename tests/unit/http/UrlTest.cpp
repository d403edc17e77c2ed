// Unit tests of parseUrl: schemes, hosts (names, IPv4, bracketed IPv6), ports, targets, and refusals.
#include "http/Url.hpp"

#include <gtest/gtest.h>

namespace launch::http {
namespace {

TEST(ParseUrl, SplitsTheParts) {
  const struct {
    const char* url;
    const char* scheme;
    const char* host;
    int port;
    const char* target;
    const char* authority;
  } cases[] = {
      {"http://example.com", "http", "example.com", 80, "/", "example.com"},
      {"https://example.com/", "https", "example.com", 443, "/", "example.com"},
      {"HTTPS://api.example.com:6443/api/v1/pods?watch=1&x=%2F", "https", "api.example.com", 6443,
       "/api/v1/pods?watch=1&x=%2F", "api.example.com:6443"},
      {"http://127.0.0.1:8080/a/b", "http", "127.0.0.1", 8080, "/a/b", "127.0.0.1:8080"},
      {"http://[::1]:9000/x", "http", "::1", 9000, "/x", "[::1]:9000"},
      {"https://[fe80::1]/", "https", "fe80::1", 443, "/", "[fe80::1]"},
      {"http://docker/v1.41/_ping", "http", "docker", 80, "/v1.41/_ping", "docker"},
      {"http://host?q=1", "http", "host", 80, "/?q=1", "host"},
      {"http://host/path#fragment", "http", "host", 80, "/path", "host"},
      {"http://host:80/x", "http", "host", 80, "/x", "host"},
      {"https://host:443", "https", "host", 443, "/", "host"},
      {"http://user:secret@host:81/", "http", "host", 81, "/", "host:81"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto url = parseUrl(c.url);
    ASSERT_TRUE(url.ok()) << url.error().describe();
    EXPECT_EQ(url->scheme, c.scheme);
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->target, c.target);
    EXPECT_EQ(url->authority(), c.authority);
  }
}

TEST(ParseUrl, RefusesMalformedUrlsAsInvalidNamingThem) {
  const char* cases[] = {
      "example.com/path",        // no scheme
      "ftp://example.com/",      // unsupported scheme
      "unix:///var/run/x.sock",  // unsupported scheme
      "http:///path",            // no host
      "http://host:port/",       // port not a number
      "http://host:70000/",      // port out of range
      "http://[::1/",            // unclosed IPv6
      "http://[not-v6]/",        // not an IPv6 address
      "http://ho st/",           // space in the host
      "http://host/a path",      // space in the path
      "http://host/a\r\nX: y",   // CRLF in the path
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    auto url = parseUrl(text);
    ASSERT_FALSE(url.ok());
    EXPECT_EQ(url.error().code, ErrorCode::Invalid);
    EXPECT_NE(url.error().message.find(std::string(text).substr(0, 12)), std::string::npos) << url.error().message;
  }
}

TEST(ParseUrl, KeepsPasswordsOutOfMessages) {
  auto url = parseUrl("ftp://user:hunter2@host/");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos) << url.error().message;
  EXPECT_EQ(redactedForMessages("https://user:hunter2@host:1/p?q@x"), "https://host:1/p?q@x");
  EXPECT_EQ(redactedForMessages("https://host/p?q@x"), "https://host/p?q@x");
  EXPECT_EQ(redactedForMessages("https://b.s3.amazonaws.com/k.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                                "AKIA%2F20261202&X-Amz-Signature=abc123&X-Amz-Security-Token=tok&versionId=3#top"),
            "https://b.s3.amazonaws.com/k.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&"
            "X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED&versionId=3#top");
  EXPECT_EQ(redactedForMessages("https://acct.blob.core.windows.net/c/b?sv=2022&sig=s3cr3t&api_key=k"),
            "https://acct.blob.core.windows.net/c/b?sv=2022&sig=REDACTED&api_key=REDACTED");
  EXPECT_EQ(redactedForMessages("http://h/apis?labelSelector=a%3Db&watch=1"),
            "http://h/apis?labelSelector=a%3Db&watch=1");
}

TEST(ParseUrl, BasicAuthorizationDecodesUserinfo) {
  EXPECT_EQ(basicAuthorization(*parseUrl("http://host/")), "");
  EXPECT_EQ(basicAuthorization(*parseUrl("http://user:p%40ss@host/")), "Basic dXNlcjpwQHNz");  // user:p@ss
  EXPECT_EQ(basicAuthorization(*parseUrl("http://user@host/")), "Basic dXNlcjo=");             // user:
}

TEST(ParseUrl, TellsAddressesFromNames) {
  EXPECT_TRUE(parseUrl("http://10.0.0.1/")->hostIsAddress());
  EXPECT_TRUE(parseUrl("http://[::1]/")->hostIsAddress());
  EXPECT_FALSE(parseUrl("http://localhost/")->hostIsAddress());
  EXPECT_EQ(parseUrl("http://[::1]:5/")->hostAndPort(), "[::1]:5");
  EXPECT_EQ(parseUrl("https://h/")->hostAndPort(), "h:443");
}

}  // namespace
}  // namespace launch::http
