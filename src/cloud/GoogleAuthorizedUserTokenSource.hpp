// GoogleAuthorizedUserTokenSource: access tokens for a gcloud user login, by the OAuth2 refresh_token grant.
#pragma once

#include <string>

#include "cloud/GoogleCredentialsFile.hpp"
#include "cloud/GoogleTokenEndpoint.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

class GoogleAuthorizedUserTokenSource final : public GoogleTokenSource {
 public:
  // origin names the login in errors (usually the path of the ADC file). tokenUri, when not empty, overrides
  // the file's. The client and the clock must outlive the source.
  GoogleAuthorizedUserTokenSource(GoogleAuthorizedUser user, std::string origin, http::HttpClient& http,
                                  const Clock& clock, const std::string& tokenUri = "");

  Result<AccessToken> token() override;
  std::string describe() const override;

 private:
  GoogleAuthorizedUser user_;
  std::string origin_;
  GoogleTokenEndpoint endpoint_;
};

}  // namespace launch::cloud
