// Unit tests: the CRDs in crds/ agree with the C++ types: names, printer columns, enums and defaults match, what
// toJson writes fits the structural schema, and the samples read, validate and resolve.
#include <gtest/gtest.h>

#include <set>

#include "ApiFixtures.hpp"
#include "api/Group.hpp"
#include "api/JobConfig.hpp"
#include "api/LaunchAgent.hpp"
#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"
#include "api/YamlToJson.hpp"
#include "util/Files.hpp"

namespace launch::api {
namespace {

Json loadYaml(const std::string& relative) {
  auto text = readFile(std::string(LAUNCH_SOURCE_DIR) + "/" + relative);
  if (!text) throw std::runtime_error(text.error().message);
  auto json = yamlToJson(*text);
  if (!json) throw std::runtime_error(relative + ": " + json.error().message);
  return *json;
}

Json crd(std::string_view plural) { return loadYaml("crds/launch.dev_" + std::string(plural) + ".yaml"); }

const Json& schemaOf(const Json& crd) { return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]; }

std::string memberPath(const std::string& path, const std::string& key) {
  std::string joined = path;
  if (!joined.empty()) joined += '.';
  joined += key;
  return joined;
}

// A small structural-schema check: type, enum, required, properties, additionalProperties, items and
// x-kubernetes-preserve-unknown-fields, enough to catch a field the C++ writes that the CRD would prune or refuse.
void conform(const Json& value, const Json& schema, const std::string& path, std::vector<std::string>& problems) {
  if (schema.value("x-kubernetes-preserve-unknown-fields", false) && !schema.contains("properties")) return;
  const std::string type = schema.value("type", "");
  const auto wrong = [&](const std::string& what) { problems.push_back(path + ": " + what + ", got " + value.dump()); };
  if (type == "string" && !value.is_string()) return wrong("expected string");
  if (type == "integer" && !value.is_number_integer()) return wrong("expected integer");
  if (type == "number" && !value.is_number()) return wrong("expected number");
  if (type == "boolean" && !value.is_boolean()) return wrong("expected boolean");
  if (type == "array" && !value.is_array()) return wrong("expected array");
  if (type == "object" && !value.is_object()) return wrong("expected object");
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& option : schema["enum"]) found = found || option == value;
    if (!found) wrong("not in enum " + schema["enum"].dump());
  }
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i)
      conform(value[i], schema["items"], path + "[" + std::to_string(i) + "]", problems);
  }
  if (!value.is_object() || type != "object") return;
  for (const auto& required : schema.value("required", Json::array())) {
    if (!value.contains(required.get<std::string>()))
      problems.push_back(memberPath(path, required.get<std::string>()) + ": required");
  }
  if (path == "metadata") return;  // the API server's own schema
  for (const auto& [key, member] : value.items()) {
    if (schema.contains("properties") && schema["properties"].contains(key)) {
      conform(member, schema["properties"][key], memberPath(path, key), problems);
    } else if (schema.contains("additionalProperties")) {
      conform(member, schema["additionalProperties"], memberPath(path, key), problems);
    } else if (!schema.value("x-kubernetes-preserve-unknown-fields", false)) {
      problems.push_back(memberPath(path, key) + ": not in the schema (the API server would prune it)");
    }
  }
}

std::vector<std::string> conformance(const Json& value, const Json& crdJson) {
  std::vector<std::string> problems;
  conform(value, schemaOf(crdJson), "", problems);
  return problems;
}

struct KindCase {
  std::string_view kind;
  std::string_view plural;
  std::string shortName;
  std::vector<std::string> columns;  // printer columns that must be there
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const KindCase& c, std::ostream* os) { *os << c.kind; }

class CrdNames : public ::testing::TestWithParam<KindCase> {};

