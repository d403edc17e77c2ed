// GoogleTokenSource: where a Google OAuth2 access token comes from (a key file, a user login, the metadata server).
#pragma once

#include <string>
#include <string_view>

#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::cloud {

// The scope that grants what the account's IAM roles allow; the usual one for Google Cloud APIs.
inline constexpr std::string_view kGoogleCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

// The default OAuth2 token endpoint (service-account keys carry their own "token_uri").
inline constexpr std::string_view kGoogleTokenUri = "https://oauth2.googleapis.com/token";

struct AccessToken {
  std::string token;             // sent as "Authorization: Bearer <token>"; a secret, never logged
  Clock::TimePoint expiry = {};  // on the monotonic clock of the Clock the source was given
};

class GoogleTokenSource {
 public:
  virtual ~GoogleTokenSource() = default;

  // A fresh token from the source (sources do not cache; wrap one in GoogleCachedTokenSource for that).
  virtual Result<AccessToken> token() = 0;

  // Who the tokens are for and where they come from, for logs and errors; never a secret.
  virtual std::string describe() const = 0;
};

}  // namespace launch::cloud
