// AcrCredentialSource: the /oauth2/exchange call and the lifetime of the refresh token it returns.
#include "registry/AcrCredentialSource.hpp"

#include <nlohmann/json.hpp>

#include <utility>
#include <vector>

#include "cloud/GoogleTokenEndpoint.hpp"
#include "cloud/Jwt.hpp"

namespace launch::registry {
namespace {

constexpr std::size_t kMaxQuoted = 300;

// ACR errors: {"errors": [{"code": "UNAUTHORIZED", "message": "..."}]}.
std::string registryErrorMessage(const std::string& body) {
  const auto answer = nlohmann::json::parse(body, nullptr, false);
  if (!answer.is_object()) return {};
  const auto errors = answer.find("errors");
  if (errors == answer.end() || !errors->is_array() || errors->empty() || !errors->front().is_object()) return {};
  const auto& first = errors->front();
  std::string text;
  if (const auto code = first.find("code"); code != first.end() && code->is_string()) text = code->get<std::string>();
  if (const auto message = first.find("message"); message != first.end() && message->is_string()) {
    text += (text.empty() ? "" : ": ") + message->get<std::string>();
  }
  return text;
}

}  // namespace

AcrCredentialSource::AcrCredentialSource(AcrOptions options, std::shared_ptr<http::HttpClient> http, const Clock& clock)
    : options_(std::move(options)),
      http_(std::move(http)),
      clock_(clock),
      entra_(options_.azure, http_, clock),
      cache_(clock, options_.refreshBefore) {}

std::string AcrCredentialSource::describe() const {
  const char* how = options_.mode == AcrAuthMode::ServicePrincipal ? "login" : "token exchange";
  return "ACR " + std::string(how) + " for " + options_.registry + " as " + entra_.describe();
}

Result<RegistryCredentials> AcrCredentialSource::credentials() {
  if (options_.registry.empty()) {
    return makeError(ErrorCode::Invalid, "ACR needs the registry host, like <name>.azurecr.io");
  }
  if (options_.mode == AcrAuthMode::ServicePrincipal) {
    if (options_.azure.clientId.empty() || options_.azure.clientSecret.empty()) {
      return makeError(ErrorCode::Invalid, "ACR service principal login for " + options_.registry +
                                               " needs a client ID and a client secret (AZURE_CLIENT_ID, "
                                               "AZURE_CLIENT_SECRET)");
    }
    return RegistryCredentials{options_.azure.clientId, options_.azure.clientSecret, ""};
  }
  return cache_.get([this] { return exchange(); });
}

Result<ExpiringCredentials> AcrCredentialSource::exchange() {
  auto aad = entra_.token();
  if (!aad) return aad.error();

  std::string base = options_.registryEndpoint.empty() ? "https://" + options_.registry : options_.registryEndpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  http::HttpRequest request;
  request.method = "POST";
  request.url = base + "/oauth2/exchange";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  request.body = "grant_type=access_token&service=" + http::urlEncode(options_.registry) +
                 "&tenant=" + http::urlEncode(options_.azure.tenantId) + "&access_token=" + http::urlEncode(aad->token);
  const std::vector<std::string> secrets = {aad->token, http::urlEncode(aad->token)};

  const Clock::TimePoint sentAt = clock_.now();
  const auto sentAtWall = clock_.wallNow();
  auto response = http_->send(request);
  if (!response) {
    Error error = response.error();
    error.message = "cannot reach ACR " + options_.registry + " at " + request.url + ": " +
                    cloud::redactSecrets(error.message, secrets) + "; check the registry name and the network";
    return error;
  }
  if (response->status != 200) {
    ErrorCode code = ErrorCode::Invalid;
    std::string fix = "check the registry name";
    if (response->status == 401) {
      code = ErrorCode::Unauthorized;
      fix = "check that the tenant is the registry's and that " + entra_.describe() + " exists";
    } else if (response->status == 403) {
      code = ErrorCode::Forbidden;
      fix = "grant " + entra_.describe() + " the AcrPull (and AcrPush) role on the registry";
    } else if (response->status == 429) {
      code = ErrorCode::TooManyRequests;
      fix = "retry later";
    } else if (response->status >= 500) {
      code = ErrorCode::Unavailable;
      fix = "ACR failed; retry later";
    }
    std::string message = "ACR " + options_.registry + " refused the token exchange for " + entra_.describe() +
                          " (HTTP " + std::to_string(response->status) + ")";
    std::string detail = cloud::redactSecrets(registryErrorMessage(response->body), secrets);
    if (detail.size() > kMaxQuoted) detail = detail.substr(0, kMaxQuoted) + "...";
    if (!detail.empty()) message += ": " + detail;
    Error error = makeError(code, message + "; " + fix);
    error.httpStatus = static_cast<int>(response->status);
    return error;
  }
  const auto answer = nlohmann::json::parse(response->body, nullptr, false);
  const auto refresh = answer.is_object() ? answer.find("refresh_token") : answer.end();
  if (!answer.is_object() || refresh == answer.end() || !refresh->is_string() ||
      refresh->get_ref<const std::string&>().empty()) {
    return makeError(ErrorCode::Internal,
                     "ACR " + options_.registry + " answered the token exchange without a \"refresh_token\"");
  }
  ExpiringCredentials result;
  result.credentials.username = std::string(kAcrRefreshTokenUser);
  result.credentials.password = refresh->get<std::string>();
  // The refresh token is a JWT whose "exp" says when it ends (about three hours); without one, it is
  // trusted no longer than the Entra ID token it came from.
  result.expiry = aad->expiry;
  if (auto jwt = cloud::Jwt::decode(result.credentials.password); jwt) {
    const auto exp = jwt->claims().find("exp");
    if (exp != jwt->claims().end() && exp->is_number()) {
      const auto wallExpiry = std::chrono::system_clock::time_point(std::chrono::seconds(exp->get<long long>()));
      result.expiry = sentAt + std::chrono::duration_cast<Clock::Duration>(wallExpiry - sentAtWall);
    }
  }
  return result;
}

}  // namespace launch::registry
