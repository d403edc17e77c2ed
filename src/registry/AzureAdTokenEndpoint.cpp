// AzureAdTokenEndpoint: the client-credentials token request and Entra ID's error answers.
#include "registry/AzureAdTokenEndpoint.hpp"

#include <nlohmann/json.hpp>

#include <utility>
#include <vector>

#include "cloud/GoogleTokenEndpoint.hpp"
#include "util/Files.hpp"

namespace launch::registry {
namespace {

constexpr std::size_t kMaxDescription = 300;

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& form) {
  std::string body;
  for (const auto& [name, value] : form) {
    if (!body.empty()) body += '&';
    body += http::urlEncode(name) + "=" + http::urlEncode(value);
  }
  return body;
}

std::string stringField(const nlohmann::json& object, const char* name) {
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::string trimTrailingSlash(std::string text) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

}  // namespace

AzureAdTokenEndpoint::AzureAdTokenEndpoint(AzureClientCredentials credentials, std::shared_ptr<http::HttpClient> http,
                                           const Clock& clock)
    : credentials_(std::move(credentials)), http_(std::move(http)), clock_(clock) {}

std::string AzureAdTokenEndpoint::tokenUrl() const {
  return trimTrailingSlash(credentials_.authority) + "/" + http::urlEncode(credentials_.tenantId) +
         "/oauth2/v2.0/token";
}

std::string AzureAdTokenEndpoint::describe() const {
  return "service principal " + credentials_.clientId + " in tenant " + credentials_.tenantId;
}

Result<cloud::AccessToken> AzureAdTokenEndpoint::token() const {
  if (credentials_.tenantId.empty() || credentials_.clientId.empty()) {
    return makeError(ErrorCode::Invalid,
                     "Azure credentials need a tenant ID and a client ID (AZURE_TENANT_ID, "
                     "AZURE_CLIENT_ID)");
  }
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "client_credentials"}, {"client_id", credentials_.clientId}, {"scope", credentials_.scope}};
  std::vector<std::string> secrets;
  if (!credentials_.clientSecret.empty()) {
    form.emplace_back("client_secret", credentials_.clientSecret);
    secrets.push_back(credentials_.clientSecret);
  } else if (!credentials_.federatedTokenFile.empty()) {
    auto assertion = readFile(credentials_.federatedTokenFile);
    if (!assertion) {
      return makeError(ErrorCode::Invalid, "cannot read the federated token file " + credentials_.federatedTokenFile +
                                               " of " + describe() + ": " + assertion.error().message +
                                               "; check the workload identity setup (AZURE_FEDERATED_TOKEN_FILE)");
    }
    std::string jwt = std::move(assertion).value();
    while (!jwt.empty() && (jwt.back() == '\n' || jwt.back() == '\r' || jwt.back() == ' ')) jwt.pop_back();
    form.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form.emplace_back("client_assertion", jwt);
    secrets.push_back(jwt);
  } else {
    return makeError(ErrorCode::Invalid, describe() +
                                             " has neither a client secret nor a federated token file; set "
                                             "AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE");
  }
  for (const auto& secret : std::vector<std::string>(secrets)) secrets.push_back(http::urlEncode(secret));

  http::HttpRequest request;
  request.method = "POST";
  request.url = tokenUrl();
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  request.body = formEncode(form);
  const Clock::TimePoint sentAt = clock_.now();
  auto response = http_->send(request);
  if (!response) {
    Error error = response.error();
    error.message = "cannot reach Microsoft Entra ID at " + request.url + " for " + describe() + ": " +
                    cloud::redactSecrets(error.message, secrets) + "; check the network and the authority host";
    return error;
  }
  const std::string from = "Microsoft Entra ID at " + request.url;
  if (response->status == 200) return cloud::parseGoogleTokenAnswer(response->body, sentAt, from);

  // {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. ...", ...}
  const auto answer = nlohmann::json::parse(response->body, nullptr, false);
  std::string oauthError;
  std::string description;
  if (answer.is_object()) {
    oauthError = cloud::redactSecrets(stringField(answer, "error"), secrets).substr(0, 64);
    description = stringField(answer, "error_description");
  }
  description = cloud::redactSecrets(description, secrets);
  if (const std::size_t newline = description.find_first_of("\r\n"); newline != std::string::npos) {
    description = description.substr(0, newline);  // the rest is trace and correlation IDs
  }
  if (description.size() > kMaxDescription) description = description.substr(0, kMaxDescription) + "...";

  ErrorCode code = ErrorCode::Invalid;
  std::string fix = "check the tenant ID, client ID and authority host";
  if (oauthError == "invalid_client" || oauthError == "unauthorized_client" || response->status == 401) {
    code = ErrorCode::Unauthorized;
    fix = "check the client secret (or the federated credential) of the service principal";
  } else if (oauthError == "invalid_scope") {
    fix = "check the requested scope " + credentials_.scope;
  } else if (response->status == 429) {
    code = ErrorCode::TooManyRequests;
    fix = "retry later";
  } else if (response->status >= 500) {
    code = ErrorCode::Unavailable;
    fix = "Entra ID failed; retry later";
  }
  std::string message = from + " rejected " + describe() + " (HTTP " + std::to_string(response->status);
  if (!oauthError.empty()) message += ", " + oauthError;
  message += ")";
  if (!description.empty()) message += ": " + description;
  message += "; " + fix;
  Error error = makeError(code, std::move(message));
  error.httpStatus = static_cast<int>(response->status);
  error.reason = oauthError;
  return error;
}

}  // namespace launch::registry
