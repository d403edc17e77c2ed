// BuildPlan: which Dockerfile a job is built with (named, the source's own, generated), the errors that
// name the field to fix, the image name and tag, and GPU detection in resolved configs.
#include "build/BuildPlan.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "build/ContentTag.hpp"

namespace launch::build {
namespace {

namespace fs = std::filesystem;

class BuildPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("build-plan-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "jobs/docker");
    source_ = CheckedOutSource{root_, root_ / "jobs", "git:1111111111111111111111111111111111111111"};
    job_.metadata.name = "train";
    job_.metadata.namespace_ = "ml";
    job_.spec.entryPoint = {"python", "train.py"};
    git_.url = "https://example.com/repo.git";
    job_.spec.source = git_;
  }
  void TearDown() override { fs::remove_all(root_); }

  Result<BuildPlan> plan(bool gpu = false) {
    job_.spec.source = git_;
    return planBuild({job_, source_, generator_, "registry.example.com/launch", "", gpu});
  }

  fs::path root_;
  CheckedOutSource source_;
  api::LaunchJob job_;
  api::GitSource git_;
  DockerfileGenerator generator_{DockerfileSettings{"python:3.12-slim", "nvidia/cuda:12.4.1-runtime-ubuntu22.04"}};
};

TEST_F(BuildPlanTest, TheSourcesOwnDockerfileIsUsed) {
  std::ofstream(root_ / "jobs/Dockerfile") << "FROM scratch\n";
  auto p = plan();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_FALSE(p->generated);
  EXPECT_EQ(p->dockerfilePath, "Dockerfile");
  EXPECT_EQ(p->dockerfile, "FROM scratch\n");
  EXPECT_EQ(p->tag, contentTag({source_.identity, "jobs", "FROM scratch\n", {}, ""}));
  EXPECT_EQ(p->image, "registry.example.com/launch:" + p->tag);
}

TEST_F(BuildPlanTest, TheNamedDockerfileWinsOverTheDefault) {
  std::ofstream(root_ / "jobs/Dockerfile") << "FROM scratch\n";
  std::ofstream(root_ / "jobs/docker/Dockerfile.gpu") << "FROM nvidia/cuda\n";
  git_.dockerfile = "docker/Dockerfile.gpu";
  auto p = plan();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->dockerfilePath, "docker/Dockerfile.gpu");
  EXPECT_EQ(p->dockerfile, "FROM nvidia/cuda\n");
}

TEST_F(BuildPlanTest, WithoutADockerfileOneIsGenerated) {
  std::ofstream(root_ / "jobs/requirements.txt") << "numpy\n";
  auto p = plan();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->generated);
  EXPECT_EQ(p->dockerfilePath, kGeneratedDockerfileName);
  EXPECT_NE(p->dockerfile.find("RUN pip install -r requirements.txt"), std::string::npos) << p->dockerfile;
  EXPECT_NE(p->dockerfile.find("FROM python:3.12-slim"), std::string::npos);
  auto gpu = plan(true);
  ASSERT_TRUE(gpu.ok());
  EXPECT_NE(gpu->dockerfile.find("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04"), std::string::npos);
  EXPECT_NE(gpu->tag, p->tag) << "a different Dockerfile is a different image";
}

struct BadPlanCase {
  const char* name;
  std::string dockerfile;  // spec.source.git.dockerfile
  bool entryPoint;         // the job has one
  const char* messageHas;
};

class BadPlans : public BuildPlanTest, public ::testing::WithParamInterface<BadPlanCase> {};

TEST_P(BadPlans, NameTheFieldToFix) {
  git_.dockerfile = GetParam().dockerfile;
  if (!GetParam().entryPoint) job_.spec.entryPoint.clear();
  auto p = plan();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::Invalid);
  EXPECT_NE(p.error().message.find(GetParam().messageHas), std::string::npos) << p.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    BuildPlan, BadPlans,
    ::testing::Values(BadPlanCase{"NamedDockerfileMissing", "docker/Nope", true, "spec.source.git.dockerfile"},
                      BadPlanCase{"NamedDockerfileOutside", "../../etc/passwd", true, "leaves the build context"},
                      BadPlanCase{"GeneratedWithoutEntryPoint", "", false, "spec.entryPoint"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(BuildPlanTest, TheContextPathIsPartOfTheTag) {
  std::ofstream(root_ / "jobs/Dockerfile") << "FROM scratch\n";
  std::ofstream(root_ / "Dockerfile") << "FROM scratch\n";
  auto inJobs = plan();
  source_.context = root_;
  auto atRoot = plan();
  ASSERT_TRUE(inJobs.ok() && atRoot.ok());
  EXPECT_NE(inJobs->tag, atRoot->tag) << "the same commit and Dockerfile in another directory is another image";
}

struct GpuCase {
  const char* name;
  const char* config;
  bool gpu;
};

class GpuConfigs : public ::testing::TestWithParam<GpuCase> {};

TEST_P(GpuConfigs, AreDetected) {
  EXPECT_EQ(configWantsGpu(nlohmann::json::parse(GetParam().config)), GetParam().gpu) << GetParam().config;
}

INSTANTIATE_TEST_SUITE_P(
    BuildPlan, GpuConfigs,
    ::testing::Values(
        GpuCase{"Empty", "{}", false},
        GpuCase{"KubernetesLimit",
                R"({"spec":{"template":{"spec":{"containers":[{"resources":{"limits":{"nvidia.com/gpu":1}}}]}}}})",
                true},
        GpuCase{"KubernetesZero",
                R"({"spec":{"template":{"spec":{"containers":[{"resources":{"limits":{"nvidia.com/gpu":0}}}]}}}})",
                false},
        GpuCase{"DockerGpus", R"({"gpus":"all"})", true},
        GpuCase{"DockerDeviceRequests", R"({"DeviceRequests":[{"Count":-1}]})", true},
        GpuCase{"CpuAndMemory", R"({"memory":"64m","cpus":2})", false}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace launch::build
