// End to end: LaunchJobs on a local-process queue, run by the real launch-operator (--local-process-dir)
// from a git repository the test makes and serves with git daemon: the code is checked out, run in its own process
// group, and ends Succeeded or Failed with its exit code; cancel stops it; a kill -9 of the operator loses nothing.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cloud/S3Client.hpp"
#include "cloud/SigV4Signer.hpp"
#include "support/FreePort.hpp"
#include "support/MotoServer.hpp"
#include "support/OperatorTest.hpp"
#include "util/Crypto.hpp"
#include "util/Subprocess.hpp"
#include "util/TarArchive.hpp"

namespace launch::testing {
namespace {

namespace fs = std::filesystem;

class LocalProcessTargetIT : public OperatorTest {
 protected:
  void SetUp() override {
    state_ = plane().directory() + "/local-" + std::to_string(++counter_);
    extraOperatorArgs_ = {"--local-process-dir", state_};
    OperatorTest::SetUp();
    // The job's code: a git repository with a script in a subdirectory.
    repo_ = plane().directory() + "/repo-" + ns_;
    fs::create_directories(repo_ + "/jobs");
    std::ofstream(repo_ + "/jobs/run.sh") << "echo \"running $0 in $(basename \"$PWD\") with $MESSAGE\"\n"
                                             "if [ \"$1\" = sleep ]; then sleep 300; fi\n"
                                             "if [ \"$1\" = nap ]; then sleep 3; fi\n"
                                             "exit \"${2:-0}\"\n";
    auto committed =
        runProcess({"sh", "-c", "cd " + repo_ + " && git init -q -b main && git add . && git commit -qm job"},
                   {{"GIT_AUTHOR_NAME", "t"},
                    {"GIT_AUTHOR_EMAIL", "t@x"},
                    {"GIT_COMMITTER_NAME", "t"},
                    {"GIT_COMMITTER_EMAIL", "t@x"}});
    ASSERT_TRUE(committed && committed->exitCode == 0);
    // Served by `git daemon` on loopback, as a git server would serve it.
    const int port = freeLoopbackPort();
    auto daemon = runProcess({"git", "daemon", "--detach", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
                              "--port=" + std::to_string(port), "--pid-file=" + repo_ + ".pid",
                              "--base-path=" + plane().directory(), plane().directory()});
    ASSERT_TRUE(daemon && daemon->exitCode == 0) << (daemon ? daemon->stderrText : daemon.error().message);
    url_ = "git://127.0.0.1:" + std::to_string(port) + "/repo-" + ns_;
    ASSERT_TRUE(eventually([&] {
      auto listed = runProcess({"git", "ls-remote", url_});
      return listed && listed->exitCode == 0;
    })) << "git daemon does not answer";
    createQueue("local", {{"resource", "local-process"}});
    createAgent("agent", {"local"}, 4);
  }
  void TearDown() override {
    std::ifstream pid(repo_ + ".pid");
    int daemon = 0;
    if (pid >> daemon && daemon > 0) ::kill(daemon, SIGTERM);
    OperatorTest::TearDown();
  }
  void createScriptJob(const std::string& name, const std::vector<std::string>& args) {
    createJob(name, "local",
              {{"source", {{"git", {{"url", url_}, {"ref", "main"}, {"subdirectory", "jobs"}}}}},
               {"entryPoint", {"sh", "run.sh"}},
               {"args", args},
               {"env", {{{"name", "MESSAGE"}, {"value", "hello"}}}}});
  }
  std::string logOf(const std::string& name) {
    const std::string ref = field(job(name), "status", "backendRef");
    std::ifstream in(state_ + "/" + ref.substr(ref.find('/') + 1) + "/log");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  static inline int counter_ = 0;
  std::string state_;
  std::string repo_;
  std::string url_;
};

TEST_F(LocalProcessTargetIT, RunsTheCheckedOutCodeToItsExitCode) {
  createScriptJob("ok", {"go", "0"});
  createScriptJob("four", {"go", "4"});
  ASSERT_TRUE(eventually([&] { return phase("ok") == "Succeeded"; })) << job("ok").dump();
  ASSERT_TRUE(eventually([&] { return phase("four") == "Failed"; })) << job("four").dump();
  EXPECT_NE(message("four").find("exited with code 4"), std::string::npos) << message("four");
  EXPECT_EQ(logOf("ok"), "running run.sh in jobs with hello\n");
}

class MotoKeys final : public cloud::AwsCredentialProvider {
 public:
  Result<cloud::AwsCredentials> credentials() override {
    return cloud::AwsCredentials{"AKIAMOTOTEST", "motoSecretKeyNotChecked", "", std::nullopt, "test"};
  }
  std::string name() const override { return "moto test keys"; }
};

// An s3:// archive, fetched by the operator with its own AWS identity (here moto_server, reached through
// AWS_ENDPOINT_URL_S3 as a private endpoint would be).
TEST_F(LocalProcessTargetIT, RunsCodeFromAnS3Archive) {
  MotoServer moto;
  ASSERT_TRUE(moto.start().ok());
  http::HttpClient http{http::HttpClientOptions{}};
  auto keys = std::make_shared<MotoKeys>();
  http::HttpRequest bucket;
  bucket.method = "PUT";
  bucket.url = moto.url() + "/job-code";
  ASSERT_TRUE(cloud::SigV4Signer("us-east-1", "s3")
                  .signHttpRequest(bucket, *keys->credentials(), std::chrono::system_clock::now())
                  .ok());
  auto made = http.send(bucket);
  ASSERT_TRUE(made.ok() && made->status == 200) << (made ? made->body : made.error().message);
  auto archive = writeTar({{"run.sh", "echo \"from s3 with $MESSAGE\"\n", 0755}}, TarCompression::Gzip);
  ASSERT_TRUE(archive.ok());
  cloud::S3Client s3(http, keys, {"us-east-1", moto.url(), {}});
  auto put = s3.send("PUT", "job-code", "ml/code.tar.gz", *archive, "application/gzip");
  ASSERT_TRUE(put.ok() && put->status == 200);

  operator_.reset();
  ::setenv("AWS_ENDPOINT_URL_S3", moto.url().c_str(), 1);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIAMOTOTEST", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "motoSecretKeyNotChecked", 1);
  ::setenv("AWS_REGION", "us-east-1", 1);
  startOperator();
  ::unsetenv("AWS_ENDPOINT_URL_S3");
  createJob("from-s3", "local",
            {{"source", {{"archive", {{"url", "s3://job-code/ml/code.tar.gz"}, {"sha256", sha256Hex(*archive)}}}}},
             {"entryPoint", {"sh", "run.sh"}},
             {"env", {{{"name", "MESSAGE"}, {"value", "hello"}}}}});
  createJob("missing", "local",
            {{"source", {{"archive", {{"url", "s3://job-code/ml/none.tar.gz"}}}}}, {"entryPoint", {"sh", "run.sh"}}});
  ASSERT_TRUE(eventually([&] { return phase("from-s3") == "Succeeded"; })) << job("from-s3").dump();
  EXPECT_EQ(logOf("from-s3"), "from s3 with hello\n");
  ASSERT_TRUE(eventually([&] { return phase("missing") == "Failed"; })) << job("missing").dump();
  EXPECT_NE(message("missing").find("spec.source.archive.url"), std::string::npos) << message("missing");
}

TEST_F(LocalProcessTargetIT, CancelStopsTheProcess) {
  createScriptJob("long", {"sleep"});
  ASSERT_TRUE(eventually([&] { return !field(job("long"), "status", "startTime").empty(); })) << job("long").dump();
  ASSERT_TRUE(client().patch(kLaunchJobs, ns_, "long", {{"spec", {{"cancel", true}}}}).ok());
  ASSERT_TRUE(eventually([&] { return phase("long") == "Cancelled"; })) << job("long").dump();
  const std::string ref = field(job("long"), "status", "backendRef");
  const std::string exitFile = state_ + "/" + ref.substr(ref.find('/') + 1) + "/exit";
  ASSERT_TRUE(eventually([&] { return fs::exists(exitFile); })) << "the cancelled process is still running";
}

TEST_F(LocalProcessTargetIT, AKilledOperatorAdoptsTheRunningProcess) {
  createScriptJob("survivor", {"nap", "6"});
  ASSERT_TRUE(eventually([&] { return !field(job("survivor"), "status", "startTime").empty(); }))
      << job("survivor").dump();
  operator_->kill(SIGKILL);
  startOperator();
  ASSERT_TRUE(eventually([&] { return phase("survivor") == "Failed"; })) << job("survivor").dump();
  EXPECT_NE(message("survivor").find("code 6"), std::string::npos) << message("survivor");
  EXPECT_EQ(logOf("survivor"), "running run.sh in jobs with hello\n") << "the job ran twice";
}

TEST_F(LocalProcessTargetIT, AnImageJobIsRefusedClearly) {
  createJob("image", "local", {{"source", {{"image", "busybox"}}}, {"entryPoint", {"true"}}});
  ASSERT_TRUE(eventually([&] { return phase("image") == "Failed"; })) << job("image").dump();
  EXPECT_NE(message("image").find("spec.source.image"), std::string::npos) << message("image");
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
