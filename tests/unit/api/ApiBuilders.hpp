// ApiBuilders: fluent builders of launch.dev objects for tests, so a case reads as a sentence:
// makeLaunchJob("train", "ml").queue("gpu").priority(Priority::High).obj().
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "api/LaunchAgent.hpp"
#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"

namespace launch::api::testing {

// A fixed wall-clock origin for creation times: 2024-05-01T10:00:00Z.
inline Timestamp at(int secondsAfterOrigin) {
  return std::chrono::system_clock::from_time_t(1714557600) + std::chrono::seconds(secondsAfterOrigin);
}

class LaunchJobBuilder {
 public:
  LaunchJobBuilder(std::string name, std::string ns) {
    job_.metadata.name = std::move(name);
    job_.metadata.namespace_ = std::move(ns);
    job_.spec.queue = "default";
    job_.spec.source = ImageSource{"ghcr.io/acme/train:1.4"};
  }
  LaunchJobBuilder& queue(std::string queue) {
    return set([&](auto& j) { j.spec.queue = std::move(queue); });
  }
  LaunchJobBuilder& priority(Priority priority) {
    return set([&](auto& j) { j.spec.priority = priority; });
  }
  LaunchJobBuilder& image(std::string image) {
    return set([&](auto& j) { j.spec.source = ImageSource{std::move(image)}; });
  }
  LaunchJobBuilder& git(std::string url, std::string ref = {}) {
    return set([&](auto& j) { j.spec.source = GitSource{std::move(url), std::move(ref), {}, {}, {}}; });
  }
  LaunchJobBuilder& archive(std::string url) {
    return set([&](auto& j) { j.spec.source = ArchiveSource{std::move(url), {}}; });
  }
  LaunchJobBuilder& created(int secondsAfterOrigin) {
    return set([&](auto& j) { j.metadata.creationTimestamp = at(secondsAfterOrigin); });
  }
  LaunchJobBuilder& env(std::string name, std::string value) {
    return set([&](auto& j) { j.spec.env.push_back({std::move(name), std::move(value)}); });
  }
  LaunchJobBuilder& templateValues(Json values) {
    return set([&](auto& j) { j.spec.templateValues = std::move(values); });
  }
  LaunchJobBuilder& overrides(Json overrides) {
    return set([&](auto& j) { j.spec.overrides = std::move(overrides); });
  }
  LaunchJobBuilder& cancel() {
    return set([](auto& j) { j.spec.cancel = true; });
  }
  LaunchJobBuilder& startTimeoutSeconds(int32_t seconds) {
    return set([&](auto& j) { j.spec.startTimeoutSeconds = seconds; });
  }
  LaunchJob obj() const { return job_; }

 private:
  template <typename F>
  LaunchJobBuilder& set(F&& change) {
    change(job_);
    return *this;
  }
  LaunchJob job_;
};

inline LaunchJobBuilder makeLaunchJob(std::string name, std::string ns = "default") {
  return {std::move(name), std::move(ns)};
}

class LaunchQueueBuilder {
 public:
  LaunchQueueBuilder(std::string name, std::string ns) {
    queue_.metadata.name = std::move(name);
    queue_.metadata.namespace_ = std::move(ns);
  }
  LaunchQueueBuilder& resource(QueueResource resource) {
    return set([&](auto& q) { q.spec.resource = resource; });
  }
  LaunchQueueBuilder& config(Json config) {
    return set([&](auto& q) { q.spec.config = std::move(config); });
  }
  LaunchQueueBuilder& variable(std::string name, TemplateVariable variable) {
    return set([&](auto& q) { q.spec.templateVariables[std::move(name)] = std::move(variable); });
  }
  LaunchQueueBuilder& prioritized() {
    return set([](auto& q) { q.spec.prioritization = true; });
  }
  LaunchQueueBuilder& maxConcurrency(int32_t limit) {
    return set([&](auto& q) { q.spec.maxConcurrency = limit; });
  }
  LaunchQueueBuilder& startTimeoutSeconds(int32_t seconds) {
    return set([&](auto& q) { q.spec.startTimeoutSeconds = seconds; });
  }
  LaunchQueueBuilder& remote(std::string entity, std::string queue, std::string secret) {
    return set([&](auto& q) {
      RemoteQueue remote;
      remote.entity = std::move(entity);
      remote.queue = std::move(queue);
      remote.apiKeySecretRef.name = std::move(secret);
      q.spec.remote = std::move(remote);
    });
  }
  LaunchQueue obj() const { return queue_; }

 private:
  template <typename F>
  LaunchQueueBuilder& set(F&& change) {
    change(queue_);
    return *this;
  }
  LaunchQueue queue_;
};

inline LaunchQueueBuilder makeLaunchQueue(std::string name, std::string ns = "default") {
  return {std::move(name), std::move(ns)};
}

class LaunchAgentBuilder {
 public:
  LaunchAgentBuilder(std::string name, std::string ns) {
    agent_.metadata.name = std::move(name);
    agent_.metadata.namespace_ = std::move(ns);
    agent_.spec.queues = {"default"};
  }
  LaunchAgentBuilder& queues(std::vector<std::string> queues) {
    return set([&](auto& a) { a.spec.queues = std::move(queues); });
  }
  LaunchAgentBuilder& maxJobs(int32_t maxJobs) {
    return set([&](auto& a) { a.spec.maxJobs = maxJobs; });
  }
  LaunchAgentBuilder& builder(BuilderType type) {
    return set([&](auto& a) { a.spec.builder.type = type; });
  }
  LaunchAgentBuilder& kaniko(KanikoSettings kaniko) {
    return set([&](auto& a) {
      a.spec.builder.type = BuilderType::Kaniko;
      a.spec.builder.kaniko = std::move(kaniko);
    });
  }
  LaunchAgentBuilder& registry(RegistryType type, std::string uri) {
    return set([&](auto& a) { a.spec.registry = RegistrySpec{type, std::move(uri), false, std::nullopt}; });
  }
  LaunchAgentBuilder& registryCredentials(std::string secret) {
    return set([&](auto& a) { a.spec.registry->credentialsSecretRef = SecretRef{std::move(secret)}; });
  }
  LaunchAgentBuilder& environment(EnvironmentType type, std::string region = {}, std::string project = {}) {
    return set([&](auto& a) {
      a.spec.environment = EnvironmentSpec{type, std::move(region), std::move(project), std::nullopt};
    });
  }
  LaunchAgentBuilder& pollIntervalSeconds(int32_t seconds) {
    return set([&](auto& a) { a.spec.pollIntervalSeconds = seconds; });
  }
  LaunchAgent obj() const { return agent_; }

 private:
  template <typename F>
  LaunchAgentBuilder& set(F&& change) {
    change(agent_);
    return *this;
  }
  LaunchAgent agent_;
};

inline LaunchAgentBuilder makeLaunchAgent(std::string name, std::string ns = "default") {
  return {std::move(name), std::move(ns)};
}

}  // namespace launch::api::testing
