// Unit tests of the Vertex AI CustomJob built for a LaunchJob, of CustomJob states read back as RunObservations, of
// label values and of CustomJob resource names (table-driven).
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "backends/VertexCustomJob.hpp"

namespace launch::backends {
namespace {

constexpr const char* kImage = "us-central1-docker.pkg.dev/proj/repo/train:1";

api::LaunchJob makeJob() {
  api::LaunchJob job;
  job.metadata.name = "train.resnet";
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123abcd-4567-89ef-0123-456789abcdef";
  job.spec.queue = "vertex-gpu";
  job.spec.source = api::ImageSource{kImage};
  job.spec.entryPoint = {"python", "train.py"};
  job.spec.args = {"--lr", "0.1"};
  job.spec.env = {{"WANDB_PROJECT", "vision"}};
  return job;
}

Json camelConfig() {
  return Json::parse(R"({
    "workerPoolSpecs": [
      {"machineSpec": {"machineType": "n1-standard-8", "acceleratorType": "NVIDIA_TESLA_T4", "acceleratorCount": 1},
       "replicaCount": 1,
       "containerSpec": {"env": [{"name": "FROM_QUEUE", "value": "q"}, {"name": "WANDB_PROJECT", "value": "x"}]}},
      {"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": 2, "containerSpec": {"args": ["--worker"]}}
    ],
    "serviceAccount": "trainer@proj.iam.gserviceaccount.com",
    "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/out"},
    "scheduling": {"timeout": "3600s"},
    "labels": {"team": "vision"}
  })");
}

TEST(VertexCustomJob, MapsTheJobOntoTheFirstWorkerPool) {
  auto built = buildCustomJob(makeJob(), camelConfig(), kImage);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const Json& job = *built;
  EXPECT_EQ(job["displayName"], "lj-train-resnet-0123abcd");
  EXPECT_EQ(job["labels"], Json::parse(R"({"team": "vision", "launch-dev-job": "train-resnet",
      "launch-dev-job-uid": "0123abcd-4567-89ef-0123-456789abcdef", "launch-dev-queue": "vertex-gpu"})"));
  const Json& spec = job["jobSpec"];
  EXPECT_FALSE(spec.contains("labels"));
  EXPECT_EQ(spec["serviceAccount"], "trainer@proj.iam.gserviceaccount.com");
  EXPECT_EQ(spec["baseOutputDirectory"]["outputUriPrefix"], "gs://bucket/out");
  EXPECT_EQ(spec["scheduling"]["timeout"], "3600s");
  const Json& chief = spec["workerPoolSpecs"][0]["containerSpec"];
  EXPECT_EQ(chief["imageUri"], kImage);
  EXPECT_EQ(chief["command"], Json({"python", "train.py"}));
  EXPECT_EQ(chief["args"], Json({"--lr", "0.1"}));
  EXPECT_EQ(chief["env"], Json::parse(R"([{"name": "FROM_QUEUE", "value": "q"},
                                          {"name": "WANDB_PROJECT", "value": "vision"}])"));
  const Json& worker = spec["workerPoolSpecs"][1]["containerSpec"];
  EXPECT_EQ(worker["imageUri"], kImage);  // a later pool without an image runs the job's
  EXPECT_EQ(worker["args"], Json({"--worker"}));
  EXPECT_FALSE(worker.contains("command"));
}

TEST(VertexCustomJob, SnakeCaseJobSpecWrapperAndWandbFormsGiveTheSameJob) {
  const Json snake = Json::parse(R"({
    "worker_pool_specs": [
      {"machine_spec": {"machine_type": "n1-standard-8", "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 1},
       "replica_count": 1,
       "container_spec": {"env": {"FROM_QUEUE": "q", "WANDB_PROJECT": "x"}}},
      {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 2, "container_spec": {"args": ["--worker"]}}
    ],
    "service_account": "trainer@proj.iam.gserviceaccount.com",
    "base_output_directory": "gs://bucket/out",
    "scheduling": {"timeout": 3600},
    "labels": {"team": "vision"}
  })");
  Json wrapper = {{"labels", {{"team", "vision"}}}, {"jobSpec", camelConfig()}};
  wrapper["jobSpec"].erase("labels");
  const Json wandb = {
      {"vertex",
       {{"spec",
         {{"worker_pool_specs", snake["worker_pool_specs"]},
          {"staging_bucket", "gs://bucket/out"},
          {"labels", {{"team", "vision"}}}}},
        {"run", {{"service_account", "trainer@proj.iam.gserviceaccount.com"}, {"timeout", 3600}, {"sync", false}}}}}};
  auto expected = buildCustomJob(makeJob(), camelConfig(), kImage);
  ASSERT_TRUE(expected.ok()) << expected.error().message;
  for (const Json& config : {snake, wrapper, wandb}) {
    auto built = buildCustomJob(makeJob(), config, kImage);
    ASSERT_TRUE(built.ok()) << built.error().message << "\n" << config.dump();
    EXPECT_EQ(*built, *expected) << config.dump();
  }
}

