// DockerBuilder against a fake Engine API: the context it sends, the push and its credentials, failures
// inside the 200 stream, a refused push, the local-image skip, the fixed pool, cancel, cleanup, and
// throttled progress reports.
#include "build/DockerBuilder.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "fakes/FakeHttpServer.hpp"
#include "registry/StaticCredentialSource.hpp"
#include "support/Eventually.hpp"
#include "util/Base64.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The parts of the Engine API a build uses, with knobs for failures and a gate that holds builds.
class FakeEngine {
 public:
  FakeEngine() {
    auto& s = server_.server();
    s.Get(R"(/v1\.41/images/(.+)/json)", [this](const httplib::Request& req, httplib::Response& res) {
      const std::lock_guard lock(mutex_);
      res.status = localImages.count(req.matches[1]) != 0 ? 200 : 404;
      res.set_content(res.status == 200 ? "{}" : R"({"message":"No such image"})", "application/json");
    });
    s.Post(R"(/v1\.41/build)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::unique_lock lock(mutex_);
        ++builds;
        ++active;
        maxActive = std::max(maxActive, active);
        lastTag = req.get_param_value("t");
        lastDockerfile = req.get_param_value("dockerfile");
        lastLabels = json::parse(req.get_param_value("labels"), nullptr, false);
        auto entries = readTar(req.body);
        if (entries.ok()) {
          lastContext.clear();
          for (const auto& e : *entries) lastContext[e.path] = e.content;
        }
        released_.wait_for(lock, std::chrono::seconds(10), [this] { return !holdBuilds; });
        --active;
      }
      std::string body;
      for (int i = 0; i < 50; ++i)
        body += json{{"stream", "Step " + std::to_string(i + 1) + "/50 : RUN x\n"}}.dump() + "\n";
      if (buildError.empty()) {
        body += json{{"aux", {{"ID", "sha256:1234"}}}}.dump() + "\n";
      } else {
        body += json{{"errorDetail", {{"message", buildError}}}, {"error", buildError}}.dump() + "\n";
      }
      res.set_content(body, "application/json");
    });
    s.Post(R"(/v1\.41/images/(.+)/push)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        const std::lock_guard lock(mutex_);
        ++pushes;
        lastPushRepository = req.matches[1];
        lastPushTag = req.get_param_value("tag");
        lastAuth = json::parse(base64Decode(req.get_header_value("X-Registry-Auth")).value_or("null"), nullptr, false);
      }
      std::string body = json{{"status", "Pushing"}}.dump() + "\n";
      if (pushError.empty()) {
        body += json{{"aux", {{"Tag", "t"}, {"Digest", "sha256:feed"}, {"Size", 1}}}}.dump() + "\n";
      } else {
        body += json{{"errorDetail", {{"message", pushError}}}, {"error", pushError}}.dump() + "\n";
      }
      res.set_content(body, "application/json");
    });
    server_.start();
  }

  std::unique_ptr<docker::DockerEngine> connect() {
    auto engine = docker::DockerEngine::connect("tcp://127.0.0.1:" + std::to_string(server_.port()));
    EXPECT_TRUE(engine.ok());
    return std::move(engine).value();
  }
  void hold() {
    const std::lock_guard lock(mutex_);
    holdBuilds = true;
  }
  void release() {
    {
      const std::lock_guard lock(mutex_);
      holdBuilds = false;
    }
    released_.notify_all();
  }
  template <typename F>
  auto locked(F&& read) {
    const std::lock_guard lock(mutex_);
    return read();
  }

  // Settings and what was seen; read with locked() while builds may run.
  std::set<std::string> localImages;
  std::string buildError;
  std::string pushError;
  int builds = 0;
  int active = 0;
  int maxActive = 0;
  int pushes = 0;
  bool holdBuilds = false;
  std::string lastTag, lastDockerfile, lastPushRepository, lastPushTag;
  json lastLabels, lastAuth;
  std::map<std::string, std::string> lastContext;

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  testing::FakeHttpServer server_;
};

class DockerBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = fs::temp_directory_path() /
               ("docker-builder-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(context_);
    fs::create_directories(context_);
    std::ofstream(context_ / "train.py") << "print('hi')\n";
  }
  void TearDown() override {
    builder_.reset();
    fs::remove_all(context_);
  }

  void makeBuilder(DockerBuilderOptions options) {
    options.credentials = std::make_shared<registry::StaticCredentialSource>(
        registry::RegistryCredentials{"pusher", "s3cret", ""}, "test");
    options.credentialsHint = "check Secret regcred";
    builder_ = std::make_unique<DockerBuilder>(engine_.connect(), std::move(options));
    ASSERT_TRUE(builder_
                    ->start([this](const std::string& key) {
                      const std::lock_guard lock(reportsMutex_);
                      reports_.push_back(key);
                    })
                    .ok());
  }
  api::LaunchJob job(const std::string& name, const std::string& uid = "") {
    api::LaunchJob j;
    j.metadata.namespace_ = "ml";
    j.metadata.name = name;
    j.metadata.uid = uid.empty() ? "uid-" + name : uid;
    return j;
  }
  Status submit(const api::LaunchJob& j, const std::string& image = "registry.test:5000/launch/build:abc") {
    const CheckedOutSource source{context_, context_, "git:1"};
    return builder_->submit({j, source, "Dockerfile.launch", "FROM python:3.12-slim\nCOPY . .\n", image});
  }
  BuildObservation awaitEnd(const api::LaunchJob& j) {
    BuildObservation seen;
    EXPECT_TRUE(testing::eventually([&] {
      auto observed = builder_->observe(j);
      if (!observed.ok()) return false;
      seen = *observed;
      return seen.succeeded.has_value();
    }));
    return seen;
  }
  std::size_t reportsFor(const std::string& key) {
    const std::lock_guard lock(reportsMutex_);
    return static_cast<std::size_t>(std::count(reports_.begin(), reports_.end(), key));
  }

  FakeEngine engine_;
  fs::path context_;
  std::unique_ptr<DockerBuilder> builder_;
  std::mutex reportsMutex_;
  std::vector<std::string> reports_;
};

TEST_F(DockerBuilderTest, BuildsTheContextAndPushesWithTheCredentials) {
  makeBuilder({});
  const auto j = job("train");
  ASSERT_TRUE(submit(j).ok());
  const BuildObservation seen = awaitEnd(j);
  ASSERT_TRUE(seen.succeeded.value_or(false)) << seen.reason << ": " << seen.message;
  EXPECT_EQ(seen.digest, "sha256:feed");
  EXPECT_TRUE(seen.exists);
  engine_.locked([&] {
    EXPECT_EQ(engine_.lastTag, "registry.test:5000/launch/build:abc");
    EXPECT_EQ(engine_.lastDockerfile, "Dockerfile.launch");
    EXPECT_EQ(engine_.lastContext["Dockerfile.launch"], "FROM python:3.12-slim\nCOPY . .\n");
    EXPECT_EQ(engine_.lastContext["train.py"], "print('hi')\n");
    EXPECT_EQ(engine_.lastLabels.value("launch.dev/built-for", ""), "ml/train");
    EXPECT_EQ(engine_.lastPushRepository, "registry.test:5000/launch/build");
    EXPECT_EQ(engine_.lastPushTag, "abc");
    EXPECT_EQ(engine_.lastAuth.value("username", ""), "pusher");
    EXPECT_EQ(engine_.lastAuth.value("password", ""), "s3cret");
    EXPECT_EQ(engine_.lastAuth.value("serveraddress", ""), "registry.test:5000");
    return 0;
  });
  EXPECT_GE(reportsFor("ml/train"), 1U) << "the end of a build is reported";
  auto logs = builder_->logs(j, 1 << 20);
  ASSERT_TRUE(logs.ok());
  EXPECT_NE(logs->find("Step 50/50 : RUN x"), std::string::npos) << *logs;
  EXPECT_EQ(builder_->buildsRun(), 1U);
}

TEST_F(DockerBuilderTest, ProgressIsReportedAtMostOncePerInterval) {
  DockerBuilderOptions options;
  options.progressInterval = std::chrono::hours(1);
  makeBuilder(options);
  const auto j = job("chatty");
  ASSERT_TRUE(submit(j).ok());
  ASSERT_TRUE(awaitEnd(j).succeeded.value_or(false));
  // 50 build lines and 2 push lines: the first progress line, the push starting and the end; no more.
  EXPECT_LE(reportsFor("ml/chatty"), 3U);
}

struct FailureCase {
  const char* name;
  std::string buildError;
  std::string pushError;
  const char* reason;
  std::vector<std::string> messageHas;
};

class BuildFailures : public DockerBuilderTest, public ::testing::WithParamInterface<FailureCase> {};

TEST_P(BuildFailures, EndTheBuildWithTheReasonAndTheEnginesWords) {
  engine_.buildError = GetParam().buildError;
  engine_.pushError = GetParam().pushError;
  makeBuilder({});
  const auto j = job("broken");
  ASSERT_TRUE(submit(j).ok());
  const BuildObservation seen = awaitEnd(j);
  ASSERT_TRUE(seen.succeeded.has_value());
  EXPECT_FALSE(*seen.succeeded);
  EXPECT_EQ(seen.reason, GetParam().reason);
  for (const auto& text : GetParam().messageHas) {
    EXPECT_NE(seen.message.find(text), std::string::npos) << seen.message;
  }
  EXPECT_EQ(seen.message.find("s3cret"), std::string::npos) << "a password in a message";
}

