// GoogleMetadataTokenSource: GET .../service-accounts/<account>/token with the required Metadata-Flavor header.
#include "cloud/GoogleMetadataTokenSource.hpp"

#include <utility>

#include "cloud/GoogleTokenEndpoint.hpp"

namespace launch::cloud {
namespace {

constexpr const char* kFlavorHeader = "Metadata-Flavor";
constexpr const char* kFlavor = "Google";

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    if (!joined.empty()) joined += ',';
    joined += http::urlEncode(scope);
  }
  return joined;
}

}  // namespace

GoogleMetadataOptions GoogleMetadataOptions::fromEnvironment(const GoogleEnvironment& environment) {
  GoogleMetadataOptions options;
  if (auto host = environment.get("GCE_METADATA_HOST")) {
    options.host = std::move(*host);
  } else if (auto root = environment.get("GCE_METADATA_ROOT")) {
    options.host = std::move(*root);
  }
  return options;
}

GoogleMetadataTokenSource::GoogleMetadataTokenSource(GoogleMetadataOptions options, http::HttpClient& http,
                                                     const Clock& clock)
    : options_(std::move(options)), http_(http), clock_(clock) {}

std::string GoogleMetadataTokenSource::describe() const {
  return "service account " + options_.serviceAccount + " of the metadata server at " + baseUrl();
}

Status GoogleMetadataTokenSource::probe(std::chrono::milliseconds timeout) const {
  http::HttpRequest request;
  request.url = baseUrl() + "/";
  request.headers = {{kFlavorHeader, kFlavor}};
  request.timeout = timeout;
  auto response = http_.send(request);
  if (!response) {
    return makeError(ErrorCode::NotFound,
                     "no metadata server answers at " + baseUrl() + " (" + response.error().message + ")");
  }
  if (response->header(kFlavorHeader) != kFlavor) {
    return makeError(ErrorCode::NotFound, "the server at " + baseUrl() + " answered HTTP " +
                                              std::to_string(response->status) +
                                              " without \"Metadata-Flavor: Google\"; it is not a GCE metadata server");
  }
  return {};
}

Result<AccessToken> GoogleMetadataTokenSource::token() {
  http::HttpRequest request;
  request.url = baseUrl() + "/computeMetadata/v1/instance/service-accounts/" +
                http::urlEncode(options_.serviceAccount) + "/token";
  if (!options_.scopes.empty()) request.url += "?scopes=" + joinScopes(options_.scopes);
  request.headers = {{kFlavorHeader, kFlavor}};
  request.timeout = options_.timeout;
  const Clock::TimePoint sentAt = clock_.now();
  auto response = http_.send(request);
  if (!response) {
    Error error = response.error();
    error.message = "cannot reach the GCE metadata server for a token: " + error.message +
                    "; outside Google Cloud set GOOGLE_APPLICATION_CREDENTIALS to a key file, or set "
                    "GCE_METADATA_HOST to the metadata server's host:port";
    return error;
  }
  const std::string from = "the metadata server at " + baseUrl();
  if (response->status == 200) return parseGoogleTokenAnswer(response->body, sentAt, from);

  Error error;
  const std::string status = " answered HTTP " + std::to_string(response->status) + " for " + describe();
  switch (response->status) {
    case 404:
      error = makeError(ErrorCode::NotFound, from + status +
                                                 ": no such service account is attached; attach one to the VM "
                                                 "or node pool, or on GKE bind the pod's Kubernetes service "
                                                 "account with Workload Identity");
      break;
    case 403:
      error = makeError(ErrorCode::Forbidden, from + status +
                                                  ": the request was refused (the server requires "
                                                  "\"Metadata-Flavor: Google\" and no X-Forwarded-For)");
      break;
    case 429:
      error = makeError(ErrorCode::TooManyRequests, from + status + "; retry later");
      break;
    default:
      error = makeError(response->status >= 500 ? ErrorCode::Unavailable : ErrorCode::Internal,
                        from + status + "; retry later, or use a key file with GOOGLE_APPLICATION_CREDENTIALS");
  }
  error.httpStatus = static_cast<int>(response->status);
  return error;
}

}  // namespace launch::cloud