TEST(VertexCustomJob, DefaultsTheChiefsReplicaCountAndKeepsTheImagesCommandWhenTheJobHasNone) {
  Json config = Json::parse(R"({"worker_pool_specs": [{"machine_spec": {"machine_type": "e2-standard-4"},
                                                      "container_spec": {"command": ["run.sh"]}}]})");
  api::LaunchJob job = makeJob();
  job.spec.entryPoint.clear();
  job.spec.args.clear();
  job.spec.env.clear();
  auto built = buildCustomJob(job, config, kImage);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const Json& chief = (*built)["jobSpec"]["workerPoolSpecs"][0];
  EXPECT_EQ(chief["replicaCount"], 1);
  EXPECT_EQ(chief["containerSpec"]["command"], Json({"run.sh"}));
  EXPECT_FALSE(chief["containerSpec"].contains("args"));
  EXPECT_FALSE(chief["containerSpec"].contains("env"));
}

struct InvalidCase {
  const char* name;
  std::function<void(Json& config, api::LaunchJob& job, std::string& image)> change;
  const char* mentions;
};

class VertexInvalidConfigTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(VertexInvalidConfigTest, IsRejectedNamingTheField) {
  Json config = camelConfig();
  api::LaunchJob job = makeJob();
  std::string image = kImage;
  GetParam().change(config, job, image);
  auto built = buildCustomJob(job, config, image);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().code, ErrorCode::Invalid);
  EXPECT_NE(built.error().message.find(GetParam().mentions), std::string::npos) << built.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VertexInvalidConfigTest,
    ::testing::Values(
        InvalidCase{"NoWorkerPools", [](Json& c, api::LaunchJob&, std::string&) { c.erase("workerPoolSpecs"); },
                    "workerPoolSpecs (worker_pool_specs) is required"},
        InvalidCase{"EmptyWorkerPools",
                    [](Json& c, api::LaunchJob&, std::string&) { c["workerPoolSpecs"] = Json::array(); },
                    "workerPoolSpecs (worker_pool_specs) is required"},
        InvalidCase{"NoMachineType",
                    [](Json& c, api::LaunchJob&, std::string&) { c["workerPoolSpecs"][0].erase("machineSpec"); },
                    "workerPoolSpecs[0].machineSpec.machineType"},
        InvalidCase{"PythonPackage",
                    [](Json& c, api::LaunchJob&, std::string&) {
                      c["workerPoolSpecs"][0]["pythonPackageSpec"] = {{"executorImageUri", "x"}};
                    },
                    "pythonPackageSpec"},
        InvalidCase{"NoImage", [](Json&, api::LaunchJob&, std::string& image) { image.clear(); }, "imageUri"},
        InvalidCase{
            "BadEnv",
            [](Json& c, api::LaunchJob&, std::string&) { c["workerPoolSpecs"][0]["containerSpec"]["env"] = "A=B"; },
            "containerSpec.env"},
        InvalidCase{"UnknownBesideJobSpec",
                    [](Json& c, api::LaunchJob&, std::string&) {
                      c = {{"jobSpec", c}, {"region", "x"}};
                    },
                    "region"},
        InvalidCase{"UnknownRunField",
                    [](Json& c, api::LaunchJob&, std::string&) {
                      c = {{"spec", {{"worker_pool_specs", c["workerPoolSpecs"]}}}, {"run", {{"machine", 1}}}};
                    },
                    "run.machine"},
        InvalidCase{"LabelsNotMap", [](Json& c, api::LaunchJob&, std::string&) { c["labels"] = "team=x"; },
                    "labels must be a map"},
        InvalidCase{"NotAnObject", [](Json& c, api::LaunchJob&, std::string&) { c = "n1-standard-4"; },
                    "must be an object"},
        InvalidCase{"NoUid", [](Json&, api::LaunchJob& job, std::string&) { job.metadata.uid.clear(); },
                    "metadata.uid"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return std::string(info.param.name); });

