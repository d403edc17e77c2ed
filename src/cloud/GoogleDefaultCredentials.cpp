// GoogleDefaultCredentials: the ADC search order, each step's failure explained in the final error.
#include "cloud/GoogleDefaultCredentials.hpp"

#include <filesystem>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "cloud/GoogleAuthorizedUserTokenSource.hpp"
#include "cloud/GoogleCredentialsFile.hpp"
#include "cloud/GoogleMetadataTokenSource.hpp"
#include "cloud/GoogleServiceAccountTokenSource.hpp"
#include "util/Files.hpp"

namespace launch::cloud {
namespace {

constexpr const char* kCredentialsVariable = "GOOGLE_APPLICATION_CREDENTIALS";
constexpr const char* kAdcFileName = "application_default_credentials.json";

using SourcePointer = std::unique_ptr<GoogleTokenSource>;

SourcePointer sourceFor(GoogleCredentials credentials, const std::string& origin, http::HttpClient& http,
                        const Clock& clock, const GoogleCredentialsOptions& options) {
  return std::visit(
      [&](auto&& value) -> SourcePointer {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, GoogleServiceAccountKey>) {
          GoogleServiceAccountOptions accountOptions;
          accountOptions.scopes = options.scopes;
          accountOptions.tokenUri = options.tokenUri;
          return std::make_unique<GoogleServiceAccountTokenSource>(std::forward<decltype(value)>(value), origin, http,
                                                                   clock, std::move(accountOptions));
        } else {
          return std::make_unique<GoogleAuthorizedUserTokenSource>(std::forward<decltype(value)>(value), origin, http,
                                                                   clock, options.tokenUri);
        }
      },
      std::move(credentials));
}

}  // namespace

Result<SourcePointer> GoogleDefaultCredentials::fromJson(std::string_view json, const std::string& origin,
                                                         http::HttpClient& http, const Clock& clock,
                                                         const GoogleCredentialsOptions& options) {
  auto credentials = parseGoogleCredentials(json, origin);
  if (!credentials) return credentials.error();
  return sourceFor(std::move(*credentials), origin, http, clock, options);
}

Result<SourcePointer> GoogleDefaultCredentials::fromFile(const std::string& path, http::HttpClient& http,
                                                         const Clock& clock, const GoogleCredentialsOptions& options) {
  auto text = readFile(path);
  if (!text) return text.error();
  return fromJson(*text, path, http, clock, options);
}

std::string GoogleDefaultCredentials::wellKnownFile(const GoogleEnvironment& environment) {
  if (auto config = environment.get("CLOUDSDK_CONFIG")) {
    return (std::filesystem::path(*config) / kAdcFileName).string();
  }
  if (auto home = environment.get("HOME")) {
    return (std::filesystem::path(*home) / ".config" / "gcloud" / kAdcFileName).string();
  }
  return {};
}

Result<SourcePointer> GoogleDefaultCredentials::find(const GoogleEnvironment& environment, http::HttpClient& http,
                                                     const Clock& clock, const GoogleCredentialsOptions& options) {
  if (auto path = environment.get(kCredentialsVariable)) {
    auto source = fromFile(*path, http, clock, options);
    if (!source) {
      Error error = source.error();
      error.message = std::string(kCredentialsVariable) + " names a file that cannot be used: " + error.message +
                      "; fix the file or unset " + kCredentialsVariable;
      return error;
    }
    return source;
  }

  const std::string wellKnown = wellKnownFile(environment);
  std::error_code ignored;
  if (!wellKnown.empty() && std::filesystem::exists(wellKnown, ignored)) {
    auto source = fromFile(wellKnown, http, clock, options);
    if (!source) {
      Error error = source.error();
      error.message = "gcloud's credentials file cannot be used: " + error.message +
                      "; run `gcloud auth application-default login` again, or delete the file";
      return error;
    }
    return source;
  }

  auto metadata =
      std::make_unique<GoogleMetadataTokenSource>(GoogleMetadataOptions::fromEnvironment(environment), http, clock);
  const Status probed = metadata->probe(options.metadataProbeTimeout);
  if (probed) return SourcePointer(std::move(metadata));

  const std::string wellKnownNote =
      wellKnown.empty() ? "neither CLOUDSDK_CONFIG nor HOME is set" : wellKnown + " does not exist";
  return makeError(ErrorCode::NotFound,
                   std::string("no Google credentials found: ") + kCredentialsVariable + " is not set, " +
                       wellKnownNote + ", and " + probed.error().message + ". Set " + kCredentialsVariable +
                       " to a service-account key file, run `gcloud auth application-default login`, or run on "
                       "Google Cloud with a service account attached");
}

}  // namespace launch::cloud
