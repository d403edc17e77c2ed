// KanikoBuilder: builds a job's image in the cluster as a batch/v1 Job running the Kaniko executor, and
// follows it through watches on the Jobs and Pods it made (label launch.dev/build=kaniko), never by polling.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/LaunchAgent.hpp"
#include "api/SecretRef.hpp"
#include "build/BuildContextStore.hpp"
#include "build/Builder.hpp"
#include "kube/JobPodInformers.hpp"
#include "kube/KubeClient.hpp"
#include "registry/CredentialSource.hpp"
#include "util/Clock.hpp"

namespace launch::build {

struct KanikoBuilderOptions {
  std::string ns;     // the namespace to watch (empty: all); builds run in their LaunchJob's namespace
  std::string agent;  // the LaunchAgent's name, for the launch.dev/agent label
  api::KanikoSettings settings;
  std::string platform;           // spec.builder.platform; empty: the node's
  bool insecureRegistry = false;  // spec.registry.insecure: push over plain HTTP or without TLS verification
  // Registry credentials, in this order: a source (ECR, Artifact Registry, ACR, a static login) is written as
  // a docker config.json into a per-build Secret; else an existing kubernetes.io/dockerconfigjson Secret in
  // the LaunchJob's namespace (spec.registry.credentialsSecretRef) is mounted as it is; else none, and the
  // pod's identity (serviceAccountName: IRSA, GKE Workload Identity) must be allowed to push.
  std::shared_ptr<registry::CredentialSource> registryCredentials;
  std::optional<api::SecretRef> registrySecret;
};

class KanikoBuilder final : public Builder {
 public:
  // contextStore: where tar.gz contexts go (openBuildContextStore of settings.buildContextStore); null when
  // none is configured, in which case only git sources kaniko can clone can be built.
  KanikoBuilder(kube::KubeClient& client, KanikoBuilderOptions options,
                std::unique_ptr<BuildContextStore> contextStore = nullptr,
                const Clock& clock = SystemClock::instance());
  ~KanikoBuilder() override;
  KanikoBuilder(const KanikoBuilder&) = delete;
  KanikoBuilder& operator=(const KanikoBuilder&) = delete;

  // Starts the Job and Pod informers and returns once their caches are filled.
  Status start(const BuildChanged& changed) override;
  void stop() override;
  // Uploads the context (when it is not a git:// context), writes the per-build Secret, creates the Job.
  // A Job that already exists for this LaunchJob is kept: nothing is uploaded or created again.
  Status submit(const BuildRequest& request) override;
  Result<BuildObservation> observe(const api::LaunchJob& job) override;
  Result<std::string> logs(const api::LaunchJob& job, std::size_t maxBytes) override;
  Status cancel(const api::LaunchJob& job) override;
  // Deletes the build Job (and its pod), the per-build Secret and the uploaded context.
  Status cleanup(const api::LaunchJob& job) override;

  // The object name of a LaunchJob's uploaded context in the store: "<namespace>/<build name>.tar.gz".
  static std::string contextObjectName(const api::LaunchJob& job);

 private:
  Result<kube::ObjectPtr> buildJob(const api::LaunchJob& job);
  Status writeSecret(const api::LaunchJob& job, const std::map<std::string, std::string>& files);

  kube::KubeClient& client_;
  KanikoBuilderOptions options_;
  std::unique_ptr<BuildContextStore> store_;
  kube::JobPodInformers informers_;
};

}  // namespace launch::build
