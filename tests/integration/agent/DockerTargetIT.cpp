// End to end: LaunchJobs on a Docker queue, run by the real launch-operator (--docker) on the real Docker
// engine with a FROM-scratch image: exit 0 ends Succeeded, exit 3 ends Failed with the code, cancel stops
// and removes the container, and a kill -9 of the operator loses nothing: the running container is adopted
// and tracked to its end, never started twice.
#include <gtest/gtest.h>
#include <signal.h>

#include "docker/DockerEngine.hpp"
#include "support/DockerTestEngine.hpp"
#include "support/OperatorTest.hpp"

namespace launch::testing {
namespace {

constexpr const char* kImage = "launch-it/target:1";

class DockerTargetIT : public OperatorTest {
 protected:
  static void SetUpTestSuite() {
    OperatorTest::SetUpTestSuite();
    auto started = DockerTestEngine::start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    docker_ = new DockerTestEngine(*started);
    auto engine = docker::DockerEngine::connect(docker_->dockerHost);
    ASSERT_TRUE(engine.ok());
    auto context = docker_->busyboxContext("FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n");
    ASSERT_TRUE(context.ok());
    docker::BuildOptions options;
    options.tag = kImage;
    auto built = (*engine)->build(*context, options);
    ASSERT_TRUE(built.ok()) << built.error().message;
  }
  static void TearDownTestSuite() {
    delete docker_;
    docker_ = nullptr;
  }
  void SetUp() override {
    extraOperatorArgs_ = {"--docker", "--docker-host", docker_->dockerHost};
    OperatorTest::SetUp();
    auto engine = docker::DockerEngine::connect(docker_->dockerHost);
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(engine).value();
    createQueue("docker", {{"resource", "docker"}, {"config", {{"memory", "64m"}}}});
    createAgent("agent", {"docker"}, 4);
  }
  void createShellJob(const std::string& name, const std::string& script) {
    createJob(name, "docker",
              {{"source", {{"image", kImage}}}, {"entryPoint", {"/bin/busybox", "sh", "-c"}}, {"args", {script}}});
  }
  // The containers of this test's namespace.
  Json containers() {
    auto listed = engine_->listContainers({{"label", {"launch.dev/namespace=" + ns_}}});
    return listed.ok() ? *listed : Json::array();
  }
  std::string containerOf(const std::string& name) {
    const std::string ref = field(job(name), "status", "backendRef");
    return ref.rfind("docker/container/", 0) == 0 ? ref.substr(17) : "";
  }

  static DockerTestEngine* docker_;
  std::unique_ptr<docker::DockerEngine> engine_;
};

DockerTestEngine* DockerTargetIT::docker_ = nullptr;

TEST_F(DockerTargetIT, ExitCodesBecomePhases) {
  createShellJob("zero", "echo done; exit 0");
  createShellJob("three", "echo broken >&2; exit 3");
  ASSERT_TRUE(eventually([&] { return phase("zero") == "Succeeded"; })) << job("zero").dump();
  ASSERT_TRUE(eventually([&] { return phase("three") == "Failed"; })) << job("three").dump();
  EXPECT_NE(message("three").find("exited with code 3"), std::string::npos) << message("three");
  EXPECT_EQ(finishedReason("three"), "Error");
  EXPECT_FALSE(field(job("zero"), "status", "startTime").empty());
  EXPECT_EQ(field(job("zero"), "status", "image"), kImage);
  // The container is kept for its logs until the LaunchJob is deleted.
  auto logs = engine_->logs(containerOf("three"));
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(logs->stderrText, "broken\n");
  ASSERT_TRUE(client().remove(kLaunchJobs, ns_, "three").ok());
  ASSERT_TRUE(eventually([&] { return !client().get(kLaunchJobs, ns_, "three").ok(); }));
  ASSERT_TRUE(eventually([&] { return containers().size() == 1; })) << "deleting a LaunchJob removes its container";
}

TEST_F(DockerTargetIT, CancelStopsAndRemovesTheContainer) {
  createShellJob("long", "trap 'exit 143' TERM; /bin/busybox sleep 300 & wait");
  ASSERT_TRUE(eventually([&] { return !field(job("long"), "status", "startTime").empty(); })) << job("long").dump();
  const std::string container = containerOf("long");
  ASSERT_FALSE(container.empty());
  ASSERT_TRUE(client().patch(kLaunchJobs, ns_, "long", {{"spec", {{"cancel", true}}}}).ok());
  ASSERT_TRUE(eventually([&] { return phase("long") == "Cancelled"; })) << job("long").dump();
  ASSERT_TRUE(eventually([&] { return !engine_->inspectContainer(container).ok(); }))
      << "the cancelled container is still there";
}

TEST_F(DockerTargetIT, AKilledOperatorAdoptsTheRunningContainer) {
  createShellJob("survivor", "/bin/busybox sleep 4; exit 7");
  ASSERT_TRUE(eventually([&] { return !field(job("survivor"), "status", "startTime").empty(); }))
      << job("survivor").dump();
  operator_->kill(SIGKILL);
  startOperator();
  ASSERT_TRUE(eventually([&] { return phase("survivor") == "Failed"; }, std::chrono::seconds(60)))
      << job("survivor").dump();
  EXPECT_NE(message("survivor").find("code 7"), std::string::npos) << message("survivor");
  EXPECT_EQ(containers().size(), 1U) << "a restart must never start a second container: " << containers().dump();
}

TEST_F(DockerTargetIT, AQueueConfigOutsideTheAllowListFailsTheJobClearly) {
  createQueue("privileged", {{"resource", "docker"}, {"config", {{"privileged", true}}}});
  createAgent("agent2", {"privileged"}, 1);
  createJob("escalate", "privileged", {{"source", {{"image", kImage}}}});
  ASSERT_TRUE(eventually([&] { return phase("escalate") == "Failed"; })) << job("escalate").dump();
  EXPECT_NE(message("escalate").find("spec.config.privileged"), std::string::npos) << message("escalate");
  EXPECT_TRUE(containers().empty());
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
