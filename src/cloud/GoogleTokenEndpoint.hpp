// GoogleTokenEndpoint: posts an OAuth2 grant and turns the answer into a token or a secret-free, actionable error.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::cloud {

struct GoogleTokenGrant {
  std::vector<std::pair<std::string, std::string>> form;  // sent form-encoded, in this order
  std::vector<std::string> secrets;  // values to keep out of errors, even if the endpoint echoes them
  std::string subject;               // who asks, for errors: "service account x@p.iam.gserviceaccount.com from /k.json"
  std::string invalidGrantFix;       // what to do when the endpoint answers invalid_grant
  std::string invalidClientFix;      // ... and invalid_client
};

class GoogleTokenEndpoint {
 public:
  GoogleTokenEndpoint(std::string uri, http::HttpClient& http, const Clock& clock);

  // One POST; no retries (the caching layer above decides when to ask again). The token's expiry is counted
  // from before the request was sent, so a slow answer errs on the early side.
  Result<AccessToken> exchange(const GoogleTokenGrant& grant) const;

  const std::string& uri() const { return uri_; }

 private:
  std::string uri_;
  http::HttpClient& http_;
  const Clock& clock_;
};

// Replaces every occurrence of each secret (of 4 characters or more) with "[redacted]".
std::string redactSecrets(std::string text, const std::vector<std::string>& secrets);

// Parses a token answer {"access_token","expires_in","token_type"}: shared with the metadata server, which
// answers in the same shape. from names the peer in errors; the answer's text is never quoted.
Result<AccessToken> parseGoogleTokenAnswer(const std::string& body, Clock::TimePoint issuedAt, const std::string& from);

}  // namespace launch::cloud
