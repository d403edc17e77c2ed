// S3ArchiveFetcher: downloads s3:// archive sources with a SigV4-signed GetObject (through cloud::S3Client).
#pragma once

#include <memory>
#include <string>

#include "build/ArchiveFetcher.hpp"
#include "cloud/AwsCredentials.hpp"
#include "cloud/S3Client.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::build {

class S3ArchiveFetcher final : public ArchiveFetcher {
 public:
  // The HTTP client and the clock must outlive the fetcher. `credentials` should cache
  // (cloud::AwsCachedCredentialProvider around cloud::AwsCredentialChain::makeDefault); options.endpoint is a
  // custom S3 endpoint (cloud::s3EndpointFromEnvironment), addressed path-style.
  S3ArchiveFetcher(http::HttpClient& http, std::shared_ptr<cloud::AwsCredentialProvider> credentials,
                   cloud::S3ClientOptions options, const Clock& clock = SystemClock::instance());

  Result<std::string> download(const std::string& url) override;

 private:
  cloud::S3Client client_;
};

}  // namespace launch::build