TEST_P(CrdNames, DeclaresTheKindAsDesigned) {
  const auto& c = GetParam();
  const Json json = crd(c.plural);
  EXPECT_EQ(json["apiVersion"], "apiextensions.k8s.io/v1");
  EXPECT_EQ(json["metadata"]["name"], std::string(c.plural) + "." + std::string(kGroup));
  const Json& spec = json["spec"];
  EXPECT_EQ(spec["group"], kGroup);
  EXPECT_EQ(spec["scope"], "Namespaced");
  EXPECT_EQ(spec["names"]["kind"], c.kind);
  EXPECT_EQ(spec["names"]["plural"], c.plural);
  EXPECT_EQ(spec["names"]["shortNames"], Json::array({c.shortName}));
  EXPECT_EQ(spec["names"]["categories"], Json::array({"launch"}));
  ASSERT_EQ(spec["versions"].size(), 1U);
  const Json& version = spec["versions"][0];
  EXPECT_EQ(version["name"], kVersion);
  EXPECT_EQ(version["served"], true);
  EXPECT_EQ(version["storage"], true);
  EXPECT_TRUE(version["subresources"].contains("status"));
  std::set<std::string> columns;
  for (const auto& column : version["additionalPrinterColumns"]) columns.insert(column["name"].get<std::string>());
  for (const auto& column : c.columns) EXPECT_TRUE(columns.count(column)) << c.kind << " lacks column " << column;
  const Json& schema = schemaOf(json);
  EXPECT_EQ(schema["properties"]["status"]["properties"]["conditions"]["x-kubernetes-list-type"], "map");
  EXPECT_EQ(schema["properties"]["status"]["properties"]["observedGeneration"]["type"], "integer");
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, CrdNames,
    ::testing::Values(
        KindCase{LaunchQueue::kKind, LaunchQueue::kPlural, "lq", {"Resource", "Pending", "Running", "Ready", "Age"}},
        KindCase{LaunchAgent::kKind,
                 LaunchAgent::kPlural,
                 "la",
                 {"Queues", "Max Jobs", "Active", "Ready", "Heartbeat", "Age"}},
        KindCase{
            LaunchJob::kKind, LaunchJob::kPlural, "lj", {"Queue", "Priority", "Phase", "Agent", "Age", "Message"}}),
    [](const auto& info) { return std::string(info.param.kind); });

template <typename E>
Json names(std::span<const EnumName<E>> table) {
  Json list = Json::array();
  for (const auto& entry : table) list.push_back(entry.name);
  return list;
}

TEST(CrdEnums, MatchTheCppEnums) {
  const Json queue = schemaOf(crd(LaunchQueue::kPlural))["properties"]["spec"]["properties"];
  EXPECT_EQ(queue["resource"]["enum"], names(queueResourceNames()));
  EXPECT_EQ(queue["templateVariables"]["additionalProperties"]["properties"]["type"]["enum"],
            names(variableTypeNames()));
  const Json agent = schemaOf(crd(LaunchAgent::kPlural))["properties"]["spec"]["properties"];
  EXPECT_EQ(agent["builder"]["properties"]["type"]["enum"], names(builderTypeNames()));
  EXPECT_EQ(agent["registry"]["properties"]["type"]["enum"], names(registryTypeNames()));
  EXPECT_EQ(agent["environment"]["properties"]["type"]["enum"], names(environmentTypeNames()));
  const Json job = schemaOf(crd(LaunchJob::kPlural))["properties"];
  EXPECT_EQ(job["spec"]["properties"]["priority"]["enum"], names(priorityNames()));
  EXPECT_EQ(job["status"]["properties"]["phase"]["enum"], names(jobPhaseNames()));
  EXPECT_EQ(job["status"]["properties"]["conditions"]["items"]["properties"]["status"]["enum"],
            Json::array({"True", "False", "Unknown"}));
}

TEST(CrdDefaults, MatchTheCppDefaults) {
  const Json queue = schemaOf(crd(LaunchQueue::kPlural))["properties"]["spec"]["properties"];
  const LaunchQueueSpec queueSpec;
  EXPECT_EQ(queue["prioritization"]["default"], queueSpec.prioritization);
  EXPECT_EQ(queue["maxConcurrency"]["default"], queueSpec.maxConcurrency);
  EXPECT_EQ(queue["config"]["default"], queueSpec.config);
  const Json remote = queue["remote"]["properties"];
  EXPECT_EQ(remote["baseUrl"]["default"], RemoteQueue::kDefaultBaseUrl);
  EXPECT_EQ(remote["project"]["default"], RemoteQueue::kDefaultProject);
  EXPECT_EQ(remote["apiKeySecretRef"]["properties"]["key"]["default"], RemoteQueue::kDefaultApiKeyKey);

  const Json agent = schemaOf(crd(LaunchAgent::kPlural))["properties"]["spec"]["properties"];
  const LaunchAgentSpec agentSpec;
  EXPECT_EQ(agent["maxJobs"]["default"], agentSpec.maxJobs);
  EXPECT_EQ(agent["maxJobs"]["minimum"], -1);
  EXPECT_EQ(agent["pollIntervalSeconds"]["default"], agentSpec.pollIntervalSeconds);
  EXPECT_EQ(agent["builder"]["default"], (Json{{"type", toString(agentSpec.builder.type)}}));
  EXPECT_EQ(agent["builder"]["properties"]["type"]["default"], toString(agentSpec.builder.type));
  EXPECT_EQ(agent["builder"]["properties"]["kaniko"]["properties"]["image"]["default"], KanikoSettings::kDefaultImage);
  EXPECT_EQ(agent["builder"]["properties"]["kaniko"]["properties"]["timeoutSeconds"]["default"],
            KanikoSettings::kDefaultTimeoutSeconds);
  EXPECT_EQ(agent["registry"]["properties"]["type"]["default"], toString(RegistrySpec{}.type));
  EXPECT_EQ(agent["environment"]["default"], (Json{{"type", toString(agentSpec.environment.type)}}));

  const Json job = schemaOf(crd(LaunchJob::kPlural))["properties"]["spec"]["properties"];
  const LaunchJobSpec jobSpec;
  EXPECT_EQ(job["priority"]["default"], toString(jobSpec.priority));
  EXPECT_EQ(job["cancel"]["default"], jobSpec.cancel);
}

