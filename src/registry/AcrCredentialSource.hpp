// AcrCredentialSource: Azure Container Registry credentials, from a service principal directly or through
// the ACR refresh-token exchange of an Entra ID access token.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "http/HttpClient.hpp"
#include "registry/AzureAdTokenEndpoint.hpp"
#include "registry/CredentialCache.hpp"
#include "registry/CredentialSource.hpp"
#include "util/Clock.hpp"

namespace launch::registry {

// The user name ACR expects with a refresh token as the password (what `az acr login --expose-token` prints).
inline constexpr std::string_view kAcrRefreshTokenUser = "00000000-0000-0000-0000-000000000000";

enum class AcrAuthMode {
  ServicePrincipal,  // client ID and secret as user name and password (needs admin-free SP login enabled)
  TokenExchange,     // Entra ID token -> POST https://<registry>/oauth2/exchange -> refresh token
};

struct AcrOptions {
  std::string registry;  // <name>.azurecr.io
  AcrAuthMode mode = AcrAuthMode::TokenExchange;
  AzureClientCredentials azure;
  std::string registryEndpoint;  // base URL of the registry; empty means https://<registry>
  std::chrono::seconds refreshBefore{std::chrono::minutes(5)};
};

class AcrCredentialSource final : public CredentialSource {
 public:
  AcrCredentialSource(AcrOptions options, std::shared_ptr<http::HttpClient> http,
                      const Clock& clock = SystemClock::instance());

  Result<RegistryCredentials> credentials() override;
  std::string describe() const override;
  void invalidate() { cache_.invalidate(); }

 private:
  Result<ExpiringCredentials> exchange();

  AcrOptions options_;
  std::shared_ptr<http::HttpClient> http_;
  const Clock& clock_;
  AzureAdTokenEndpoint entra_;
  CredentialCache cache_;
};

}  // namespace launch::registry
