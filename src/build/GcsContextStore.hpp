// GcsContextStore: build contexts in a Google Cloud Storage bucket, through the JSON API's media upload and
// object delete with an OAuth2 access token (sent by cloud::GcsClient).
#pragma once

#include <memory>
#include <string>

#include "build/BuildContextStore.hpp"
#include "cloud/GcsClient.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::build {

struct GcsContextStoreOptions {
  std::string bucket;
  std::string prefix;                                       // without leading or trailing '/'
  std::string endpoint = "https://storage.googleapis.com";  // a fake's URL in tests
};

class GcsContextStore final : public BuildContextStore {
 public:
  // The client must outlive the store; `tokens` should cache (GoogleCachedTokenSource).
  GcsContextStore(http::HttpClient& http, std::shared_ptr<cloud::GoogleTokenSource> tokens,
                  GcsContextStoreOptions options, const Clock& clock = SystemClock::instance());

  Status put(const std::string& name, const std::string& archive) override;
  Status remove(const std::string& name) override;
  std::string contextUrl(const std::string& name) const override;
  std::string describe() const override;

 private:
  Result<http::HttpResponse> send(const std::string& method, const std::string& url, const std::string& body);

  GcsContextStoreOptions options_;
  cloud::GcsClient client_;
};

}  // namespace launch::build
