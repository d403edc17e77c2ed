// Unit tests of the CreateTrainingJob request built for a LaunchJob, of DescribeTrainingJob read back as a
// RunObservation and of SageMaker backendRefs (table-driven).
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "backends/SageMakerTrainingJob.hpp"

namespace launch::backends {
namespace {

api::LaunchJob makeJob() {
  api::LaunchJob job;
  job.metadata.name = "train.resnet";
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123456789abcdef";
  job.spec.queue = "sagemaker-gpu";
  job.spec.source = api::ImageSource{"123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1"};
  job.spec.entryPoint = {"python", "train.py"};
  job.spec.args = {"--lr", "0.1"};
  job.spec.env = {{"WANDB_PROJECT", "vision"}};
  return job;
}

constexpr const char* kImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1";

// A complete config in snake_case, as a W&B user would write it.
Json snakeConfig() {
  return Json::parse(R"({
    "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "output_data_config": {"s3_output_path": "s3://bucket/out"},
    "resource_config": {"instance_type": "ml.g5.xlarge", "instance_count": 2, "volume_size_in_gb": 50},
    "stopping_condition": {"max_runtime_in_seconds": 3600},
    "environment": {"FROM_QUEUE": "q", "WANDB_PROJECT": "queue-default", "NUMERIC": 3},
    "hyper_parameters": {"learning_rate": 0.1, "epochs": "10"},
    "tags": [{"key": "team", "value": "vision"}]
  })");
}

Json findTag(const Json& tags, const std::string& key) {
  for (const Json& tag : tags) {
    if (tag["Key"] == key) return tag["Value"];
  }
  return nullptr;
}

TEST(SageMakerTrainingJob, MapsTheJobAndASnakeCaseConfig) {
  auto request = buildCreateTrainingJob(makeJob(), snakeConfig(), kImage, "agent-1");
  ASSERT_TRUE(request.ok()) << request.error().message;
  const Json& r = *request;
  EXPECT_EQ(r["TrainingJobName"], "lj-train-resnet-01234567");
  EXPECT_EQ(r["RoleArn"], "arn:aws:iam::123456789012:role/SageMakerRole");
  EXPECT_EQ(r["OutputDataConfig"], Json::parse(R"({"S3OutputPath": "s3://bucket/out"})"));
  EXPECT_EQ(r["ResourceConfig"],
            Json::parse(R"({"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50})"));
  EXPECT_EQ(r["StoppingCondition"], Json::parse(R"({"MaxRuntimeInSeconds": 3600})"));
  EXPECT_EQ(r["AlgorithmSpecification"]["TrainingImage"], kImage);
  EXPECT_EQ(r["AlgorithmSpecification"]["TrainingInputMode"], "File");
  EXPECT_EQ(r["AlgorithmSpecification"]["ContainerEntrypoint"], Json({"python", "train.py"}));
  EXPECT_EQ(r["AlgorithmSpecification"]["ContainerArguments"], Json({"--lr", "0.1"}));
  // The job's env goes over the config's Environment, whose names stay as written and whose values become strings.
  EXPECT_EQ(r["Environment"], Json::parse(R"({"FROM_QUEUE": "q", "WANDB_PROJECT": "vision", "NUMERIC": "3"})"));
  EXPECT_EQ(r["HyperParameters"], Json::parse(R"({"learning_rate": "0.1", "epochs": "10"})"));
  EXPECT_EQ(findTag(r["Tags"], "team"), "vision");
  EXPECT_EQ(findTag(r["Tags"], "launch.dev/job"), "ml/train.resnet");
  EXPECT_EQ(findTag(r["Tags"], "launch.dev/job-uid"), "0123456789abcdef");
  EXPECT_EQ(findTag(r["Tags"], "launch.dev/queue"), "sagemaker-gpu");
  EXPECT_EQ(findTag(r["Tags"], "launch.dev/agent"), "agent-1");
  for (const auto& [key, value] : r.items()) {
    EXPECT_EQ(key.find('_'), std::string::npos) << "snake_case key left in the request: " << key;
  }
}

TEST(SageMakerTrainingJob, CamelCaseConfigAndWandbWrapperGiveTheSameRequest) {
  const Json camel = Json::parse(R"({
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
    "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "Environment": {"FROM_QUEUE": "q", "WANDB_PROJECT": "queue-default", "NUMERIC": "3"},
    "HyperParameters": {"learning_rate": "0.1", "epochs": "10"},
    "Tags": {"team": "vision"}
  })");
  Json wrapped = {{"sagemaker", snakeConfig()}};
  wrapped["sagemaker"]["EcrRepoName"] = "train";  // W&B's own keys are dropped
  wrapped["sagemaker"]["region"] = "us-east-1";
  auto fromSnake = buildCreateTrainingJob(makeJob(), snakeConfig(), kImage, "agent-1");
  auto fromCamel = buildCreateTrainingJob(makeJob(), camel, kImage, "agent-1");
  auto fromWandb = buildCreateTrainingJob(makeJob(), wrapped, kImage, "agent-1");
  ASSERT_TRUE(fromSnake.ok() && fromCamel.ok() && fromWandb.ok());
  EXPECT_EQ(*fromCamel, *fromSnake);
  EXPECT_EQ(*fromWandb, *fromSnake);
}

TEST(SageMakerTrainingJob, FillsDefaultsAndKeepsTheLaunchersName) {
  Json config = snakeConfig();
  config.erase("stopping_condition");
  config["resource_config"].erase("instance_count");
  config["training_job_name"] = "chosen-by-user";
  config["algorithm_specification"] = {{"training_input_mode", "FastFile"}};
  api::LaunchJob job = makeJob();
  job.spec.entryPoint.clear();
  job.spec.args.clear();
  auto request = buildCreateTrainingJob(job, config, kImage, "");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ((*request)["StoppingCondition"]["MaxRuntimeInSeconds"], kSageMakerDefaultMaxRuntimeSeconds);
  EXPECT_EQ((*request)["ResourceConfig"]["InstanceCount"], 1);
  EXPECT_EQ((*request)["TrainingJobName"], "lj-train-resnet-01234567");
  EXPECT_EQ((*request)["AlgorithmSpecification"]["TrainingInputMode"], "FastFile");
  EXPECT_FALSE((*request)["AlgorithmSpecification"].contains("ContainerEntrypoint"));
  EXPECT_FALSE((*request)["AlgorithmSpecification"].contains("ContainerArguments"));
  EXPECT_TRUE(findTag((*request)["Tags"], "launch.dev/agent").is_null());
}

TEST(SageMakerTrainingJob, SpotStoppingConditionGetsARuntimeWithinItsWait) {
  Json config = snakeConfig();
  config["stopping_condition"] = {{"max_wait_time_in_seconds", 7200}};
  auto request = buildCreateTrainingJob(makeJob(), config, kImage, "");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ((*request)["StoppingCondition"],
            Json::parse(R"({"MaxWaitTimeInSeconds": 7200, "MaxRuntimeInSeconds": 7200})"));
}

struct InvalidCase {
  const char* name;
  std::function<void(Json& config, api::LaunchJob& job, std::string& image)> change;
  const char* mentions;  // the message must name this
};

class SageMakerInvalidConfigTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(SageMakerInvalidConfigTest, IsRejectedNamingTheField) {
  Json config = snakeConfig();
  api::LaunchJob job = makeJob();
  std::string image = kImage;
  GetParam().change(config, job, image);
  auto request = buildCreateTrainingJob(job, config, image, "");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code, ErrorCode::Invalid);
  EXPECT_NE(request.error().message.find(GetParam().mentions), std::string::npos) << request.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SageMakerInvalidConfigTest,
    ::testing::Values(
        InvalidCase{"NoRoleArn", [](Json& c, api::LaunchJob&, std::string&) { c.erase("role_arn"); },
                    "RoleArn (role_arn) is required"},
        InvalidCase{"RoleNameNotArn", [](Json& c, api::LaunchJob&, std::string&) { c["role_arn"] = "SageMakerRole"; },
                    "arn:aws:iam::<account>:role/<name>"},
        InvalidCase{"NoOutputDataConfig", [](Json& c, api::LaunchJob&, std::string&) { c.erase("output_data_config"); },
                    "OutputDataConfig (output_data_config) is required"},
        InvalidCase{"NoS3OutputPath",
                    [](Json& c, api::LaunchJob&, std::string&) { c["output_data_config"] = Json::object(); },
                    "OutputDataConfig.S3OutputPath"},
        InvalidCase{"NoResourceConfig", [](Json& c, api::LaunchJob&, std::string&) { c.erase("resource_config"); },
                    "ResourceConfig (resource_config) is required"},
        InvalidCase{"NoInstanceType",
                    [](Json& c, api::LaunchJob&, std::string&) { c["resource_config"].erase("instance_type"); },
                    "ResourceConfig.InstanceType"},
        InvalidCase{"NoVolumeSize",
                    [](Json& c, api::LaunchJob&, std::string&) { c["resource_config"].erase("volume_size_in_gb"); },
                    "ResourceConfig.VolumeSizeInGB"},
        InvalidCase{"StoppingConditionNotObject",
                    [](Json& c, api::LaunchJob&, std::string&) { c["stopping_condition"] = 3600; },
                    "StoppingCondition must be an object"},
        InvalidCase{"NoImage", [](Json&, api::LaunchJob&, std::string& image) { image.clear(); }, "TrainingImage"},
        InvalidCase{"EnvValueTooLong",
                    [](Json&, api::LaunchJob& job, std::string&) {
                      job.spec.env.push_back({"BIG", std::string(513, 'x')});
                    },
                    "BIG is 513 characters"},
        InvalidCase{"EnvNameInvalid", [](Json& c, api::LaunchJob&, std::string&) { c["environment"]["1BAD"] = "x"; },
                    "\"1BAD\""},
        InvalidCase{"EnvironmentNotMap", [](Json& c, api::LaunchJob&, std::string&) { c["environment"] = "A=B"; },
                    "Environment must be a map"},
        InvalidCase{"TwoSpellings", [](Json& c, api::LaunchJob&, std::string&) { c["RoleArn"] = "arn:aws:x"; },
                    "role_arn"},
        InvalidCase{"NotAnObject", [](Json& c, api::LaunchJob&, std::string&) { c = Json::array(); },
                    "must be an object"},
        InvalidCase{"NoUid", [](Json&, api::LaunchJob& job, std::string&) { job.metadata.uid.clear(); },
                    "metadata.uid"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return std::string(info.param.name); });

struct DescribeCase {
  const char* name;
  const char* status;
  const char* secondary;
  const char* failureReason;
  bool started;
  std::optional<api::JobPhase> finished;
  const char* reason;
  const char* messageMentions;
};

class SageMakerObservationTest : public ::testing::TestWithParam<DescribeCase> {};

TEST_P(SageMakerObservationTest, MapsTheStatus) {
  const DescribeCase& c = GetParam();
  Json description = {
      {"TrainingJobName", "lj-x-01234567"},
      {"TrainingJobStatus", c.status},
      {"SecondaryStatus", c.secondary},
      {"SecondaryStatusTransitions",
       Json::array({{{"Status", c.secondary}, {"StatusMessage", "Launching requested ML instances"}}})}};
  if (*c.failureReason != '\0') description["FailureReason"] = c.failureReason;
  const RunObservation seen = observeTrainingJob(description);
  EXPECT_TRUE(seen.exists);
  EXPECT_EQ(seen.started, c.started);
  EXPECT_EQ(seen.finished, c.finished);
  EXPECT_EQ(seen.reason, c.reason);
  EXPECT_NE(seen.message.find(c.messageMentions), std::string::npos) << seen.message;
  EXPECT_EQ(seen.message.find('\n'), std::string::npos) << "message must be one line: " << seen.message;
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, SageMakerObservationTest,
    ::testing::Values(
        DescribeCase{"Starting", "InProgress", "Starting", "", false, std::nullopt, "Starting", "Launching"},
        DescribeCase{"Downloading", "InProgress", "DownloadingTrainingImage", "", false, std::nullopt,
                     "DownloadingTrainingImage", "Launching"},
        DescribeCase{"Training", "InProgress", "Training", "", true, std::nullopt, "Running", "Launching"},
        DescribeCase{"Stopping", "Stopping", "Stopping", "", false, std::nullopt, "Stopping", "Launching"},
        DescribeCase{"Completed", "Completed", "Completed", "", true, api::JobPhase::Succeeded, "Completed",
                     "Launching"},
        DescribeCase{"Failed", "Failed", "Failed", "AlgorithmError: ExecuteUserScriptError:\nExitCode 1", false,
                     api::JobPhase::Failed, "Failed", "AlgorithmError: ExecuteUserScriptError: ExitCode 1"},
        DescribeCase{"Stopped", "Stopped", "Stopped", "", false, api::JobPhase::Failed, "Stopped", "stopped"},
        DescribeCase{"MaxRuntimeExceeded", "Stopped", "MaxRuntimeExceeded", "", true, api::JobPhase::Failed,
                     "DeadlineExceeded", "MaxRuntimeExceeded"},
        DescribeCase{"Deleting", "Deleting", "Stopped", "", false, api::JobPhase::Failed, "Deleted", "deleted"},
        DescribeCase{"Unknown", "Hibernating", "Pending", "", false, std::nullopt, "Unknown", "Hibernating"}),
    [](const ::testing::TestParamInfo<DescribeCase>& info) { return std::string(info.param.name); });

TEST(SageMakerBackendRef, RoundTripsAndRejectsOtherRefs) {
  const std::string ref = sageMakerBackendRef("eu-west-1", "lj-train-01234567");
  EXPECT_EQ(ref, "sagemaker/eu-west-1/lj-train-01234567");
  auto parsed = parseSageMakerBackendRef(ref);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->region, "eu-west-1");
  EXPECT_EQ(parsed->trainingJobName, "lj-train-01234567");
  for (const char* bad : {"", "sagemaker/", "sagemaker/us-east-1/", "sagemaker//name", "docker/abc",
                          "sagemaker/us-east-1/a/b", "sagemaker/us-east-1/name with space"}) {
    auto rejected = parseSageMakerBackendRef(bad);
    ASSERT_FALSE(rejected.ok()) << bad;
    EXPECT_EQ(rejected.error().code, ErrorCode::Invalid);
  }
}

}  // namespace
}  // namespace launch::backends
