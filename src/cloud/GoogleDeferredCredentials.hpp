// GoogleDeferredCredentials: Application Default Credentials looked up on the first token asked for, so a
// process that may never call Google (no gs:// source, no Artifact Registry) neither probes the metadata
// server at start-up nor fails there.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "cloud/GoogleEnvironment.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

class GoogleDeferredCredentials final : public GoogleTokenSource {
 public:
  // The HTTP client and the clock must outlive the source. Wrap it in a GoogleCachedTokenSource.
  GoogleDeferredCredentials(http::HttpClient& http, const Clock& clock = SystemClock::instance());

  // The first call finds the source (GoogleDefaultCredentials::find); a failure is returned and tried again
  // on the next call, so credentials that appear later (a mounted key) are picked up.
  Result<AccessToken> token() override;
  std::string describe() const override;

 private:
  http::HttpClient& http_;
  const Clock& clock_;
  GoogleProcessEnvironment environment_;
  mutable std::mutex mutex_;  // guards source_; held while the source is first looked up
  std::unique_ptr<GoogleTokenSource> source_;
};

}  // namespace launch::cloud
