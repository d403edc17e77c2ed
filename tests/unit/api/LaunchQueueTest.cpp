// Unit tests: LaunchQueue JSON mapping and validation (limits, template variables, placeholders, remote queues).
#include <gtest/gtest.h>

#include "ApiBuilders.hpp"
#include "ApiFixtures.hpp"
#include "api/LaunchQueue.hpp"

namespace launch::api {
namespace {

using testing::fullQueueJson;
using testing::makeLaunchQueue;

TEST(LaunchQueue, JsonRoundTripKeepsEveryField) {
  const Json json = fullQueueJson();
  auto queue = LaunchQueue::fromJson(json);
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(queue->spec.resource, QueueResource::LocalProcess);
  EXPECT_TRUE(queue->spec.prioritization);
  EXPECT_EQ(queue->spec.maxConcurrency, 4);
  ASSERT_EQ(queue->spec.templateVariables.size(), 3U);
  EXPECT_EQ(queue->spec.templateVariables.at("gpus").maximum, 8.0);
  EXPECT_EQ(queue->spec.templateVariables.at("pool").enumValues.size(), 2U);
  ASSERT_TRUE(queue->spec.remote.has_value());
  EXPECT_EQ(queue->spec.remote->apiKeySecretRef.key, "token");
  EXPECT_EQ(queue->status.pending, 3);
  EXPECT_EQ(queue->toJson(), json);
  auto again = LaunchQueue::fromJson(queue->toJson());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *queue);
}

TEST(LaunchQueue, DefaultsMatchTheCrd) {
  auto queue =
      LaunchQueue::fromJson({{"spec",
                              {{"resource", "kubernetes"},
                               {"remote", {{"entity", "e"}, {"queue", "q"}, {"apiKeySecretRef", {{"name", "s"}}}}}}}});
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(queue->spec.config, Json::object());
  EXPECT_FALSE(queue->spec.prioritization);
  EXPECT_EQ(queue->spec.maxConcurrency, -1);
  EXPECT_FALSE(queue->spec.startTimeoutSeconds.has_value());
  EXPECT_EQ(queue->spec.remote->baseUrl, "https://api.wandb.ai");
  EXPECT_EQ(queue->spec.remote->project, "model-registry");
  EXPECT_EQ(queue->spec.remote->apiKeySecretRef.key, "api-key");
}

TEST(LaunchQueue, FromJsonNamesTheFieldPath) {
  auto queue = LaunchQueue::fromJson({{"spec",
                                       {{"resource", "slurm"},
                                        {"config", Json::array()},
                                        {"templateVariables", {{"gpus", {{"type", "float"}}}, {"x", Json::object()}}},
                                        {"remote", {{"queue", "q"}}}}}});
  ASSERT_FALSE(queue.ok());
  const std::string& message = queue.error().message;
  for (const char* part : {"spec.resource: 'slurm' is not one of kubernetes, docker, sagemaker, vertex, local-process",
                           "spec.config: expected an object",
                           "spec.templateVariables.gpus.type: 'float' is not one of string, integer, number",
                           "spec.templateVariables.x.type: required", "spec.remote.entity: required",
                           "spec.remote.apiKeySecretRef: required"}) {
    EXPECT_NE(message.find(part), std::string::npos) << message << "\nlacks: " << part;
  }
  auto missing = LaunchQueue::fromJson(Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("spec: required"), std::string::npos) << missing.error().message;
}

TemplateVariable variable(VariableType type, std::optional<double> min = {}, std::optional<double> max = {},
                          std::optional<Json> def = {}, std::vector<Json> options = {}) {
  TemplateVariable v;
  v.type = type;
  v.minimum = min;
  v.maximum = max;
  v.defaultValue = std::move(def);
  v.enumValues = std::move(options);
  return v;
}

struct ValidateCase {
  const char* name;
  LaunchQueue queue;
  std::string errorPart;  // empty: valid
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const ValidateCase& c, std::ostream* os) { *os << c.name; }

class ValidateLaunchQueue : public ::testing::TestWithParam<ValidateCase> {};

TEST_P(ValidateLaunchQueue, AcceptsOrNamesTheFieldAndFix) {
  const auto& c = GetParam();
  const Status status = validate(c.queue);
  if (c.errorPart.empty()) {
    EXPECT_TRUE(status.ok()) << status.error().message;
    return;
  }
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(c.errorPart), std::string::npos) << status.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateLaunchQueue,
    ::testing::Values(
        ValidateCase{"Plain", makeLaunchQueue("q").obj(), ""},
        ValidateCase{"TemplatedAndDeclared",
                     makeLaunchQueue("q")
                         .config({{"gpus", "{{gpus}}"}})
                         .variable("gpus", variable(VariableType::Integer, 0, 8, 1))
                         .obj(),
                     ""},
        ValidateCase{"UnusedVariableIsFine",
                     makeLaunchQueue("q").variable("spare", variable(VariableType::String)).obj(), ""},
        ValidateCase{"Paused", makeLaunchQueue("q").maxConcurrency(0).obj(), ""},
        ValidateCase{"Remote", makeLaunchQueue("q").remote("acme", "gpu", "wandb-key").obj(), ""},
        ValidateCase{"MaxConcurrencyBelowMinusOne", makeLaunchQueue("q").maxConcurrency(-2).obj(),
                     "spec.maxConcurrency: -2 is below -1; use -1 for no limit"},
        ValidateCase{"StartTimeoutZero", makeLaunchQueue("q").startTimeoutSeconds(0).obj(),
                     "spec.startTimeoutSeconds: 0 is below 1"},
        ValidateCase{"UndeclaredPlaceholder",
                     makeLaunchQueue("q").config({{"spec", {{"image", "{{tag}}"}}}}).obj(),
                     "spec.config.spec.image: {{tag}} is not declared in spec.templateVariables"},
        ValidateCase{"BadVariableName",
                     makeLaunchQueue("q").variable("9lives", variable(VariableType::String)).obj(),
                     "spec.templateVariables[\"9lives\"]: a template variable name starts with a letter"},
        ValidateCase{"LimitsOnAString",
                     makeLaunchQueue("q").variable("s", variable(VariableType::String, 1)).obj(),
                     "spec.templateVariables.s: minimum and maximum apply to integer and number variables only"},
        ValidateCase{"MinimumAboveMaximum",
                     makeLaunchQueue("q").variable("n", variable(VariableType::Number, 5, 1)).obj(),
                     "spec.templateVariables.n: minimum 5 is greater than maximum 1; swap them"},
        ValidateCase{"DefaultOutOfRange",
                     makeLaunchQueue("q").variable("n", variable(VariableType::Integer, 0, 8, 9)).obj(),
                     "spec.templateVariables.n.default: 9 is above the maximum 8; the default must fit"},
        ValidateCase{"DefaultNotInEnum",
                     makeLaunchQueue("q")
                         .variable("p", variable(VariableType::String, {}, {}, "k80", {"a100", "h100"}))
                         .obj(),
                     "spec.templateVariables.p.default: 'k80' is not one of 'a100', 'h100'"},
        ValidateCase{"EnumValueOfWrongType",
                     makeLaunchQueue("q").variable("n", variable(VariableType::Integer, {}, {}, {}, {1, "two"})).obj(),
                     "spec.templateVariables.n.enum[1]: expected an integer, got 'two'"},
        ValidateCase{"RemoteBaseUrlNotHttp",
                     [] {
                       auto q = makeLaunchQueue("q").remote("acme", "gpu", "key").obj();
                       q.spec.remote->baseUrl = "api.wandb.ai";
                       return q;
                     }(),
                     "spec.remote.baseUrl: 'api.wandb.ai' is not an http(s) URL"},
        ValidateCase{"RemoteWithoutEntity", makeLaunchQueue("q").remote("", "gpu", "key").obj(),
                     "spec.remote.entity: required"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace launch::api
