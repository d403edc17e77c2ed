// LaunchQueue: JSON mapping and validation.
#include "api/LaunchQueue.hpp"

#include <array>

#include "api/Group.hpp"
#include "api/QueueTemplate.hpp"

namespace launch::api {
namespace {

constexpr std::array<EnumName<QueueResource>, 5> kResourceNames{{
    {QueueResource::Kubernetes, "kubernetes"},
    {QueueResource::Docker, "docker"},
    {QueueResource::SageMaker, "sagemaker"},
    {QueueResource::Vertex, "vertex"},
    {QueueResource::LocalProcess, "local-process"},
}};

RemoteQueue readRemote(const FieldReader& field) {
  RemoteQueue remote;
  remote.baseUrl = field["baseUrl"].string(std::string(RemoteQueue::kDefaultBaseUrl));
  if (field["entity"].require("set the W&B entity (team or user) that owns the queue")) {
    remote.entity = field["entity"].string();
  }
  remote.project = field["project"].string(std::string(RemoteQueue::kDefaultProject));
  if (field["queue"].require("set the remote queue's name")) remote.queue = field["queue"].string();
  if (field["apiKeySecretRef"].require("name the Secret that holds the API key")) {
    remote.apiKeySecretRef = readSecretKeyRef(field["apiKeySecretRef"], RemoteQueue::kDefaultApiKeyKey);
  }
  return remote;
}

Json toJson(const RemoteQueue& remote) {
  return {{"baseUrl", remote.baseUrl},
          {"entity", remote.entity},
          {"project", remote.project},
          {"queue", remote.queue},
          {"apiKeySecretRef", toJson(remote.apiKeySecretRef)}};
}

bool isHttpUrl(std::string_view url) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (url.substr(0, scheme.size()) == scheme) {
      const auto host = url.substr(scheme.size());
      return !host.empty() && host.front() != '/' && host.find_first_of(" \t\n") == std::string_view::npos;
    }
  }
  return false;
}

}  // namespace

std::span<const EnumName<QueueResource>> queueResourceNames() { return kResourceNames; }
std::string_view toString(QueueResource resource) { return enumName(queueResourceNames(), resource); }

LaunchQueueSpec readLaunchQueueSpec(const FieldReader& field) {
  LaunchQueueSpec spec;
  if (field["resource"].require("set one of " + enumList(queueResourceNames()))) {
    spec.resource = field["resource"].enumeration(queueResourceNames(), QueueResource::Kubernetes);
  }
  spec.config = field["config"].object();
  for (const auto& [name, variable] : field["templateVariables"].members()) {
    spec.templateVariables[name] = readTemplateVariable(variable);
  }
  spec.prioritization = field["prioritization"].boolean(false);
  spec.maxConcurrency = field["maxConcurrency"].int32(-1);
  spec.startTimeoutSeconds = field["startTimeoutSeconds"].optionalInt32();
  if (field["remote"].present()) spec.remote = readRemote(field["remote"]);
  return spec;
}

Json toJson(const LaunchQueueSpec& spec) {
  Json json = {{"resource", std::string(toString(spec.resource))},
               {"config", spec.config},
               {"prioritization", spec.prioritization},
               {"maxConcurrency", spec.maxConcurrency}};
  if (!spec.templateVariables.empty()) {
    Json variables = Json::object();
    for (const auto& [name, variable] : spec.templateVariables) variables[name] = toJson(variable);
    json["templateVariables"] = std::move(variables);
  }
  if (spec.startTimeoutSeconds) json["startTimeoutSeconds"] = *spec.startTimeoutSeconds;
  if (spec.remote) json["remote"] = toJson(*spec.remote);
  return json;
}

Json toJson(const LaunchQueueStatus& status) {
  Json json = {{"pending", status.pending}, {"running", status.running}};
  if (!status.conditions.empty()) json["conditions"] = toJson(status.conditions);
  if (status.observedGeneration != 0) json["observedGeneration"] = status.observedGeneration;
  return json;
}

Result<LaunchQueue> LaunchQueue::fromJson(const Json& json) {
  Problems problems;
  const FieldReader root(json, problems);
  if (!readEnvelope(json, root, problems, kKind)) return problems.status().error();

  LaunchQueue queue;
  queue.metadata = readObjectMeta(root["metadata"]);
  if (root["spec"].require("a LaunchQueue needs spec.resource at least"))
    queue.spec = readLaunchQueueSpec(root["spec"]);
  const FieldReader status = root["status"];
  queue.status.pending = status["pending"].int32(0);
  queue.status.running = status["running"].int32(0);
  queue.status.conditions = readConditions(status["conditions"]);
  queue.status.observedGeneration = status["observedGeneration"].integer(0);
  return problems.result(std::move(queue));
}

Json LaunchQueue::toJson() const {
  Json json = {{"apiVersion", std::string(kApiVersion)},
               {"kind", std::string(kKind)},
               {"metadata", api::toJson(metadata)},
               {"spec", api::toJson(spec)}};
  if (status != LaunchQueueStatus{}) json["status"] = api::toJson(status);
  return json;
}

Status validate(const LaunchQueue& queue) {
  Problems problems;
  const LaunchQueueSpec& spec = queue.spec;
  if (spec.maxConcurrency < -1) {
    problems.add("spec.maxConcurrency", std::to_string(spec.maxConcurrency) +
                                            " is below -1; use -1 for no limit, 0 to pause the queue or a positive "
                                            "limit");
  }
  if (spec.startTimeoutSeconds && *spec.startTimeoutSeconds < 1) {
    problems.add("spec.startTimeoutSeconds",
                 std::to_string(*spec.startTimeoutSeconds) + " is below 1; give seconds, or leave it out for no limit");
  }
  if (spec.templateVariables.size() > 64) {
    problems.add("spec.templateVariables",
                 "at most 64 variables; the queue has " + std::to_string(spec.templateVariables.size()));
  }
  for (const auto& [name, variable] : spec.templateVariables) {
    checkTemplateVariable(name, variable, childPath("spec.templateVariables", name), problems);
  }
  for (const auto& placeholder : findPlaceholders(spec.config)) {
    if (spec.templateVariables.count(placeholder.name) == 0) {
      problems.add(placeholder.path, "{{" + placeholder.name +
                                         "}} is not declared in spec.templateVariables; declare it or fix the "
                                         "placeholder");
    }
  }
  if (spec.remote) {
    const RemoteQueue& remote = *spec.remote;
    if (!isHttpUrl(remote.baseUrl)) {
      problems.add("spec.remote.baseUrl",
                   "'" + remote.baseUrl + "' is not an http(s) URL; write it like https://api.wandb.ai");
    }
    if (remote.entity.empty()) problems.add("spec.remote.entity", "required; set the W&B entity that owns the queue");
    if (remote.project.empty()) problems.add("spec.remote.project", "must not be empty; W&B uses model-registry");
    if (remote.queue.empty()) problems.add("spec.remote.queue", "required; set the remote queue's name");
    if (remote.apiKeySecretRef.name.empty()) {
      problems.add("spec.remote.apiKeySecretRef.name", "required; name the Secret that holds the API key");
    }
    if (remote.apiKeySecretRef.key.empty()) {
      problems.add("spec.remote.apiKeySecretRef.key", "must not be empty; the default is api-key");
    }
  }
  return problems.status();
}

}  // namespace launch::api
