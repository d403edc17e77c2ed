// LaunchAgent: JSON mapping and validation.
#include "api/LaunchAgent.hpp"

#include <array>
#include <regex>
#include <set>

#include "api/Group.hpp"

namespace launch::api {
namespace {

constexpr std::array<EnumName<BuilderType>, 3> kBuilderNames{{
    {BuilderType::Noop, "noop"},
    {BuilderType::Docker, "docker"},
    {BuilderType::Kaniko, "kaniko"},
}};
constexpr std::array<EnumName<RegistryType>, 4> kRegistryNames{{
    {RegistryType::Generic, "generic"},
    {RegistryType::Ecr, "ecr"},
    {RegistryType::Gar, "gar"},
    {RegistryType::Acr, "acr"},
}};
constexpr std::array<EnumName<EnvironmentType>, 4> kEnvironmentNames{{
    {EnvironmentType::None, "none"},
    {EnvironmentType::Aws, "aws"},
    {EnvironmentType::Gcp, "gcp"},
    {EnvironmentType::Azure, "azure"},
}};

KanikoSettings readKaniko(const FieldReader& field) {
  KanikoSettings kaniko;
  kaniko.image = field["image"].string(std::string(KanikoSettings::kDefaultImage));
  kaniko.buildContextStore = field["buildContextStore"].string();
  kaniko.timeoutSeconds = field["timeoutSeconds"].int32(KanikoSettings::kDefaultTimeoutSeconds);
  kaniko.serviceAccountName = field["serviceAccountName"].string();
  kaniko.extraArgs = field["extraArgs"].strings();
  return kaniko;
}

Json toJson(const KanikoSettings& kaniko) {
  Json json = {{"image", kaniko.image}, {"timeoutSeconds", kaniko.timeoutSeconds}};
  if (!kaniko.buildContextStore.empty()) json["buildContextStore"] = kaniko.buildContextStore;
  if (!kaniko.serviceAccountName.empty()) json["serviceAccountName"] = kaniko.serviceAccountName;
  if (!kaniko.extraArgs.empty()) json["extraArgs"] = kaniko.extraArgs;
  return json;
}

BuilderSpec readBuilder(const FieldReader& field) {
  BuilderSpec builder;
  builder.type = field["type"].enumeration(builderTypeNames(), BuilderType::Noop);
  builder.platform = field["platform"].string();
  builder.baseImage = field["baseImage"].string();
  builder.cudaBaseImage = field["cudaBaseImage"].string();
  if (field["kaniko"].present()) builder.kaniko = readKaniko(field["kaniko"]);
  return builder;
}

Json toJson(const BuilderSpec& builder) {
  Json json = {{"type", std::string(toString(builder.type))}};
  if (!builder.platform.empty()) json["platform"] = builder.platform;
  if (!builder.baseImage.empty()) json["baseImage"] = builder.baseImage;
  if (!builder.cudaBaseImage.empty()) json["cudaBaseImage"] = builder.cudaBaseImage;
  if (builder.kaniko) json["kaniko"] = toJson(*builder.kaniko);
  return json;
}

RegistrySpec readRegistry(const FieldReader& field) {
  RegistrySpec registry;
  registry.type = field["type"].enumeration(registryTypeNames(), RegistryType::Generic);
  if (field["uri"].require("set the image repository, e.g. registry.example.com/launch")) {
    registry.uri = field["uri"].string();
  }
  registry.insecure = field["insecure"].boolean(false);
  if (field["credentialsSecretRef"].present())
    registry.credentialsSecretRef = readSecretRef(field["credentialsSecretRef"]);
  return registry;
}

Json toJson(const RegistrySpec& registry) {
  Json json = {{"type", std::string(toString(registry.type))}, {"uri", registry.uri}, {"insecure", registry.insecure}};
  if (registry.credentialsSecretRef) json["credentialsSecretRef"] = toJson(*registry.credentialsSecretRef);
  return json;
}

EnvironmentSpec readEnvironment(const FieldReader& field) {
  EnvironmentSpec environment;
  environment.type = field["type"].enumeration(environmentTypeNames(), EnvironmentType::None);
  environment.region = field["region"].string();
  environment.project = field["project"].string();
  if (field["credentialsSecretRef"].present()) {
    environment.credentialsSecretRef = readSecretRef(field["credentialsSecretRef"]);
  }
  return environment;
}

Json toJson(const EnvironmentSpec& environment) {
  Json json = {{"type", std::string(toString(environment.type))}};
  if (!environment.region.empty()) json["region"] = environment.region;
  if (!environment.project.empty()) json["project"] = environment.project;
  if (environment.credentialsSecretRef) json["credentialsSecretRef"] = toJson(*environment.credentialsSecretRef);
  return json;
}

void validateRegistry(const LaunchAgentSpec& spec, Problems& problems) {
  if (!spec.registry) {
    // A docker builder without a registry keeps images in its local engine, which docker and local-process
    // queues can run; a kaniko pod has nowhere to put an image but a registry.
    if (spec.builder.type == BuilderType::Kaniko) {
      problems.add("spec.registry",
                   "required: a kaniko builder pushes its images to a registry; set spec.registry.uri");
    }
    return;
  }
  const RegistrySpec& registry = *spec.registry;
  const std::string& uri = registry.uri;
  const auto lastSlash = uri.rfind('/');
  if (lastSlash == std::string::npos || uri.find("://") != std::string::npos || uri.find('@') != std::string::npos ||
      uri.find(':', lastSlash) != std::string::npos) {
    problems.add("spec.registry.uri", "'" + uri +
                                          "' is not <host>/<repository> without scheme, tag or digest; write it "
                                          "like registry.example.com/launch");
  }
  struct Rule {
    RegistryType type;
    const char* pattern;
    const char* example;
    EnvironmentType environment;
  };
  static const std::array<Rule, 3> kRules{{
      {RegistryType::Ecr, R"(^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/.+$)",
       "<account>.dkr.ecr.<region>.amazonaws.com/<repository>", EnvironmentType::Aws},
      {RegistryType::Gar, R"(^[a-z0-9-]+-docker\.pkg\.dev/[^/]+/[^/]+(/.+)?$)",
       "<region>-docker.pkg.dev/<project>/<repository>[/<image>]", EnvironmentType::Gcp},
      {RegistryType::Acr, R"(^[a-z0-9]+\.azurecr\.io/.+$)", "<name>.azurecr.io/<repository>", EnvironmentType::Azure},
  }};
  for (const auto& rule : kRules) {
    if (registry.type != rule.type) continue;
    if (!std::regex_match(uri, std::regex(rule.pattern))) {
      problems.add("spec.registry.uri", "'" + uri + "' is not a repository of type " +
                                            std::string(toString(rule.type)) + "; write it like " + rule.example);
    }
    if (spec.environment.type != rule.environment && !registry.credentialsSecretRef) {
      problems.add("spec.registry", "registry type " + std::string(toString(rule.type)) + " needs environment.type " +
                                        std::string(toString(rule.environment)) +
                                        " (its credentials) or registry.credentialsSecretRef");
    }
  }
  if (registry.insecure && registry.type != RegistryType::Generic) {
    problems.add("spec.registry.insecure", "applies to generic registries only; drop it");
  }
}

void validateBuilder(const BuilderSpec& builder, Problems& problems) {
  if (!builder.platform.empty() &&
      !std::regex_match(builder.platform, std::regex(R"(^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$)"))) {
    problems.add("spec.builder.platform",
                 "'" + builder.platform + "' is not os/arch[/variant]; write it like linux/amd64");
  }
  for (const auto& [path, image] : {std::pair{"spec.builder.baseImage", &builder.baseImage},
                                    std::pair{"spec.builder.cudaBaseImage", &builder.cudaBaseImage}}) {
    if (image->empty()) continue;
    if (builder.type == BuilderType::Noop) {
      problems.add(path,
                   "set, but builder.type is noop, which builds nothing; set type to docker or kaniko, or "
                   "drop it");
    }
    if (image->size() > 1024 || image->find_first_of(" \t\r\n") != std::string::npos) {
      problems.add(path, "'" + *image + "' is not an image reference; write it like python:3.12-slim");
    }
  }
  if (!builder.kaniko) return;
  if (builder.type != BuilderType::Kaniko) {
    problems.add("spec.builder.kaniko", "set, but builder.type is " + std::string(toString(builder.type)) +
                                            "; set type to kaniko or drop kaniko");
  }
  const KanikoSettings& kaniko = *builder.kaniko;
  if (kaniko.image.empty())
    problems.add("spec.builder.kaniko.image", "must not be empty; leave it out for the default");
  if (kaniko.timeoutSeconds < 1) {
    problems.add("spec.builder.kaniko.timeoutSeconds", std::to_string(kaniko.timeoutSeconds) + " is below 1");
  }
  const std::string& store = kaniko.buildContextStore;
  if (!store.empty() && store.rfind("s3://", 0) != 0 && store.rfind("gs://", 0) != 0 &&
      !std::regex_match(store, std::regex(R"(^https://[a-z0-9]+\.blob\.core\.windows\.net/.+)"))) {
    problems.add("spec.builder.kaniko.buildContextStore",
                 "'" + store +
                     "' is not a supported store; use s3://bucket/prefix, gs://bucket/prefix or "
                     "https://<account>.blob.core.windows.net/<container>/<prefix>");
  }
}

void validateEnvironment(const EnvironmentSpec& environment, Problems& problems) {
  if (environment.type == EnvironmentType::Aws && environment.region.empty()) {
    problems.add("spec.environment.region", "required for aws; set the region, e.g. us-east-1");
  }
  if (environment.type == EnvironmentType::Gcp) {
    if (environment.region.empty()) problems.add("spec.environment.region", "required for gcp; e.g. us-central1");
    if (environment.project.empty()) problems.add("spec.environment.project", "required for gcp; set the project ID");
  }
  if (environment.type == EnvironmentType::None && environment.credentialsSecretRef) {
    problems.add("spec.environment.credentialsSecretRef", "needs environment.type aws, gcp or azure; set the type");
  }
}

}  // namespace

std::span<const EnumName<BuilderType>> builderTypeNames() { return kBuilderNames; }
std::string_view toString(BuilderType type) { return enumName(builderTypeNames(), type); }
std::span<const EnumName<RegistryType>> registryTypeNames() { return kRegistryNames; }
std::string_view toString(RegistryType type) { return enumName(registryTypeNames(), type); }
std::span<const EnumName<EnvironmentType>> environmentTypeNames() { return kEnvironmentNames; }
std::string_view toString(EnvironmentType type) { return enumName(environmentTypeNames(), type); }

LaunchAgentSpec readLaunchAgentSpec(const FieldReader& field) {
  LaunchAgentSpec spec;
  if (field["queues"].require("list the LaunchQueues to serve, e.g. [default]"))
    spec.queues = field["queues"].strings();
  spec.maxJobs = field["maxJobs"].int32(LaunchAgentSpec::kDefaultMaxJobs);
  spec.builder = readBuilder(field["builder"]);
  if (field["registry"].present()) spec.registry = readRegistry(field["registry"]);
  spec.environment = readEnvironment(field["environment"]);
  spec.pollIntervalSeconds = field["pollIntervalSeconds"].int32(LaunchAgentSpec::kDefaultPollIntervalSeconds);
  return spec;
}

Json toJson(const LaunchAgentSpec& spec) {
  Json json = {{"queues", spec.queues},
               {"maxJobs", spec.maxJobs},
               {"builder", toJson(spec.builder)},
               {"environment", toJson(spec.environment)},
               {"pollIntervalSeconds", spec.pollIntervalSeconds}};
  if (spec.registry) json["registry"] = toJson(*spec.registry);
  return json;
}

Json toJson(const LaunchAgentStatus& status) {
  Json json = {{"activeJobs", status.activeJobs}};
  if (status.lastHeartbeatTime) json["lastHeartbeatTime"] = formatTimestamp(*status.lastHeartbeatTime);
  if (!status.conditions.empty()) json["conditions"] = toJson(status.conditions);
  if (status.observedGeneration != 0) json["observedGeneration"] = status.observedGeneration;
  return json;
}

Result<LaunchAgent> LaunchAgent::fromJson(const Json& json) {
  Problems problems;
  const FieldReader root(json, problems);
  if (!readEnvelope(json, root, problems, kKind)) return problems.status().error();

  LaunchAgent agent;
  agent.metadata = readObjectMeta(root["metadata"]);
  if (root["spec"].require("a LaunchAgent needs spec.queues at least")) agent.spec = readLaunchAgentSpec(root["spec"]);
  const FieldReader status = root["status"];
  agent.status.activeJobs = status["activeJobs"].int32(0);
  agent.status.lastHeartbeatTime = status["lastHeartbeatTime"].timestamp();
  agent.status.conditions = readConditions(status["conditions"]);
  agent.status.observedGeneration = status["observedGeneration"].integer(0);
  return problems.result(std::move(agent));
}

Json LaunchAgent::toJson() const {
  Json json = {{"apiVersion", std::string(kApiVersion)},
               {"kind", std::string(kKind)},
               {"metadata", api::toJson(metadata)},
               {"spec", api::toJson(spec)}};
  if (status != LaunchAgentStatus{}) json["status"] = api::toJson(status);
  return json;
}

Status validate(const LaunchAgent& agent) {
  Problems problems;
  const LaunchAgentSpec& spec = agent.spec;
  if (spec.queues.empty()) problems.add("spec.queues", "required; list at least one LaunchQueue to serve");
  if (spec.queues.size() > 64) problems.add("spec.queues", "at most 64 queues per agent; split it into two agents");
  std::set<std::string> seen;
  for (size_t i = 0; i < spec.queues.size(); ++i) {
    const std::string& queue = spec.queues[i];
    if (!isObjectName(queue)) {
      problems.add(indexPath("spec.queues", i), "'" + queue +
                                                    "' is not a LaunchQueue name (lower-case letters, digits, '-' and "
                                                    "'.'); fix the name");
    }
    if (!seen.insert(queue).second)
      problems.add(indexPath("spec.queues", i), "'" + queue + "' is listed twice; drop one");
  }
  if (spec.maxJobs < -1) {
    problems.add("spec.maxJobs", std::to_string(spec.maxJobs) +
                                     " is below -1; use -1 for no limit, 0 to take no new jobs or a positive limit");
  }
  if (spec.pollIntervalSeconds < 1 || spec.pollIntervalSeconds > 3600) {
    problems.add("spec.pollIntervalSeconds",
                 std::to_string(spec.pollIntervalSeconds) + " is outside 1..3600 seconds; the default is 5");
  }
  validateBuilder(spec.builder, problems);
  validateRegistry(spec, problems);
  validateEnvironment(spec.environment, problems);
  return problems.status();
}

}  // namespace launch::api
