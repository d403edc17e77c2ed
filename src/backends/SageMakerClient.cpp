// SageMaker API calls: AWS JSON 1.1 over HTTPS, signed with SigV4, retried by RetryPolicy, errors made readable.
#include "backends/SageMakerClient.hpp"

#include <array>
#include <thread>
#include <utility>

#include "cloud/AwsCachedCredentialProvider.hpp"
#include "util/Text.hpp"

namespace launch::backends {

namespace {

constexpr std::array<std::string_view, 10> kCredentialErrorCodes = {"InvalidSignatureException",
                                                                    "SignatureDoesNotMatch",
                                                                    "UnrecognizedClientException",
                                                                    "IncompleteSignature",
                                                                    "MissingAuthenticationToken",
                                                                    "InvalidClientTokenId",
                                                                    "ExpiredToken",
                                                                    "ExpiredTokenException",
                                                                    "RequestExpired",
                                                                    "MissingAuthenticationTokenException"};

bool oneOf(std::string_view code, const auto& codes) {
  for (const auto candidate : codes) {
    if (candidate == code) return true;
  }
  return false;
}

std::string trimmedEndpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

// AWS's message, first line only: what follows in signature errors is the canonical request.
std::string awsMessage(const http::HttpResponse& response) {
  const auto document = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string message;
  if (document.is_object()) {
    for (const char* key : {"message", "Message", "errorMessage"}) {
      if (const auto found = document.find(key); found != document.end() && found->is_string()) {
        message = found->get<std::string>();
        break;
      }
    }
  }
  if (const std::size_t newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
  while (!message.empty() && (message.back() == ' ' || message.back() == '\r')) message.pop_back();
  if (message.size() > 1024) message = message.substr(0, 1021) + "...";
  return message;
}

ErrorCode errorCodeOf(const http::HttpResponse& response, const std::string& code) {
  const long status = response.status;
  if (code == "ValidationException") return ErrorCode::Invalid;
  if (code == "ResourceInUse") return ErrorCode::AlreadyExists;
  if (code == "ResourceNotFound") return ErrorCode::NotFound;
  if (code == "ResourceLimitExceeded" || cloud::RetryPolicy::classify(response) == cloud::RetryReason::Throttled) {
    return ErrorCode::TooManyRequests;
  }
  if (oneOf(code, kCredentialErrorCodes) || status == 401) return ErrorCode::Unauthorized;
  if (code == "AccessDeniedException" || code == "AccessDenied" || status == 403) return ErrorCode::Forbidden;
  if (status >= 500) return ErrorCode::Unavailable;
  if (status >= 400) return ErrorCode::Invalid;
  return ErrorCode::Internal;
}

void defaultSleep(std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); }

}  // namespace

std::string defaultSageMakerEndpoint(std::string_view region) {
  const bool china = region.substr(0, 3) == "cn-";
  return "https://api.sagemaker." + std::string(region) + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

std::string sageMakerEndpoint(std::string_view region, const cloud::AwsEnvironment& environment) {
  const auto ignore = environment.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore || (*ignore != "true" && *ignore != "TRUE" && *ignore != "True")) {
    if (auto specific = environment.get("AWS_ENDPOINT_URL_SAGEMAKER")) return *specific;
    if (auto global = environment.get("AWS_ENDPOINT_URL")) return *global;
  }
  return defaultSageMakerEndpoint(region);
}

SageMakerClient::SageMakerClient(SageMakerClientOptions options, cloud::AwsCredentialProvider& credentials,
                                 http::HttpClient& http, const Clock& clock, RetrySleep sleep)
    : options_(std::move(options)),
      credentials_(credentials),
      http_(http),
      clock_(clock),
      sleep_(sleep ? std::move(sleep) : RetrySleep(defaultSleep)),
      signer_(options_.region, "sagemaker"),
      retryPolicy_(options_.retry, clock) {
  options_.endpoint = trimmedEndpoint(options_.endpoint.empty() ? defaultSageMakerEndpoint(options_.region)
                                                                : std::move(options_.endpoint));
}

Result<http::HttpResponse> SageMakerClient::attempt(std::string_view operation, const std::string& body,
                                                    cloud::AwsCredentials& usedCredentials) {
  auto credentials = credentials_.credentials();
  if (!credentials) {
    Error error = credentials.error();
    error.message = "SageMaker " + std::string(operation) + " has no AWS credentials: " + error.message;
    return error;
  }
  usedCredentials = std::move(*credentials);
  http::HttpRequest request;
  request.method = "POST";
  request.url = options_.endpoint + "/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "SageMaker." + std::string(operation)}};
  request.body = body;
  request.timeout = options_.requestTimeout;
  if (auto signedRequest = signer_.signHttpRequest(request, usedCredentials, clock_.wallNow()); !signedRequest) {
    return signedRequest.error();
  }
  auto response = http_.send(request);
  if (!response) {
    Error error = response.error();
    error.message = "SageMaker " + std::string(operation) + " at " + options_.endpoint + ": " + error.message;
    return error;
  }
  return response;
}

Result<Json> SageMakerClient::call(std::string_view operation, const Json& request, bool retrySafe) {
  if (options_.region.empty()) {
    return makeError(ErrorCode::Invalid,
                     "SageMaker needs an AWS region: set the agent's spec.environment.region (e.g. us-east-1)");
  }
  // Invalid UTF-8 in a user's value is replaced rather than thrown on.
  const std::string body = request.dump(-1, ' ', false, Json::error_handler_t::replace);
  const std::string what = "SageMaker " + std::string(operation);
  for (int attemptNumber = 1;; ++attemptNumber) {
    cloud::AwsCredentials used;
    auto outcome = attempt(operation, body, used);
    if (!outcome && used.accessKeyId.empty()) return outcome.error();  // the provider had no credentials
    if (outcome && outcome->status >= 200 && outcome->status < 300) {
      if (outcome->body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
      auto document = Json::parse(outcome->body, nullptr, /*allow_exceptions=*/false);
      if (document.is_discarded()) {
        return makeError(ErrorCode::Internal, what + " answered HTTP " + std::to_string(outcome->status) +
                                                  " with a body that is not JSON; is " + options_.endpoint +
                                                  " a SageMaker endpoint?");
      }
      return document;
    }

    const cloud::RetryDecision decision = retryPolicy_.decide(attemptNumber, outcome, retrySafe);
    if (decision.retry) {
      if (decision.reason == cloud::RetryReason::ExpiredCredentials) {
        if (auto* cached = dynamic_cast<cloud::AwsCachedCredentialProvider*>(&credentials_)) cached->invalidate();
      }
      sleep_(decision.delay);
      continue;
    }
    if (!outcome) return outcome.error();

    const http::HttpResponse& response = *outcome;
    const std::string code = cloud::awsErrorCode(response);
    std::string message = awsMessage(response);
    // AWS echoes the canonical request, session token included, in signature errors.
    redact(message, used.secretAccessKey);
    redact(message, used.sessionToken);
    Error error;
    error.code = errorCodeOf(response, code);
    error.httpStatus = static_cast<int>(response.status);
    error.reason = code;
    error.message = what + " failed with HTTP " + std::to_string(response.status) +
                    (code.empty() ? std::string() : " " + code) + (message.empty() ? std::string() : ": " + message);
    if (error.code == ErrorCode::Unauthorized) {
      error.message += " (check the AWS credentials from " + (used.source.empty() ? "the provider" : used.source) +
                       ": access key id, secret access key and session token, and the clock; AWS rejects requests "
                       "signed more than 15 minutes off)";
    } else if (error.code == ErrorCode::Forbidden) {
      error.message += " (the AWS identity needs the IAM permission sagemaker:" + std::string(operation) + ")";
    }
    if (attemptNumber > 1) error.message += " after " + std::to_string(attemptNumber) + " attempts";
    return error;
  }
}

}  // namespace launch::backends
