// End to end: git jobs on a Docker queue, built by the real launch-operator's Docker builder on the real Docker
// engine, pushed to the real docker-registry behind htpasswd auth (credentials from a dockerconfigjson Secret),
// and run from the pushed image. A second job with the same inputs finds the image in the registry and builds
// nothing. Bad inputs (no repository, no ref, a failing Dockerfile, refused credentials, the noop builder) end
// their job Failed with a message saying what to fix, while the agent goes on serving other jobs.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "docker/DockerEngine.hpp"
#include "http/HttpClient.hpp"
#include "registry/DockerConfigJson.hpp"
#include "registry/ImageReference.hpp"
#include "registry/RegistryClient.hpp"
#include "registry/StaticCredentialSource.hpp"
#include "support/DockerTestEngine.hpp"
#include "support/FreePort.hpp"
#include "support/OperatorTest.hpp"
#include "util/Base64.hpp"
#include "util/Subprocess.hpp"

namespace launch::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBaseImage = "launch-it/python-standin:1";
constexpr const char* kGoodDockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n";

class BuildIT : public OperatorTest {
 protected:
  static void SetUpTestSuite() {
    OperatorTest::SetUpTestSuite();
    auto started = DockerTestEngine::start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    docker_ = new DockerTestEngine(*started);
    // A stand-in for python:3.12-slim (nothing can be pulled here) for generated Dockerfiles to build FROM.
    auto engine = docker::DockerEngine::connect(docker_->dockerHost);
    ASSERT_TRUE(engine.ok());
    auto context = docker_->busyboxContext(kGoodDockerfile);
    ASSERT_TRUE(context.ok());
    docker::BuildOptions options;
    options.tag = kBaseImage;
    auto built = (*engine)->build(*context, options);
    ASSERT_TRUE(built.ok()) << built.error().message;
  }
  static void TearDownTestSuite() {
    delete docker_;
    docker_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(docker_, nullptr);
    extraOperatorArgs_ = {"--docker", "--docker-host", docker_->dockerHost};
    OperatorTest::SetUp();
    auto engine = docker::DockerEngine::connect(docker_->dockerHost);
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(engine).value();
    makeRepository();
    createRegistrySecret("regcred", docker_->authUser, docker_->authPassword);
    repository_ = docker_->authRegistry + "/launch-it/build-" + ns_;
    createQueue("docker", {{"resource", "docker"}, {"config", {{"memory", "64m"}}}});
    createBuildAgent("agent", {"docker"}, "docker", "regcred");
  }
  void TearDown() override {
    std::ifstream pid(repo_ + ".pid");
    int daemon = 0;
    if (pid >> daemon && daemon > 0) ::kill(daemon, SIGTERM);
    OperatorTest::TearDown();
  }

  Status git(const std::string& script) {
    auto run = runProcess({"sh", "-c", "cd " + repo_ + " && " + script}, {{"GIT_AUTHOR_NAME", "t"},
                                                                          {"GIT_AUTHOR_EMAIL", "t@x"},
                                                                          {"GIT_COMMITTER_NAME", "t"},
                                                                          {"GIT_COMMITTER_EMAIL", "t@x"}});
    if (!run) return run.error();
    if (run->exitCode != 0) return makeError(ErrorCode::Internal, script + ": " + run->stderrText);
    return {};
  }

