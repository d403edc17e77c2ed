// GoogleServiceAccountTokenSource: access tokens for a service-account key, by the OAuth2 JWT bearer grant.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cloud/GoogleCredentialsFile.hpp"
#include "cloud/GoogleTokenEndpoint.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

struct GoogleServiceAccountOptions {
  std::vector<std::string> scopes{std::string(kGoogleCloudPlatformScope)};
  std::string tokenUri;  // overrides the key's "token_uri" (a private endpoint, a test fake); also the JWT "aud"
  std::chrono::seconds assertionLifetime{3600};  // Google accepts at most one hour
};

class GoogleServiceAccountTokenSource final : public GoogleTokenSource {
 public:
  // origin names the key in errors (its path, or the Secret it came from). The client and the clock must
  // outlive the source.
  GoogleServiceAccountTokenSource(GoogleServiceAccountKey key, std::string origin, http::HttpClient& http,
                                  const Clock& clock, GoogleServiceAccountOptions options = {});

  Result<AccessToken> token() override;
  std::string describe() const override;

  // The signed JWT assertion {iss, scope, aud, iat, exp} that token() sends.
  Result<std::string> assertion() const;

 private:
  GoogleServiceAccountKey key_;
  std::string origin_;
  const Clock& clock_;
  GoogleServiceAccountOptions options_;
  GoogleTokenEndpoint endpoint_;
};

}  // namespace launch::cloud
