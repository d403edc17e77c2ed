// S3ContextStore: build contexts in an S3 bucket, through SigV4-signed PutObject and DeleteObject requests
// (sent by cloud::S3Client).
#pragma once

#include <memory>
#include <string>

#include "build/BuildContextStore.hpp"
#include "cloud/AwsCredentials.hpp"
#include "cloud/S3Client.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::build {

struct S3ContextStoreOptions {
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'
  std::string region = "us-east-1";
  // A custom endpoint (MinIO, moto: "http://127.0.0.1:5000"), addressed path-style (endpoint/bucket/key) and
  // handed to kaniko as S3_ENDPOINT; empty: AWS, virtual-hosted style (https://bucket.s3.region.amazonaws.com/key).
  std::string endpoint;
};

class S3ContextStore final : public BuildContextStore {
 public:
  // The client and the clock must outlive the store.
  S3ContextStore(http::HttpClient& http, std::shared_ptr<cloud::AwsCredentialProvider> credentials,
                 S3ContextStoreOptions options, const Clock& clock = SystemClock::instance());

  Status put(const std::string& name, const std::string& archive) override;
  Status remove(const std::string& name) override;
  std::string contextUrl(const std::string& name) const override;
  std::vector<std::pair<std::string, std::string>> executorEnv() const override;
  std::string describe() const override;

  // The HTTP URL of an object key.
  std::string objectUrl(const std::string& key) const;

 private:
  Result<http::HttpResponse> send(const std::string& method, const std::string& key, const std::string& body);

  S3ContextStoreOptions options_;
  cloud::S3Client client_;
};

}  // namespace launch::build
