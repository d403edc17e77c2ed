// ImagePullSecret: the per-run kubernetes.io/dockerconfigjson Secret that lets the kubelet pull a built image
// from a cloud registry whose credentials are short-lived tokens of the operator's own identity (ECR, Artifact
// Registry, ACR without a Secret of their own). Owned by the LaunchJob, deleted when the job ends.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/LaunchJob.hpp"
#include "registry/RegistryCredentials.hpp"

namespace launch::agent {

// "lj-<name>-<uid prefix>-pull": stable for one LaunchJob, so a retried create finds the first.
std::string imagePullSecretName(const api::LaunchJob& job);

// The Secret, with `credentials` for `registryHost` as its .dockerconfigjson.
nlohmann::json imagePullSecret(const api::LaunchJob& job, const std::string& registryHost,
                               const registry::RegistryCredentials& credentials);

}  // namespace launch::agent
