// GoogleCredentialsFile: field-by-field reading of service_account and authorized_user JSON files.
#include "cloud/GoogleCredentialsFile.hpp"

#include <nlohmann/json.hpp>

#include "cloud/GoogleTokenSource.hpp"
#include "util/Files.hpp"

namespace launch::cloud {
namespace {

// A required string field; the error says which file, which field, and what kind of file should have it.
Result<std::string> requiredString(const nlohmann::json& doc, const char* field, const std::string& origin,
                                   const char* fix) {
  const auto found = doc.find(field);
  if (found == doc.end() || !found->is_string() || found->get<std::string>().empty()) {
    return makeError(ErrorCode::Invalid, origin + ": field \"" + field + "\" is missing or not a string; " + fix);
  }
  return found->get<std::string>();
}

std::string optionalString(const nlohmann::json& doc, const char* field, std::string fallback) {
  const auto found = doc.find(field);
  if (found == doc.end() || !found->is_string() || found->get<std::string>().empty()) return fallback;
  return found->get<std::string>();
}

constexpr const char* kServiceAccountFix =
    "download a new key with `gcloud iam service-accounts keys create` (the file must be used unchanged)";
constexpr const char* kAuthorizedUserFix = "run `gcloud auth application-default login` again to rewrite the file";

Result<GoogleCredentials> serviceAccount(const nlohmann::json& doc, const std::string& origin) {
  GoogleServiceAccountKey key;
  auto email = requiredString(doc, "client_email", origin, kServiceAccountFix);
  if (!email) return email.error();
  key.clientEmail = std::move(*email);
  auto pem = requiredString(doc, "private_key", origin, kServiceAccountFix);
  if (!pem) return pem.error();
  if (pem->find("-----BEGIN") == std::string::npos || pem->find("PRIVATE KEY-----") == std::string::npos) {
    return makeError(ErrorCode::Invalid,
                     origin + ": field \"private_key\" is not a PEM private key; " + kServiceAccountFix);
  }
  key.privateKeyPem = std::move(*pem);
  key.privateKeyId = optionalString(doc, "private_key_id", "");
  key.tokenUri = optionalString(doc, "token_uri", std::string(kGoogleTokenUri));
  key.projectId = optionalString(doc, "project_id", "");
  return GoogleCredentials(std::move(key));
}

Result<GoogleCredentials> authorizedUser(const nlohmann::json& doc, const std::string& origin) {
  GoogleAuthorizedUser user;
  auto clientId = requiredString(doc, "client_id", origin, kAuthorizedUserFix);
  if (!clientId) return clientId.error();
  user.clientId = std::move(*clientId);
  auto secret = requiredString(doc, "client_secret", origin, kAuthorizedUserFix);
  if (!secret) return secret.error();
  user.clientSecret = std::move(*secret);
  auto refresh = requiredString(doc, "refresh_token", origin, kAuthorizedUserFix);
  if (!refresh) return refresh.error();
  user.refreshToken = std::move(*refresh);
  user.tokenUri = optionalString(doc, "token_uri", std::string(kGoogleTokenUri));
  user.quotaProjectId = optionalString(doc, "quota_project_id", "");
  return GoogleCredentials(std::move(user));
}

}  // namespace

Result<GoogleCredentials> parseGoogleCredentials(std::string_view json, const std::string& origin) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return makeError(ErrorCode::Invalid, origin +
                                             ": not a JSON object; expected a Google credentials file "
                                             "(a service-account key or the output of "
                                             "`gcloud auth application-default login`)");
  }
  const auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()) {
    return makeError(ErrorCode::Invalid, origin +
                                             ": field \"type\" is missing; expected \"service_account\" or "
                                             "\"authorized_user\"");
  }
  if (*type == "service_account") return serviceAccount(doc, origin);
  if (*type == "authorized_user") return authorizedUser(doc, origin);
  return makeError(ErrorCode::Invalid, origin + ": credentials of \"type\" \"" + type->get<std::string>() +
                                           "\" are not supported; use a \"service_account\" key or an "
                                           "\"authorized_user\" login");
}

Result<GoogleCredentials> loadGoogleCredentials(const std::string& path) {
  auto text = readFile(path);
  if (!text) return text.error();
  return parseGoogleCredentials(*text, path);
}

}  // namespace launch::cloud
