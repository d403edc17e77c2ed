// ImagePullSecret: builds the per-run image pull Secret of a LaunchJob.
#include "agent/ImagePullSecret.hpp"

#include "backends/Backend.hpp"
#include "registry/DockerConfigJson.hpp"
#include "util/Base64.hpp"

namespace launch::agent {

std::string imagePullSecretName(const api::LaunchJob& job) {
  std::string name = backends::runName(job);
  if (name.size() > 58) name.resize(58);  // room for "-pull" within a 63-character label-safe name
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name + "-pull";
}

nlohmann::json imagePullSecret(const api::LaunchJob& job, const std::string& registryHost,
                               const registry::RegistryCredentials& credentials) {
  registry::DockerConfigJson config;
  config.set(registryHost, credentials);
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "kubernetes.io/dockerconfigjson"},
          {"metadata",
           {{"name", imagePullSecretName(job)},
            {"namespace", job.metadata.namespace_},
            {"labels", {{"launch.dev/job", job.metadata.name}}},
            {"ownerReferences", api::ownerReferencesTo(job)}}},
          {"data", {{".dockerconfigjson", base64Encode(config.toJson())}}}};
}

}  // namespace launch::agent
