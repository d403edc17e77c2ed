// Integration: the Docker backend against a real dockerd: a FROM-scratch image run as LaunchJobs that
// succeed and fail with their exit code, changes learnt from the engine's event stream, logs, cancel
// (SIGTERM, then a forced remove after the grace period), adoption by a restarted agent, and pull errors.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <random>
#include <set>

#include "backends/DockerBackend.hpp"
#include "support/DockerTestEngine.hpp"

namespace launch::testing {
namespace {

using namespace std::chrono_literals;
using backends::DockerBackend;
using backends::RunObservation;
using Json = nlohmann::json;

// Records the LaunchJob keys the backend reports and lets a test wait for one.
class Changes {
 public:
  backends::RunChanged callback() {
    return [this](const std::string& key) {
      const std::lock_guard lock(mutex_);
      seen_.insert(key);
      cv_.notify_all();
    };
  }
  bool waitFor(const std::string& key, std::chrono::milliseconds timeout = 30s) {
    std::unique_lock lock(mutex_);
    const bool seen = cv_.wait_for(lock, timeout, [&] { return seen_.count(key) != 0; });
    seen_.erase(key);
    return seen;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::set<std::string> seen_;
};

class DockerBackendIT : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = DockerTestEngine::start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    env_ = new DockerTestEngine(*started);
    auto engine = docker::DockerEngine::connect(env_->dockerHost);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    auto context = env_->busyboxContext("FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n");
    ASSERT_TRUE(context.ok());
    docker::BuildOptions options;
    options.tag = image();
    auto built = (*engine)->build(*context, options);
    ASSERT_TRUE(built.ok()) << built.error().message;
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  static std::string image() { return "launch-it/backend:1"; }

  std::unique_ptr<DockerBackend> makeBackend(Changes& changes) {
    auto engine = docker::DockerEngine::connect(env_->dockerHost);
    EXPECT_TRUE(engine.ok());
    backends::DockerBackendOptions options;
    options.stopGrace = 2s;
    auto backend = std::make_unique<DockerBackend>(std::move(engine).value(), options);
    const Status started = backend->start(changes.callback());
    EXPECT_TRUE(started.ok()) << started.error().message;
    return backend;
  }

  api::LaunchJob job(const std::string& name, const std::string& script) {
    api::LaunchJob j;
    j.metadata.name = name;
    j.metadata.namespace_ = "it";
    j.metadata.uid = uid_;
    j.spec.queue = "docker";
    j.spec.source = api::ImageSource{image()};
    j.spec.entryPoint = {"/bin/busybox", "sh", "-c"};
    j.spec.args = {script};
    j.spec.env = {{"GREETING", "hello"}};
    return j;
  }

  RunObservation observe(DockerBackend& backend, const std::string& ref) {
    auto seen = backend.observe(ref);
    EXPECT_TRUE(seen.ok()) << seen.error().message;
    return seen.ok() ? *seen : RunObservation{};
  }

  void TearDown() override {
    Changes none;
    auto backend = makeBackend(none);
    for (const auto& ref : refs_) (void)backend->cleanup(ref);
  }

