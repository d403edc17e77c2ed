// Unit tests: LaunchAgent JSON mapping and validation (limits, builder, registry per type, environment).
#include <gtest/gtest.h>

#include "ApiBuilders.hpp"
#include "ApiFixtures.hpp"
#include "api/LaunchAgent.hpp"

namespace launch::api {
namespace {

using testing::at;
using testing::fullAgentJson;
using testing::makeLaunchAgent;

TEST(LaunchAgent, JsonRoundTripKeepsEveryField) {
  const Json json = fullAgentJson();
  auto agent = LaunchAgent::fromJson(json);
  ASSERT_TRUE(agent.ok()) << agent.error().message;
  EXPECT_EQ(agent->spec.queues, (std::vector<std::string>{"gpu", "cpu"}));
  EXPECT_EQ(agent->spec.maxJobs, -1);
  EXPECT_EQ(agent->spec.builder.type, BuilderType::Kaniko);
  ASSERT_TRUE(agent->spec.builder.kaniko.has_value());
  EXPECT_EQ(agent->spec.builder.kaniko->timeoutSeconds, 900);
  EXPECT_EQ(agent->spec.builder.baseImage, "python:3.11-slim");
  EXPECT_EQ(agent->spec.builder.cudaBaseImage, "nvidia/cuda:12.4.1-runtime-ubuntu22.04");
  ASSERT_TRUE(agent->spec.registry.has_value());
  EXPECT_EQ(agent->spec.registry->type, RegistryType::Ecr);
  EXPECT_EQ(agent->spec.environment.type, EnvironmentType::Aws);
  EXPECT_EQ(agent->status.lastHeartbeatTime, at(30));
  EXPECT_EQ(agent->toJson(), json);
  auto again = LaunchAgent::fromJson(agent->toJson());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *agent);
  EXPECT_TRUE(validate(*agent).ok()) << validate(*agent).error().message;
}

TEST(LaunchAgent, DefaultsMatchTheCrd) {
  auto agent = LaunchAgent::fromJson({{"spec", {{"queues", {"q"}}, {"builder", {{"kaniko", Json::object()}}}}}});
  ASSERT_TRUE(agent.ok()) << agent.error().message;
  EXPECT_EQ(agent->spec.maxJobs, 1);
  EXPECT_EQ(agent->spec.builder.type, BuilderType::Noop);
  EXPECT_EQ(agent->spec.builder.kaniko->image, "ghcr.io/osscontainertools/kaniko:v1.28.5");
  EXPECT_EQ(agent->spec.builder.kaniko->timeoutSeconds, 1800);
  EXPECT_EQ(agent->spec.environment.type, EnvironmentType::None);
  EXPECT_EQ(agent->spec.pollIntervalSeconds, 5);
  EXPECT_FALSE(agent->spec.registry.has_value());
  EXPECT_EQ(BuilderSpec{}.kanikoSettings(), KanikoSettings{});
}

TEST(LaunchAgent, FromJsonNamesTheFieldPath) {
  auto agent = LaunchAgent::fromJson({{"spec",
                                       {{"queues", "gpu"},
                                        {"maxJobs", "two"},
                                        {"builder", {{"type", "buildah"}}},
                                        {"registry", {{"type", "quay"}}},
                                        {"environment", {{"type", "ibm"}}}}}});
  ASSERT_FALSE(agent.ok());
  const std::string& message = agent.error().message;
  for (const char* part :
       {"spec.queues: expected a list, got 'gpu'", "spec.maxJobs: expected an integer, got 'two'",
        "spec.builder.type: 'buildah' is not one of noop, docker, kaniko",
        "spec.registry.type: 'quay' is not one of generic, ecr, gar, acr", "spec.registry.uri: required",
        "spec.environment.type: 'ibm' is not one of none, aws, gcp, azure"}) {
    EXPECT_NE(message.find(part), std::string::npos) << message << "\nlacks: " << part;
  }
}

struct ValidateCase {
  const char* name;
  LaunchAgent agent;
  std::string errorPart;  // empty: valid
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const ValidateCase& c, std::ostream* os) { *os << c.name; }

class ValidateLaunchAgent : public ::testing::TestWithParam<ValidateCase> {};

TEST_P(ValidateLaunchAgent, AcceptsOrNamesTheFieldAndFix) {
  const auto& c = GetParam();
  const Status status = validate(c.agent);
  if (c.errorPart.empty()) {
    EXPECT_TRUE(status.ok()) << status.error().message;
    return;
  }
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(c.errorPart), std::string::npos) << status.error().message;
}

