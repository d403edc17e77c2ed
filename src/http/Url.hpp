// Url: an http:// or https:// URL split into the parts an HTTP/1.1 client needs.
#pragma once

#include <string>
#include <string_view>

#include "util/Result.hpp"

namespace launch::http {

struct Url {
  std::string scheme;    // "http" or "https", lower case
  std::string userinfo;  // "user:password" as written (percent-encoded), often empty
  std::string host;      // a name, an IPv4 address or an IPv6 address without its brackets
  int port = 0;          // explicit or the scheme's default
  bool portGiven = false;
  std::string target;  // path and query as given, "/" when the URL has none; never a fragment

  bool https() const { return scheme == "https"; }
  bool hostIsIpv6() const { return host.find(':') != std::string::npos; }
  bool hostIsAddress() const;  // an IPv4 or IPv6 literal rather than a name
  bool defaultPort() const { return port == (https() ? 443 : 80); }

  // host[:port] as the Host header and a CONNECT request name it: IPv6 in brackets, the default port left out.
  std::string authority() const;
  // host:port, always with the port (CONNECT's request target).
  std::string hostAndPort() const;
};

// "Basic ..." credentials from the URL's user:password (percent-decoded), or empty when it has none.
std::string basicAuthorization(const Url& url);

// The URL as written, for messages: without a user:password@ part, and with the values of query parameters that
// carry credentials (a presigned URL's signature, credential and token; keys, secrets, passwords) replaced by
// "REDACTED", so no error message or log line shows a secret.
std::string redactedForMessages(std::string_view url);

// Parses an absolute http:// or https:// URL. A malformed URL or another scheme is ErrorCode::Invalid
// naming the URL (without its userinfo).
Result<Url> parseUrl(std::string_view text);

}  // namespace launch::http
