// Integration: KanikoBuilder on the full control plane (kube-apiserver, kube-controller-manager's Job
// controller and garbage collector, the scheduler, a fake Node whose kubelet the test plays) with the build
// context uploaded to the real moto_server S3: the build Job as the API server stored it, field by field;
// success with the digest from the termination message; failures with their reasons; cleanup.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "api/LaunchJob.hpp"
#include "api/Resources.hpp"
#include "api/YamlToJson.hpp"
#include "build/KanikoBuilder.hpp"
#include "build/KanikoJobManifest.hpp"
#include "build/S3ContextStore.hpp"
#include "cloud/SigV4Signer.hpp"
#include "registry/StaticCredentialSource.hpp"
#include "support/Command.hpp"
#include "support/ControlPlane.hpp"
#include "support/Eventually.hpp"
#include "support/MotoServer.hpp"
#include "support/TestKubelet.hpp"
#include "util/Files.hpp"
#include "util/TarArchive.hpp"

namespace launch::testing {
namespace {

namespace fs = std::filesystem;
namespace res = kube::resources;
using kube::Json;

const std::string kBucket = "launch-contexts";
const std::string kDigest = "sha256:4f6c2a1e0b7d9c8e3f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80912";

class StaticAws final : public cloud::AwsCredentialProvider {
 public:
  Result<cloud::AwsCredentials> credentials() override {
    return cloud::AwsCredentials{"AKIAMOTOTEST", "motoSecretKeyNotChecked", "", std::nullopt, "test"};
  }
  std::string name() const override { return "static"; }
};

MotoServer* moto = nullptr;

// A signed S3 request straight to moto, for what the store does not do (make the bucket, read an object).
Result<http::HttpResponse> s3Request(http::HttpClient& http, const std::string& method, const std::string& path) {
  http::HttpRequest request;
  request.method = method;
  request.url = moto->url() + path;
  StaticAws aws;
  const cloud::SigV4Signer signer("us-east-1", "s3", cloud::SigV4Options::forS3());
  if (Status s = signer.signHttpRequest(request, *aws.credentials(), std::chrono::system_clock::now()); !s) {
    return s.error();
  }
  return http.send(request);
}

class KanikoIT : public ControlPlaneTest {
 protected:
  static void SetUpTestSuite() {
    ControlPlane* shared = ControlPlaneEnvironment::plane();
    if (shared == nullptr) return;
    kube::KubeClient client(shared->config());
    for (const auto& entry : fs::directory_iterator(sourceDir() + "/crds")) {
      if (entry.path().extension() != ".yaml") continue;
      auto crd = api::yamlToJson(*readFile(entry.path().string()));
      ASSERT_TRUE(crd.ok()) << crd.error().message;
      auto created = client.create(res::kCustomResourceDefinitions, "", *crd);
      ASSERT_TRUE(created.ok() || created.error().code == ErrorCode::AlreadyExists) << created.error().describe();
    }
    ASSERT_TRUE(eventually([&] { return client.list(api::kLaunchJobs, "default").ok(); })) << "CRDs not served";
    moto = new MotoServer();
    const Status started = moto->start();
    if (!started) {
      delete moto;
      moto = nullptr;
      FAIL() << started.error().message;
    }
    http::HttpClient http({});
    auto bucket = s3Request(http, "PUT", "/" + kBucket);
    ASSERT_TRUE(bucket.ok() && bucket->status == 200) << (bucket ? bucket->body : bucket.error().message);
  }
  static void TearDownTestSuite() {
    delete moto;
    moto = nullptr;
  }

