// ProxyConfig: parsing of the proxy variables and the no_proxy match of a request's host.
#include "http/ProxyConfig.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "util/Text.hpp"

namespace launch::http {
namespace {

const char* firstSet(const ProxyConfig::Lookup& lookup, std::initializer_list<const char*> names, const char*& which) {
  for (const char* name : names) {
    const char* value = lookup(name);
    if (value != nullptr && *value != '\0') {
      which = name;
      return value;
    }
  }
  return nullptr;
}

std::optional<Result<Url>> proxyFrom(const ProxyConfig::Lookup& lookup, std::initializer_list<const char*> names) {
  const char* variable = nullptr;
  const char* value = firstSet(lookup, names, variable);
  if (value == nullptr) return std::nullopt;
  std::string text(trim(value));
  if (text.find("://") == std::string::npos) text = "http://" + text;
  auto url = parseUrl(text);
  if (!url || url->scheme != "http") {
    return Result<Url>(makeError(ErrorCode::Invalid, std::string(variable) + " is not an http:// proxy URL" +
                                                         (url ? "" : ": " + url.error().message)));
  }
  if (!url->portGiven) url->port = 1080;  // the curl CLI's default proxy port
  return url;
}

// An address in network byte order, 4 or 16 bytes, or empty when the text is not an IP address.
std::string addressBytes(const std::string& text) {
  std::array<unsigned char, 16> buffer{};
  if (::inet_pton(AF_INET, text.c_str(), buffer.data()) == 1) return std::string(buffer.begin(), buffer.begin() + 4);
  if (::inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1) return std::string(buffer.begin(), buffer.end());
  return {};
}

bool inRange(const std::string& address, const std::string& range) {
  const auto slash = range.find('/');
  const std::string network = addressBytes(range.substr(0, slash));
  if (network.empty() || network.size() != address.size()) return false;
  int bits = static_cast<int>(network.size()) * 8;
  if (slash != std::string::npos) {
    const std::string prefix = range.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 3 ||
        !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    bits = std::min(bits, std::stoi(prefix));
  }
  for (int bit = 0; bit < bits; ++bit) {
    const int mask = 0x80 >> (bit % 8);
    if ((address[static_cast<size_t>(bit / 8)] & mask) != (network[static_cast<size_t>(bit / 8)] & mask)) return false;
  }
  return true;
}

bool isLoopback(const std::string& host) {
  if (host == "localhost" || (host.size() > 10 && host.ends_with(".localhost"))) return true;
  const std::string address = addressBytes(host);
  return (address.size() == 4 && address[0] == 127) || host == "::1" || inRange(address, "::1/128");
}

}  // namespace

ProxyConfig ProxyConfig::fromEnvironment(const Lookup& lookup) {
  ProxyConfig config;
  config.http_ = proxyFrom(lookup, {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"});
  config.https_ = proxyFrom(lookup, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"});
  const char* variable = nullptr;
  if (const char* list = firstSet(lookup, {"no_proxy", "NO_PROXY"}, variable)) {
    std::string rest = list;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string entry = toLower(trim(rest.substr(0, comma)));
      rest = comma == std::string::npos ? std::string() : rest.substr(comma + 1);
      while (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
      if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
      if (!entry.empty()) config.noProxy_.push_back(entry);
    }
  }
  return config;
}

bool ProxyConfig::bypassed(const std::string& rawHost) const {
  const std::string host = toLower(rawHost);
  if (isLoopback(host)) return true;
  const std::string address = addressBytes(host);
  return std::any_of(noProxy_.begin(), noProxy_.end(), [&](const std::string& entry) {
    if (entry == "*" || entry == host) return true;
    if (!address.empty()) return inRange(address, entry);
    return host.size() > entry.size() && host.ends_with(entry) && host[host.size() - entry.size() - 1] == '.';
  });
}

Result<const Url*> ProxyConfig::proxyFor(const Url& url) const {
  const auto& proxy = url.https() ? https_ : http_;
  if (!proxy || bypassed(url.host)) return static_cast<const Url*>(nullptr);
  if (!*proxy) return proxy->error();
  return &proxy->value();
}

}  // namespace launch::http
