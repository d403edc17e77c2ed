// Tests of the local-process backend with real processes: success, failure with the exit code, cancel
// (SIGTERM, then SIGKILL after the grace period), logs, a clean environment, adoption by a new backend.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "backends/LocalProcessBackend.hpp"

namespace launch::backends {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

api::LaunchJob shellJob(const std::string& name, const std::string& script) {
  api::LaunchJob job;
  job.metadata.name = name;
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123456789abcdef";
  job.spec.queue = "local";
  api::GitSource git;
  git.url = "https://example.com/repo.git";
  job.spec.source = git;
  job.spec.entryPoint = {"sh", "-c"};
  job.spec.args = {script};
  job.spec.env = {{"GREETING", "hello"}};
  return job;
}

// Counts the changes a backend reports per job key and lets a test wait for the next one.
class Changes {
 public:
  RunChanged callback() {
    return [this](const std::string& key) {
      const std::lock_guard lock(mutex_);
      ++seen_[key];
      cv_.notify_all();
    };
  }
  // Waits until more than `after` changes of `key` were reported; returns how many were.
  int waitFor(const std::string& key, int after = 0, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return seen_[key] > after; });
    return seen_[key];
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, int> seen_;
};

class LocalProcessBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("launch-local-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  LocalProcessBackendOptions options() {
    LocalProcessBackendOptions o;
    o.stateDir = dir_;
    o.stopGrace = 1s;
    return o;
  }
  // Observes after each reported change until the run has ended (the backend's notifications say when to look).
  static RunObservation waitForEnd(LocalProcessBackend& backend, const std::string& ref, Changes& changes,
                                   const std::string& key) {
    for (int reported = 0;;) {
      const int now = changes.waitFor(key, reported);
      if (now == reported) {
        ADD_FAILURE() << "no change was reported for " << key << " after " << reported;
        return {};
      }
      reported = now;
      auto seen = backend.observe(ref);
      EXPECT_TRUE(seen) << seen.error().message;
      if (!seen) return {};
      if (seen->finished) return *seen;
    }
  }
  fs::path dir_;
};

TEST_F(LocalProcessBackendTest, RunsToSuccessWithACleanEnvironmentAndLogs) {
  ::setenv("AWS_SECRET_ACCESS_KEY", "agent-secret", 1);
  LocalProcessBackend backend(options());
  Changes changes;
  ASSERT_TRUE(backend.start(changes.callback()).ok());
  const api::LaunchJob job =
      shellJob("ok", "echo \"$GREETING from $LAUNCH_JOB\"; echo \"secret=${AWS_SECRET_ACCESS_KEY:-}\"");
  auto ref = backend.submit({job, Json::object(), "agent", ""});
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(*ref, "local/lj-ok-01234567");
  const RunObservation seen = waitForEnd(backend, *ref, changes, "ml/ok");
  EXPECT_EQ(seen.finished, api::JobPhase::Succeeded);
  EXPECT_EQ(seen.exitCode, 0);
  auto logs = backend.logs(*ref, 4096);
  ASSERT_TRUE(logs);
  EXPECT_NE(logs->find("hello from ml/ok"), std::string::npos) << *logs;
  EXPECT_NE(logs->find("secret=\n"), std::string::npos) << "the agent's environment leaked: " << *logs;
  auto tail = backend.logs(*ref, 5);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->size(), 5U);
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
}

TEST_F(LocalProcessBackendTest, FailsWithTheExitCode) {
  LocalProcessBackend backend(options());
  Changes changes;
  ASSERT_TRUE(backend.start(changes.callback()).ok());
  auto ref = backend.submit({shellJob("three", "exit 3"), Json::object(), "agent", ""});
  ASSERT_TRUE(ref) << ref.error().message;
  const RunObservation seen = waitForEnd(backend, *ref, changes, "ml/three");
  EXPECT_EQ(seen.finished, api::JobPhase::Failed);
  EXPECT_EQ(seen.exitCode, 3);
  EXPECT_NE(seen.message.find("code 3"), std::string::npos) << seen.message;
}

TEST_F(LocalProcessBackendTest, ASecondSubmitFindsTheFirstRun) {
  LocalProcessBackend backend(options());
  Changes changes;
  ASSERT_TRUE(backend.start(changes.callback()).ok());
  const api::LaunchJob job = shellJob("once", "echo started");
  auto first = backend.submit({job, Json::object(), "agent", ""});
  auto second = backend.submit({job, Json::object(), "agent", ""});
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
  waitForEnd(backend, *first, changes, "ml/once");
  auto logs = backend.logs(*first, 4096);
  ASSERT_TRUE(logs);
  EXPECT_EQ(*logs, "started\n");
}

// The start is reported as a change of its own, so a controller that looked before the pid file existed is told
// to look again while the job still runs (a long job would otherwise stay "starting" until it ended).
TEST_F(LocalProcessBackendTest, ReportsTheStartWhileTheJobRuns) {
  LocalProcessBackend backend(options());
  Changes changes;
  ASSERT_TRUE(backend.start(changes.callback()).ok());
  auto ref = backend.submit({shellJob("long", "sleep 30"), Json::object(), "agent", ""});
  ASSERT_TRUE(ref) << ref.error().message;
  ASSERT_GT(changes.waitFor("ml/long"), 0) << "the start of a running job was not reported";
  auto seen = backend.observe(*ref);
  ASSERT_TRUE(seen) << seen.error().message;
  EXPECT_TRUE(seen->started) << seen->message;
  EXPECT_FALSE(seen->finished) << "the change came from the end, not the start";
  ASSERT_TRUE(backend.cancel(*ref).ok());
  const auto cleaned = backend.cleanup(*ref);
  EXPECT_TRUE(cleaned.ok()) << cleaned.error().message;
}