struct StateCase {
  const char* state;
  bool started;
  std::optional<api::JobPhase> finished;
  const char* reason;
};

class VertexObservationTest : public ::testing::TestWithParam<StateCase> {};

TEST_P(VertexObservationTest, MapsTheState) {
  const StateCase& c = GetParam();
  const RunObservation seen =
      observeCustomJob(Json{{"name", "projects/1/locations/l/customJobs/2"}, {"state", c.state}});
  EXPECT_TRUE(seen.exists);
  EXPECT_EQ(seen.started, c.started);
  EXPECT_EQ(seen.finished, c.finished);
  EXPECT_EQ(seen.reason, c.reason);
  EXPECT_FALSE(seen.message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    States, VertexObservationTest,
    ::testing::Values(StateCase{"JOB_STATE_QUEUED", false, std::nullopt, "Queued"},
                      StateCase{"JOB_STATE_PENDING", false, std::nullopt, "Pending"},
                      StateCase{"JOB_STATE_RUNNING", true, std::nullopt, "Running"},
                      StateCase{"JOB_STATE_SUCCEEDED", true, api::JobPhase::Succeeded, "Completed"},
                      StateCase{"JOB_STATE_FAILED", false, api::JobPhase::Failed, "Failed"},
                      StateCase{"JOB_STATE_CANCELLING", false, api::JobPhase::Failed, "Cancelled"},
                      StateCase{"JOB_STATE_CANCELLED", false, api::JobPhase::Failed, "Cancelled"},
                      StateCase{"JOB_STATE_EXPIRED", false, api::JobPhase::Failed, "DeadlineExceeded"},
                      StateCase{"JOB_STATE_UNSPECIFIED", false, std::nullopt, "Unknown"},
                      StateCase{"JOB_STATE_SOMETHING_NEW", false, std::nullopt, "Unknown"}));

TEST(VertexObservation, AFailedJobCarriesItsErrorMessageOnOneLine) {
  const Json job = Json::parse(R"({"state": "JOB_STATE_FAILED", "startTime": "2024-05-01T10:00:00Z",
      "error": {"code": 3, "message": "The replica workerpool0-0 exited with a non-zero status of 1.\nTermination reason: Error."}})");
  const RunObservation seen = observeCustomJob(job);
  EXPECT_EQ(seen.finished, api::JobPhase::Failed);
  EXPECT_TRUE(seen.started);  // it had a startTime
  EXPECT_EQ(seen.message, "The replica workerpool0-0 exited with a non-zero status of 1. Termination reason: Error.");
}

struct LabelCase {
  std::string input;
  std::string expected;
};

class VertexLabelValueTest : public ::testing::TestWithParam<LabelCase> {};

TEST_P(VertexLabelValueTest, IsAValidLabelValue) { EXPECT_EQ(vertexLabelValue(GetParam().input), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(Values, VertexLabelValueTest,
                         ::testing::Values(LabelCase{"train", "train"}, LabelCase{"Train.ResNet", "train-resnet"},
                                           LabelCase{"a_b-c9", "a_b-c9"}, LabelCase{"ns/name", "ns-name"},
                                           LabelCase{std::string(80, 'x'), std::string(63, 'x')}, LabelCase{"", ""}));

TEST(VertexJobUidFilter, QuotesTheSanitizedUid) {
  EXPECT_EQ(vertexJobUidFilter("0123abcd-4567"), "labels.launch-dev-job-uid=\"0123abcd-4567\"");
}

TEST(VertexJobName, ParsesResourceNamesAndRejectsOthers) {
  auto name = parseVertexJobName("projects/123456789012/locations/us-central1/customJobs/4311972593401495552");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->project, "123456789012");
  EXPECT_EQ(name->location, "us-central1");
  EXPECT_EQ(name->id, "4311972593401495552");
  for (const char* bad : {"", "projects/p/locations/l/customJobs/", "projects/p/locations/l/trainingPipelines/1",
                          "projects/p/locations/l/customJobs/1/extra", "sagemaker/us-east-1/x",
                          "projects/p/locations/l/customJobs/1?x=y", "projects/../locations/l/customJobs/1:cancel"}) {
    auto rejected = parseVertexJobName(bad);
    EXPECT_FALSE(rejected.ok()) << bad;
  }
}

}  // namespace
}  // namespace launch::backends
