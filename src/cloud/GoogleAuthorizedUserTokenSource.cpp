// GoogleAuthorizedUserTokenSource: grant_type=refresh_token with the login's OAuth client.
#include "cloud/GoogleAuthorizedUserTokenSource.hpp"

#include <utility>

namespace launch::cloud {

GoogleAuthorizedUserTokenSource::GoogleAuthorizedUserTokenSource(GoogleAuthorizedUser user, std::string origin,
                                                                 http::HttpClient& http, const Clock& clock,
                                                                 const std::string& tokenUri)
    : user_(std::move(user)),
      origin_(std::move(origin)),
      endpoint_(tokenUri.empty() ? user_.tokenUri : tokenUri, http, clock) {}

std::string GoogleAuthorizedUserTokenSource::describe() const {
  return "user login for OAuth client " + user_.clientId + " (" + origin_ + ")";
}

Result<AccessToken> GoogleAuthorizedUserTokenSource::token() {
  GoogleTokenGrant grant;
  grant.form = {{"grant_type", "refresh_token"},
                {"client_id", user_.clientId},
                {"client_secret", user_.clientSecret},
                {"refresh_token", user_.refreshToken}};
  grant.secrets = {user_.clientSecret, user_.refreshToken};
  grant.subject = describe();
  grant.invalidGrantFix =
      "the refresh token has expired or been revoked; run `gcloud auth application-default login` again";
  grant.invalidClientFix = "check \"client_id\" and \"client_secret\" in " + origin_ +
                           ", or run `gcloud auth application-default login` again";
  return endpoint_.exchange(grant);
}

}  // namespace launch::cloud
