// Url: parsing of absolute http:// and https:// URLs, the way the client sends them.
#include "http/Url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "util/Base64.hpp"

namespace launch::http {
namespace {

bool isAddress(int family, const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(family, text.c_str(), buffer) == 1;
}

// Letters, digits and the unreserved marks of a host name; names with anything else are refused rather
// than sent to a resolver.
bool validName(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
  });
}

// Whitespace and control characters cannot travel in a request line.
bool validTarget(std::string_view target) {
  return std::none_of(target.begin(), target.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
}

std::string percentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

bool Url::hostIsAddress() const { return isAddress(AF_INET, host) || isAddress(AF_INET6, host); }

std::string Url::authority() const {
  std::string out = hostIsIpv6() ? "[" + host + "]" : host;
  if (!defaultPort()) out += ":" + std::to_string(port);
  return out;
}

std::string Url::hostAndPort() const { return (hostIsIpv6() ? "[" + host + "]" : host) + ":" + std::to_string(port); }

namespace {

// A query parameter whose value is a credential, judged by its name.
bool carriesCredentials(std::string_view name) {
  std::string lowered(name);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"sig", "token", "credential", "secret", "password", "key"}) {
    if (lowered.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string redactedForMessages(std::string_view text) {
  std::string out(text);
  const auto schemeEnd = out.find("://");
  if (schemeEnd != std::string::npos) {
    const auto authorityStart = schemeEnd + 3;
    const auto authorityEnd = out.find_first_of("/?#", authorityStart);
    const auto at = out.substr(0, authorityEnd).rfind('@');
    if (at != std::string::npos && at >= authorityStart) out.erase(authorityStart, at + 1 - authorityStart);
  }
  const auto query = out.find('?');
  if (query == std::string::npos) return out;
  const auto fragment = out.find('#', query);
  std::string redacted = out.substr(0, query + 1);
  const std::string_view params =
      std::string_view(out).substr(query + 1, fragment == std::string::npos ? std::string::npos : fragment - query - 1);
  size_t start = 0;
  while (start <= params.size()) {
    const auto end = std::min(params.find('&', start), params.size());
    const std::string_view param = params.substr(start, end - start);
    const auto equals = param.find('=');
    if (equals != std::string_view::npos && carriesCredentials(param.substr(0, equals))) {
      redacted.append(param.substr(0, equals + 1)).append("REDACTED");
    } else {
      redacted.append(param);
    }
    if (end < params.size()) redacted.push_back('&');
    start = end + 1;
  }
  if (fragment != std::string::npos) redacted.append(out.substr(fragment));
  return redacted;
}

Result<Url> parseUrl(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return makeError(ErrorCode::Invalid, "the URL '" + redactedForMessages(text) + "' " + why);
  };
  Url url;
  const auto schemeEnd = text.find("://");
  if (schemeEnd == std::string_view::npos) return invalid("has no scheme (http:// or https://)");
  url.scheme = std::string(text.substr(0, schemeEnd));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "http" && url.scheme != "https") return invalid("has an unsupported scheme");

  std::string_view rest = text.substr(schemeEnd + 3);
  const auto authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  std::string_view target = authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd);
  target = target.substr(0, target.find('#'));

  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }

  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid("has an unclosed IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    if (!isAddress(AF_INET6, url.host)) return invalid("has a malformed IPv6 address");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return invalid("has characters after its IPv6 address");
    if (!after.empty()) port = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (!validName(url.host)) return invalid("has no valid host");
  }

  url.port = url.https() ? 443 : 80;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return invalid("has a malformed port");
    }
    url.port = std::stoi(std::string(port));
    url.portGiven = true;
    if (url.port < 1 || url.port > 65535) return invalid("has a port out of range");
  }

  if (target.empty()) {
    url.target = "/";
  } else if (target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = std::string(target);
  }
  if (!validTarget(url.target) || !validTarget(url.userinfo)) return invalid("has whitespace or control characters");
  return url;
}

std::string basicAuthorization(const Url& url) {
  if (url.userinfo.empty()) return {};
  const auto colon = url.userinfo.find(':');
  const std::string user = percentDecode(url.userinfo.substr(0, colon));
  const std::string password = colon == std::string::npos ? "" : percentDecode(url.userinfo.substr(colon + 1));
  return "Basic " + base64Encode(user + ":" + password);
}

}  // namespace launch::http
