// SecretCredentialSource: a registry's credentials read from a kubernetes.io/dockerconfigjson Secret each
// time they are needed, so a rotated Secret is used without restarting anything.
#pragma once

#include <string>

#include "kube/KubeClient.hpp"
#include "registry/CredentialSource.hpp"

namespace launch::agent {

class SecretCredentialSource final : public registry::CredentialSource {
 public:
  // `registryHost` is the host whose "auths" entry is used ("127.0.0.1:5000", "ghcr.io").
  SecretCredentialSource(kube::KubeClient& client, std::string ns, std::string secretName, std::string registryHost)
      : client_(client), ns_(std::move(ns)), name_(std::move(secretName)), host_(std::move(registryHost)) {}

  // Errors name the Secret and what it lacks; never a credential.
  Result<registry::RegistryCredentials> credentials() override;
  std::string describe() const override;

 private:
  kube::KubeClient& client_;
  std::string ns_;
  std::string name_;
  std::string host_;
};

}  // namespace launch::agent
