// EcrCredentialSource: the GetAuthorizationToken call (AWS JSON 1.1), its retries and its answer.
#include "registry/EcrCredentialSource.hpp"

#include <nlohmann/json.hpp>

#include <thread>
#include <utility>

#include "cloud/GoogleTokenEndpoint.hpp"
#include "cloud/SigV4Signer.hpp"
#include "util/Base64.hpp"

namespace launch::registry {
namespace {

constexpr std::size_t kMaxQuoted = 300;
// When ECR leaves out expiresAt, the token is kept this long (ECR tokens live 12 hours).
constexpr std::chrono::hours kAssumedLifetime{1};

std::string quote(std::string text, const std::vector<std::string>& secrets) {
  text = cloud::redactSecrets(std::move(text), secrets);
  if (text.size() > kMaxQuoted) text = text.substr(0, kMaxQuoted) + "...";
  return text;
}

std::string awsMessage(const http::HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    for (const char* name : {"message", "Message"}) {
      const auto found = body.find(name);
      if (found != body.end() && found->is_string()) return found->get<std::string>();
    }
  }
  return {};
}

// Maps a refused GetAuthorizationToken to an error code and what the operator should do.
std::pair<ErrorCode, std::string> meaningOf(long status, const std::string& code) {
  if (code == "UnrecognizedClientException" || code == "InvalidSignatureException" || code == "SignatureDoesNotMatch" ||
      code == "IncompleteSignature" || code == "ExpiredTokenException" || code == "InvalidClientTokenId" ||
      code == "MissingAuthenticationToken") {
    return {ErrorCode::Unauthorized, "check the AWS access key, secret and session token the agent uses"};
  }
  if (code == "AccessDeniedException" || status == 403) {
    return {ErrorCode::Forbidden, "allow ecr:GetAuthorizationToken in the IAM policy of the agent's AWS identity"};
  }
  if (status == 429 || code.find("Throttl") != std::string::npos) {
    return {ErrorCode::TooManyRequests, "ECR throttled the request; retry later"};
  }
  if (status >= 500) return {ErrorCode::Unavailable, "ECR failed; retry later"};
  if (status == 404) return {ErrorCode::Invalid, "check the ECR endpoint and region"};
  return {ErrorCode::Invalid, "check the ECR region and endpoint configuration"};
}

}  // namespace

void EcrOptions::applyEnvironment(const cloud::AwsEnvironment& environment) {
  if (endpoint.empty()) {
    endpoint = environment.get("AWS_ENDPOINT_URL_ECR").value_or(environment.get("AWS_ENDPOINT_URL").value_or(""));
  }
  if (region.empty()) {
    region = environment.get("AWS_REGION").value_or(environment.get("AWS_DEFAULT_REGION").value_or(""));
  }
}

std::string EcrOptions::endpointUrl() const {
  if (endpoint.empty()) return "https://api.ecr." + region + ".amazonaws.com/";
  return endpoint.back() == '/' ? endpoint : endpoint + "/";
}

Result<RegistryCredentials> decodeEcrAuthorizationToken(std::string_view token) {
  const auto decoded = base64Decode(token);
  const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos || colon == 0 || colon + 1 == decoded->size()) {
    return makeError(ErrorCode::Internal,
                     "ECR answered an authorizationToken that is not base64 of \"AWS:<password>\"");
  }
  RegistryCredentials credentials;
  credentials.username = decoded->substr(0, colon);
  credentials.password = decoded->substr(colon + 1);
  return credentials;
}

EcrCredentialSource::EcrCredentialSource(EcrOptions options, std::shared_ptr<cloud::AwsCredentialProvider> aws,
                                         std::shared_ptr<http::HttpClient> http, const Clock& clock)
    : options_(std::move(options)),
      aws_(std::move(aws)),
      http_(std::move(http)),
      clock_(clock),
      cache_(clock, options_.refreshBefore) {}

std::string EcrCredentialSource::describe() const {
  return "ECR authorization token from " + options_.endpointUrl() + " (region " + options_.region + ")";
}

Result<RegistryCredentials> EcrCredentialSource::credentials() {
  return cache_.get([this] { return fetch(); });
}