INSTANTIATE_TEST_SUITE_P(
    DockerBuilder, BuildFailures,
    ::testing::Values(FailureCase{"RunFalse",
                                  "The command '/bin/sh -c false' returned a non-zero code: 1",
                                  "",
                                  "BuildFailed",
                                  {"returned a non-zero code: 1"}},
                      FailureCase{"CopyMissing",
                                  "COPY failed: file not found in build context: stat missing.txt",
                                  "",
                                  "BuildFailed",
                                  {"missing.txt"}},
                      FailureCase{"PushUnauthorized",
                                  "",
                                  "unauthorized: authentication required",
                                  "PushFailed",
                                  {"unauthorized", "check Secret regcred"}},
                      FailureCase{"PushBroken", "", "blob upload unknown", "PushFailed", {"blob upload unknown"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(DockerBuilderTest, WithoutARegistryAnImageTheEngineHasIsNotBuiltAgain) {
  engine_.localImages.insert("localhost/launch-build:abc");
  DockerBuilderOptions options;
  options.push = false;
  makeBuilder(options);
  const auto j = job("again");
  ASSERT_TRUE(submit(j, "localhost/launch-build:abc").ok());
  const BuildObservation seen = awaitEnd(j);
  EXPECT_TRUE(seen.succeeded.value_or(false)) << seen.message;
  EXPECT_NE(seen.message.find("already"), std::string::npos) << seen.message;
  EXPECT_EQ(builder_->buildsRun(), 0U);
  EXPECT_EQ(engine_.locked([&] { return engine_.builds + engine_.pushes; }), 0);

  const auto other = job("new");
  ASSERT_TRUE(submit(other, "localhost/launch-build:def").ok());
  EXPECT_TRUE(awaitEnd(other).succeeded.value_or(false));
  EXPECT_EQ(engine_.locked([&] { return engine_.builds; }), 1);
  EXPECT_EQ(engine_.locked([&] { return engine_.pushes; }), 0) << "nowhere to push without a registry";
}

TEST_F(DockerBuilderTest, BuildsRunOnTheFixedPoolAndOncePerJob) {
  DockerBuilderOptions options;
  options.threads = 2;
  makeBuilder(options);
  engine_.hold();
  std::vector<api::LaunchJob> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(job("j" + std::to_string(i)));
  for (const auto& j : jobs) ASSERT_TRUE(submit(j).ok()) << "submit returns at once, even with the pool busy";
  ASSERT_TRUE(submit(jobs[0]).ok());  // a retried submit finds the first build
  ASSERT_TRUE(testing::eventually([&] { return engine_.locked([&] { return engine_.active; }) == 2; }));
  engine_.release();
  for (const auto& j : jobs) EXPECT_TRUE(awaitEnd(j).succeeded.value_or(false));
  EXPECT_EQ(engine_.locked([&] { return engine_.builds; }), 5);
  EXPECT_EQ(engine_.locked([&] { return engine_.maxActive; }), 2) << "never more builds at once than threads";
}

TEST_F(DockerBuilderTest, ACancelledWaitingBuildNeverRuns) {
  makeBuilder({});  // one thread
  engine_.hold();
  const auto first = job("first");
  const auto second = job("second");
  ASSERT_TRUE(submit(first).ok());
  ASSERT_TRUE(testing::eventually([&] { return engine_.locked([&] { return engine_.active; }) == 1; }));
  ASSERT_TRUE(submit(second).ok());
  ASSERT_TRUE(builder_->cancel(second).ok());
  engine_.release();
  EXPECT_TRUE(awaitEnd(first).succeeded.value_or(false));
  const BuildObservation seen = awaitEnd(second);
  EXPECT_FALSE(seen.succeeded.value_or(true));
  EXPECT_EQ(seen.reason, "Cancelled");
  EXPECT_EQ(engine_.locked([&] { return engine_.builds; }), 1);
}

TEST_F(DockerBuilderTest, CleanupForgetsAndARecreatedJobIsANewBuild) {
  makeBuilder({});
  const auto j = job("train");
  ASSERT_TRUE(submit(j).ok());
  ASSERT_TRUE(awaitEnd(j).succeeded.value_or(false));
  EXPECT_FALSE(builder_->observe(job("train", "another-uid"))->exists) << "a recreated job has no build yet";
  ASSERT_TRUE(builder_->cleanup(j).ok());
  EXPECT_FALSE(builder_->observe(j)->exists);
  EXPECT_TRUE(builder_->cleanup(j).ok()) << "cleanup is idempotent";
  EXPECT_TRUE(builder_->cancel(j).ok()) << "cancelling an unknown build is fine";
  EXPECT_FALSE(builder_->logs(j, 100).ok());
}

TEST(SplitImageTag, SplitsAtTheTagColonOnly) {
  EXPECT_EQ(splitImageTag("127.0.0.1:5000/a/b:t1"),
            std::make_pair(std::string("127.0.0.1:5000/a/b"), std::string("t1")));
  EXPECT_EQ(splitImageTag("127.0.0.1:5000/a/b"),
            std::make_pair(std::string("127.0.0.1:5000/a/b"), std::string("latest")));
  EXPECT_EQ(splitImageTag("busybox"), std::make_pair(std::string("busybox"), std::string("latest")));
}

}  // namespace
}  // namespace launch::build
