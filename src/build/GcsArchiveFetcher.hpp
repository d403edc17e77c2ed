// GcsArchiveFetcher: downloads gs:// archive sources with the Cloud Storage JSON API's media download
// (GET /storage/v1/b/<bucket>/o/<object>?alt=media, through cloud::GcsClient).
#pragma once

#include <memory>
#include <string>

#include "build/ArchiveFetcher.hpp"
#include "cloud/GcsClient.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::build {

class GcsArchiveFetcher final : public ArchiveFetcher {
 public:
  // The HTTP client and the clock must outlive the fetcher; `tokens` should cache
  // (cloud::GoogleCachedTokenSource around cloud::GoogleDefaultCredentials::find).
  GcsArchiveFetcher(http::HttpClient& http, std::shared_ptr<cloud::GoogleTokenSource> tokens,
                    cloud::GcsClientOptions options = {}, const Clock& clock = SystemClock::instance());

  Result<std::string> download(const std::string& url) override;

 private:
  cloud::GcsClient client_;
};

}  // namespace launch::build
