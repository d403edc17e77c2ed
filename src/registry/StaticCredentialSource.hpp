// StaticCredentialSource: fixed credentials, e.g. read from a dockerconfigjson Secret; empty ones mean anonymous.
#pragma once

#include <string>
#include <utility>

#include "registry/CredentialSource.hpp"

namespace launch::registry {

class StaticCredentialSource final : public CredentialSource {
 public:
  // `origin` says where the credentials were read from ("Secret ml/regcred"), for describe().
  explicit StaticCredentialSource(RegistryCredentials credentials, std::string origin = "static credentials")
      : credentials_(std::move(credentials)), origin_(std::move(origin)) {}

  Result<RegistryCredentials> credentials() override { return credentials_; }
  std::string describe() const override;

 private:
  RegistryCredentials credentials_;
  std::string origin_;
};

}  // namespace launch::registry
