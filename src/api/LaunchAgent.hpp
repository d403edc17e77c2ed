// LaunchAgent: a worker that serves one or more LaunchQueues, building images and running jobs
// (launch.dev/v1alpha1).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/Condition.hpp"
#include "api/EnumNames.hpp"
#include "api/ObjectMeta.hpp"
#include "api/SecretRef.hpp"
#include "util/Result.hpp"

namespace launch::api {

enum class BuilderType { Noop, Docker, Kaniko };
std::span<const EnumName<BuilderType>> builderTypeNames();
std::string_view toString(BuilderType type);

enum class RegistryType { Generic, Ecr, Gar, Acr };
std::span<const EnumName<RegistryType>> registryTypeNames();
std::string_view toString(RegistryType type);

enum class EnvironmentType { None, Aws, Gcp, Azure };
std::span<const EnumName<EnvironmentType>> environmentTypeNames();
std::string_view toString(EnvironmentType type);

struct KanikoSettings {
  static constexpr std::string_view kDefaultImage = "ghcr.io/osscontainertools/kaniko:v1.28.5";
  static constexpr int32_t kDefaultTimeoutSeconds = 1800;

  std::string image{kDefaultImage};
  std::string buildContextStore;  // s3://, gs:// or https://<account>.blob.core.windows.net/...; empty: none
  int32_t timeoutSeconds = kDefaultTimeoutSeconds;
  std::string serviceAccountName;
  std::vector<std::string> extraArgs;

  bool operator==(const KanikoSettings&) const = default;
};

struct BuilderSpec {
  BuilderType type = BuilderType::Noop;
  std::string platform;  // e.g. linux/amd64; empty: the engine's own
  // Base images of Dockerfiles generated for sources without one; empty: the operator's defaults
  // (launch-operator --build-base-image / --build-cuda-base-image).
  std::string baseImage;                 // has python and pip
  std::string cudaBaseImage;             // for jobs that ask for GPUs
  std::optional<KanikoSettings> kaniko;  // only with type kaniko; absent means the defaults

  // The kaniko settings in force (the defaults when none are given).
  KanikoSettings kanikoSettings() const { return kaniko.value_or(KanikoSettings{}); }
  bool operator==(const BuilderSpec&) const = default;
};

struct RegistrySpec {
  RegistryType type = RegistryType::Generic;
  std::string uri;  // <host>/<repository>, no tag
  bool insecure = false;
  std::optional<SecretRef> credentialsSecretRef;  // a kubernetes.io/dockerconfigjson Secret

  bool operator==(const RegistrySpec&) const = default;
};

struct EnvironmentSpec {
  EnvironmentType type = EnvironmentType::None;
  std::string region;
  std::string project;
  std::optional<SecretRef> credentialsSecretRef;

  bool operator==(const EnvironmentSpec&) const = default;
};

struct LaunchAgentSpec {
  static constexpr int32_t kDefaultMaxJobs = 1;
  static constexpr int32_t kDefaultPollIntervalSeconds = 5;

  std::vector<std::string> queues;    // LaunchQueue names in the agent's namespace, served round-robin
  int32_t maxJobs = kDefaultMaxJobs;  // -1: no limit; 0: takes no new jobs
  BuilderSpec builder;
  std::optional<RegistrySpec> registry;  // required with kaniko; a docker builder without one builds locally
  EnvironmentSpec environment;
  int32_t pollIntervalSeconds = kDefaultPollIntervalSeconds;  // for remote queues

  bool operator==(const LaunchAgentSpec&) const = default;
};

struct LaunchAgentStatus {
  int32_t activeJobs = 0;
  std::optional<Timestamp> lastHeartbeatTime;
  std::vector<Condition> conditions;
  int64_t observedGeneration = 0;

  bool operator==(const LaunchAgentStatus&) const = default;
};

struct LaunchAgent {
  static constexpr std::string_view kKind = "LaunchAgent";
  static constexpr std::string_view kPlural = "launchagents";

  ObjectMeta metadata;
  LaunchAgentSpec spec;
  LaunchAgentStatus status;

  // Types, enums and required fields, with every problem named by its field path; unknown fields are ignored.
  static Result<LaunchAgent> fromJson(const Json& json);
  Json toJson() const;
  bool operator==(const LaunchAgent&) const = default;
};

LaunchAgentSpec readLaunchAgentSpec(const FieldReader& field);
Json toJson(const LaunchAgentSpec& spec);
Json toJson(const LaunchAgentStatus& status);

// Everything the CRD enforces (limits, CEL rules: registry URI per type, what each environment needs, kaniko
// needs a registry) so an agent configured from a file gets the same checks. Errors name the field
// and the fix.
Status validate(const LaunchAgent& agent);

}  // namespace launch::api
