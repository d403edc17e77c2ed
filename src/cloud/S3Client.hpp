// S3Client: SigV4-signed object requests (GetObject, PutObject, DeleteObject) against S3 or an S3-compatible
// endpoint, retried by the RetryPolicy; the one place the build context store and archive downloads talk to S3.
#pragma once

#include <memory>
#include <string>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/RetryPolicy.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::cloud {

// Error::reason of an S3Client::send that failed because the credential provider had no credentials; the
// message is the provider's own, for the caller to put in context.
inline constexpr const char* kReasonNoAwsCredentials = "NoAwsCredentials";

struct S3ClientOptions {
  std::string region = "us-east-1";
  // A custom endpoint (MinIO, moto: "http://127.0.0.1:5000"), addressed path-style (endpoint/bucket/key);
  // empty: AWS, virtual-hosted style (https://bucket.s3.region.amazonaws.com/key).
  std::string endpoint;
  RetryOptions retry;
};

class S3Client {
 public:
  // The HTTP client and the clock must outlive the S3Client.
  S3Client(http::HttpClient& http, std::shared_ptr<AwsCredentialProvider> credentials, S3ClientOptions options,
           const Clock& clock = SystemClock::instance());

  // The HTTP URL of an object.
  std::string objectUrl(const std::string& bucket, const std::string& key) const;

  // Sends a signed request for one object and returns S3's answer, whatever its status. Throttling, 5xx and
  // connection errors are retried (every object request is idempotent), each attempt signed anew; an
  // ExpiredToken answer drops the credentials of an AwsCachedCredentialProvider and retries at once.
  Result<http::HttpResponse> send(const std::string& method, const std::string& bucket, const std::string& key,
                                  const std::string& body = {}, const std::string& contentType = {});

  const S3ClientOptions& options() const { return options_; }
  // The credential provider's name, for errors ("cached default chain"); never a secret.
  std::string credentialsName() const { return credentials_->name(); }

 private:
  http::HttpClient& http_;
  std::shared_ptr<AwsCredentialProvider> credentials_;
  S3ClientOptions options_;
  const Clock& clock_;
};

// "HTTP 404 NoSuchKey: The specified key does not exist.": the status, S3's error code and message of a failed
// answer, for people. S3 error bodies hold no secrets in <Code> and <Message>; nothing else is quoted.
std::string s3Problem(const http::HttpResponse& response);

// The S3 endpoint the AWS SDKs would use from the environment: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL;
// empty when neither is set (AWS itself).
std::string s3EndpointFromEnvironment(const AwsEnvironment& environment);

}  // namespace launch::cloud
