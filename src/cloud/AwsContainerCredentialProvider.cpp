// Fetches the container credential document, with the endpoint and token checks the AWS SDKs apply.
#include "cloud/AwsContainerCredentialProvider.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "util/Files.hpp"

namespace launch::cloud {

namespace {

std::string toLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

// The URL's host, IPv6 literals with their brackets; empty when there is none.
std::string hostOf(std::string_view url) {
  const size_t schemeEnd = url.find("://");
  if (schemeEnd == std::string_view::npos) return {};
  std::string_view authority = url.substr(schemeEnd + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (!authority.empty() && authority.front() == '[') return toLower(authority.substr(0, authority.find(']') + 1));
  return toLower(authority.substr(0, authority.find(':')));
}

bool isAllowedPlainHttpHost(const std::string& host) {
  static constexpr std::array<std::string_view, 5> kHosts = {"localhost", "[::1]", "169.254.170.2", "169.254.170.23",
                                                             "[fd00:ec2::23]"};
  if (std::find(kHosts.begin(), kHosts.end(), host) != kHosts.end()) return true;
  if (host.rfind("127.", 0) != 0) return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

ErrorCode codeForStatus(long status) {
  if (status == 401) return ErrorCode::Unauthorized;
  if (status == 403) return ErrorCode::Forbidden;
  if (status == 404) return ErrorCode::Invalid;  // configured, but at a wrong URI: the chain must not move on
  if (status == 429) return ErrorCode::TooManyRequests;
  if (status >= 500) return ErrorCode::Unavailable;
  return ErrorCode::Internal;
}

}  // namespace

AwsContainerCredentialProvider::AwsContainerCredentialProvider(std::shared_ptr<const AwsEnvironment> environment,
                                                               std::shared_ptr<http::HttpClient> client,
                                                               AwsContainerOptions options)
    : environment_(std::move(environment)), client_(std::move(client)), options_(std::move(options)) {}

Result<AwsCredentials> AwsContainerCredentialProvider::credentials() {
  const auto relative = environment_->get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const auto full = environment_->get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) {
    return makeError(ErrorCode::NotFound,
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
  }

  std::string url;
  if (relative) {
    url = options_.relativeUriBase + (relative->front() == '/' ? "" : "/") + *relative;
  } else {
    url = *full;
    const std::string scheme = toLower(url.substr(0, url.find("://")));
    const std::string host = hostOf(url);
    if (host.empty() || (scheme != "http" && scheme != "https")) {
      return makeError(ErrorCode::Invalid, "AWS_CONTAINER_CREDENTIALS_FULL_URI \"" + url +
                                               "\" is not an http:// or https:// URL with a host");
    }
    if (scheme == "http" && !isAllowedPlainHttpHost(host)) {
      return makeError(ErrorCode::Invalid,
                       "AWS_CONTAINER_CREDENTIALS_FULL_URI \"" + url +
                           "\" uses plain http to a host that is neither loopback nor a container agent "
                           "(169.254.170.2, 169.254.170.23, fd00:ec2::23); use https");
    }
  }

  std::string authorization;
  if (const auto tokenFile = environment_->get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    auto token = readFile(*tokenFile);
    if (!token) {
      return makeError(ErrorCode::Invalid,
                       "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + token.error().message);
    }
    authorization = trimmed(std::move(token).value());
  } else if (const auto token = environment_->get("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    authorization = *token;
  }
  if (authorization.find_first_of("\r\n") != std::string::npos) {
    return makeError(
        ErrorCode::Invalid,
        "the container authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]) contains a line break");
  }

  http::HttpRequest request;
  request.url = url;
  request.timeout = options_.timeout;
  request.headers = {{"Accept", "application/json"}};
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);

  const std::string what = "container credentials endpoint " + url;
  auto response = client_->send(request);
  if (!response) {
    Error error = response.error();
    error.message = what + ": " + error.message;
    return error;
  }
  if (response->status != 200) {
    std::string hint;
    if (response->status == 401 || response->status == 403) {
      hint = authorization.empty() ? "; set AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE to the token the endpoint expects"
                                   : "; the endpoint rejected the token from AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]";
    } else if (response->status == 404) {
      hint = "; check AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI";
    }
    Error error =
        makeError(codeForStatus(response->status), what + " answered HTTP " + std::to_string(response->status) + hint);
    error.httpStatus = static_cast<int>(response->status);
    return error;
  }
  return parseAwsCredentialsJson(response->body, what);
}

}  // namespace launch::cloud
