// GarCredentialSource: a Google access token presented as a registry password.
#include "registry/GarCredentialSource.hpp"

#include <utility>

namespace launch::registry {

GarCredentialSource::GarCredentialSource(std::shared_ptr<cloud::GoogleTokenSource> tokens)
    : tokens_(std::move(tokens)) {}

std::string GarCredentialSource::describe() const {
  return "Artifact Registry access token of " + (tokens_ ? tokens_->describe() : std::string("no Google account"));
}

Result<RegistryCredentials> GarCredentialSource::credentials() {
  if (!tokens_) {
    return makeError(ErrorCode::Invalid, "Artifact Registry needs Google credentials: configure a gcp environment");
  }
  auto token = tokens_->token();
  if (!token) {
    Error error = token.error();
    error.message = "cannot get a Google access token for Artifact Registry: " + error.message;
    return error;
  }
  RegistryCredentials credentials;
  credentials.username = std::string(kGarUsername);
  credentials.password = std::move(token->token);
  return credentials;
}

}  // namespace launch::registry
