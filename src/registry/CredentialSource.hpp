// CredentialSource: where a registry's credentials come from (a Secret, ECR, Artifact Registry, ACR).
#pragma once

#include <string>

#include "registry/RegistryCredentials.hpp"
#include "util/Result.hpp"

namespace launch::registry {

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;

  // Credentials valid now. Sources that talk to a cloud cache what they get until shortly before it
  // expires; anonymous credentials (all fields empty) mean "pull without logging in". Errors name the
  // source and the fix, never a secret.
  virtual Result<RegistryCredentials> credentials() = 0;

  // What the credentials are and where they come from, for logs and errors; never a secret.
  virtual std::string describe() const = 0;
};

}  // namespace launch::registry
