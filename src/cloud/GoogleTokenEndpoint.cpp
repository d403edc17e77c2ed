// GoogleTokenEndpoint: the OAuth2 token request (RFC 6749 section 4) and its error answers (section 5.2).
#include "cloud/GoogleTokenEndpoint.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string_view>

namespace launch::cloud {
namespace {

constexpr std::size_t kMaxDescription = 300;
constexpr std::size_t kMaxErrorCode = 64;  // OAuth2 error codes are short words like invalid_grant

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& form) {
  std::string body;
  for (const auto& [name, value] : form) {
    if (!body.empty()) body += '&';
    body += http::urlEncode(name) + "=" + http::urlEncode(value);
  }
  return body;
}

bool isBearer(std::string_view type) {
  constexpr std::string_view kBearer = "bearer";
  return type.size() == kBearer.size() && std::equal(type.begin(), type.end(), kBearer.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// What an OAuth2 "error" code means for the caller, and what to do about it.
struct ErrorMeaning {
  ErrorCode code;
  std::string fix;
};

ErrorMeaning meaningOf(const std::string& oauthError, long status, const GoogleTokenGrant& grant) {
  if (oauthError == "invalid_grant") return {ErrorCode::Unauthorized, grant.invalidGrantFix};
  if (oauthError == "invalid_client") return {ErrorCode::Unauthorized, grant.invalidClientFix};
  if (oauthError == "unauthorized_client" || oauthError == "access_denied") {
    return {ErrorCode::Forbidden, "the account is not allowed this grant; check its IAM roles and scopes"};
  }
  if (oauthError == "invalid_scope") {
    return {ErrorCode::Invalid, "check the requested scopes (https://www.googleapis.com/auth/cloud-platform)"};
  }
  if (status == 429) return {ErrorCode::TooManyRequests, "retry later"};
  if (status >= 500) return {ErrorCode::Unavailable, "the token endpoint failed; retry later"};
  if (status == 401) return {ErrorCode::Unauthorized, grant.invalidClientFix};
  if (status == 403) return {ErrorCode::Forbidden, "check the account's permissions"};
  if (status == 404) return {ErrorCode::Invalid, "check the token URI (\"token_uri\" in the credentials file)"};
  return {ErrorCode::Invalid, "check the credentials file"};
}

std::string stringField(const nlohmann::json& object, const char* name) {
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

Result<long long> expiresIn(const nlohmann::json& answer) {
  const auto found = answer.find("expires_in");
  if (found != answer.end()) {
    if (found->is_number_integer() && found->get<long long>() > 0) return found->get<long long>();
    if (found->is_string()) {
      const auto& text = found->get_ref<const std::string&>();
      if (!text.empty() && text.size() < 12 && std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
          })) {
        const long long seconds = std::stoll(text);
        if (seconds > 0) return seconds;
      }
    }
  }
  return makeError(ErrorCode::Internal, "no positive \"expires_in\"");
}

}  // namespace

std::string redactSecrets(std::string text, const std::vector<std::string>& secrets) {
  static constexpr std::string_view kMark = "[redacted]";
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kMark.size())) {
      text.replace(at, secret.size(), kMark);
    }
  }
  return text;
}

Result<AccessToken> parseGoogleTokenAnswer(const std::string& body, Clock::TimePoint issuedAt,
                                           const std::string& from) {
  const auto answer = nlohmann::json::parse(body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    return makeError(ErrorCode::Internal, from + " answered 200 with something other than a JSON object");
  }
  const auto token = answer.find("access_token");
  if (token == answer.end() || !token->is_string() || token->get_ref<const std::string&>().empty()) {
    return makeError(ErrorCode::Internal, from + " answered 200 without an \"access_token\"");
  }
  const auto type = answer.find("token_type");
  if (type != answer.end() && (!type->is_string() || !isBearer(type->get_ref<const std::string&>()))) {
    return makeError(ErrorCode::Internal, from + " answered a \"token_type\" other than Bearer");
  }
  auto seconds = expiresIn(answer);
  if (!seconds) return makeError(ErrorCode::Internal, from + " answered 200 with " + seconds.error().message);
  return AccessToken{token->get<std::string>(), issuedAt + std::chrono::seconds(*seconds)};
}

GoogleTokenEndpoint::GoogleTokenEndpoint(std::string uri, http::HttpClient& http, const Clock& clock)
    : uri_(std::move(uri)), http_(http), clock_(clock) {}

Result<AccessToken> GoogleTokenEndpoint::exchange(const GoogleTokenGrant& grant) const {
  http::HttpRequest request;
  request.method = "POST";
  request.url = uri_;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  request.body = formEncode(grant.form);
  // An endpoint that echoes the request echoes the form-encoded secrets: redact both spellings.
  std::vector<std::string> secrets = grant.secrets;
  for (const auto& secret : grant.secrets) {
    std::string encoded = http::urlEncode(secret);
    if (encoded != secret) secrets.push_back(std::move(encoded));
  }
  const Clock::TimePoint sentAt = clock_.now();
  auto response = http_.send(request);
  if (!response) {
    Error error = response.error();
    error.message = "cannot reach the token endpoint for " + grant.subject + ": " +
                    redactSecrets(error.message, secrets) + "; check the network and the token URI";
    return error;
  }
  const std::string from = "the token endpoint " + uri_;
  if (response->status == 200) return parseGoogleTokenAnswer(response->body, sentAt, from);

  // Google answers {"error": "...", "error_description": "..."}; anything else is quoted briefly, never when 200.
  std::string oauthError;
  std::string description;
  const auto answer = nlohmann::json::parse(response->body, nullptr, false);
  if (answer.is_object()) {
    oauthError = redactSecrets(stringField(answer, "error"), secrets).substr(0, kMaxErrorCode);
    description = stringField(answer, "error_description");
  }
  if (oauthError.empty() && description.empty()) description = response->body;
  // Redact before cutting: a cut could leave part of a secret that no longer matches.
  description = redactSecrets(description, secrets);
  if (description.size() > kMaxDescription) description = description.substr(0, kMaxDescription) + "...";

  const ErrorMeaning meaning = meaningOf(oauthError, response->status, grant);
  std::string message = from + " rejected " + grant.subject + " (HTTP " + std::to_string(response->status);
  if (!oauthError.empty()) message += ", " + oauthError;
  message += ")";
  if (!description.empty()) message += ": " + description;
  if (!meaning.fix.empty()) message += "; " + meaning.fix;
  Error error = makeError(meaning.code, std::move(message));
  error.httpStatus = static_cast<int>(response->status);
  error.reason = oauthError;
  return error;
}

}  // namespace launch::cloud