  // A repository served by git daemon on loopback: main builds a FROM-scratch busybox image; broken-run's
  // Dockerfile runs a failing command; broken-copy's copies a file the repository lacks.
  void makeRepository() {
    repo_ = plane().directory() + "/build-repo-" + ns_;
    fs::create_directories(repo_);
    fs::copy_file(docker_->busybox, repo_ + "/busybox", fs::copy_options::overwrite_existing);
    fs::permissions(repo_ + "/busybox", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                            fs::perms::others_read | fs::perms::others_exec);
    std::ofstream(repo_ + "/Dockerfile") << kGoodDockerfile;
    Status made = git("git init -q -b main && git add . && git commit -qm image");
    ASSERT_TRUE(made.ok()) << made.error().message;
    std::ofstream(repo_ + "/Dockerfile") << kGoodDockerfile << "RUN [\"/bin/busybox\", \"false\"]\n";
    made = git("git checkout -qb broken-run && git commit -qam 'RUN false' && git checkout -q main");
    ASSERT_TRUE(made.ok()) << made.error().message;
    std::ofstream(repo_ + "/Dockerfile") << kGoodDockerfile << "COPY missing.txt /missing.txt\n";
    made = git("git checkout -qb broken-copy && git commit -qam 'COPY missing' && git checkout -q main");
    ASSERT_TRUE(made.ok()) << made.error().message;
    // No Dockerfile at all: the operator generates one.
    made =
        git("git checkout -qb generated && git rm -q Dockerfile busybox && echo hello > hello.txt && "
            "git add hello.txt && git commit -qm 'no Dockerfile' && git checkout -q main");
    ASSERT_TRUE(made.ok()) << made.error().message;

    const int port = freeLoopbackPort();
    auto daemon = runProcess({"git", "daemon", "--detach", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
                              "--port=" + std::to_string(port), "--pid-file=" + repo_ + ".pid",
                              "--base-path=" + plane().directory(), plane().directory()});
    ASSERT_TRUE(daemon && daemon->exitCode == 0) << (daemon ? daemon->stderrText : daemon.error().message);
    gitBase_ = "git://127.0.0.1:" + std::to_string(port) + "/";
    url_ = gitBase_ + "build-repo-" + ns_;
    ASSERT_TRUE(eventually([&] {
      auto listed = runProcess({"git", "ls-remote", url_});
      return listed && listed->exitCode == 0;
    })) << "git daemon does not answer";
  }

  void createRegistrySecret(const std::string& name, const std::string& user, const std::string& password) {
    registry::DockerConfigJson config;
    config.set(docker_->authRegistry, registry::RegistryCredentials{user, password, ""});
    auto created = client().create(res::kSecrets, ns_,
                                   {{"apiVersion", "v1"},
                                    {"kind", "Secret"},
                                    {"metadata", {{"name", name}}},
                                    {"type", "kubernetes.io/dockerconfigjson"},
                                    {"data", {{".dockerconfigjson", base64Encode(config.toJson())}}}});
    ASSERT_TRUE(created.ok()) << created.error().describe();
  }

  void createBuildAgent(const std::string& name, const std::vector<std::string>& queues, const std::string& builder,
                        const std::string& secret, const std::string& baseImage = "") {
    Json spec = {{"queues", queues}, {"maxJobs", 4}, {"builder", {{"type", builder}}}};
    if (!baseImage.empty()) spec["builder"]["baseImage"] = baseImage;
    if (!secret.empty()) {
      spec["registry"] = {{"uri", repository_}, {"insecure", true}, {"credentialsSecretRef", {{"name", secret}}}};
    }
    auto created = client().create(kAgents, ns_,
                                   {{"apiVersion", "launch.dev/v1alpha1"},
                                    {"kind", "LaunchAgent"},
                                    {"metadata", {{"name", name}}},
                                    {"spec", spec}});
    ASSERT_TRUE(created.ok()) << created.error().describe();
  }

  void createGitJob(const std::string& name, const std::string& queue, const std::string& url, const std::string& ref,
                    const std::string& script) {
    createJob(name, queue,
              {{"source", {{"git", {{"url", url}, {"ref", ref}}}}},
               {"entryPoint", {"/bin/busybox", "sh", "-c"}},
               {"args", {script}}});
  }

