// GarCredentialSource: Artifact Registry (and gcr.io) credentials: user "oauth2accesstoken" and a Google access token.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cloud/GoogleTokenSource.hpp"
#include "registry/CredentialSource.hpp"

namespace launch::registry {

inline constexpr std::string_view kGarUsername = "oauth2accesstoken";

class GarCredentialSource final : public CredentialSource {
 public:
  // The token source does the caching (wrap it in cloud::GoogleCachedTokenSource); this asks it every call.
  explicit GarCredentialSource(std::shared_ptr<cloud::GoogleTokenSource> tokens);

  Result<RegistryCredentials> credentials() override;
  std::string describe() const override;

 private:
  std::shared_ptr<cloud::GoogleTokenSource> tokens_;
};

}  // namespace launch::registry
