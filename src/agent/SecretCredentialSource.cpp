// SecretCredentialSource: reads the Secret and picks the registry's entry.
#include "agent/SecretCredentialSource.hpp"

#include "kube/ResourceType.hpp"
#include "registry/DockerConfigJson.hpp"
#include "util/Base64.hpp"

namespace launch::agent {

Result<registry::RegistryCredentials> SecretCredentialSource::credentials() {
  auto secret = client_.get(kube::resources::kSecrets, ns_, name_);
  if (!secret) {
    if (secret.error().code == ErrorCode::NotFound) {
      return makeError(ErrorCode::Invalid, "spec.registry.credentialsSecretRef: Secret '" + name_ +
                                               "' does not exist in namespace " + ns_ +
                                               "; create it (kubectl create secret docker-registry " + name_ +
                                               " --docker-server=" + host_ + " ...)");
    }
    return secret.error();
  }
  const kube::Json& data = secret->value("data", kube::Json::object());
  const std::string key = ".dockerconfigjson";
  if (!data.contains(key) || !data[key].is_string()) {
    return makeError(ErrorCode::Invalid, "spec.registry.credentialsSecretRef: Secret '" + name_ +
                                             "' has no .dockerconfigjson; make it of type "
                                             "kubernetes.io/dockerconfigjson");
  }
  const std::optional<std::string> json = base64Decode(data[key].get<std::string>());
  if (!json) {
    return makeError(ErrorCode::Invalid,
                     "spec.registry.credentialsSecretRef: Secret '" + name_ + "' key " + key + " is not base64");
  }
  auto config = registry::DockerConfigJson::parse(*json, "Secret " + ns_ + "/" + name_ + " key " + key);
  if (!config) return makeError(ErrorCode::Invalid, "spec.registry.credentialsSecretRef: " + config.error().message);
  auto found = config->find(host_);
  if (!found) {
    return makeError(ErrorCode::Invalid, "spec.registry.credentialsSecretRef: Secret '" + name_ +
                                             "' has no credentials for " + host_ + "; add an \"auths\" entry for " +
                                             host_);
  }
  return *found;
}

std::string SecretCredentialSource::describe() const {
  return "Secret " + ns_ + "/" + name_ + " (credentials for " + host_ + ")";
}

}  // namespace launch::agent