TEST(CrdSchema, AcceptsWhatTheCppTypesWrite) {
  auto job = LaunchJob::fromJson(testing::fullJobJson());
  auto queue = LaunchQueue::fromJson(testing::fullQueueJson());
  auto agent = LaunchAgent::fromJson(testing::fullAgentJson());
  ASSERT_TRUE(job.ok() && queue.ok() && agent.ok());
  for (const auto& [written, plural] :
       {std::pair{job->toJson(), LaunchJob::kPlural}, std::pair{queue->toJson(), LaunchQueue::kPlural},
        std::pair{agent->toJson(), LaunchAgent::kPlural}}) {
    const auto problems = conformance(written, crd(plural));
    EXPECT_TRUE(problems.empty()) << plural << ": " << ::testing::PrintToString(problems);
  }
  // Each source kind of a job, too.
  for (const char* source : {R"({"image": "x"})", R"({"archive": {"url": "s3://b/k.tgz", "sha256": "ab"}})"}) {
    Json json = testing::fullJobJson();
    json["spec"]["source"] = Json::parse(source);
    auto other = LaunchJob::fromJson(json);
    ASSERT_TRUE(other.ok()) << other.error().message;
    const auto problems = conformance(other->toJson(), crd(LaunchJob::kPlural));
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  }
}

TEST(CrdSchema, TheCheckerCatchesAFieldTheSchemaLacks) {
  Json json = testing::fullJobJson();
  json["spec"]["retries"] = 3;
  json["status"]["phase"] = "Pending";
  const auto problems = conformance(json, crd(LaunchJob::kPlural));
  ASSERT_EQ(problems.size(), 2U) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("spec.retries: not in the schema"), std::string::npos);
  EXPECT_NE(problems[1].find("status.phase: not in enum"), std::string::npos);
}

TEST(Samples, ReadValidateAndResolve) {
  auto queue = LaunchQueue::fromJson(loadYaml("crds/samples/launchqueue.yaml"));
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_TRUE(validate(*queue).ok()) << validate(*queue).error().message;
  auto agent = LaunchAgent::fromJson(loadYaml("crds/samples/launchagent.yaml"));
  ASSERT_TRUE(agent.ok()) << agent.error().message;
  EXPECT_TRUE(validate(*agent).ok()) << validate(*agent).error().message;
  auto job = LaunchJob::fromJson(loadYaml("crds/samples/launchjob.yaml"));
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_TRUE(validate(*job).ok()) << validate(*job).error().message;

  EXPECT_EQ(job->spec.queue, queue->metadata.name);
  EXPECT_EQ(agent->spec.queues, std::vector<std::string>{queue->metadata.name});
  auto config = resolveJobConfig(queue->spec, job->spec);
  ASSERT_TRUE(config.ok()) << config.error().message;
  const Json& podSpec = (*config)["spec"]["template"]["spec"];
  EXPECT_EQ(podSpec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], 2);
  EXPECT_EQ(podSpec["nodeSelector"]["pool"], "a100");
  EXPECT_EQ((*config)["spec"]["activeDeadlineSeconds"], 172800);

  for (const auto& [sample, plural] :
       {std::pair{queue->toJson(), LaunchQueue::kPlural}, std::pair{agent->toJson(), LaunchAgent::kPlural},
        std::pair{job->toJson(), LaunchJob::kPlural}}) {
    const auto problems = conformance(sample, crd(plural));
    EXPECT_TRUE(problems.empty()) << plural << ": " << ::testing::PrintToString(problems);
  }
}

}  // namespace
}  // namespace launch::api