  // The reasons of the Events recorded for a LaunchJob, in order.
  std::vector<std::string> eventReasons(const std::string& job) {
    std::vector<std::string> reasons;
    auto list = client().list(res::kEvents, ns_);
    if (!list.ok()) return reasons;
    for (const auto& e : (*list)["items"]) {
      if (e["involvedObject"].value("name", "") == job) reasons.push_back(e.value("reason", ""));
    }
    return reasons;
  }
  static bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  }
  // The engine's images built for one LaunchJob (the builder labels each with the job it was built for).
  Json imagesBuiltFor(const std::string& job) {
    auto listed = engine_->listImages({{"label", {"launch.dev/built-for=" + ns_ + "/" + job}}});
    return listed.ok() ? *listed : Json::array();
  }
  // How many of the engine's images were built for any LaunchJob of this test's namespace.
  std::size_t imagesBuiltInNamespace() {
    auto listed = engine_->listImages({{"label", {"launch.dev/built-for"}}});
    std::size_t count = 0;
    if (!listed.ok()) return count;
    for (const auto& image : *listed) {
      const Json labels = image.value("Labels", Json::object());
      if (labels.is_object() && labels.value("launch.dev/built-for", "").rfind(ns_ + "/", 0) == 0) ++count;
    }
    return count;
  }
  std::string conditionReason(const std::string& name, const std::string& type) {
    const Json j = job(name);
    for (const auto& c : j.value("status", Json::object()).value("conditions", Json::array())) {
      if (c.value("type", "") == type) return c.value("reason", "");
    }
    return "";
  }
  std::string containerLogs(const std::string& name) {
    const std::string ref = field(job(name), "status", "backendRef");
    if (ref.rfind("docker/container/", 0) != 0) return "";
    auto logs = engine_->logs(ref.substr(17));
    return logs.ok() ? logs->stdoutText : "";
  }
  Result<std::optional<std::string>> registryDigest(const std::string& image) {
    auto reference = registry::ImageReference::parse(image);
    if (!reference) return reference.error();
    registry::RegistryClientOptions options;
    options.insecure = true;
    registry::RegistryClient registryClient(
        std::make_shared<http::HttpClient>(http::HttpClientOptions{}),
        std::make_shared<registry::StaticCredentialSource>(
            registry::RegistryCredentials{docker_->authUser, docker_->authPassword, ""}),
        options);
    return registryClient.manifestDigest(*reference);
  }
  bool endsFailed(const std::string& name) {
    return eventually([&] { return phase(name) == "Failed"; }, std::chrono::seconds(120));
  }

  static DockerTestEngine* docker_;
  std::unique_ptr<docker::DockerEngine> engine_;
  std::string repo_;
  std::string gitBase_;
  std::string url_;
  std::string repository_;
};

DockerTestEngine* BuildIT::docker_ = nullptr;

TEST_F(BuildIT, BuildsPushesAndRunsTheImageThenSkipsTheSameBuild) {
  createGitJob("first", "docker", url_, "main", "echo built-and-ran");
  ASSERT_TRUE(eventually([&] { return phase("first") == "Succeeded"; }, std::chrono::seconds(180)))
      << job("first").dump();
  const std::string image = field(job("first"), "status", "image");
  ASSERT_EQ(image.rfind(repository_ + ":", 0), 0U) << image;
  EXPECT_EQ(image.size() - image.rfind(':') - 1, 64U) << "the tag is the content sha256: " << image;
  auto digest = registryDigest(image);
  ASSERT_TRUE(digest.ok()) << digest.error().describe();
  EXPECT_TRUE(digest->has_value()) << image << " is not in the registry";
  EXPECT_EQ(containerLogs("first"), "built-and-ran\n") << "the container did not run the built image";
  const auto firstEvents = eventReasons("first");
  EXPECT_TRUE(contains(firstEvents, "Building")) << ::testing::PrintToString(firstEvents);
  EXPECT_TRUE(contains(firstEvents, "Built")) << ::testing::PrintToString(firstEvents);
  EXPECT_EQ(conditionReason("first", "Built"), "Built");
  EXPECT_EQ(imagesBuiltFor("first").size(), 1U) << "the first job's build made one image";

  const std::size_t before = imagesBuiltInNamespace();
  EXPECT_EQ(before, 1U);
  createGitJob("second", "docker", url_, "main", "echo ran-again");
  ASSERT_TRUE(eventually([&] { return phase("second") == "Succeeded"; }, std::chrono::seconds(120)))
      << job("second").dump();
  EXPECT_EQ(field(job("second"), "status", "image"), image) << "same inputs, same tag";
  EXPECT_EQ(containerLogs("second"), "ran-again\n");
  const auto secondEvents = eventReasons("second");
  EXPECT_TRUE(contains(secondEvents, "ImageExists")) << ::testing::PrintToString(secondEvents);
  EXPECT_FALSE(contains(secondEvents, "Building")) << ::testing::PrintToString(secondEvents);
  EXPECT_EQ(conditionReason("second", "Built"), "ImageExists");
  EXPECT_TRUE(imagesBuiltFor("second").empty()) << "no build ran for the second job: " << imagesBuiltFor("second");
  EXPECT_EQ(imagesBuiltInNamespace(), before) << "an image was built for the second job";
}