TEST_F(LocalProcessBackendTest, CancelSendsSigtermThenSigkill) {
  LocalProcessBackend backend(options());
  Changes changes;
  ASSERT_TRUE(backend.start(changes.callback()).ok());
  auto polite = backend.submit({shellJob("polite", "sleep 30"), Json::object(), "agent", ""});
  // Ignores SIGTERM (sleep inherits the ignored disposition): only the SIGKILL after the grace period ends it.
  auto stubborn = backend.submit({shellJob("stubborn", "trap '' TERM; sleep 30"), Json::object(), "agent", ""});
  ASSERT_TRUE(polite && stubborn);
  for (const auto& ref : {*polite, *stubborn}) {
    for (int i = 0; i < 100; ++i) {
      auto seen = backend.observe(ref);
      if (seen && seen->started) break;
      std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(100ms);  // let sh install its trap
    ASSERT_TRUE(backend.cancel(ref).ok());
  }
  const auto began = std::chrono::steady_clock::now();
  RunObservation seen = waitForEnd(backend, *polite, changes, "ml/polite");
  EXPECT_EQ(seen.finished, api::JobPhase::Failed);
  EXPECT_EQ(seen.reason, "Cancelled");
  EXPECT_NE(seen.message.find("SIGTERM"), std::string::npos) << seen.message;
  seen = waitForEnd(backend, *stubborn, changes, "ml/stubborn");
  EXPECT_EQ(seen.reason, "Cancelled");
  EXPECT_NE(seen.message.find("SIGKILL"), std::string::npos) << seen.message;
  EXPECT_GE(std::chrono::steady_clock::now() - began, 900ms) << "SIGKILL came before the grace period ended";
  EXPECT_TRUE(backend.cleanup(*polite).ok());
  EXPECT_FALSE(fs::exists(dir_ / "lj-polite-01234567"));
}

TEST_F(LocalProcessBackendTest, ANewBackendAdoptsARunningProcessAndSeesItsEnd) {
  std::string ref;
  {
    LocalProcessBackend first(options());
    Changes changes;
    ASSERT_TRUE(first.start(changes.callback()).ok());
    auto submitted = first.submit({shellJob("adopted", "sleep 1; exit 4"), Json::object(), "agent", ""});
    ASSERT_TRUE(submitted) << submitted.error().message;
    ref = *submitted;
  }  // the first agent is gone; its job is not
  LocalProcessBackend second(options());
  Changes changes;
  ASSERT_TRUE(second.start(changes.callback()).ok());
  auto running = second.observe(ref);
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_TRUE(running->exists);
  EXPECT_FALSE(running->finished) << running->message;
  const RunObservation seen = waitForEnd(second, ref, changes, "ml/adopted");
  EXPECT_EQ(seen.finished, api::JobPhase::Failed);
  EXPECT_EQ(seen.exitCode, 4);
}

TEST_F(LocalProcessBackendTest, RefusesWhatItCannotRun) {
  LocalProcessBackend backend(options());
  ASSERT_TRUE(backend.start({}).ok());
  struct Case {
    api::LaunchJob job;
    const char* field;
  };
  api::LaunchJob image = shellJob("image", "true");
  image.spec.source = api::ImageSource{"busybox"};
  api::LaunchJob noCommand = shellJob("nocommand", "true");
  noCommand.spec.entryPoint.clear();
  api::LaunchJob unknown = shellJob("unknown", "true");
  unknown.spec.entryPoint = {"no-such-program-here"};
  const Case cases[] = {{image, "spec.source.image"}, {noCommand, "spec.entryPoint"}, {unknown, "spec.entryPoint[0]"}};
  for (const auto& c : cases) {
    auto ref = backend.submit({c.job, Json::object(), "agent", ""});
    ASSERT_FALSE(ref) << c.field;
    EXPECT_EQ(ref.error().code, ErrorCode::Invalid);
    EXPECT_EQ(ref.error().message.rfind(c.field, 0), 0U) << ref.error().message;
  }
  auto missing = backend.observe("local/lj-never-01234567");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->exists);
  EXPECT_FALSE(backend.observe("local/../etc"));
}

TEST_F(LocalProcessBackendTest, FindsTheRunAnEarlierSubmitStarted) {
  LocalProcessBackend backend(options());
  Changes changes;
  ASSERT_TRUE(backend.start(changes.callback()).ok());
  const api::LaunchJob job = shellJob("found", "true");
  auto none = backend.findRun(job);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());
  auto ref = backend.submit({job, Json::object(), "agent", ""});
  ASSERT_TRUE(ref) << ref.error().message;
  auto found = backend.findRun(job);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->value_or(""), *ref);
  waitForEnd(backend, *ref, changes, "ml/found");
}

}  // namespace
}  // namespace launch::backends
