// Unit tests of the Docker container config built for a LaunchJob, the queue config allow-list, and how an
// inspected container reads back (table-driven).
#include <gtest/gtest.h>

#include "backends/DockerBackend.hpp"
#include "backends/DockerRunConfig.hpp"

namespace launch::backends {
namespace {

using Json = nlohmann::json;

api::LaunchJob makeJob() {
  api::LaunchJob job;
  job.metadata.name = "train";
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123456789abcdef";
  job.spec.queue = "local-docker";
  job.spec.source = api::ImageSource{"registry/train:1"};
  job.spec.entryPoint = {"/bin/sh", "-c"};
  job.spec.args = {"exit 3"};
  job.spec.env = {{"WANDB_PROJECT", "vision"}};
  return job;
}

TEST(DockerRunConfig, CarriesTheJobAndItsLabels) {
  const api::LaunchJob job = makeJob();
  const Json config = Json::object();
  auto container = buildDockerContainer({job, config, "agent-a", "registry/train:1"});
  ASSERT_TRUE(container) << container.error().message;
  EXPECT_EQ((*container)["Image"], "registry/train:1");
  EXPECT_EQ((*container)["Entrypoint"], Json({"/bin/sh", "-c"}));
  EXPECT_EQ((*container)["Cmd"], Json({"exit 3"}));
  EXPECT_EQ((*container)["Env"], Json({"WANDB_PROJECT=vision"}));
  const Json& labels = (*container)["Labels"];
  EXPECT_EQ(labels["launch.dev/job"], "train");
  EXPECT_EQ(labels["launch.dev/namespace"], "ml");
  EXPECT_EQ(labels["launch.dev/job-uid"], "0123456789abcdef");
  EXPECT_EQ(labels["launch.dev/queue"], "local-docker");
  EXPECT_EQ(labels["launch.dev/agent"], "agent-a");
  EXPECT_EQ((*container)["HostConfig"]["RestartPolicy"]["Name"], "no");
}

TEST(DockerRunConfig, MapsTheAllowedResourceSettings) {
  struct Case {
    Json config;
    const char* pointer;
    Json expected;
  };
  const Case cases[] = {
      {{{"cpus", 1.5}}, "/HostConfig/NanoCpus", 1500000000},
      {{{"cpus", "2"}}, "/HostConfig/NanoCpus", 2000000000},
      {{{"memory", "512m"}}, "/HostConfig/Memory", 512LL * 1024 * 1024},
      {{{"memory", "2GiB"}}, "/HostConfig/Memory", 2LL * 1024 * 1024 * 1024},
      {{{"memory", 1048576}}, "/HostConfig/Memory", 1048576},
      {{{"shm_size", "64m"}}, "/HostConfig/ShmSize", 64LL * 1024 * 1024},
      {{{"shmSize", "1g"}}, "/HostConfig/ShmSize", 1024LL * 1024 * 1024},
      {{{"gpus", "all"}}, "/HostConfig/DeviceRequests/0/Count", -1},
      {{{"gpus", 2}}, "/HostConfig/DeviceRequests/0/Count", 2},
      {{{"gpus", "0,3"}}, "/HostConfig/DeviceRequests/0/DeviceIDs", Json({"0", "3"})},
      {{{"gpus", "all"}}, "/HostConfig/DeviceRequests/0/Capabilities", Json({Json({"gpu"})})},
  };
  const api::LaunchJob job = makeJob();
  for (const auto& c : cases) {
    auto container = buildDockerContainer({job, c.config, "a", "img"});
    ASSERT_TRUE(container) << c.config.dump() << ": " << container.error().message;
    EXPECT_EQ(container->at(Json::json_pointer(c.pointer)), c.expected) << c.config.dump();
  }
}

TEST(DockerRunConfig, RefusesWhatIsNotAllowedAndNamesTheField) {
  struct Case {
    Json config;
    const char* field;
  };
  const Case cases[] = {
      {{{"privileged", true}}, "spec.config.privileged"},
      {{{"network", "host"}}, "spec.config.network"},
      {{{"memory", "lots"}}, "spec.config.memory"},
      {{{"memory", "5x"}}, "spec.config.memory"},
      {{{"memory", -1}}, "spec.config.memory"},
      {{{"cpus", 0}}, "spec.config.cpus"},
      {{{"cpus", "many"}}, "spec.config.cpus"},
      {{{"gpus", "0,,1"}}, "spec.config.gpus"},
      {{{"gpus", -2}}, "spec.config.gpus"},
      {{{"shm_size", true}}, "spec.config.shm_size"},
  };
  const api::LaunchJob job = makeJob();
  for (const auto& c : cases) {
    auto container = buildDockerContainer({job, c.config, "a", "img"});
    ASSERT_FALSE(container) << c.config.dump();
    EXPECT_EQ(container.error().code, ErrorCode::Invalid);
    EXPECT_NE(container.error().message.find(c.field), std::string::npos) << container.error().message;
  }
  auto noImage = buildDockerContainer({job, Json::object(), "a", ""});
  ASSERT_FALSE(noImage);
  EXPECT_NE(noImage.error().message.find("image"), std::string::npos);
}

TEST(DockerRunConfig, ReadsAnInspectedContainer) {
  struct Case {
    Json state;
    bool started;
    std::optional<api::JobPhase> finished;
    const char* reason;
    std::optional<int> exitCode;
  };
  const Case cases[] = {
      {{{"Status", "created"}}, false, std::nullopt, "", std::nullopt},
      {{{"Status", "running"}}, true, std::nullopt, "Running", std::nullopt},
      {{{"Status", "exited"}, {"ExitCode", 0}}, true, api::JobPhase::Succeeded, "Completed", 0},
      {{{"Status", "exited"}, {"ExitCode", 3}}, true, api::JobPhase::Failed, "Error", 3},
      {{{"Status", "exited"}, {"ExitCode", 137}, {"OOMKilled", true}}, true, api::JobPhase::Failed, "OOMKilled", 137},
      {{{"Status", "dead"}, {"ExitCode", 1}}, true, api::JobPhase::Failed, "Error", 1},
  };
  for (const auto& c : cases) {
    const RunObservation seen = observeDockerContainer({{"State", c.state}});
    EXPECT_TRUE(seen.exists);
    EXPECT_EQ(seen.started, c.started) << c.state.dump();
    EXPECT_EQ(seen.finished, c.finished) << c.state.dump();
    EXPECT_EQ(seen.reason, c.reason) << c.state.dump();
    EXPECT_EQ(seen.exitCode, c.exitCode) << c.state.dump();
  }
}

TEST(BackendRef, NamesTheBackendThatMadeIt) {
  struct Case {
    const char* ref;
    std::optional<api::QueueResource> resource;
  };
  const Case cases[] = {
      {"batch/v1/Job/ml/lj-a-0123", api::QueueResource::Kubernetes},
      {"docker/container/lj-a-0123", api::QueueResource::Docker},
      {"local/lj-a-0123", api::QueueResource::LocalProcess},
      {"sagemaker/us-east-1/lj-a-0123", api::QueueResource::SageMaker},
      {"projects/p/locations/us-central1/customJobs/42", api::QueueResource::Vertex},
      {"projects/p/locations/us-central1/other/42", std::nullopt},
      {"something/else", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(resourceOfRef(c.ref), c.resource) << c.ref;
}

}  // namespace
}  // namespace launch::backends
