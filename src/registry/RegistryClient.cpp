// RegistryClient: manifest HEAD requests and the 401 challenge flow of the distribution spec's token auth.
#include "registry/RegistryClient.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "cloud/GoogleTokenEndpoint.hpp"
#include "registry/DockerConfigJson.hpp"
#include "util/Crypto.hpp"

namespace launch::registry {
namespace {

// Sent with an identity token (an OAuth2 refresh token), which the token endpoint wants a client ID with.
constexpr std::string_view kClientId = "launch-operator";

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& form) {
  std::string body;
  for (const auto& [name, value] : form) {
    if (!body.empty()) body += '&';
    body += http::urlEncode(name) + "=" + http::urlEncode(value);
  }
  return body;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The challenge to answer: Bearer when offered (it works for every repository), else Basic.
std::optional<AuthChallenge> pickChallenge(const http::HttpResponse& response) {
  std::optional<AuthChallenge> basic;
  for (const auto& [name, value] : response.headers) {
    if (!equalsIgnoringCase(name, "WWW-Authenticate")) continue;
    for (auto& challenge : AuthChallenge::parse(value)) {
      if (challenge.scheme == "bearer") return challenge;
      if (challenge.scheme == "basic" && !basic) basic = std::move(challenge);
    }
  }
  return basic;
}

std::string describeStatus(long status) { return "HTTP " + std::to_string(status); }

}  // namespace

RegistryClient::RegistryClient(std::shared_ptr<http::HttpClient> http, std::shared_ptr<CredentialSource> credentials,
                               RegistryClientOptions options, const Clock& clock)
    : http_(std::move(http)), credentials_(std::move(credentials)), options_(std::move(options)), clock_(clock) {}

std::string RegistryClient::baseUrl(const std::string& host) const {
  return (options_.insecure ? "http://" : "https://") + host;
}

bool RegistryClient::credentialsApply(const ImageReference& image) const {
  if (!credentials_) return false;
  if (options_.credentialsRegistry.empty()) return true;
  return DockerConfigJson::normalizeRegistryKey(options_.credentialsRegistry) ==
         DockerConfigJson::normalizeRegistryKey(image.registry);
}

Result<RegistryCredentials> RegistryClient::credentialsFor(const ImageReference& image) const {
  if (!credentialsApply(image)) return RegistryCredentials{};
  auto credentials = credentials_->credentials();
  if (!credentials) {
    Error error = credentials.error();
    error.message = "cannot get credentials for registry " + image.registry + ": " + error.message;
    return error;
  }
  return credentials;
}

Result<http::HttpResponse> RegistryClient::send(const std::string& method, const std::string& url,
                                                const std::string& authorization) const {
  http::HttpRequest request;
  request.method = method;
  request.url = url;
  request.timeout = options_.timeout;
  request.headers = {{"Accept", std::string(kManifestAccept)}};
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
  return http_->send(request);
}

Error RegistryClient::credentialsError(const ImageReference& image, long status, const RegistryCredentials& used,
                                       const std::string& what) const {
  std::string message;
  if (used.anonymous()) {
    message = "registry " + image.registry + " requires credentials to pull " + image.repository + " (" +
              describeStatus(status) + ")";
    if (credentials_ && !credentialsApply(image)) {
      message += "; the configured credentials are for " + options_.credentialsRegistry + " only";
    }
  } else {
    message = "registry " + image.registry + " rejected the credentials (" + describeStatus(status) + ", " +
              credentials_->describe() + ")";
    if (!what.empty()) message += " " + what;
  }
  message += ": " + options_.credentialsHint;
  Error error = makeError(status == 403 ? ErrorCode::Forbidden : ErrorCode::Unauthorized, std::move(message));
  error.httpStatus = static_cast<int>(status);
  return error;
}

Result<std::string> RegistryClient::answerChallenge(const AuthChallenge& challenge, const ImageReference& image,
                                                    const std::string& scope) {
  if (challenge.scheme == "bearer") return bearerToken(challenge, image, scope);
  if (challenge.scheme == "basic") {
    auto credentials = credentialsFor(image);
    if (!credentials) return credentials.error();
    if (credentials->username.empty() && credentials->password.empty()) {
      return credentialsError(image, 401, RegistryCredentials{}, "");
    }
    return "Basic " + credentials->basicAuthorization();
  }
  return makeError(ErrorCode::Invalid, "registry " + image.registry + " asks for the authentication scheme \"" +
                                           challenge.scheme + "\", which is not supported (Basic and Bearer are)");
}

Result<std::string> RegistryClient::bearerToken(const AuthChallenge& challenge, const ImageReference& image,
                                                const std::string& scope) {
  const std::string realm = challenge.parameter("realm");
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0) {
    return makeError(ErrorCode::Internal, "registry " + image.registry +
                                              " sent a Bearer challenge without an http(s) realm to get a token from");
  }
  const std::string service = challenge.parameter("service");
  auto credentials = credentialsFor(image);
  if (!credentials) return credentials.error();

