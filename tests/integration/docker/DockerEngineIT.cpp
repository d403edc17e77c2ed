// Integration: the Docker engine client against a real dockerd and docker-registry: build a FROM-scratch
// image, run it, read its output and exit code, push it and read its manifest back.
#include <gtest/gtest.h>

#include <random>

#include "docker/DockerEngine.hpp"
#include "http/HttpClient.hpp"
#include "support/DockerTestEngine.hpp"

namespace launch::testing {
namespace {

using docker::Json;

class DockerEngineIT : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = DockerTestEngine::start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    env_ = *started;
    auto engine = docker::DockerEngine::connect(env_.dockerHost);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(engine).value();
    tag_ = "t" + std::to_string(std::random_device{}() % 1000000);
  }
  void TearDown() override {
    for (const auto& id : containers_) (void)engine_->removeContainer(id);
  }

  std::string buildBusybox(const std::string& name) {
    auto context = env_.busyboxContext("FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n");
    EXPECT_TRUE(context.ok());
    std::vector<std::string> progress;
    docker::BuildOptions options;
    options.tag = name + ":" + tag_;
    auto image = engine_->build(*context, options, [&](std::string_view line) { progress.emplace_back(line); });
    EXPECT_TRUE(image.ok()) << image.error().describe();
    EXPECT_FALSE(progress.empty()) << "the build streamed no progress";
    return image.ok() ? *image : std::string();
  }

  std::string runContainer(const std::string& image, const Json& cmd) {
    auto id = engine_->createContainer({{"Image", image}, {"Cmd", cmd}, {"Labels", {{"launch.dev/test", "yes"}}}});
    EXPECT_TRUE(id.ok()) << id.error().describe();
    if (!id.ok()) return {};
    containers_.push_back(*id);
    EXPECT_TRUE(engine_->startContainer(*id).ok());
    return *id;
  }

  DockerTestEngine env_;
  std::unique_ptr<docker::DockerEngine> engine_;
  std::string tag_;
  std::vector<std::string> containers_;
};

TEST_F(DockerEngineIT, BuildsAFromScratchImageAndRunsIt) {
  const std::string image = buildBusybox("launch-it/hello");
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.rfind("sha256:", 0), 0U) << image;

  const std::string id = runContainer("launch-it/hello:" + tag_,
                                      Json::array({"sh", "-c", "echo hello from scratch; echo oops >&2; exit 3"}));
  auto code = engine_->waitContainer(id);
  ASSERT_TRUE(code.ok()) << code.error().describe();
  EXPECT_EQ(*code, 3);
  auto logs = engine_->logs(id);
  ASSERT_TRUE(logs.ok()) << logs.error().describe();
  EXPECT_EQ(logs->stdoutText, "hello from scratch\n");
  EXPECT_EQ(logs->stderrText, "oops\n");
}

TEST_F(DockerEngineIT, ABrokenDockerfileFailsWithTheEnginesMessage) {
  auto context = env_.busyboxContext("FROM scratch\nCOPY does-not-exist /x\n");
  ASSERT_TRUE(context.ok());
  docker::BuildOptions options;
  options.tag = "launch-it/broken:" + tag_;
  auto image = engine_->build(*context, options);
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message.find("does-not-exist"), std::string::npos) << image.error().message;
}

TEST_F(DockerEngineIT, PushesToTheLocalRegistryAndTheManifestReadsBack) {
  const std::string repository = env_.registry + "/launch-it/pushed";
  ASSERT_FALSE(buildBusybox(repository).empty());
  auto digest = engine_->push(repository, tag_, {});
  ASSERT_TRUE(digest.ok()) << digest.error().describe();
  EXPECT_EQ(digest->rfind("sha256:", 0), 0U) << *digest;

  http::HttpClient http({});
  http::HttpRequest request;
  request.url = "http://" + env_.registry + "/v2/launch-it/pushed/manifests/" + tag_;
  request.headers = {{"Accept", "application/vnd.docker.distribution.manifest.v2+json"},
                     {"Accept", "application/vnd.oci.image.manifest.v1+json"}};
  auto manifest = http.send(request);
  ASSERT_TRUE(manifest.ok()) << manifest.error().describe();
  ASSERT_EQ(manifest->status, 200) << manifest->body;
  EXPECT_EQ(manifest->header("Docker-Content-Digest").value_or(""), *digest);
  const Json body = Json::parse(manifest->body);
  EXPECT_EQ(body["schemaVersion"], 2);
  EXPECT_EQ(body["layers"].size(), 1U);
}

TEST_F(DockerEngineIT, APushWithWrongCredentialsIsRefusedWithAClearError) {
  const std::string repository = env_.authRegistry + "/launch-it/private";
  ASSERT_FALSE(buildBusybox(repository).empty());
  auto refused = engine_->push(repository, tag_, {env_.authUser, "wrong-password", env_.authRegistry});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthorized) << refused.error().describe();
  EXPECT_EQ(refused.error().message.find("wrong-password"), std::string::npos) << "the password leaked into the error";

  auto accepted = engine_->push(repository, tag_, {env_.authUser, env_.authPassword, env_.authRegistry});
  EXPECT_TRUE(accepted.ok()) << accepted.error().describe();
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