  void SetUp() override {
    ControlPlaneTest::SetUp();
    ASSERT_NE(moto, nullptr) << "moto_server did not start";
    ns_ = makeNamespace("kaniko");
    dir_ = fs::temp_directory_path() / ("launch-kaniko-it-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "ctx");
    ASSERT_TRUE(writeFile((dir_ / "ctx" / "train.py").string(), "print('train')\n").ok());
    source_ = build::CheckedOutSource{dir_ / "ctx", dir_ / "ctx", "sha256:" + std::string(64, '1')};
  }
  void TearDown() override {
    if (builder_) builder_->stop();
    builder_.reset();
    fs::remove_all(dir_);
    ControlPlaneTest::TearDown();
  }

  // A real LaunchJob, so the build's ownerReference names a live owner (the garbage collector runs).
  api::LaunchJob createLaunchJob(const std::string& name) {
    auto created = client().create(
        api::kLaunchJobs, ns_,
        {{"apiVersion", "launch.dev/v1alpha1"},
         {"kind", "LaunchJob"},
         {"metadata", {{"name", name}}},
         {"spec", {{"queue", "builds"}, {"source", {{"archive", {{"url", "https://example.com/src.tar.gz"}}}}}}}});
    EXPECT_TRUE(created.ok()) << created.error().describe();
    auto job = api::LaunchJob::fromJson(created.ok() ? *created : Json::object());
    EXPECT_TRUE(job.ok()) << job.error().message;
    EXPECT_FALSE(job->metadata.uid.empty());
    return job.ok() ? *job : api::LaunchJob{};
  }

  void startBuilder(int timeoutSeconds = 600) {
    build::KanikoBuilderOptions options;
    options.ns = ns_;
    options.agent = "builder-agent";
    options.settings.timeoutSeconds = timeoutSeconds;
    options.registryCredentials = std::make_shared<registry::StaticCredentialSource>(
        registry::RegistryCredentials{"robot", "registry-password", ""});
    auto store = std::make_unique<build::S3ContextStore>(
        http_, std::make_shared<StaticAws>(), build::S3ContextStoreOptions{kBucket, "ctx", "us-east-1", moto->url()});
    builder_ = std::make_unique<build::KanikoBuilder>(client(), options, std::move(store));
    ASSERT_TRUE(builder_
                    ->start([this](const std::string& key) {
                      const std::lock_guard lock(mutex_);
                      changed_.insert(key);
                    })
                    .ok());
  }

  bool notified(const std::string& key) {
    const std::lock_guard lock(mutex_);
    return changed_.count(key) > 0;
  }

  Status submit(const api::LaunchJob& job) {
    return builder_->submit({job, source_, "Dockerfile", "FROM scratch\nCOPY train.py /\n",
                             "registry.example.com/ml/train:" + job.metadata.name});
  }

  // The build pod, once the scheduler has bound it to the fake Node.
  std::string buildPod(const api::LaunchJob& job) {
    TestKubelet kubelet(client());
    auto pod = kubelet.waitForScheduledPod(ns_, "job-name=" + build::kanikoBuildName(job), std::chrono::seconds(60));
    EXPECT_TRUE(pod.ok()) << pod.error().message;
    return pod.ok() ? (*pod)["metadata"].value("name", "") : "";
  }

  // observe() until the build is over; the observation at the end.
  build::BuildObservation waitForEnd(const api::LaunchJob& job) {
    build::BuildObservation last;
    eventually([&] {
      auto seen = builder_->observe(job);
      if (seen) last = *seen;
      return seen && seen->succeeded.has_value();
    });
    return last;
  }

  std::string ns_;
  fs::path dir_;
  build::CheckedOutSource source_;
  http::HttpClient http_{{}};
  std::unique_ptr<build::KanikoBuilder> builder_;
  std::mutex mutex_;
  std::set<std::string> changed_;
};

TEST_F(KanikoIT, TheBuildJobAsStoredAndASuccessWithTheDigestFromTheTerminationMessage) {
  startBuilder(900);
  const api::LaunchJob job = createLaunchJob("train");
  const std::string name = build::kanikoBuildName(job);
  ASSERT_TRUE(submit(job).ok());
  ASSERT_TRUE(submit(job).ok()) << "a retried submit finds the Job";

  auto stored = client().get(res::kJobs, ns_, name);
  ASSERT_TRUE(stored.ok()) << stored.error().describe();
  const Json& meta = (*stored)["metadata"];
  EXPECT_EQ(meta["labels"]["launch.dev/job"], "train");
  EXPECT_EQ(meta["labels"]["launch.dev/queue"], "builds");
  EXPECT_EQ(meta["labels"]["launch.dev/agent"], "builder-agent");
  EXPECT_EQ(meta["labels"]["launch.dev/build"], "kaniko");
  ASSERT_EQ(meta["ownerReferences"].size(), 1U);
  EXPECT_EQ(meta["ownerReferences"][0]["kind"], "LaunchJob");
  EXPECT_EQ(meta["ownerReferences"][0]["uid"], job.metadata.uid);
  EXPECT_EQ(meta["ownerReferences"][0]["controller"], true);
  const Json& spec = (*stored)["spec"];
  EXPECT_EQ(spec["backoffLimit"], 0);
  EXPECT_EQ(spec["activeDeadlineSeconds"], 900);
  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  ASSERT_EQ(pod["containers"].size(), 1U);
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["name"], "kaniko");
  EXPECT_EQ(container["image"], std::string(api::KanikoSettings::kDefaultImage));
  EXPECT_EQ(
      container["args"],
      Json::array({"--context=s3://" + kBucket + "/ctx/" + ns_ + "/" + name + ".tar.gz", "--dockerfile=Dockerfile",
                   "--destination=registry.example.com/ml/train:train", "--digest-file=/dev/termination-log"}));
  EXPECT_EQ(container["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(container["volumeMounts"][0]["mountPath"], "/kaniko/.docker");
  EXPECT_EQ(pod["volumes"][0]["secret"]["secretName"], name);
  bool hasEndpoint = false;
  for (const auto& e : container["env"])
    hasEndpoint = hasEndpoint || (e["name"] == "S3_ENDPOINT" && e["value"] == moto->url());
  EXPECT_TRUE(hasEndpoint) << container["env"].dump();

  // The per-build Secret holds the registry login as a docker config.json.
  auto secret = client().get(res::kSecrets, ns_, name);
  ASSERT_TRUE(secret.ok()) << secret.error().describe();
  EXPECT_TRUE((*secret)["data"].contains("config.json"));
  // The context is in the bucket: the directory plus the Dockerfile to build.
  auto object = s3Request(http_, "GET", "/" + kBucket + "/ctx/" + ns_ + "/" + name + ".tar.gz");
  ASSERT_TRUE(object.ok() && object->status == 200) << (object ? object->body : object.error().message);
  auto entries = readTar(object->body);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2U);
  EXPECT_EQ((*entries)[0].path, "Dockerfile");
  EXPECT_EQ((*entries)[1].path, "train.py");

  auto running = builder_->observe(job);
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(running->exists);
  EXPECT_FALSE(running->succeeded.has_value());

  const std::string podName = buildPod(job);
  TestKubelet kubelet(client());
  ASSERT_TRUE(kubelet.run(ns_, podName).ok());
  ASSERT_TRUE(kubelet.terminatedWithMessage(ns_, podName, 0, kDigest).ok());
  const build::BuildObservation done = waitForEnd(job);
  EXPECT_EQ(done.succeeded, true) << done.reason << ": " << done.message;
  EXPECT_EQ(done.digest, kDigest);
  EXPECT_NE(done.message.find("registry.example.com/ml/train:train@" + kDigest), std::string::npos) << done.message;
  EXPECT_TRUE(eventually([&] { return notified(ns_ + "/train"); })) << "changes reach the BuildChanged callback";

  ASSERT_TRUE(builder_->cleanup(job).ok());
  EXPECT_EQ(client().get(res::kSecrets, ns_, name).error().code, ErrorCode::NotFound) << "the per-build Secret";
  auto gone = s3Request(http_, "GET", "/" + kBucket + "/ctx/" + ns_ + "/" + name + ".tar.gz");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, 404) << "the context object";
  EXPECT_TRUE(eventually([&] {
    auto j = client().get(res::kJobs, ns_, name);
    return !j.ok() && j.error().code == ErrorCode::NotFound;
  })) << "the build Job";
  ASSERT_TRUE(builder_->cleanup(job).ok()) << "cleanup is idempotent";
}

TEST_F(KanikoIT, AGitSourceBuildsFromAGitContextWithItsCredentialsAndAGeneratedDockerfile) {
  startBuilder();
  auto created = client().create(api::kLaunchJobs, ns_,
                                 {{"apiVersion", "launch.dev/v1alpha1"},
                                  {"kind", "LaunchJob"},
                                  {"metadata", {{"name", "from-git"}}},
                                  {"spec",
                                   {{"queue", "builds"},
                                    {"source",
                                     {{"git",
                                       {{"url", "https://git.example.com/ml/repo.git"},
                                        {"ref", "main"},
                                        {"subdirectory", "train"},
                                        {"credentialsSecretRef", {{"name", "git-token"}}}}}}}}}});
  ASSERT_TRUE(created.ok()) << created.error().describe();
  auto job = api::LaunchJob::fromJson(*created);
  ASSERT_TRUE(job.ok()) << job.error().message;
  const std::string commit = "8d3f0a2b4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a";
  const build::CheckedOutSource checkout{dir_, dir_ / "ctx", "git:" + commit};
  ASSERT_TRUE(
      builder_->submit({*job, checkout, "Dockerfile", "FROM python:3.12-slim\n", "registry.example.com/ml/t:1"}).ok());
  const std::string name = build::kanikoBuildName(*job);
  auto stored = client().get(res::kJobs, ns_, name);
  ASSERT_TRUE(stored.ok()) << stored.error().describe();
  const Json& pod = (*stored)["spec"]["template"]["spec"];
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["args"],
            Json::array({"--context=git://git.example.com/ml/repo.git##" + commit,
                         "--dockerfile=/kaniko/launch-build/Dockerfile", "--destination=registry.example.com/ml/t:1",
                         "--digest-file=/dev/termination-log", "--context-sub-path=train"}));
  ASSERT_EQ(container["env"].size(), 2U);
  EXPECT_EQ(container["env"][0]["name"], "GIT_USERNAME");
  EXPECT_EQ(container["env"][0]["valueFrom"]["secretKeyRef"],
            Json({{"name", "git-token"}, {"key", "username"}, {"optional", true}}));
  EXPECT_EQ(container["env"][1]["name"], "GIT_PASSWORD");
  EXPECT_EQ(container["env"][1]["valueFrom"]["secretKeyRef"],
            Json({{"name", "git-token"}, {"key", "password"}, {"optional", false}}));
  ASSERT_EQ(pod["volumes"].size(), 2U);
  EXPECT_EQ(pod["volumes"][1]["secret"]["items"][0]["key"], "Dockerfile");
  auto secret = client().get(res::kSecrets, ns_, name);
  ASSERT_TRUE(secret.ok()) << secret.error().describe();
  EXPECT_TRUE((*secret)["data"].contains("Dockerfile"));
  EXPECT_TRUE((*secret)["data"].contains("config.json"));
  http::HttpClient http({});
  auto object = s3Request(http, "GET", "/" + kBucket + "/ctx/" + ns_ + "/" + name + ".tar.gz");
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->status, 404) << "a git context uploads nothing";
  ASSERT_TRUE(builder_->cleanup(*job).ok());
}

