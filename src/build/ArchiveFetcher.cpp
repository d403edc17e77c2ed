// ArchiveFetcher: object URL parsing and the fetchers made from the agent's cloud clients.
#include "build/ArchiveFetcher.hpp"

#include "build/GcsArchiveFetcher.hpp"
#include "build/S3ArchiveFetcher.hpp"

namespace launch::build {

Result<ObjectLocation> parseObjectUrl(std::string_view url, std::string_view scheme) {
  const std::string prefix = std::string(scheme) + "://";
  const auto invalid = [&](const std::string& why) {
    return makeError(ErrorCode::Invalid, "spec.source.archive.url: '" + std::string(url) + "' " + why + "; use " +
                                             prefix + "bucket/path/to/archive.tar.gz");
  };
  if (!url.starts_with(prefix)) return invalid("is not a " + prefix + " URL");
  const std::string_view rest = url.substr(prefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == 0 || rest.empty()) return invalid("has no bucket");
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return invalid("names a bucket but no object");
  ObjectLocation location{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
  if (location.bucket.find_first_of("?#") != std::string::npos) return invalid("has a malformed bucket name");
  return location;
}

ArchiveFetchers makeArchiveFetchers(const BuildContextStoreClients& clients) {
  ArchiveFetchers fetchers;
  if (clients.http == nullptr) return fetchers;
  if (clients.aws) {
    fetchers.s3 = std::make_shared<S3ArchiveFetcher>(*clients.http, clients.aws,
                                                     cloud::S3ClientOptions{clients.awsRegion, clients.s3Endpoint, {}});
  }
  if (clients.google) {
    cloud::GcsClientOptions options;
    if (!clients.gcsEndpoint.empty()) options.endpoint = clients.gcsEndpoint;
    fetchers.gcs = std::make_shared<GcsArchiveFetcher>(*clients.http, clients.google, std::move(options));
  }
  return fetchers;
}

}  // namespace launch::build
