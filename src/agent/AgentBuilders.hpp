// AgentBuilders: the builder and registry client of each LaunchAgent, made from its spec.builder and
// spec.registry on first use and made anew when those change. The builders themselves come from factories
// per builder type (docker from launch-operator's Docker engine, kaniko from the cluster), so a new kind of
// builder plugs in without touching the controller.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/LaunchAgent.hpp"
#include "build/Builder.hpp"
#include "docker/DockerEngine.hpp"
#include "http/HttpClient.hpp"
#include "kube/KubeClient.hpp"
#include "registry/CredentialSource.hpp"
#include "registry/RegistryClient.hpp"

namespace launch::agent {

// What a factory gets to make one agent's builder.
struct BuilderContext {
  const api::LaunchAgent& agent;
  kube::KubeClient& client;
  // Push credentials for agent.spec.registry; null without a registry or for anonymous access.
  std::shared_ptr<registry::CredentialSource> credentials;
  // Where the operator fixes refused credentials, for error messages.
  std::string credentialsHint;
};
using BuilderFactory = std::function<Result<std::unique_ptr<build::Builder>>(const BuilderContext&)>;
// Credentials of a cloud registry (spec.registry.type ecr, gar or acr) without a Secret: the operator's own
// cloud identity (the AWS chain, Google ADC, an Entra ID service principal). `host` is the registry's host.
using CloudRegistryCredentials = std::function<Result<std::shared_ptr<registry::CredentialSource>>(
    const api::LaunchAgent& agent, const std::string& host)>;

// One agent's build setup. Immutable once made; a changed spec makes a new one.
struct AgentBuild {
  api::BuilderSpec builderSpec;
  std::optional<api::RegistrySpec> registrySpec;
  std::shared_ptr<build::Builder> builder;                  // null for noop
  std::shared_ptr<registry::CredentialSource> credentials;  // null: anonymous
  std::shared_ptr<registry::RegistryClient> registry;       // null without spec.registry
  std::string credentialsHint;
};

class AgentBuilders {
 public:
  AgentBuilders(kube::KubeClient& client, std::map<api::BuilderType, BuilderFactory> factories,
                build::BuildChanged changed, CloudRegistryCredentials cloudCredentials = {});
  ~AgentBuilders();
  AgentBuilders(const AgentBuilders&) = delete;
  AgentBuilders& operator=(const AgentBuilders&) = delete;

  // The agent's build setup. Errors (Invalid) name the LaunchAgent field to change: a builder type this
  // operator cannot make, registry settings it cannot use.
  Result<std::shared_ptr<const AgentBuild>> forAgent(const api::LaunchAgent& agent);
  // The setup last made for an agent ("namespace/name"), or null.
  std::shared_ptr<const AgentBuild> find(const std::string& agentKey) const;
  // Credentials to pull `image` with: those of an agent whose spec.registry is on the image's host (read
  // from its Secret now); anonymous when no agent's is, or none can be read.
  docker::RegistryCredentials pullCredentials(const std::string& image) const;
  // Drops (and stops) an agent's builder, e.g. when the LaunchAgent is deleted.
  void remove(const std::string& agentKey);
  // Stops every builder.
  void stop();

 private:
  Result<std::shared_ptr<AgentBuild>> make(const api::LaunchAgent& agent);

  kube::KubeClient& client_;
  std::map<api::BuilderType, BuilderFactory> factories_;
  build::BuildChanged changed_;
  CloudRegistryCredentials cloudCredentials_;
  std::shared_ptr<http::HttpClient> http_;

  mutable std::mutex mutex_;  // guards builds_; never held while a builder is made, started or stopped
  std::map<std::string, std::shared_ptr<AgentBuild>> builds_;
};

}  // namespace launch::agent