Result<http::HttpResponse> EcrCredentialSource::call(const cloud::AwsCredentials& credentials) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = options_.endpointUrl();
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", std::string(kEcrTarget)}};
  request.body = "{}";
  const cloud::SigV4Signer signer(options_.region, "ecr");
  if (Status signedOk = signer.signHttpRequest(request, credentials, clock_.wallNow()); !signedOk) {
    return signedOk.error();
  }
  return http_->send(request);
}

Result<ExpiringCredentials> EcrCredentialSource::fetch() {
  if (options_.region.empty()) {
    return makeError(ErrorCode::Invalid,
                     "ECR needs a region: set the environment's region or use a registry URI like "
                     "<account>.dkr.ecr.<region>.amazonaws.com/<repository>");
  }
  if (!aws_) return makeError(ErrorCode::Invalid, "ECR needs AWS credentials: configure an aws environment");
  auto aws = aws_->credentials();
  if (!aws) {
    Error error = aws.error();
    error.message = "ECR needs AWS credentials: " + error.message;
    return error;
  }
  const std::vector<std::string> secrets = {aws->secretAccessKey, aws->sessionToken};
  const std::string url = options_.endpointUrl();

  const cloud::RetryPolicy policy(options_.retry, clock_);
  Result<http::HttpResponse> response = makeError(ErrorCode::Internal, "no attempt made");
  Clock::TimePoint sentAt{};
  std::chrono::system_clock::time_point sentAtWall{};
  for (int attempt = 1;; ++attempt) {
    sentAt = clock_.now();
    sentAtWall = clock_.wallNow();
    response = call(*aws);
    const cloud::RetryDecision decision = policy.decide(attempt, response);
    if (!decision.retry) break;
    if (options_.sleep) {
      options_.sleep(decision.delay);
    } else {
      std::this_thread::sleep_for(decision.delay);
    }
  }
  if (!response) {
    Error error = response.error();
    error.message = "cannot reach ECR at " + url + ": " + quote(error.message, secrets) +
                    "; check the network, the region and any endpoint override (AWS_ENDPOINT_URL_ECR)";
    return error;
  }
  if (response->status != 200) {
    const std::string code = cloud::awsErrorCode(*response);
    const auto [errorCode, fix] = meaningOf(response->status, code);
    std::string message = "ECR GetAuthorizationToken at " + url + " failed (HTTP " + std::to_string(response->status) +
                          (code.empty() ? "" : ", " + code) + ")";
    if (const std::string detail = awsMessage(*response); !detail.empty()) message += ": " + quote(detail, secrets);
    message += "; " + fix + " (credentials from " + aws->source + ")";
    Error error = makeError(errorCode, std::move(message));
    error.httpStatus = static_cast<int>(response->status);
    error.reason = code;
    return error;
  }

  const auto body = nlohmann::json::parse(response->body, nullptr, false);
  const nlohmann::json* data = nullptr;
  if (body.is_object()) {
    const auto list = body.find("authorizationData");
    if (list != body.end() && list->is_array() && !list->empty() && list->front().is_object()) data = &list->front();
  }
  if (data == nullptr) {
    return makeError(ErrorCode::Internal, "ECR at " + url + " answered 200 without authorizationData");
  }
  const auto token = data->find("authorizationToken");
  if (token == data->end() || !token->is_string()) {
    return makeError(ErrorCode::Internal, "ECR at " + url + " answered 200 without an authorizationToken");
  }
  auto credentials = decodeEcrAuthorizationToken(token->get_ref<const std::string&>());
  if (!credentials) return credentials.error();

  ExpiringCredentials result{std::move(credentials).value(), sentAt + kAssumedLifetime};
  const auto expiresAt = data->find("expiresAt");
  if (expiresAt != data->end() && expiresAt->is_number()) {
    // An epoch time on AWS's clock: turned into a lifetime from when the request was sent, so a slow answer
    // errs on the early side.
    const double seconds = expiresAt->get<double>();
    const auto wallExpiry = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(seconds)));
    result.expiry = sentAt + std::chrono::duration_cast<Clock::Duration>(wallExpiry - sentAtWall);
  }
  return result;
}

}  // namespace launch::registry