TEST_F(BuildIT, ASourceWithoutADockerfileIsBuiltFromAGeneratedOneOnTheAgentsBaseImage) {
  createQueue("generated", {{"resource", "docker"}, {"config", {{"memory", "64m"}}}});
  createBuildAgent("gen-agent", {"generated"}, "docker", "regcred", kBaseImage);
  createGitJob("gen", "generated", url_, "generated", "cat hello.txt; id -u");
  ASSERT_TRUE(eventually([&] { return phase("gen") == "Succeeded"; }, std::chrono::seconds(180))) << job("gen").dump();
  EXPECT_EQ(containerLogs("gen"), "hello\n1000\n") << "the code is in the working directory, run as user 1000";
  const std::string image = field(job("gen"), "status", "image");
  ASSERT_EQ(image.rfind(repository_ + ":", 0), 0U) << image;
  auto digest = registryDigest(image);
  ASSERT_TRUE(digest.ok()) << digest.error().describe();
  EXPECT_TRUE(digest->has_value()) << image << " is not in the registry";
  bool generated = false;
  auto list = client().list(res::kEvents, ns_);
  ASSERT_TRUE(list.ok());
  for (const auto& e : (*list)["items"]) {
    if (e["involvedObject"].value("name", "") == "gen" && e.value("reason", "") == "Building") {
      generated = e.value("message", "").find("generated Dockerfile") != std::string::npos;
    }
  }
  EXPECT_TRUE(generated) << "the Building event says the Dockerfile was generated";
}

TEST_F(BuildIT, AnImageOnlyTheRegistryHasIsPulledWithTheAgentsCredentials) {
  createGitJob("builder", "docker", url_, "main", "true");
  ASSERT_TRUE(eventually([&] { return phase("builder") == "Succeeded"; }, std::chrono::seconds(180)))
      << job("builder").dump();
  const std::string image = field(job("builder"), "status", "image");
  ASSERT_TRUE(engine_->removeImage(image).ok());
  ASSERT_FALSE(*engine_->hasImage(image));
  createGitJob("puller", "docker", url_, "main", "echo pulled");
  ASSERT_TRUE(eventually([&] { return phase("puller") == "Succeeded"; }, std::chrono::seconds(120)))
      << job("puller").dump();
  EXPECT_EQ(conditionReason("puller", "Built"), "ImageExists");
  EXPECT_EQ(containerLogs("puller"), "pulled\n");
  EXPECT_TRUE(*engine_->hasImage(image)) << "the run pulled the image from the htpasswd registry";
}

TEST_F(BuildIT, BadSourcesAndDockerfilesFailClearlyAndTheAgentKeepsServing) {
  createGitJob("norepo", "docker", gitBase_ + "no-such-repository", "main", "true");
  createGitJob("noref", "docker", url_, "no-such-branch", "true");
  createGitJob("runfalse", "docker", url_, "broken-run", "true");
  createGitJob("nocopy", "docker", url_, "broken-copy", "true");

  ASSERT_TRUE(endsFailed("norepo")) << job("norepo").dump();
  EXPECT_EQ(finishedReason("norepo"), "SourceUnavailable");
  EXPECT_NE(message("norepo").find("spec.source.git.url"), std::string::npos) << message("norepo");

  ASSERT_TRUE(endsFailed("noref")) << job("noref").dump();
  EXPECT_EQ(finishedReason("noref"), "SourceUnavailable");
  EXPECT_NE(message("noref").find("spec.source.git.ref"), std::string::npos) << message("noref");

  ASSERT_TRUE(endsFailed("runfalse")) << job("runfalse").dump();
  EXPECT_EQ(finishedReason("runfalse"), "BuildFailed");
  EXPECT_NE(message("runfalse").find("non-zero code"), std::string::npos) << message("runfalse");
  EXPECT_NE(message("runfalse").find("fix the Dockerfile"), std::string::npos) << message("runfalse");

  ASSERT_TRUE(endsFailed("nocopy")) << job("nocopy").dump();
  EXPECT_EQ(finishedReason("nocopy"), "BuildFailed");
  EXPECT_NE(message("nocopy").find("missing.txt"), std::string::npos) << message("nocopy");
  EXPECT_NE(message("nocopy").find("fix the Dockerfile"), std::string::npos) << message("nocopy");

  // The same agent still builds and runs a good job.
  createGitJob("after", "docker", url_, "main", "echo still-serving");
  ASSERT_TRUE(eventually([&] { return phase("after") == "Succeeded"; }, std::chrono::seconds(180)))
      << job("after").dump();
  EXPECT_EQ(containerLogs("after"), "still-serving\n");
}

