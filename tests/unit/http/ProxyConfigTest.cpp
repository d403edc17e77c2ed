// Unit tests of ProxyConfig: which variables are read, and which hosts no_proxy and loopback exempt.
#include "http/ProxyConfig.hpp"

#include <gtest/gtest.h>

#include <map>

namespace launch::http {
namespace {

ProxyConfig configFrom(const std::map<std::string, std::string>& variables) {
  return ProxyConfig::fromEnvironment([&](const char* name) -> const char* {
    const auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  });
}

// "host:port" of the proxy chosen for `url`, "direct", or "error".
std::string proxyOf(const ProxyConfig& config, const std::string& url) {
  auto proxy = config.proxyFor(*parseUrl(url));
  if (!proxy) return "error";
  return *proxy == nullptr ? "direct" : (*proxy)->hostAndPort();
}

TEST(ProxyConfig, ChoosesTheVariableOfTheScheme) {
  const struct {
    const char* name;
    std::map<std::string, std::string> variables;
    const char* url;
    const char* proxy;
  } cases[] = {
      {"nothing set", {}, "http://example.com/", "direct"},
      {"http_proxy for http", {{"http_proxy", "http://p:3128"}}, "http://example.com/", "p:3128"},
      {"http_proxy not for https", {{"http_proxy", "http://p:3128"}}, "https://example.com/", "direct"},
      {"https_proxy for https", {{"https_proxy", "http://s:3129"}}, "https://example.com/", "s:3129"},
      {"upper case", {{"HTTPS_PROXY", "http://s:1"}, {"HTTP_PROXY", "h:2"}}, "https://example.com/", "s:1"},
      {"lower case first", {{"http_proxy", "lower:1"}, {"HTTP_PROXY", "upper:2"}}, "http://example.com/", "lower:1"},
      {"empty is unset", {{"http_proxy", ""}, {"HTTP_PROXY", "upper:2"}}, "http://example.com/", "upper:2"},
      {"all_proxy as fallback", {{"all_proxy", "http://a:9"}}, "https://example.com/", "a:9"},
      {"no scheme means http", {{"http_proxy", "p:8"}}, "http://example.com/", "p:8"},
      {"the curl CLI's default port", {{"http_proxy", "http://p"}}, "http://example.com/", "p:1080"},
      {"with credentials", {{"https_proxy", "http://u:pw@p:3"}}, "https://example.com/", "p:3"},
      {"https proxy unsupported", {{"https_proxy", "https://p:3"}}, "https://example.com/", "error"},
      {"socks unsupported", {{"http_proxy", "socks5://p:1080"}}, "http://example.com/", "error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(proxyOf(configFrom(c.variables), c.url), c.proxy);
  }
}

TEST(ProxyConfig, NoProxyAndLoopbackConnectDirectly) {
  const struct {
    const char* noProxy;
    const char* host;
    bool direct;
  } cases[] = {
      {"", "example.com", false},
      {"example.com", "example.com", true},
      {"example.com", "api.example.com", true},
      {".example.com", "api.example.com", true},
      {".example.com", "example.com", true},
      {"example.com", "notexample.com", false},
      {"EXAMPLE.com", "Api.Example.COM", true},
      {"a.org, example.com ,b.org", "x.example.com", true},
      {"a.org,b.org", "example.com", false},
      {"*", "anything.at.all", true},
      {"10.0.0.0/8", "10.1.2.3", true},
      {"10.0.0.0/8", "11.1.2.3", false},
      {"192.168.1.7", "192.168.1.7", true},
      {"[fd00::1]", "[fd00::1]", true},
      {"fd00::/8", "[fd12::5]", true},
      {"", "localhost", true},
      {"", "app.localhost", true},
      {"", "127.0.0.1", true},
      {"", "127.5.6.7", true},
      {"", "[::1]", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.noProxy) + " / " + c.host);
    const ProxyConfig config =
        configFrom({{"http_proxy", "http://proxy:3128"}, {"no_proxy", c.noProxy}, {"NO_PROXY", "ignored.org"}});
    EXPECT_EQ(proxyOf(config, std::string("http://") + c.host + "/") == "direct", c.direct);
  }
}

TEST(ProxyConfig, UpperCaseNoProxyCountsWhenLowerIsUnset) {
  const ProxyConfig config = configFrom({{"http_proxy", "http://proxy:3128"}, {"NO_PROXY", "internal"}});
  EXPECT_EQ(proxyOf(config, "http://svc.internal/"), "direct");
  EXPECT_EQ(proxyOf(config, "http://example.com/"), "proxy:3128");
}

TEST(ProxyConfig, AMalformedProxyIsInvalidWithoutItsPassword) {
  const ProxyConfig config = configFrom({{"https_proxy", "ftp://user:hunter2@p:1"}});
  auto proxy = config.proxyFor(*parseUrl("https://example.com/"));
  ASSERT_FALSE(proxy.ok());
  EXPECT_EQ(proxy.error().code, ErrorCode::Invalid);
  EXPECT_NE(proxy.error().message.find("https_proxy"), std::string::npos);
  EXPECT_EQ(proxy.error().message.find("hunter2"), std::string::npos) << proxy.error().message;
}

}  // namespace
}  // namespace launch::http
