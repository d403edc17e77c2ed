// GoogleDefaultCredentials: Application Default Credentials: env var file, then gcloud's file, then metadata.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/GoogleEnvironment.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

struct GoogleCredentialsOptions {
  std::vector<std::string> scopes{std::string(kGoogleCloudPlatformScope)};  // for service-account keys
  std::string tokenUri;  // overrides the files' "token_uri" (a private endpoint, a test fake)
  std::chrono::milliseconds metadataProbeTimeout{3000};
};

class GoogleDefaultCredentials {
 public:
  // The first source found, in ADC order:
  //  1. GOOGLE_APPLICATION_CREDENTIALS: a credentials file; when set, a file that cannot be read or parsed
  //     is an error (no falling through to another identity);
  //  2. gcloud's file, $CLOUDSDK_CONFIG/application_default_credentials.json or
  //     $HOME/.config/gcloud/application_default_credentials.json, when it exists;
  //  3. the metadata server (GCE_METADATA_HOST or metadata.google.internal), when a probe finds one.
  // Sources do not cache: wrap the result in a GoogleCachedTokenSource. The client and the clock must
  // outlive the source.
  static Result<std::unique_ptr<GoogleTokenSource>> find(const GoogleEnvironment& environment, http::HttpClient& http,
                                                         const Clock& clock,
                                                         const GoogleCredentialsOptions& options = {});

  // A credentials file named explicitly (a flag, a mounted Secret): a service-account key or a user login.
  static Result<std::unique_ptr<GoogleTokenSource>> fromFile(const std::string& path, http::HttpClient& http,
                                                             const Clock& clock,
                                                             const GoogleCredentialsOptions& options = {});

  // The same, from the file's text; origin names it in errors.
  static Result<std::unique_ptr<GoogleTokenSource>> fromJson(std::string_view json, const std::string& origin,
                                                             http::HttpClient& http, const Clock& clock,
                                                             const GoogleCredentialsOptions& options = {});

  // Where gcloud writes its ADC file; empty when neither CLOUDSDK_CONFIG nor HOME is set.
  static std::string wellKnownFile(const GoogleEnvironment& environment);
};

}  // namespace launch::cloud
