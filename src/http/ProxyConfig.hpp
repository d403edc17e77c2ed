// ProxyConfig: the HTTP proxies the environment names (http_proxy, https_proxy, no_proxy), as the curl CLI reads them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/Url.hpp"
#include "util/Result.hpp"

namespace launch::http {

class ProxyConfig {
 public:
  // A variable's value, or null when it is not set.
  using Lookup = std::function<const char*(const char* name)>;

  ProxyConfig() = default;  // no proxy
  // Reads http_proxy/HTTP_PROXY (for http:// URLs), https_proxy/HTTPS_PROXY (for https:// URLs, through a
  // CONNECT tunnel), all_proxy/ALL_PROXY (either, when the first are unset) and no_proxy/NO_PROXY (a comma
  // list of host names, domain suffixes with or without a leading dot, IP addresses, CIDR ranges, or "*").
  static ProxyConfig fromEnvironment(const Lookup& lookup);

  // The proxy for a request to `url`, or nullptr to connect directly (no proxy set, a no_proxy match, or a
  // loopback host). A proxy variable that is not an http:// proxy URL is ErrorCode::Invalid.
  Result<const Url*> proxyFor(const Url& url) const;

 private:
  bool bypassed(const std::string& host) const;

  std::optional<Result<Url>> http_;
  std::optional<Result<Url>> https_;
  std::vector<std::string> noProxy_;  // lower case, without leading dots or brackets
};

}  // namespace launch::http
