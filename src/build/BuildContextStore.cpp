// BuildContextStore: parsing a buildContextStore URL and opening the store it names.
#include "build/BuildContextStore.hpp"

#include "build/GcsContextStore.hpp"
#include "build/S3ContextStore.hpp"

namespace launch::build {

ErrorCode storeErrorCode(long httpStatus) {
  if (httpStatus == 401) return ErrorCode::Unauthorized;
  if (httpStatus == 403) return ErrorCode::Forbidden;
  if (httpStatus == 404) return ErrorCode::NotFound;
  if (httpStatus == 429) return ErrorCode::TooManyRequests;
  if (httpStatus >= 500) return ErrorCode::Unavailable;
  return ErrorCode::Invalid;
}

Result<BuildContextLocation> parseBuildContextStore(std::string_view url) {
  const auto invalid = [&](const std::string& why) {
    return makeError(ErrorCode::Invalid, "spec.builder.kaniko.buildContextStore '" + std::string(url) + "': " + why +
                                             "; use s3://bucket[/prefix] or gs://bucket[/prefix]");
  };
  if (url.starts_with("https://") && url.find(".blob.core.windows.net") != std::string_view::npos) {
    return invalid("Azure Blob Storage is not supported by this kaniko builder yet");
  }
  BuildContextLocation location;
  std::string_view rest;
  if (url.starts_with("s3://")) {
    location.scheme = "s3";
    rest = url.substr(5);
  } else if (url.starts_with("gs://")) {
    location.scheme = "gs";
    rest = url.substr(5);
  } else {
    return invalid("unknown scheme");
  }
  const std::size_t slash = rest.find('/');
  location.bucket = std::string(rest.substr(0, slash));
  if (location.bucket.empty()) return invalid("no bucket");
  std::string prefix = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  location.prefix = std::move(prefix);
  return location;
}

Result<std::unique_ptr<BuildContextStore>> openBuildContextStore(std::string_view url,
                                                                 const BuildContextStoreClients& clients) {
  auto location = parseBuildContextStore(url);
  if (!location) return location.error();
  if (clients.http == nullptr) return makeError(ErrorCode::Internal, "openBuildContextStore: no HTTP client");
  if (location->scheme == "s3") {
    if (!clients.aws) {
      return makeError(ErrorCode::Invalid, "the build context store " + std::string(url) +
                                               " is on S3 but the agent has no AWS credentials; set "
                                               "spec.environment to aws");
    }
    S3ContextStoreOptions options{location->bucket, location->prefix, clients.awsRegion, clients.s3Endpoint};
    return std::unique_ptr<BuildContextStore>(
        std::make_unique<S3ContextStore>(*clients.http, clients.aws, std::move(options)));
  }
  if (!clients.google) {
    return makeError(ErrorCode::Invalid, "the build context store " + std::string(url) +
                                             " is on Google Cloud Storage but the agent has no Google credentials; "
                                             "set spec.environment to gcp");
  }
  GcsContextStoreOptions options{location->bucket, location->prefix};
  if (!clients.gcsEndpoint.empty()) options.endpoint = clients.gcsEndpoint;
  return std::unique_ptr<BuildContextStore>(
      std::make_unique<GcsContextStore>(*clients.http, clients.google, std::move(options)));
}

}  // namespace launch::build