KanikoSettings kanikoWithStore(std::string store) {
  KanikoSettings kaniko;
  kaniko.buildContextStore = std::move(store);
  return kaniko;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateLaunchAgent,
    ::testing::Values(
        ValidateCase{"Noop", makeLaunchAgent("a").obj(), ""},
        ValidateCase{"NoLimit", makeLaunchAgent("a").maxJobs(-1).obj(), ""},
        ValidateCase{"Drained", makeLaunchAgent("a").maxJobs(0).obj(), ""},
        ValidateCase{"DockerToLocalRegistry",
                     makeLaunchAgent("a").builder(BuilderType::Docker).registry(RegistryType::Generic, "localhost:5000/launch").obj(),
                     ""},
        ValidateCase{"KanikoToGar",
                     makeLaunchAgent("a")
                         .kaniko(kanikoWithStore("gs://bucket/ctx"))
                         .registry(RegistryType::Gar, "us-central1-docker.pkg.dev/proj/repo")
                         .environment(EnvironmentType::Gcp, "us-central1", "proj")
                         .obj(),
                     ""},
        ValidateCase{"AcrWithCredentials",
                     makeLaunchAgent("a")
                         .builder(BuilderType::Docker)
                         .registry(RegistryType::Acr, "acme.azurecr.io/launch")
                         .registryCredentials("push")
                         .obj(),
                     ""},
        ValidateCase{"AzureBlobStore",
                     makeLaunchAgent("a")
                         .kaniko(kanikoWithStore("https://acme.blob.core.windows.net/ctx/launch"))
                         .registry(RegistryType::Acr, "acme.azurecr.io/launch")
                         .environment(EnvironmentType::Azure)
                         .obj(),
                     ""},
        ValidateCase{"MaxJobsBelowMinusOne", makeLaunchAgent("a").maxJobs(-2).obj(),
                     "spec.maxJobs: -2 is below -1; use -1 for no limit"},
        ValidateCase{"NoQueues", makeLaunchAgent("a").queues({}).obj(), "spec.queues: required"},
        ValidateCase{"QueueListedTwice", makeLaunchAgent("a").queues({"q", "q"}).obj(),
                     "spec.queues[1]: 'q' is listed twice"},
        ValidateCase{"QueueNameInvalid", makeLaunchAgent("a").queues({"Bad_Name"}).obj(),
                     "spec.queues[0]: 'Bad_Name' is not a LaunchQueue name"},
        ValidateCase{"PollIntervalZero", makeLaunchAgent("a").pollIntervalSeconds(0).obj(),
                     "spec.pollIntervalSeconds: 0 is outside 1..3600"},
        ValidateCase{"KanikoWithoutRegistry", makeLaunchAgent("a").builder(BuilderType::Kaniko).obj(),
                     "spec.registry: required: a kaniko builder pushes its images to a registry"},
        ValidateCase{"DockerBuildsLocallyWithoutRegistry", makeLaunchAgent("a").builder(BuilderType::Docker).obj(),
                     ""},
        ValidateCase{"RegistryWithTag",
                     makeLaunchAgent("a").registry(RegistryType::Generic, "registry.example.com/launch:v1").obj(),
                     "spec.registry.uri: 'registry.example.com/launch:v1' is not <host>/<repository>"},
        ValidateCase{"RegistryWithScheme",
                     makeLaunchAgent("a").registry(RegistryType::Generic, "https://registry.example.com/launch").obj(),
                     "spec.registry.uri:"},
        ValidateCase{"RegistryBareHost", makeLaunchAgent("a").registry(RegistryType::Generic, "localhost:5000").obj(),
                     "spec.registry.uri:"},
        ValidateCase{"EcrUriWrong",
                     makeLaunchAgent("a")
                         .registry(RegistryType::Ecr, "registry.example.com/launch")
                         .environment(EnvironmentType::Aws, "us-east-1")
                         .obj(),
                     "spec.registry.uri: 'registry.example.com/launch' is not a repository of type ecr; write it like "
                     "<account>.dkr.ecr.<region>.amazonaws.com/<repository>"},
        ValidateCase{"EcrWithoutAwsOrCredentials",
                     makeLaunchAgent("a").registry(RegistryType::Ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com/x").obj(),
                     "spec.registry: registry type ecr needs environment.type aws"},
        ValidateCase{"GarUriWrong",
                     makeLaunchAgent("a")
                         .registry(RegistryType::Gar, "gcr.io/proj/img")
                         .environment(EnvironmentType::Gcp, "us-central1", "proj")
                         .obj(),
                     "is not a repository of type gar"},
        ValidateCase{"AcrUriWrong",
                     makeLaunchAgent("a")
                         .registry(RegistryType::Acr, "acme.example.com/x")
                         .environment(EnvironmentType::Azure)
                         .obj(),
                     "is not a repository of type acr"},
        ValidateCase{"InsecureEcr",
                     [] {
                       auto a = makeLaunchAgent("a")
                                    .registry(RegistryType::Ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com/x")
                                    .environment(EnvironmentType::Aws, "us-east-1")
                                    .obj();
                       a.spec.registry->insecure = true;
                       return a;
                     }(),
                     "spec.registry.insecure: applies to generic registries only"},
        ValidateCase{"AwsWithoutRegion", makeLaunchAgent("a").environment(EnvironmentType::Aws).obj(),
                     "spec.environment.region: required for aws"},
        ValidateCase{"GcpWithoutProject", makeLaunchAgent("a").environment(EnvironmentType::Gcp, "us-central1").obj(),
                     "spec.environment.project: required for gcp"},
        ValidateCase{"CredentialsWithoutCloud",
                     [] {
                       auto a = makeLaunchAgent("a").obj();
                       a.spec.environment.credentialsSecretRef = SecretRef{"aws"};
                       return a;
                     }(),
                     "spec.environment.credentialsSecretRef: needs environment.type aws, gcp or azure"},
        ValidateCase{"KanikoSettingsOnDockerBuilder",
                     [] {
                       auto a = makeLaunchAgent("a").builder(BuilderType::Docker).registry(RegistryType::Generic, "r.io/x").obj();
                       a.spec.builder.kaniko = KanikoSettings{};
                       return a;
                     }(),
                     "spec.builder.kaniko: set, but builder.type is docker"},
        ValidateCase{"KanikoStoreUnsupported",
                     makeLaunchAgent("a").kaniko(kanikoWithStore("ftp://x")).registry(RegistryType::Generic, "r.io/x").obj(),
                     "spec.builder.kaniko.buildContextStore: 'ftp://x' is not a supported store"},
        ValidateCase{"BaseImageOnNoopBuilder",
                     [] {
                       auto a = makeLaunchAgent("a").obj();
                       a.spec.builder.baseImage = "python:3.12-slim";
                       return a;
                     }(),
                     "spec.builder.baseImage: set, but builder.type is noop"},
        ValidateCase{"CudaBaseImageOnNoopBuilder",
                     [] {
                       auto a = makeLaunchAgent("a").obj();
                       a.spec.builder.cudaBaseImage = "nvidia/cuda:12.4.1-runtime-ubuntu22.04";
                       return a;
                     }(),
                     "spec.builder.cudaBaseImage: set, but builder.type is noop"},
        ValidateCase{"BaseImageWithSpaces",
                     [] {
                       auto a = makeLaunchAgent("a").builder(BuilderType::Docker).obj();
                       a.spec.builder.baseImage = "python 3";
                       return a;
                     }(),
                     "spec.builder.baseImage: 'python 3' is not an image reference"},
        ValidateCase{"PlatformMalformed",
                     [] {
                       auto a = makeLaunchAgent("a").obj();
                       a.spec.builder.platform = "amd64";
                       return a;
                     }(),
                     "spec.builder.platform: 'amd64' is not os/arch[/variant]"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace launch::api
