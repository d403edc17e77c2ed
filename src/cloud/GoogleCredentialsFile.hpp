// GoogleCredentialsFile: ADC's JSON credential files (service-account keys, gcloud user logins) as typed values.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "util/Result.hpp"

namespace launch::cloud {

// {"type":"service_account", ...} as written by `gcloud iam service-accounts keys create`.
struct GoogleServiceAccountKey {
  std::string clientEmail;    // "client_email"
  std::string privateKeyPem;  // "private_key"; a secret
  std::string privateKeyId;   // "private_key_id", sent as the JWT "kid"
  std::string tokenUri;       // "token_uri", kGoogleTokenUri when absent
  std::string projectId;      // "project_id", may be empty
};

// {"type":"authorized_user", ...} as written by `gcloud auth application-default login`.
struct GoogleAuthorizedUser {
  std::string clientId;      // "client_id"
  std::string clientSecret;  // "client_secret"; a secret
  std::string refreshToken;  // "refresh_token"; a secret
  std::string tokenUri;      // "token_uri", kGoogleTokenUri when absent
  std::string quotaProjectId;
};

using GoogleCredentials = std::variant<GoogleServiceAccountKey, GoogleAuthorizedUser>;

// Parses the text of a credentials file; origin (usually its path) names it in errors. Errors name the
// missing or malformed field and never quote a secret.
Result<GoogleCredentials> parseGoogleCredentials(std::string_view json, const std::string& origin);

// Reads and parses a credentials file.
Result<GoogleCredentials> loadGoogleCredentials(const std::string& path);

}  // namespace launch::cloud
