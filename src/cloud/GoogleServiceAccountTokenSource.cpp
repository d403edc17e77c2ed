// GoogleServiceAccountTokenSource: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with an RS256 assertion.
#include "cloud/GoogleServiceAccountTokenSource.hpp"

#include <utility>

#include "cloud/Jwt.hpp"

namespace launch::cloud {
namespace {

constexpr const char* kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    if (!joined.empty()) joined += ' ';
    joined += scope;
  }
  return joined;
}

}  // namespace

GoogleServiceAccountTokenSource::GoogleServiceAccountTokenSource(GoogleServiceAccountKey key, std::string origin,
                                                                 http::HttpClient& http, const Clock& clock,
                                                                 GoogleServiceAccountOptions options)
    : key_(std::move(key)),
      origin_(std::move(origin)),
      clock_(clock),
      options_(std::move(options)),
      endpoint_(options_.tokenUri.empty() ? key_.tokenUri : options_.tokenUri, http, clock) {}

std::string GoogleServiceAccountTokenSource::describe() const {
  return "service account " + key_.clientEmail + " (key " + origin_ + ")";
}

Result<std::string> GoogleServiceAccountTokenSource::assertion() const {
  const auto issuedAt = std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  const nlohmann::json claims = {
      {"iss", key_.clientEmail},
      {"scope", joinScopes(options_.scopes)},
      {"aud", endpoint_.uri()},
      {"iat", issuedAt},
      {"exp", issuedAt + options_.assertionLifetime.count()},
  };
  auto compact = Jwt::rs256(claims, key_.privateKeyId).sign(key_.privateKeyPem);
  if (!compact) {
    return makeError(ErrorCode::Invalid,
                     "cannot sign a token request for " + describe() + ": " + compact.error().message);
  }
  return compact;
}

Result<AccessToken> GoogleServiceAccountTokenSource::token() {
  auto jwt = assertion();
  if (!jwt) return jwt.error();
  GoogleTokenGrant grant;
  grant.form = {{"grant_type", kJwtBearerGrant}, {"assertion", *jwt}};
  // The assertion is a bearer credential for an hour; the key must never leak, even in part.
  grant.secrets = {*jwt, jwt->substr(jwt->rfind('.') + 1), key_.privateKeyPem};
  grant.subject = describe();
  grant.invalidGrantFix =
      "the key may have been deleted or disabled, the account may not exist, or this machine's clock may be "
      "off; check the clock, or create a new key with `gcloud iam service-accounts keys create` and point " +
      origin_ + " at it";
  grant.invalidClientFix = "check \"client_email\" in " + origin_;
  return endpoint_.exchange(grant);
}

}  // namespace launch::cloud
