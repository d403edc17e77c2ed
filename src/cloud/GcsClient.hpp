// GcsClient: Cloud Storage JSON API requests with an OAuth2 bearer token, retried by the RetryPolicy; the one
// place the build context store and archive downloads talk to Cloud Storage.
#pragma once

#include <memory>
#include <string>

#include "cloud/GoogleTokenSource.hpp"
#include "cloud/RetryPolicy.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::cloud {

// Error::reason of a GcsClient::send that failed because the token source gave no token; the message is the
// source's own, for the caller to put in context.
inline constexpr const char* kReasonNoGoogleToken = "NoGoogleToken";

inline constexpr const char* kGcsDefaultEndpoint = "https://storage.googleapis.com";

struct GcsClientOptions {
  std::string endpoint = kGcsDefaultEndpoint;  // a fake's URL in tests
  RetryOptions retry;
};

class GcsClient {
 public:
  // The HTTP client and the clock must outlive the GcsClient; `tokens` should cache (GoogleCachedTokenSource).
  GcsClient(http::HttpClient& http, std::shared_ptr<GoogleTokenSource> tokens, GcsClientOptions options,
            const Clock& clock = SystemClock::instance());

  // The JSON API URL of an object: endpoint/storage/v1/b/<bucket>/o/<object, '/' encoded too>.
  std::string objectUrl(const std::string& bucket, const std::string& object) const;
  // The media upload URL of an object.
  std::string uploadUrl(const std::string& bucket, const std::string& object) const;

  // Sends `method` to `url` (from objectUrl or uploadUrl, with any query) and returns the answer, whatever
  // its status. Throttling, 5xx and connection errors are retried; a 401 drops the token of a
  // GoogleCachedTokenSource and retries once with a new one.
  Result<http::HttpResponse> send(const std::string& method, const std::string& url, const std::string& body = {},
                                  const std::string& contentType = {});

  // Who the tokens are for, for errors; never a secret.
  std::string describeTokens() const { return tokens_->describe(); }

 private:
  http::HttpClient& http_;
  std::shared_ptr<GoogleTokenSource> tokens_;
  GcsClientOptions options_;
  const Clock& clock_;
};

// "HTTP 404: No such object: b/o": the status and the "error.message" of a JSON API error answer, for people.
std::string gcsProblem(const http::HttpResponse& response);

}  // namespace launch::cloud
