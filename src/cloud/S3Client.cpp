// S3Client: path-style or virtual-hosted object URLs, SigV4 signing per attempt and the retry loop.
#include "cloud/S3Client.hpp"

#include <thread>

#include "cloud/AwsCachedCredentialProvider.hpp"
#include "cloud/SigV4Signer.hpp"

namespace launch::cloud {

S3Client::S3Client(http::HttpClient& http, std::shared_ptr<AwsCredentialProvider> credentials, S3ClientOptions options,
                   const Clock& clock)
    : http_(http), credentials_(std::move(credentials)), options_(std::move(options)), clock_(clock) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
}

std::string S3Client::objectUrl(const std::string& bucket, const std::string& key) const {
  const std::string path = sigV4UriEncode(key, true);
  if (!options_.endpoint.empty()) return options_.endpoint + "/" + bucket + "/" + path;
  return "https://" + bucket + ".s3." + options_.region + ".amazonaws.com/" + path;
}

Result<http::HttpResponse> S3Client::send(const std::string& method, const std::string& bucket, const std::string& key,
                                          const std::string& body, const std::string& contentType) {
  const SigV4Signer signer(options_.region, "s3", SigV4Options::forS3());
  const RetryPolicy retry(options_.retry, clock_);
  for (int attempt = 1;; ++attempt) {
    auto credentials = credentials_->credentials();
    if (!credentials) {
      Error error = credentials.error();
      error.reason = kReasonNoAwsCredentials;
      return error;
    }
    http::HttpRequest request;
    request.method = method;
    request.url = objectUrl(bucket, key);
    request.body = body;
    request.timeout = std::chrono::minutes(10);  // objects may be large
    if (!contentType.empty()) request.headers.emplace_back("Content-Type", contentType);
    if (Status signedOk = signer.signHttpRequest(request, *credentials, clock_.wallNow()); !signedOk) {
      return signedOk.error();
    }
    auto response = http_.send(request);
    const RetryDecision decision = retry.decide(attempt, response, true);
    if (!decision.retry) return response;
    if (decision.reason == RetryReason::ExpiredCredentials) {
      if (auto* cached = dynamic_cast<AwsCachedCredentialProvider*>(credentials_.get())) cached->invalidate();
    }
    std::this_thread::sleep_for(decision.delay);
  }
}

std::string s3Problem(const http::HttpResponse& response) {
  const std::string code = awsErrorCode(response);
  std::string message;
  const std::size_t open = response.body.find("<Message>");
  const std::size_t close = response.body.find("</Message>");
  if (open != std::string::npos && close != std::string::npos && close > open) {
    message = response.body.substr(open + 9, close - open - 9);
  }
  std::string out = "HTTP " + std::to_string(response.status);
  if (!code.empty()) out += " " + code;
  if (!message.empty()) out += ": " + message;
  return out;
}

std::string s3EndpointFromEnvironment(const AwsEnvironment& environment) {
  if (auto url = environment.get("AWS_ENDPOINT_URL_S3")) return *url;
  if (auto url = environment.get("AWS_ENDPOINT_URL")) return *url;
  return {};
}

}  // namespace launch::cloud
