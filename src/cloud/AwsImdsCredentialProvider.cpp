// The IMDSv2 token flow and the instance profile's credential document.
#include "cloud/AwsImdsCredentialProvider.hpp"

#include <algorithm>
#include <utility>

namespace launch::cloud {

namespace {

constexpr const char* kTokenHeader = "X-aws-ec2-metadata-token";
constexpr const char* kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr const char* kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

bool isTrue(const std::optional<std::string>& value) {
  if (!value) return false;
  std::string lower = *value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return lower == "true";
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

Error httpError(ErrorCode code, const std::string& message, long status) {
  Error error = makeError(code, message);
  error.httpStatus = static_cast<int>(status);
  return error;
}

}  // namespace

AwsImdsCredentialProvider::AwsImdsCredentialProvider(std::shared_ptr<const AwsEnvironment> environment,
                                                     std::shared_ptr<http::HttpClient> client, const Clock& clock,
                                                     AwsImdsOptions options)
    : environment_(std::move(environment)), client_(std::move(client)), clock_(clock), options_(std::move(options)) {}

std::string AwsImdsCredentialProvider::endpoint() const {
  std::string url = options_.endpoint;
  if (url.empty()) url = environment_->get("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("");
  if (url.empty()) {
    auto mode = environment_->get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("IPv4");
    std::transform(mode.begin(), mode.end(), mode.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    url = mode == "ipv6" ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Result<AwsImdsCredentialProvider::Token> AwsImdsCredentialProvider::token(const std::string& endpoint, bool forceNew) {
  {
    const std::lock_guard lock(mutex_);
    if (!forceNew && token_ && token_->endpoint == endpoint && clock_.now() < token_->expires) return *token_;
  }

  http::HttpRequest request;
  request.method = "PUT";
  request.url = endpoint + "/latest/api/token";
  request.timeout = options_.timeout;
  request.headers = {{kTokenTtlHeader, std::to_string(options_.tokenTtl.count())}};
  auto response = client_->send(request);
  if (!response) {
    if (response.error().code == ErrorCode::Timeout || response.error().code == ErrorCode::Unavailable) {
      return makeError(ErrorCode::NotFound,
                       "no instance metadata service answered at " + endpoint +
                           " (not on EC2? set AWS_EC2_METADATA_DISABLED=true to skip it): " + response.error().message);
    }
    return response.error();
  }

  Token token;
  token.endpoint = endpoint;
  // Renew a minute early, so a token never expires between our check and the service's.
  token.expires = clock_.now() + std::max(options_.tokenTtl - std::chrono::seconds{60}, options_.tokenTtl / 2);
  if (response->status == 200) {
    token.value = trimmed(response->body);
    if (token.value.empty()) {
      return makeError(ErrorCode::Internal, "instance metadata service " + endpoint + " answered an empty token");
    }
  } else if (response->status == 404 || response->status == 405) {
    if (isTrue(environment_->get("AWS_EC2_METADATA_V1_DISABLED"))) {
      return httpError(ErrorCode::Unavailable,
                       "instance metadata service " + endpoint + " does not issue IMDSv2 tokens (HTTP " +
                           std::to_string(response->status) + ") and AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1",
                       response->status);
    }
    // token.value stays empty: IMDSv1.
  } else if (response->status == 403) {
    return httpError(ErrorCode::Forbidden,
                     "instance metadata service " + endpoint +
                         " refused a session token (HTTP 403); is the metadata service disabled for this instance?",
                     response->status);
  } else {
    return httpError(ErrorCode::Unavailable,
                     "instance metadata service " + endpoint + " answered HTTP " + std::to_string(response->status) +
                         " to PUT /latest/api/token",
                     response->status);
  }

  const std::lock_guard lock(mutex_);
  token_ = token;
  return token;
}

Result<http::HttpResponse> AwsImdsCredentialProvider::get(const std::string& url, const Token& token) const {
  http::HttpRequest request;
  request.url = url;
  request.timeout = options_.timeout;
  if (!token.value.empty()) request.headers.emplace_back(kTokenHeader, token.value);
  return client_->send(request);
}

Result<AwsCredentials> AwsImdsCredentialProvider::credentials() {
  if (isTrue(environment_->get("AWS_EC2_METADATA_DISABLED"))) {
    return makeError(ErrorCode::NotFound, "AWS_EC2_METADATA_DISABLED is true");
  }
  const std::string base = endpoint();
  auto session = token(base, false);
  if (!session) return session.error();

  // A GET with the session token; a token the service no longer accepts (401) is replaced once.
  auto fetch = [&](const std::string& path) -> Result<http::HttpResponse> {
    auto response = get(base + path, *session);
    if (response && response->status == 401 && !session->value.empty()) {
      session = token(base, true);
      if (!session) return session.error();
      response = get(base + path, *session);
    }
    if (!response) return response.error();
    if (response->status == 401) {
      return httpError(ErrorCode::Unauthorized,
                       "instance metadata service " + base + " rejected a fresh session token for GET " + path,
                       response->status);
    }
    return response;
  };

  auto roles = fetch(kCredentialsPath);
  if (!roles) return roles.error();
  if (roles->status == 404) {
    return httpError(ErrorCode::NotFound,
                     "the EC2 instance has no IAM role (instance profile); attach one or use another credential source",
                     404);
  }
  if (roles->status != 200) {
    return httpError(ErrorCode::Unavailable,
                     "instance metadata service " + base + " answered HTTP " + std::to_string(roles->status) +
                         " to GET " + kCredentialsPath,
                     roles->status);
  }
  const std::string role = trimmed(std::string_view(roles->body).substr(0, roles->body.find('\n')));
  if (role.empty()) {
    return makeError(ErrorCode::NotFound, "the EC2 instance has no IAM role (instance profile); attach one");
  }

  const std::string path = kCredentialsPath + role;
  auto document = fetch(path);
  if (!document) return document.error();
  if (document->status != 200) {
    return httpError(
        ErrorCode::Unavailable,
        "instance metadata service " + base + " answered HTTP " + std::to_string(document->status) + " to GET " + path,
        document->status);
  }
  auto credentials = parseAwsCredentialsJson(document->body, "instance metadata service " + base + " role " + role);
  if (credentials) credentials->source = "instance metadata (role " + role + ")";
  return credentials;
}

}  // namespace launch::cloud
