// Integration: the launch.dev CRDs in a real kube-apiserver: installed and Established, samples stored with
// their defaults, bad objects refused by schema and CEL with the field named, status through /status.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/LaunchAgent.hpp"
#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"
#include "api/Resources.hpp"
#include "api/YamlToJson.hpp"
#include "kube/KubeClient.hpp"
#include "support/ControlPlane.hpp"
#include "util/Files.hpp"

namespace launch::testing {
namespace {

using kube::Json;
namespace res = kube::resources;

const kube::ResourceType& kQueues = api::kLaunchQueues;
const kube::ResourceType& kAgents = api::kLaunchAgents;
const kube::ResourceType& kJobs = api::kLaunchJobs;

Result<Json> loadYaml(const std::string& relative) {
  auto text = readFile(std::string(LAUNCH_SOURCE_DIR) + "/" + relative);
  if (!text) return text.error();
  return api::yamlToJson(*text);
}

bool established(const Json& crd) {
  for (const auto& condition : crd["status"].value("conditions", Json::array())) {
    if (condition.value("type", "") == "Established" && condition.value("status", "") == "True") return true;
  }
  return false;
}

// Creates the three CRDs and waits until the API server serves them.
Status installCrds(kube::KubeClient& client) {
  for (const char* plural : {"launchqueues", "launchagents", "launchjobs"}) {
    auto crd = loadYaml(std::string("crds/launch.dev_") + plural + ".yaml");
    if (!crd) return crd.error();
    auto created = client.create(res::kCustomResourceDefinitions, "", *crd);
    if (!created && created.error().code != ErrorCode::AlreadyExists) return created.error();
    const std::string name = std::string(plural) + ".launch.dev";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (true) {
      auto read = client.get(res::kCustomResourceDefinitions, "", name);
      if (read && established(*read)) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return makeError(ErrorCode::Timeout, name + " did not become Established within 30 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return {};
}

// Once per test binary: every test shares the control plane.
const Status& installCrdsOnce(kube::KubeClient& client) {
  static const Status installed = installCrds(client);
  return installed;
}

class CrdIT : public ControlPlaneTest {
 protected:
  void SetUp() override {
    ControlPlaneTest::SetUp();
    if (HasFatalFailure()) return;
    const Status& status = installCrdsOnce(client());
    ASSERT_TRUE(status.ok()) << status.error().describe();
  }

  // Creating a fresh object right after the CRD is Established can still meet a 404 for a moment (the
  // discovery and handler caches lag); retry that case only.
  Result<Json> create(const kube::ResourceType& type, const std::string& ns, const Json& object) {
    for (int attempt = 0;; ++attempt) {
      auto created = client().create(type, ns, object);
      if (created || created.error().code != ErrorCode::NotFound || attempt == 50) return created;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Json sample(const char* file) {
    auto json = loadYaml(std::string("crds/samples/") + file);
    if (!json) throw std::runtime_error(json.error().message);
    return *json;
  }
};

TEST_F(CrdIT, TheCrdsAreEstablishedWithTheirNames) {
  for (const char* plural : {"launchqueues", "launchagents", "launchjobs"}) {
    auto crd = client().get(res::kCustomResourceDefinitions, "", std::string(plural) + ".launch.dev");
    ASSERT_TRUE(crd.ok()) << crd.error().describe();
    EXPECT_TRUE(established(*crd));
    EXPECT_EQ((*crd)["status"]["acceptedNames"]["categories"], Json::array({"launch"}));
  }
  // Discovery lists the kinds with their short names.
  auto discovery = client().raw("GET", "/apis/launch.dev/v1alpha1");
  ASSERT_TRUE(discovery.ok()) << discovery.error().describe();
  const Json resources = Json::parse(discovery->body)["resources"];
  std::map<std::string, Json> byName;
  for (const auto& resource : resources) byName[resource["name"].get<std::string>()] = resource;
  EXPECT_EQ(byName["launchqueues"]["shortNames"], Json::array({"lq"}));
  EXPECT_EQ(byName["launchagents"]["shortNames"], Json::array({"la"}));
  EXPECT_EQ(byName["launchjobs"]["shortNames"], Json::array({"lj"}));
  EXPECT_TRUE(byName.count("launchjobs/status"));
}

TEST_F(CrdIT, StoresEachSampleAndReadsItBack) {
  const std::string ns = makeNamespace("it-crd-samples");

  auto queue = create(kQueues, ns, sample("launchqueue.yaml"));
  ASSERT_TRUE(queue.ok()) << queue.error().describe();
  auto agent = create(kAgents, ns, sample("launchagent.yaml"));
  ASSERT_TRUE(agent.ok()) << agent.error().describe();
  auto job = create(kJobs, ns, sample("launchjob.yaml"));
  ASSERT_TRUE(job.ok()) << job.error().describe();

  auto readQueue = client().get(kQueues, ns, "gpu-training");
  ASSERT_TRUE(readQueue.ok()) << readQueue.error().describe();
  auto typedQueue = api::LaunchQueue::fromJson(*readQueue);
  ASSERT_TRUE(typedQueue.ok()) << typedQueue.error().message;
  EXPECT_EQ(typedQueue->metadata.namespace_, ns);
  EXPECT_FALSE(typedQueue->metadata.uid.empty());
  EXPECT_EQ(typedQueue->metadata.generation, 1);
  EXPECT_TRUE(typedQueue->metadata.creationTimestamp.has_value());
  EXPECT_EQ(typedQueue->spec.templateVariables.at("gpus").maximum, 8.0);
  EXPECT_EQ(typedQueue->spec.config["spec"]["template"]["spec"]["nodeSelector"]["pool"], "{{node-pool}}");
  EXPECT_TRUE(validate(*typedQueue).ok());

  auto readAgent = client().get(kAgents, ns, "research-agent");
  ASSERT_TRUE(readAgent.ok()) << readAgent.error().describe();
  auto typedAgent = api::LaunchAgent::fromJson(*readAgent);
  ASSERT_TRUE(typedAgent.ok()) << typedAgent.error().message;
  EXPECT_EQ(typedAgent->spec.maxJobs, 2);
  // Defaults the API server filled in from the schema.
  EXPECT_EQ((*readAgent)["spec"]["pollIntervalSeconds"], 5);
  EXPECT_EQ((*readAgent)["spec"]["builder"]["kaniko"]["image"], api::KanikoSettings::kDefaultImage);
  EXPECT_EQ((*readAgent)["spec"]["registry"]["insecure"], false);

  auto readJob = client().get(kJobs, ns, "train-resnet");
  ASSERT_TRUE(readJob.ok()) << readJob.error().describe();
  auto typedJob = api::LaunchJob::fromJson(*readJob);
  ASSERT_TRUE(typedJob.ok()) << typedJob.error().message;
  EXPECT_EQ(typedJob->spec.priority, api::Priority::High);
  EXPECT_EQ(std::get<api::ImageSource>(typedJob->spec.source).image, "ghcr.io/acme/train:1.4");
  EXPECT_EQ(typedJob->spec.templateValues["gpus"], 2);
  EXPECT_EQ((*readJob)["spec"]["cancel"], false);

  // What the C++ types write back is what the server stores (a PUT of toJson changes nothing).
  auto rewritten = client().update(kJobs, ns, typedJob->toJson());
  ASSERT_TRUE(rewritten.ok()) << rewritten.error().describe();
  EXPECT_EQ((*rewritten)["spec"], (*readJob)["spec"]);
  EXPECT_EQ((*rewritten)["metadata"]["generation"], (*readJob)["metadata"]["generation"]);
}

TEST_F(CrdIT, AppliesTheSchemaDefaults) {
  const std::string ns = makeNamespace("it-crd-defaults");
  auto job = create(kJobs, ns,
                    {{"apiVersion", "launch.dev/v1alpha1"},
                     {"kind", "LaunchJob"},
                     {"metadata", {{"name", "minimal"}}},
                     {"spec", {{"queue", "default"}, {"source", {{"image", "busybox:1.36"}}}}}});
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ((*job)["spec"]["priority"], "medium");
  EXPECT_EQ((*job)["spec"]["cancel"], false);

  auto agent = create(kAgents, ns,
                      {{"apiVersion", "launch.dev/v1alpha1"},
                       {"kind", "LaunchAgent"},
                       {"metadata", {{"name", "minimal"}}},
                       {"spec", {{"queues", {"default"}}}}});
  ASSERT_TRUE(agent.ok()) << agent.error().describe();
  EXPECT_EQ((*agent)["spec"]["maxJobs"], 1);
  EXPECT_EQ((*agent)["spec"]["builder"], (Json{{"type", "noop"}}));
  EXPECT_EQ((*agent)["spec"]["environment"], (Json{{"type", "none"}}));
  EXPECT_EQ((*agent)["spec"]["pollIntervalSeconds"], 5);

  auto queue =
      create(kQueues, ns,
             {{"apiVersion", "launch.dev/v1alpha1"},
              {"kind", "LaunchQueue"},
              {"metadata", {{"name", "minimal"}}},
              {"spec",
               {{"resource", "kubernetes"},
                {"remote", {{"entity", "acme"}, {"queue", "gpu"}, {"apiKeySecretRef", {{"name", "wandb"}}}}}}}});
  ASSERT_TRUE(queue.ok()) << queue.error().describe();
  EXPECT_EQ((*queue)["spec"]["prioritization"], false);
  EXPECT_EQ((*queue)["spec"]["maxConcurrency"], -1);
  EXPECT_EQ((*queue)["spec"]["config"], Json::object());
  EXPECT_EQ((*queue)["spec"]["remote"]["baseUrl"], "https://api.wandb.ai");
  EXPECT_EQ((*queue)["spec"]["remote"]["project"], "model-registry");
  EXPECT_EQ((*queue)["spec"]["remote"]["apiKeySecretRef"]["key"], "api-key");

  // The C++ defaults agree with the server's.
  auto typedJob = api::LaunchJob::fromJson(*job);
  auto typedAgent = api::LaunchAgent::fromJson(*agent);
  auto typedQueue = api::LaunchQueue::fromJson(*queue);
  ASSERT_TRUE(typedJob.ok() && typedAgent.ok() && typedQueue.ok());
  EXPECT_EQ(typedJob->spec.priority, api::LaunchJobSpec{}.priority);
  api::LaunchAgentSpec expectedAgent;
  expectedAgent.queues = {"default"};
  EXPECT_EQ(typedAgent->spec, expectedAgent);
  EXPECT_EQ(typedQueue->spec.maxConcurrency, api::LaunchQueueSpec{}.maxConcurrency);
}

TEST_F(CrdIT, KeepsNullsInOverridesSoTheyCanDeleteKeys) {
  const std::string ns = makeNamespace("it-crd-nulls");
  auto job = create(kJobs, ns,
                    {{"apiVersion", "launch.dev/v1alpha1"},
                     {"kind", "LaunchJob"},
                     {"metadata", {{"name", "nulls"}}},
                     {"spec",
                      {{"queue", "default"},
                       {"source", {{"image", "busybox"}}},
                       {"overrides", {{"spec", {{"template", {{"spec", {{"nodeSelector", nullptr}}}}}}}}}}}});
  ASSERT_TRUE(job.ok()) << job.error().describe();
  const Json& selector = (*job)["spec"]["overrides"]["spec"]["template"]["spec"];
  ASSERT_TRUE(selector.contains("nodeSelector")) << job->dump();
  EXPECT_TRUE(selector["nodeSelector"].is_null());
}

struct Refusal {
  const char* name;
  const kube::ResourceType* type;
  Json spec;
  std::vector<std::string> messageParts;  // the field and the CRD's own words
};

Json jobSpec(const Json& changes) {
  Json spec = {{"queue", "default"}, {"source", {{"image", "busybox"}}}};
  spec.merge_patch(changes);
  return spec;
}

Json agentSpec(const Json& changes) {
  Json spec = {{"queues", {"default"}}};
  spec.merge_patch(changes);
  return spec;
}

Json queueSpec(const Json& changes) {
  Json spec = {{"resource", "kubernetes"}};
  spec.merge_patch(changes);
  return spec;
}

const std::vector<Refusal>& refusals() {
  static const std::vector<Refusal> cases = {
      {"TwoSources",
       &kJobs,
       jobSpec({{"source", {{"git", {{"url", "https://github.com/acme/x.git"}}}}}}),
       {"spec.source", "set exactly one of spec.source.image, spec.source.git and spec.source.archive"}},
      {"NoSource", &kJobs, jobSpec({{"source", {{"image", nullptr}}}}), {"spec.source", "set exactly one of"}},
      {"UnknownPriority",
       &kJobs,
       jobSpec({{"priority", "urgent"}}),
       {"spec.priority", "Unsupported value: \"urgent\"", "\"critical\", \"high\", \"medium\", \"low\""}},
      {"QueueNameInvalid", &kJobs, jobSpec({{"queue", "Bad_Name"}}), {"spec.queue"}},
      {"SubdirectoryEscapes",
       &kJobs,
       jobSpec({{"source", {{"image", nullptr}, {"git", {{"url", "https://g/r"}, {"subdirectory", "a/../.."}}}}}}),
       {"spec.source.git.subdirectory", "without '..'"}},
      {"ArchiveFtp",
       &kJobs,
       jobSpec({{"source", {{"image", nullptr}, {"archive", {{"url", "ftp://x/y"}}}}}}),
       {"spec.source.archive.url"}},
      {"MaxJobsBelowMinusOne",
       &kAgents,
       agentSpec({{"maxJobs", -2}}),
       {"spec.maxJobs", "should be greater than or equal to -1"}},
      {"NoQueues", &kAgents, agentSpec({{"queues", Json::array()}}), {"spec.queues"}},
      {"RegistryWithTag",
       &kAgents,
       agentSpec({{"builder", {{"type", "docker"}}}, {"registry", {{"uri", "registry.example.com/launch:v1"}}}}),
       {"spec.registry", "without scheme, tag or digest"}},
      {"EcrWithoutAws",
       &kAgents,
       agentSpec({{"builder", {{"type", "kaniko"}}},
                  {"registry", {{"type", "ecr"}, {"uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x"}}}}),
       {"spec.registry", "an ecr registry needs environment.type aws"}},
      {"KanikoWithoutRegistry",
       &kAgents,
       agentSpec({{"builder", {{"type", "kaniko"}}}}),
       {"spec.registry", "a kaniko builder needs a registry to push to"}},
      {"AwsWithoutRegion",
       &kAgents,
       agentSpec({{"environment", {{"type", "aws"}}}}),
       {"spec.environment", "an aws environment needs region"}},
      {"KanikoSettingsOnNoop",
       &kAgents,
       agentSpec({{"builder", {{"kaniko", {{"timeoutSeconds", 60}}}}}}),
       {"spec.builder", "builder.kaniko is set but builder.type is not kaniko"}},
      {"UnknownResource",
       &kQueues,
       queueSpec({{"resource", "slurm"}}),
       {"spec.resource", "Unsupported value: \"slurm\""}},
      {"StringVariableWithLimits",
       &kQueues,
       queueSpec({{"templateVariables", {{"pool", {{"type", "string"}, {"maximum", 3}}}}}}),
       {"spec.templateVariables[pool]", "minimum and maximum apply to integer and number variables only"}},
      {"MinimumAboveMaximum",
       &kQueues,
       queueSpec({{"templateVariables", {{"gpus", {{"type", "integer"}, {"minimum", 8}, {"maximum", 1}}}}}}),
       {"spec.templateVariables[gpus]", "minimum must not be greater than maximum"}},
      {"BadVariableName",
       &kQueues,
       queueSpec({{"templateVariables", {{"9lives", {{"type", "string"}}}}}}),
       {"spec.templateVariables", "template variable names must start with a letter"}},
      {"MaxConcurrencyBelowMinusOne", &kQueues, queueSpec({{"maxConcurrency", -5}}), {"spec.maxConcurrency"}},
  };
  return cases;
}

TEST_F(CrdIT, RefusesBadObjectsNamingTheField) {
  const std::string ns = makeNamespace("it-crd-refusals");
  int index = 0;
  for (const auto& c : refusals()) {
    SCOPED_TRACE(c.name);
    const std::string kind = c.type == &kJobs ? "LaunchJob" : c.type == &kAgents ? "LaunchAgent" : "LaunchQueue";
    const Json object = {{"apiVersion", "launch.dev/v1alpha1"},
                         {"kind", kind},
                         {"metadata", {{"name", "bad-" + std::to_string(index++)}}},
                         {"spec", c.spec}};
    auto created = create(*c.type, ns, object);
    ASSERT_FALSE(created.ok()) << "accepted: " << object.dump();
    EXPECT_EQ(created.error().code, ErrorCode::Invalid) << created.error().describe();
    EXPECT_EQ(created.error().httpStatus, 422);
    for (const auto& part : c.messageParts) {
      EXPECT_NE(created.error().message.find(part), std::string::npos)
          << created.error().message << "\nlacks: " << part;
    }
  }
}

// Objects at the edges of the rules, which the CRD must not refuse.
TEST_F(CrdIT, AcceptsWhatTheRulesAllow) {
  const std::string ns = makeNamespace("it-crd-accepted");
  const std::vector<std::pair<const kube::ResourceType*, Json>> accepted = {
      {&kAgents, agentSpec({{"builder", {{"type", "docker"}}}})},  // builds into the local engine
      {&kAgents, agentSpec({{"maxJobs", -1}, {"pollIntervalSeconds", 3600}})},
      {&kAgents, agentSpec({{"maxJobs", 0}})},
      {&kAgents, agentSpec({{"builder", {{"type", "kaniko"}, {"kaniko", {{"buildContextStore", "gs://b/ctx"}}}}},
                            {"registry", {{"type", "gar"}, {"uri", "us-central1-docker.pkg.dev/proj/repo"}}},
                            {"environment", {{"type", "gcp"}, {"region", "us-central1"}, {"project", "proj"}}}})},
      {&kAgents,
       agentSpec(
           {{"builder", {{"type", "docker"}}},
            {"registry",
             {{"type", "acr"}, {"uri", "acme.azurecr.io/launch"}, {"credentialsSecretRef", {{"name", "push"}}}}}})},
      {&kAgents, agentSpec({{"registry", {{"uri", "localhost:5000/launch"}, {"insecure", true}}}})},
      {&kQueues, queueSpec({{"maxConcurrency", 0}})},
      {&kQueues, queueSpec({{"templateVariables",
                             {{"lr", {{"type", "number"}, {"minimum", 0.0001}, {"maximum", 1}, {"default", 0.01}}},
                              {"node.pool-name_2", {{"type", "string"}, {"enum", {"a", "b"}}}}}}})},
      {&kJobs, jobSpec({{"source", {{"image", nullptr}, {"git", {{"url", "git@github.com:acme/x.git"}}}}}})},
      {&kJobs,
       jobSpec({{"source",
                 {{"image", nullptr}, {"archive", {{"url", "s3://b/ctx.tgz"}, {"sha256", std::string(64, 'f')}}}}}})},
      {&kJobs, jobSpec({{"priority", "critical"}, {"templateValues", {{"gpus", 2}, {"lr", 0.5}, {"pool", "a"}}}})},
  };
  int index = 0;
  for (const auto& [type, spec] : accepted) {
    const std::string kind = type == &kJobs ? "LaunchJob" : type == &kAgents ? "LaunchAgent" : "LaunchQueue";
    const Json object = {{"apiVersion", "launch.dev/v1alpha1"},
                         {"kind", kind},
                         {"metadata", {{"name", "ok-" + std::to_string(index++)}}},
                         {"spec", spec}};
    auto created = create(*type, ns, object);
    EXPECT_TRUE(created.ok()) << object.dump() << "\n" << (created.ok() ? "" : created.error().describe());
  }
}

TEST_F(CrdIT, RefusesChangesTheTransitionRulesForbid) {
  const std::string ns = makeNamespace("it-crd-transitions");
  auto job = create(kJobs, ns,
                    {{"apiVersion", "launch.dev/v1alpha1"},
                     {"kind", "LaunchJob"},
                     {"metadata", {{"name", "moving"}}},
                     {"spec", jobSpec({{"queue", "gpu"}})}});
  ASSERT_TRUE(job.ok()) << job.error().describe();

  auto moved = client().patch(kJobs, ns, "moving", {{"spec", {{"queue", "cpu"}}}});
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, ErrorCode::Invalid);
  EXPECT_NE(moved.error().message.find("spec.queue"), std::string::npos) << moved.error().message;
  EXPECT_NE(moved.error().message.find("spec.queue is immutable"), std::string::npos) << moved.error().message;

  // Other spec fields may change; a cancel sticks.
  auto cancelled = client().patch(kJobs, ns, "moving", {{"spec", {{"cancel", true}, {"priority", "low"}}}});
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().describe();
  EXPECT_EQ((*cancelled)["metadata"]["generation"], 2);
  auto resumed = client().patch(kJobs, ns, "moving", {{"spec", {{"cancel", false}}}});
  ASSERT_FALSE(resumed.ok());
  EXPECT_NE(resumed.error().message.find("spec.cancel"), std::string::npos) << resumed.error().message;
  EXPECT_NE(resumed.error().message.find("cannot be resumed"), std::string::npos) << resumed.error().message;

  // The C++ rule says the same.
  auto before = api::LaunchJob::fromJson(*job);
  ASSERT_TRUE(before.ok());
  api::LaunchJob after = *before;
  after.spec.queue = "cpu";
  EXPECT_FALSE(api::validateUpdate(*before, after).ok());
}

TEST_F(CrdIT, WritesStatusOnlyThroughTheStatusSubresource) {
  const std::string ns = makeNamespace("it-crd-status");
  auto created = create(kJobs, ns,
                        {{"apiVersion", "launch.dev/v1alpha1"},
                         {"kind", "LaunchJob"},
                         {"metadata", {{"name", "tracked"}}},
                         {"spec", jobSpec(Json::object())},
                         {"status", {{"phase", "Succeeded"}}}});
  ASSERT_TRUE(created.ok()) << created.error().describe();
  // Status sent with the object itself is dropped.
  EXPECT_FALSE(created->contains("status") && (*created)["status"].contains("phase")) << created->dump();

  auto job = api::LaunchJob::fromJson(*created);
  ASSERT_TRUE(job.ok()) << job.error().message;
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  job->status.phase = api::JobPhase::Running;
  job->status.agent = "research-agent";
  job->status.image = "busybox";
  job->status.backendRef = "tracked-0b7c5a1e";
  job->status.startTime = now;
  job->status.message = "running on node-0";
  job->status.observedGeneration = job->metadata.generation;
  (void)api::setCondition(job->status.conditions,
                          {"Started", api::ConditionStatus::True, job->metadata.generation, now, "PodRunning", ""});

  auto written = client().update(kJobs, ns, job->toJson(), "status");
  ASSERT_TRUE(written.ok()) << written.error().describe();
  auto read = client().get(kJobs, ns, "tracked");
  ASSERT_TRUE(read.ok()) << read.error().describe();
  auto stored = api::LaunchJob::fromJson(*read);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->status, job->status);
  // A status write does not bump the generation; only spec changes do.
  EXPECT_EQ(stored->metadata.generation, job->metadata.generation);

  // A status the schema refuses is refused on /status too.
  auto bad =
      client().patch(kJobs, ns, "tracked", {{"status", {{"phase", "Exploded"}}}}, kube::PatchType::Merge, "status");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("status.phase"), std::string::npos) << bad.error().message;

  // A patch of the main resource ignores status.
  auto ignored = client().patch(kJobs, ns, "tracked", {{"status", {{"phase", "Failed"}}}});
  ASSERT_TRUE(ignored.ok()) << ignored.error().describe();
  EXPECT_EQ((*ignored)["status"]["phase"], "Running");

  // The queue and agent kinds have their status subresource too.
  auto queue = create(kQueues, ns,
                      {{"apiVersion", "launch.dev/v1alpha1"},
                       {"kind", "LaunchQueue"},
                       {"metadata", {{"name", "q"}}},
                       {"spec", queueSpec(Json::object())}});
  ASSERT_TRUE(queue.ok()) << queue.error().describe();
  auto queueStatus = client().patch(kQueues, ns, "q", {{"status", {{"pending", 3}, {"running", 1}}}},
                                    kube::PatchType::Merge, "status");
  ASSERT_TRUE(queueStatus.ok()) << queueStatus.error().describe();
  EXPECT_EQ((*queueStatus)["status"]["pending"], 3);
  auto agent = create(kAgents, ns,
                      {{"apiVersion", "launch.dev/v1alpha1"},
                       {"kind", "LaunchAgent"},
                       {"metadata", {{"name", "a"}}},
                       {"spec", agentSpec(Json::object())}});
  ASSERT_TRUE(agent.ok()) << agent.error().describe();
  const std::string heartbeat = api::formatTimestamp(now);
  auto agentStatus =
      client().patch(kAgents, ns, "a", {{"status", {{"activeJobs", 1}, {"lastHeartbeatTime", heartbeat}}}},
                     kube::PatchType::Merge, "status");
  ASSERT_TRUE(agentStatus.ok()) << agentStatus.error().describe();
  auto typedAgent = api::LaunchAgent::fromJson(*agentStatus);
  ASSERT_TRUE(typedAgent.ok()) << typedAgent.error().message;
  EXPECT_EQ(typedAgent->status.activeJobs, 1);
  EXPECT_EQ(typedAgent->status.lastHeartbeatTime, now);
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