  static DockerTestEngine* env_;
  std::string uid_ = std::to_string(10000000 + std::random_device{}() % 89999999) + "-uid";
  std::vector<std::string> refs_;
};

DockerTestEngine* DockerBackendIT::env_ = nullptr;

TEST_F(DockerBackendIT, RunsToTheEndAndReportsTheExitCode) {
  Changes changes;
  auto backend = makeBackend(changes);
  const Json config = {{"memory", "64m"}, {"cpus", 0.5}};
  auto ok = backend->submit({job("ok", "echo $GREETING from scratch; exit 0"), config, "agent", image()});
  auto three = backend->submit({job("three", "echo failing >&2; exit 3"), config, "agent", image()});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_TRUE(three.ok()) << three.error().message;
  refs_ = {*ok, *three};

  // The event stream says when each one ends: no polling.
  ASSERT_TRUE(changes.waitFor("it/ok"));
  for (int i = 0; i < 50 && !observe(*backend, *ok).finished; ++i) ASSERT_TRUE(changes.waitFor("it/ok"));
  RunObservation seen = observe(*backend, *ok);
  EXPECT_EQ(seen.finished, api::JobPhase::Succeeded) << seen.message;
  EXPECT_EQ(seen.exitCode, 0);
  auto logs = backend->logs(*ok, 4096);
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(*logs, "hello from scratch\n");

  for (int i = 0; i < 50 && !observe(*backend, *three).finished; ++i) ASSERT_TRUE(changes.waitFor("it/three"));
  seen = observe(*backend, *three);
  EXPECT_EQ(seen.finished, api::JobPhase::Failed);
  EXPECT_EQ(seen.exitCode, 3);
  EXPECT_NE(seen.message.find("code 3"), std::string::npos) << seen.message;
  logs = backend->logs(*three, 4096);
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(*logs, "failing\n");
}

TEST_F(DockerBackendIT, CancelStopsAndRemovesTheContainer) {
  Changes changes;
  auto backend = makeBackend(changes);
  // PID 1 in a container ignores SIGTERM unless it handles it: only the forced remove ends this one.
  auto ref = backend->submit({job("sleepy", "/bin/busybox sleep 300"), Json::object(), "agent", image()});
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  refs_ = {*ref};
  ASSERT_TRUE(changes.waitFor("it/sleepy"));  // started
  EXPECT_TRUE(observe(*backend, *ref).started);
  const auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(backend->cancel(*ref).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1s) << "cancel waited for the grace period";
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !observe(*backend, *ref).exists;
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(gone) << "the cancelled container was not removed";
  EXPECT_GE(std::chrono::steady_clock::now() - began, 1900ms) << "removed before the grace period ended";
  EXPECT_TRUE(backend->cancel(*ref).ok()) << "cancelling a run that is gone must succeed";
}

TEST_F(DockerBackendIT, ARestartedAgentAdoptsItsRunningContainer) {
  std::string ref;
  const api::LaunchJob j = job("adopted", "/bin/busybox sleep 3; exit 5");
  {
    Changes changes;
    auto first = makeBackend(changes);
    auto submitted = first->submit({j, Json::object(), "agent", image()});
    ASSERT_TRUE(submitted.ok()) << submitted.error().message;
    ref = *submitted;
    refs_ = {ref};
    ASSERT_TRUE(changes.waitFor("it/adopted"));
  }  // the first agent stops; its container keeps running
  Changes changes;
  auto second = makeBackend(changes);
  auto again = second->submit({j, Json::object(), "agent", image()});  // a retried submit finds it
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, ref);
  auto engine = docker::DockerEngine::connect(env_->dockerHost);
  auto listed = (*engine)->listContainers({{"label", {"launch.dev/job-uid=" + uid_}}});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1U) << "a second container was made: " << listed->dump();
  RunObservation seen = observe(*second, ref);
  EXPECT_TRUE(seen.started);
  EXPECT_FALSE(seen.finished);
  for (int i = 0; i < 50 && !observe(*second, ref).finished; ++i) ASSERT_TRUE(changes.waitFor("it/adopted"));
  seen = observe(*second, ref);
  EXPECT_EQ(seen.finished, api::JobPhase::Failed);
  EXPECT_EQ(seen.exitCode, 5);
}

TEST_F(DockerBackendIT, AnImageThatCannotBePulledFailsAsErrImagePull) {
  Changes changes;
  auto backend = makeBackend(changes);
  const std::string missing = env_->registry + "/launch-it/missing:404";
  auto ref = backend->submit({job("missing", "true"), Json::object(), "agent", missing});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().reason, "ErrImagePull") << ref.error().message;
  EXPECT_NE(ref.error().message.find("launch-it/missing"), std::string::npos) << ref.error().message;
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