  http::HttpRequest request;
  request.timeout = options_.timeout;
  request.headers = {{"Accept", "application/json"}};
  std::vector<std::string> secrets = {credentials->password, credentials->identityToken};
  if (!credentials->identityToken.empty()) {
    // The OAuth2 form of the token endpoint: a refresh token instead of a password.
    request.method = "POST";
    request.url = realm;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "refresh_token"},
                                                             {"refresh_token", credentials->identityToken},
                                                             {"client_id", std::string(kClientId)},
                                                             {"scope", scope}};
    if (!service.empty()) form.emplace_back("service", service);
    request.body = formEncode(form);
  } else {
    std::string query;
    if (!service.empty()) query = "service=" + http::urlEncode(service) + "&";
    query += "scope=" + http::urlEncode(scope);
    request.method = "GET";
    request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + query;
    if (!credentials->anonymous()) {
      request.headers.emplace_back("Authorization", "Basic " + credentials->basicAuthorization());
    }
  }

  const Clock::TimePoint sentAt = clock_.now();
  auto response = http_->send(request);
  if (!response) {
    Error error = response.error();
    error.message = "cannot reach the token service " + realm + " of registry " + image.registry + ": " +
                    cloud::redactSecrets(error.message, secrets);
    return error;
  }
  if (response->status == 401 || response->status == 403) {
    return credentialsError(image, response->status, *credentials, "at its token service " + realm);
  }
  if (response->status != 200) {
    Error error = makeError(response->status >= 500 ? ErrorCode::Unavailable : ErrorCode::Internal,
                            "the token service " + realm + " of registry " + image.registry + " answered " +
                                describeStatus(response->status) + " to a token request for " + scope);
    error.httpStatus = static_cast<int>(response->status);
    return error;
  }
  const auto answer = nlohmann::json::parse(response->body, nullptr, false);
  std::string token;
  if (answer.is_object()) {
    for (const char* name : {"token", "access_token"}) {
      const auto found = answer.find(name);
      if (found != answer.end() && found->is_string() && !found->get_ref<const std::string&>().empty()) {
        token = found->get<std::string>();
        break;
      }
    }
  }
  if (token.empty()) {
    return makeError(ErrorCode::Internal, "the token service " + realm + " of registry " + image.registry +
                                              " answered 200 without a \"token\" or \"access_token\"");
  }
  std::chrono::seconds lifetime = options_.defaultTokenLifetime;
  if (answer.contains("expires_in") && answer["expires_in"].is_number_integer() &&
      answer["expires_in"].get<long long>() > 0) {
    lifetime = std::chrono::seconds(answer["expires_in"].get<long long>());
  }
  {
    const std::lock_guard lock(mutex_);
    tokens_[image.apiHost() + " " + scope] = CachedToken{token, sentAt + lifetime};
  }
  return "Bearer " + token;
}

Result<std::optional<std::string>> RegistryClient::manifestDigest(const ImageReference& image) {
  const std::string host = image.apiHost();
  const std::string scope = "repository:" + image.repository + ":pull";
  const std::string url = baseUrl(host) + "/v2/" + image.repository + "/manifests/" + image.manifestReference();

  // What earlier calls learned: a live token for this repository, or how this registry challenges.
  std::string authorization;
  bool fromCache = false;
  std::optional<AuthChallenge> known;
  {
    const std::lock_guard lock(mutex_);
    const auto token = tokens_.find(host + " " + scope);
    if (token != tokens_.end() && clock_.now() < token->second.expiry) {
      authorization = "Bearer " + token->second.token;
      fromCache = true;
    } else if (const auto challenge = challenges_.find(host); challenge != challenges_.end()) {
      known = challenge->second;
    }
  }
  if (known) {
    auto answered = answerChallenge(*known, image, scope);
    if (!answered) return answered.error();
    authorization = std::move(answered).value();
  }

  auto response = send("HEAD", url, authorization);
  if (response && response->status == 401) {
    const bool freshlyAnswered = known.has_value();
    if (fromCache) {
      const std::lock_guard lock(mutex_);
      tokens_.erase(host + " " + scope);
    }
    const std::optional<AuthChallenge> challenge = pickChallenge(*response);
    if (!challenge) {
      return makeError(ErrorCode::Unauthorized, "registry " + image.registry +
                                                    " answered 401 without a Basic or Bearer challenge; " +
                                                    options_.credentialsHint);
    }
    {
      const std::lock_guard lock(mutex_);
      challenges_[host] = *challenge;
    }
    if (freshlyAnswered) {
      auto used = credentialsFor(image);
      return credentialsError(image, 401, used ? *used : RegistryCredentials{}, "");
    }
    auto answered = answerChallenge(*challenge, image, scope);
    if (!answered) return answered.error();
    authorization = std::move(answered).value();
    response = send("HEAD", url, authorization);
    if (response && response->status == 401) {
      auto used = credentialsFor(image);
      return credentialsError(image, 401, used ? *used : RegistryCredentials{}, "");
    }
  }
  if (!response) {
    Error error = response.error();
    error.message = "cannot reach registry " + image.registry + ": " + error.message +
                    (options_.insecure ? "" : "; a registry without TLS needs the insecure option");
    return error;
  }

  const long status = response->status;
  if (status == 404) return std::optional<std::string>();
  if (status == 200) {
    if (auto digest = response->header("Docker-Content-Digest"); digest && !digest->empty()) {
      return std::optional<std::string>(std::move(*digest));
    }
    if (!image.digest.empty()) return std::optional<std::string>(image.digest);
    // The header is optional: the digest is then that of the manifest's bytes.
    auto manifest = send("GET", url, authorization);
    if (!manifest) return manifest.error();
    if (manifest->status != 200) {
      return makeError(ErrorCode::Internal, "registry " + image.registry + " answered HEAD " + image.toString() +
                                                " with 200 but GET with " + describeStatus(manifest->status));
    }
    return std::optional<std::string>("sha256:" + sha256Hex(manifest->body));
  }
  if (status == 403) {
    auto used = credentialsFor(image);
    return credentialsError(image, 403, used ? *used : RegistryCredentials{}, "for " + image.repository);
  }
  ErrorCode code = ErrorCode::Internal;
  if (status == 429) code = ErrorCode::TooManyRequests;
  if (status >= 500) code = ErrorCode::Unavailable;
  Error error = makeError(
      code, "registry " + image.registry + " answered " + describeStatus(status) + " to HEAD " + image.toString());
  error.httpStatus = static_cast<int>(status);
  return error;
}

}  // namespace launch::registry