TEST_F(KanikoIT, AFailedBuildReportsItsReasonAndTheLastLogLines) {
  startBuilder();
  const api::LaunchJob job = createLaunchJob("broken");
  ASSERT_TRUE(submit(job).ok());
  const std::string podName = buildPod(job);
  TestKubelet kubelet(client());
  ASSERT_TRUE(kubelet
                  .terminatedWithMessage(ns_, podName, 1,
                                         "INFO[0002] RUN pip install torch==9.9\n"
                                         "ERROR: No matching distribution found for torch==9.9\n"
                                         "error building image: error building stage: failed to execute command: "
                                         "exit status 1\n")
                  .ok());
  const build::BuildObservation done = waitForEnd(job);
  EXPECT_EQ(done.succeeded, false);
  EXPECT_EQ(done.reason, "BuildFailed");
  EXPECT_NE(done.message.find("No matching distribution found for torch==9.9"), std::string::npos) << done.message;
  EXPECT_TRUE(done.digest.empty());
}

TEST_F(KanikoIT, APushRefusedByTheRegistryIsAPushFailure) {
  startBuilder();
  const api::LaunchJob job = createLaunchJob("no-push");
  ASSERT_TRUE(submit(job).ok());
  const std::string podName = buildPod(job);
  TestKubelet kubelet(client());
  ASSERT_TRUE(kubelet
                  .terminatedWithMessage(ns_, podName, 1,
                                         "error checking push permissions -- make sure you entered the correct "
                                         "tag name: UNAUTHORIZED: authentication required\n")
                  .ok());
  const build::BuildObservation done = waitForEnd(job);
  EXPECT_EQ(done.succeeded, false);
  EXPECT_EQ(done.reason, "PushFailed");
  EXPECT_NE(done.message.find("registry credentials"), std::string::npos) << done.message;
}

