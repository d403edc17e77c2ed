// DockerConfigJson: the "auths" of a docker config.json or a kubernetes.io/dockerconfigjson Secret, read and written.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "registry/RegistryCredentials.hpp"
#include "util/Result.hpp"

namespace launch::registry {

class DockerConfigJson {
 public:
  // Reads {"auths": {"<registry>": {"auth": base64("user:pass")} | {"username", "password"}, "identitytoken"?}}.
  // An "auth" wins over "username"/"password", as in the docker CLI. `origin` names the document in errors
  // ("Secret ml/regcred key .dockerconfigjson"); errors never quote credentials.
  static Result<DockerConfigJson> parse(std::string_view json, std::string_view origin);

  // The credentials for a registry host ("ghcr.io", "localhost:5000"), matching keys written with or without
  // a scheme and a path ("https://ghcr.io/v1/"), case-insensitively; Docker Hub under any of its names.
  std::optional<RegistryCredentials> find(std::string_view registry) const;

  // Adds or replaces the entry for a registry, keyed by the host as given.
  void set(const std::string& registry, RegistryCredentials credentials);

  // {"auths": {"<registry>": {"auth": "...", "identitytoken"?: "..."}}}: what docker login writes, and what
  // kaniko reads from /kaniko/.docker/config.json and kubelet from an image pull Secret.
  std::string toJson() const;

  const std::map<std::string, RegistryCredentials>& auths() const { return auths_; }

  // The host a config key names: scheme and path dropped, lower case, Docker Hub's aliases made "docker.io".
  static std::string normalizeRegistryKey(std::string_view key);

 private:
  std::map<std::string, RegistryCredentials> auths_;
};

}  // namespace launch::registry