TEST_F(BuildIT, RefusedRegistryCredentialsFailTheJobAndOtherAgentsServeOn) {
  createRegistrySecret("wrongcred", docker_->authUser, "not-the-password");
  createQueue("refused", {{"resource", "docker"}, {"config", {{"memory", "64m"}}}});
  createBuildAgent("refused-agent", {"refused"}, "docker", "wrongcred");
  createGitJob("denied", "refused", url_, "main", "true");
  ASSERT_TRUE(endsFailed("denied")) << job("denied").dump();
  EXPECT_EQ(finishedReason("denied"), "RegistryUnauthorized");
  EXPECT_NE(message("denied").find("wrongcred"), std::string::npos) << message("denied");
  EXPECT_NE(message("denied").find("credentialsSecretRef"), std::string::npos) << message("denied");
  EXPECT_EQ(message("denied").find("not-the-password"), std::string::npos) << "a password in a message";

  createGitJob("served", "docker", url_, "main", "echo served");
  ASSERT_TRUE(eventually([&] { return phase("served") == "Succeeded"; }, std::chrono::seconds(180)))
      << job("served").dump();
}

TEST_F(BuildIT, AKubernetesQueueRunsTheBuiltImagePulledWithTheAgentsSecret) {
  createQueue("cluster", {{"resource", "kubernetes"}});
  createBuildAgent("cluster-agent", {"cluster"}, "docker", "regcred");
  createGitJob("onk8s", "cluster", url_, "main", "true");
  Json batchJob;
  ASSERT_TRUE(eventually(
      [&] {
        auto list = client().list(res::kJobs, ns_, {"launch.dev/job=onk8s", "", 0, "", ""});
        if (!list.ok() || (*list)["items"].empty()) return false;
        batchJob = (*list)["items"][0];
        return true;
      },
      std::chrono::seconds(180)))
      << job("onk8s").dump();
  const Json& pod = batchJob["spec"]["template"]["spec"];
  const std::string image = field(job("onk8s"), "status", "image");
  ASSERT_EQ(image.rfind(repository_ + ":", 0), 0U) << image;
  EXPECT_EQ(pod["containers"][0].value("image", ""), image);
  EXPECT_EQ(pod.value("imagePullSecrets", Json::array()), Json::array({{{"name", "regcred"}}})) << pod.dump();
  // The Job is created a moment before the status write that records it.
  EXPECT_TRUE(eventually([&] { return phase("onk8s") == "Running"; }, std::chrono::seconds(30))) << job("onk8s").dump();
}

TEST_F(BuildIT, AKubernetesQueueNeedsARegistry) {
  createQueue("cluster", {{"resource", "kubernetes"}});
  createBuildAgent("local-agent", {"cluster"}, "docker", "");
  createGitJob("nowhere", "cluster", url_, "main", "true");
  ASSERT_TRUE(endsFailed("nowhere")) << job("nowhere").dump();
  EXPECT_EQ(finishedReason("nowhere"), "RegistryRequired");
  EXPECT_NE(message("nowhere").find("spec.registry"), std::string::npos) << message("nowhere");
}

TEST_F(BuildIT, ANoopBuilderRefusesSourceJobsNamingTheFieldToChange) {
  createQueue("nobuild", {{"resource", "docker"}});
  createBuildAgent("noop-agent", {"nobuild"}, "noop", "");
  createGitJob("unbuilt", "nobuild", url_, "main", "true");
  ASSERT_TRUE(endsFailed("unbuilt")) << job("unbuilt").dump();
  EXPECT_EQ(finishedReason("unbuilt"), "BuildNotAvailable");
  EXPECT_NE(message("unbuilt").find("spec.builder.type"), std::string::npos) << message("unbuilt");
  EXPECT_NE(message("unbuilt").find("noop-agent"), std::string::npos) << message("unbuilt");
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