TEST_F(KanikoIT, AnExecutorImageThatCannotBePulledFailsTheBuild) {
  startBuilder();
  const api::LaunchJob job = createLaunchJob("no-executor");
  ASSERT_TRUE(submit(job).ok());
  const std::string podName = buildPod(job);
  TestKubelet kubelet(client());
  ASSERT_TRUE(kubelet.waiting(ns_, podName, "ErrImagePull", "manifest unknown").ok());
  const build::BuildObservation done = waitForEnd(job);
  EXPECT_EQ(done.succeeded, false);
  EXPECT_EQ(done.reason, "ErrImagePull");
  EXPECT_NE(done.message.find("spec.builder.kaniko.image"), std::string::npos) << done.message;
}

TEST_F(KanikoIT, ABuildPastItsTimeoutIsDeadlineExceeded) {
  startBuilder(2);  // the Job controller enforces activeDeadlineSeconds
  const api::LaunchJob job = createLaunchJob("slow");
  ASSERT_TRUE(submit(job).ok());
  const std::string podName = buildPod(job);
  TestKubelet kubelet(client());
  ASSERT_TRUE(kubelet.run(ns_, podName).ok());
  const build::BuildObservation done = waitForEnd(job);
  EXPECT_EQ(done.succeeded, false);
  EXPECT_EQ(done.reason, "DeadlineExceeded");
  EXPECT_NE(done.message.find("spec.builder.kaniko.timeoutSeconds"), std::string::npos) << done.message;
  ASSERT_TRUE(builder_->cleanup(job).ok());
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({.full = true}));
  return RUN_ALL_TESTS();
}
