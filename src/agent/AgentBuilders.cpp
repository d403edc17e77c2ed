// AgentBuilders: making, caching and replacing each agent's builder and registry client.
#include "agent/AgentBuilders.hpp"

#include "agent/SecretCredentialSource.hpp"
#include "registry/ImageReference.hpp"
#include "registry/RegistryAuth.hpp"

namespace launch::agent {
namespace {

std::string agentKeyOf(const api::LaunchAgent& agent) { return agent.metadata.namespace_ + "/" + agent.metadata.name; }

}  // namespace

AgentBuilders::AgentBuilders(kube::KubeClient& client, std::map<api::BuilderType, BuilderFactory> factories,
                             build::BuildChanged changed, CloudRegistryCredentials cloudCredentials)
    : client_(client),
      factories_(std::move(factories)),
      changed_(std::move(changed)),
      cloudCredentials_(std::move(cloudCredentials)),
      http_(std::make_shared<http::HttpClient>(http::HttpClientOptions{})) {}

AgentBuilders::~AgentBuilders() { stop(); }

Result<std::shared_ptr<const AgentBuild>> AgentBuilders::forAgent(const api::LaunchAgent& agent) {
  const std::string key = agentKeyOf(agent);
  {
    const std::lock_guard lock(mutex_);
    const auto it = builds_.find(key);
    if (it != builds_.end() && it->second->builderSpec == agent.spec.builder &&
        it->second->registrySpec == agent.spec.registry) {
      return std::shared_ptr<const AgentBuild>(it->second);
    }
  }
  auto made = make(agent);
  if (!made) return made.error();
  std::shared_ptr<AgentBuild> replaced;
  std::shared_ptr<AgentBuild> chosen = *made;
  {
    const std::lock_guard lock(mutex_);
    auto& slot = builds_[key];
    if (slot && slot->builderSpec == agent.spec.builder && slot->registrySpec == agent.spec.registry) {
      chosen = slot;  // another worker made it first: keep that one, drop ours
      replaced = *made;
    } else {
      replaced = slot;
      slot = chosen;
    }
  }
  // Builds on a replaced builder stop; their jobs find no build on the new one and are built again with the
  // new settings.
  if (replaced && replaced->builder) replaced->builder->stop();
  return std::shared_ptr<const AgentBuild>(chosen);
}

std::shared_ptr<const AgentBuild> AgentBuilders::find(const std::string& agentKey) const {
  const std::lock_guard lock(mutex_);
  const auto it = builds_.find(agentKey);
  return it == builds_.end() ? nullptr : it->second;
}

docker::RegistryCredentials AgentBuilders::pullCredentials(const std::string& image) const {
  auto reference = registry::ImageReference::parse(image);
  if (!reference) return {};
  std::vector<std::shared_ptr<registry::CredentialSource>> sources;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [key, build] : builds_) {
      if (!build->registrySpec || !build->credentials) continue;
      auto host = registry::registryHostOf(build->registrySpec->uri);
      if (host && *host == reference->registry) sources.push_back(build->credentials);
    }
  }
  for (const auto& source : sources) {  // reads a Secret: outside the lock
    auto credentials = source->credentials();
    if (credentials) return {credentials->username, credentials->password, reference->registry};
  }
  return {};
}

void AgentBuilders::remove(const std::string& agentKey) {
  std::shared_ptr<AgentBuild> removed;
  {
    const std::lock_guard lock(mutex_);
    const auto it = builds_.find(agentKey);
    if (it == builds_.end()) return;
    removed = std::move(it->second);
    builds_.erase(it);
  }
  if (removed->builder) removed->builder->stop();
}

void AgentBuilders::stop() {
  std::map<std::string, std::shared_ptr<AgentBuild>> all;
  {
    const std::lock_guard lock(mutex_);
    all.swap(builds_);
  }
  for (auto& [key, build] : all) {
    if (build->builder) build->builder->stop();
  }
}

Result<std::shared_ptr<AgentBuild>> AgentBuilders::make(const api::LaunchAgent& agent) {
  auto build = std::make_shared<AgentBuild>();
  build->builderSpec = agent.spec.builder;
  build->registrySpec = agent.spec.registry;
  const std::string who = "LaunchAgent '" + agent.metadata.name + "'";
  if (agent.spec.registry) {
    const api::RegistrySpec& spec = *agent.spec.registry;
    auto host = registry::registryHostOf(spec.uri);
    if (!host) return makeError(ErrorCode::Invalid, "spec.registry.uri of " + who + ": " + host.error().message);
    if (spec.credentialsSecretRef) {
      build->credentials = std::make_shared<SecretCredentialSource>(client_, agent.metadata.namespace_,
                                                                    spec.credentialsSecretRef->name, *host);
      build->credentialsHint = "check Secret '" + spec.credentialsSecretRef->name +
                               "' named in spec.registry.credentialsSecretRef of " + who;
    } else if (spec.type != api::RegistryType::Generic) {
      if (!cloudCredentials_) {
        return makeError(ErrorCode::Invalid, "spec.registry of " + who + ": registry type " +
                                                 std::string(api::toString(spec.type)) +
                                                 " needs spec.registry.credentialsSecretRef, or an operator with "
                                                 "cloud credentials; set it");
      }
      auto cloud = cloudCredentials_(agent, *host);
      if (!cloud) return makeError(ErrorCode::Invalid, "spec.registry of " + who + ": " + cloud.error().message);
      build->credentials = std::move(cloud).value();
      build->credentialsHint = "check the operator's " + build->credentials->describe() + ", or set " +
                               "spec.registry.credentialsSecretRef of " + who;
    } else {
      build->credentialsHint = "set spec.registry.credentialsSecretRef of " + who +
                               " to a kubernetes.io/dockerconfigjson Secret that may push to " + spec.uri;
    }
    registry::RegistryClientOptions options;
    options.insecure = spec.insecure;
    options.credentialsRegistry = *host;
    options.credentialsHint = build->credentialsHint;
    build->registry = std::make_shared<registry::RegistryClient>(http_, build->credentials, options);
  }
  if (agent.spec.builder.type == api::BuilderType::Noop) return build;
  const auto factory = factories_.find(agent.spec.builder.type);
  if (factory == factories_.end() || !factory->second) {
    return makeError(ErrorCode::Invalid, "spec.builder.type of " + who + " is " +
                                             std::string(api::toString(agent.spec.builder.type)) +
                                             ", which this operator cannot build with; change spec.builder.type "
                                             "or start launch-operator with that builder enabled");
  }
  auto builder = factory->second(BuilderContext{agent, client_, build->credentials, build->credentialsHint});
  if (!builder) return builder.error();
  build->builder = std::shared_ptr<build::Builder>(std::move(builder).value());
  Status started = build->builder->start(changed_);
  if (!started.ok()) return started.error();
  return build;
}

}  // namespace launch::agent
