// LaunchQueue: an ordered list of jobs bound to one target resource (launch.dev/v1alpha1).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/Condition.hpp"
#include "api/EnumNames.hpp"
#include "api/ObjectMeta.hpp"
#include "api/SecretRef.hpp"
#include "api/TemplateVariable.hpp"
#include "util/Result.hpp"

namespace launch::api {

enum class QueueResource { Kubernetes, Docker, SageMaker, Vertex, LocalProcess };
std::span<const EnumName<QueueResource>> queueResourceNames();
std::string_view toString(QueueResource resource);

// A queue hosted by a W&B server: agents pop its items there instead of taking LaunchJobs.
struct RemoteQueue {
  static constexpr std::string_view kDefaultBaseUrl = "https://api.wandb.ai";
  static constexpr std::string_view kDefaultProject = "model-registry";
  static constexpr std::string_view kDefaultApiKeyKey = "api-key";

  std::string baseUrl{kDefaultBaseUrl};
  std::string entity;
  std::string project{kDefaultProject};
  std::string queue;
  SecretKeyRef apiKeySecretRef{"", std::string(kDefaultApiKeyKey)};

  bool operator==(const RemoteQueue&) const = default;
};

struct LaunchQueueSpec {
  QueueResource resource = QueueResource::Kubernetes;
  Json config = Json::object();  // the resource config; string values may hold {{name}} placeholders
  std::map<std::string, TemplateVariable> templateVariables;
  bool prioritization = false;  // off: strict FIFO by creation time
  int32_t maxConcurrency = -1;  // -1: no limit; 0: paused
  std::optional<int32_t> startTimeoutSeconds;
  std::optional<RemoteQueue> remote;

  bool operator==(const LaunchQueueSpec&) const = default;
};

struct LaunchQueueStatus {
  int32_t pending = 0;
  int32_t running = 0;
  std::vector<Condition> conditions;
  int64_t observedGeneration = 0;

  bool operator==(const LaunchQueueStatus&) const = default;
};

struct LaunchQueue {
  static constexpr std::string_view kKind = "LaunchQueue";
  static constexpr std::string_view kPlural = "launchqueues";

  ObjectMeta metadata;
  LaunchQueueSpec spec;
  LaunchQueueStatus status;

  // Types, enums and required fields, with every problem named by its field path. Unknown fields are ignored
  // (the API server prunes them anyway).
  static Result<LaunchQueue> fromJson(const Json& json);
  // apiVersion, kind, the set metadata fields, spec, and status when it is not empty.
  Json toJson() const;
  bool operator==(const LaunchQueue&) const = default;
};

LaunchQueueSpec readLaunchQueueSpec(const FieldReader& field);
Json toJson(const LaunchQueueSpec& spec);
Json toJson(const LaunchQueueStatus& status);

// Everything the CRD enforces (limits, CEL rules) plus what it cannot: every {{name}} in the config is declared,
// defaults and enum values fit their variables, the remote URL is http(s). Errors name the field and the fix.
Status validate(const LaunchQueue& queue);

}  // namespace launch::api
