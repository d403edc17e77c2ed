// AzureAdTokenEndpoint: Microsoft Entra ID (Azure AD) access tokens by the OAuth2 client-credentials grant.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::registry {

inline constexpr std::string_view kAzureDefaultAuthority = "https://login.microsoftonline.com";
inline constexpr std::string_view kAzureManagementScope = "https://management.azure.com/.default";

// A service principal (an app registration): its secret, or a federated token file as Azure Workload
// Identity mounts into pods (AZURE_FEDERATED_TOKEN_FILE), sent as a client assertion.
struct AzureClientCredentials {
  std::string authority{kAzureDefaultAuthority};  // AZURE_AUTHORITY_HOST; sovereign clouds and tests change it
  std::string tenantId;
  std::string clientId;
  std::string clientSecret;
  std::string federatedTokenFile;  // used when clientSecret is empty
  std::string scope{kAzureManagementScope};
};

class AzureAdTokenEndpoint {
 public:
  AzureAdTokenEndpoint(AzureClientCredentials credentials, std::shared_ptr<http::HttpClient> http,
                       const Clock& clock = SystemClock::instance());

  // One POST to <authority>/<tenant>/oauth2/v2.0/token; no caching, no retries. Errors quote Entra ID's
  // error code and description (secrets redacted) and say what to check.
  Result<cloud::AccessToken> token() const;

  std::string tokenUrl() const;
  // "service principal <clientId> in tenant <tenantId>"; never the secret.
  std::string describe() const;

 private:
  AzureClientCredentials credentials_;
  std::shared_ptr<http::HttpClient> http_;
  const Clock& clock_;
};

}  // namespace launch::registry
