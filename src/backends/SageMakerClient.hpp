// SageMakerClient: SigV4-signed calls to the SageMaker API (AWS JSON 1.1), retried on throttling and 5xx answers.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/RetryPolicy.hpp"
#include "cloud/SigV4Signer.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::backends {

using Json = nlohmann::json;

// How a client waits between attempts (tests pass one that records or skips the wait).
using RetrySleep = std::function<void(std::chrono::milliseconds)>;

// https://api.sagemaker.<region>.amazonaws.com (.amazonaws.com.cn in the China regions).
std::string defaultSageMakerEndpoint(std::string_view region);

// The endpoint the AWS SDKs would use: AWS_ENDPOINT_URL_SAGEMAKER, else AWS_ENDPOINT_URL, else the region's
// default; the variables are ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
std::string sageMakerEndpoint(std::string_view region, const cloud::AwsEnvironment& environment);

struct SageMakerClientOptions {
  std::string region;
  std::string endpoint;  // empty: defaultSageMakerEndpoint(region)
  cloud::RetryOptions retry;
  std::chrono::milliseconds requestTimeout{30000};
};

class SageMakerClient {
 public:
  // The credential provider, the HTTP client and the clock must outlive the client.
  SageMakerClient(SageMakerClientOptions options, cloud::AwsCredentialProvider& credentials, http::HttpClient& http,
                  const Clock& clock = SystemClock::instance(), RetrySleep sleep = {});

  // Calls SageMaker.<operation> with `request` as its body and returns the answer's JSON. Throttling, 5xx answers
  // and lost connections are retried with jittered backoff when `retrySafe` (a second call does no harm: Describe,
  // Stop, and Create because the job's name makes a repeated create fail with ResourceInUse); otherwise only what
  // the server surely did not act on (throttled, never connected) is retried. Expired temporary credentials are
  // refreshed and the call retried. A failure is an Error whose reason is AWS's error code (ValidationException,
  // ResourceInUse, ...) and whose message quotes AWS's first line; no credential ever appears in it.
  Result<Json> call(std::string_view operation, const Json& request, bool retrySafe);

  const std::string& region() const { return options_.region; }
  const std::string& endpoint() const { return options_.endpoint; }

 private:
  Result<http::HttpResponse> attempt(std::string_view operation, const std::string& body,
                                     cloud::AwsCredentials& usedCredentials);

  SageMakerClientOptions options_;
  cloud::AwsCredentialProvider& credentials_;
  http::HttpClient& http_;
  const Clock& clock_;
  RetrySleep sleep_;
  cloud::SigV4Signer signer_;
  cloud::RetryPolicy retryPolicy_;
};

}  // namespace launch::backends
