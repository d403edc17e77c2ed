// End to end: archive jobs on a kubernetes queue built by the real launch-operator's Kaniko builder on the full
// control plane (the test plays the kubelet), with the context uploaded to moto_server's S3 and a fresh
// registry on loopback: the build Job as stored, the run Job on the built image, a failed build ending its job
// BuildFailed with no run, and the per-build Secret and uploaded context removed once the build is over.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/LaunchAgent.hpp"
#include "cloud/SigV4Signer.hpp"
#include "fakes/FakeHttpServer.hpp"
#include "fakes/FakeRegistry.hpp"
#include "http/HttpClient.hpp"
#include "registry/DockerConfigJson.hpp"
#include "support/MotoServer.hpp"
#include "support/OperatorTest.hpp"
#include "util/Base64.hpp"
#include "util/TarArchive.hpp"

namespace launch::testing {
namespace {

const std::string kBucket = "launch-kaniko-e2e";
const std::string kPrefix = "contexts";
const std::string kAccessKey = "AKIAMOTOE2E";
const std::string kSecretKey = "motoSecretKeyNotChecked";
const std::string kDigest = "sha256:9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c";
const std::string kGoodDockerfile = "FROM scratch\nCOPY train.py /\n";
const std::string kBrokenDockerfile = "FROM scratch\nCOPY missing.txt /\n";
const std::string kCopyFailure =
    "INFO[0001] Retrieving image manifest scratch\n"
    "error building image: error building stage: failed to get files used from context: "
    "COPY failed: file not found: stat /kaniko/buildcontext/missing.txt: no such file or directory\n";

MotoServer* moto = nullptr;

// A signed S3 request straight to moto, for what the operator does not do (make the bucket, read an object).
Result<http::HttpResponse> s3Request(const std::string& method, const std::string& path) {
  http::HttpClient http({});
  http::HttpRequest request;
  request.method = method;
  request.url = moto->url() + path;
  const cloud::SigV4Signer signer("us-east-1", "s3", cloud::SigV4Options::forS3());
  const cloud::AwsCredentials credentials{kAccessKey, kSecretKey, "", std::nullopt, "test"};
  if (Status s = signer.signHttpRequest(request, credentials, std::chrono::system_clock::now()); !s) return s.error();
  return http.send(request);
}

// The HTTP status of a GET of an object in the bucket (0 when moto does not answer).
long objectStatus(const std::string& key) {
  auto response = s3Request("GET", "/" + kBucket + "/" + key);
  return response.ok() ? response->status : 0;
}

class KanikoTargetIT : public OperatorTest {
 protected:
  static void SetUpTestSuite() {
    OperatorTest::SetUpTestSuite();
    moto = new MotoServer();
    const Status started = moto->start();
    if (!started) {
      delete moto;
      moto = nullptr;
      FAIL() << started.error().message;
    }
    auto bucket = s3Request("PUT", "/" + kBucket);
    ASSERT_TRUE(bucket.ok() && bucket->status == 200) << (bucket ? bucket->body : bucket.error().message);
    // The operator child inherits these: its AWS default chain finds the keys, its store the endpoint.
    ::setenv("AWS_ENDPOINT_URL_S3", moto->url().c_str(), 1);
    ::setenv("AWS_ACCESS_KEY_ID", kAccessKey.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", kSecretKey.c_str(), 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  }
  static void TearDownTestSuite() {
    delete moto;
    moto = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(moto, nullptr) << "moto_server did not start";
    registry_ = std::make_unique<FakeRegistry>(FakeRegistry::Auth::Basic);
    registry_->addUser("robot", "registry-password");
    archives_.server().Get(R"(/(\w+)\.tar\.gz)", [](const httplib::Request& request, httplib::Response& response) {
      const std::string dockerfile = request.matches[1] == "broken" ? kBrokenDockerfile : kGoodDockerfile;
      auto archive = writeTar({{"Dockerfile", dockerfile}, {"train.py", "print('train')\n"}}, TarCompression::Gzip);
      if (!archive) {
        response.status = 500;
        return;
      }
      response.set_content(*archive, "application/gzip");
    });
    archives_.start();
    OperatorTest::SetUp();
    repository_ = registry_->host() + "/ml/train";
    createRegistrySecret();
    createQueue("cluster", {{"resource", "kubernetes"}});
    auto created = client().create(
        kAgents, ns_,
        {{"apiVersion", "launch.dev/v1alpha1"},
         {"kind", "LaunchAgent"},
         {"metadata", {{"name", "kaniko-agent"}}},
         {"spec",
          {{"queues", {"cluster"}},
           {"maxJobs", 4},
           {"builder",
            {{"type", "kaniko"},
             {"kaniko", {{"buildContextStore", "s3://" + kBucket + "/" + kPrefix}, {"timeoutSeconds", 900}}}}},
           {"registry",
            {{"uri", repository_}, {"insecure", true}, {"credentialsSecretRef", {{"name", "regcred"}}}}}}}});
    ASSERT_TRUE(created.ok()) << created.error().describe();
  }
  void TearDown() override {
    OperatorTest::TearDown();
    archives_.stop();
    registry_.reset();
  }

  void createRegistrySecret() {
    registry::DockerConfigJson config;
    config.set(registry_->host(), registry::RegistryCredentials{"robot", "registry-password", ""});
    auto created = client().create(res::kSecrets, ns_,
                                   {{"apiVersion", "v1"},
                                    {"kind", "Secret"},
                                    {"metadata", {{"name", "regcred"}}},
                                    {"type", "kubernetes.io/dockerconfigjson"},
                                    {"data", {{".dockerconfigjson", base64Encode(config.toJson())}}}});
    ASSERT_TRUE(created.ok()) << created.error().describe();
  }

  void createArchiveJob(const std::string& name, const std::string& archive) {
    createJob(name, "cluster", {{"source", {{"archive", {{"url", archives_.url() + "/" + archive + ".tar.gz"}}}}}});
  }

  // "lb-<name>-<first 8 of uid>": the build Job, the per-build Secret and the context object's stem.
  std::string buildName(const std::string& name) {
    const std::string uid = job(name)["metadata"].value("uid", "");
    return "lb-" + name + "-" + uid.substr(0, 8);
  }
  std::string contextKey(const std::string& name) { return kPrefix + "/" + ns_ + "/" + buildName(name) + ".tar.gz"; }

  // The batch Jobs labelled for a LaunchJob: its build (launch.dev/build=kaniko) or its runs (not).
  std::vector<Json> jobsFor(const std::string& name, bool builds) {
    std::vector<Json> found;
    const std::string selector =
        "launch.dev/job=" + name + (builds ? ",launch.dev/build=kaniko" : ",!launch.dev/build");
    auto list = client().list(res::kJobs, ns_, {selector, "", 0, "", ""});
    if (list.ok()) {
      for (const auto& j : (*list)["items"]) found.push_back(j);
    }
    return found;
  }

  std::string conditionMessage(const std::string& name, const std::string& type) {
    const Json j = job(name);
    for (const auto& c : j.value("status", Json::object()).value("conditions", Json::array())) {
      if (c.value("type", "") == type) return c.value("message", "");
    }
    return "";
  }

  bool secretGone(const std::string& secret) {
    auto got = client().get(res::kSecrets, ns_, secret);
    return !got.ok() && got.error().code == ErrorCode::NotFound;
  }

  // Waits for the build Job of a LaunchJob, then plays the kubelet for its pod: runs it and ends it.
  Json buildJob(const std::string& name) {
    Json found;
    EXPECT_TRUE(eventually(
        [&] {
          auto jobs = jobsFor(name, true);
          if (jobs.empty()) return false;
          found = jobs.front();
          return true;
        },
        std::chrono::seconds(60)))
        << job(name).dump();
    return found;
  }
  void endBuild(const std::string& buildJobName, int exitCode, const std::string& message) {
    TestKubelet kubelet(client());
    auto pod = kubelet.waitForScheduledPod(ns_, "job-name=" + buildJobName, std::chrono::seconds(60));
    ASSERT_TRUE(pod.ok()) << pod.error().describe();
    const std::string podName = (*pod)["metadata"]["name"];
    ASSERT_TRUE(kubelet.run(ns_, podName).ok());
    ASSERT_TRUE(kubelet.terminatedWithMessage(ns_, podName, exitCode, message).ok());
  }
  // Waits for the run Job the LaunchJob submits after its build and starts its pod; "" when there is none.
  std::string startRun(const std::string& name, Json& run) {
    EXPECT_TRUE(eventually(
        [&] {
          auto jobs = jobsFor(name, false);
          if (jobs.empty()) return false;
          run = jobs.front();
          return true;
        },
        std::chrono::seconds(60)))
        << job(name).dump();
    if (run.is_null()) return "";
    TestKubelet kubelet(client());
    auto pod =
        kubelet.waitForScheduledPod(ns_, "job-name=" + run["metadata"].value("name", ""), std::chrono::seconds(60));
    EXPECT_TRUE(pod.ok()) << pod.error().describe();
    if (!pod.ok()) return "";
    std::string podName = (*pod)["metadata"]["name"];
    EXPECT_TRUE(kubelet.run(ns_, podName).ok());
    EXPECT_TRUE(eventually([&] { return !field(job(name), "status", "startTime").empty(); })) << job(name).dump();
    return podName;
  }
  void succeedRun(const std::string& name, const std::string& podName) {
    TestKubelet kubelet(client());
    ASSERT_TRUE(kubelet.succeed(ns_, podName).ok());
    ASSERT_TRUE(eventually([&] { return phase(name) == "Succeeded"; }, std::chrono::seconds(60))) << job(name).dump();
  }

  FakeHttpServer archives_;
  std::unique_ptr<FakeRegistry> registry_;
  std::string repository_;
};

TEST_F(KanikoTargetIT, AnArchiveIsBuiltByAKanikoJobAndTheRunUsesTheBuiltImage) {
  createArchiveJob("train", "good");
  const Json build = buildJob("train");
  ASSERT_FALSE(build.is_null());
  ASSERT_TRUE(eventually([&] { return phase("train") == "Building"; })) << job("train").dump();
  const std::string name = buildName("train");
  const std::string image = field(job("train"), "status", "image");
  ASSERT_EQ(image.rfind(repository_ + ":", 0), 0U) << image;
  EXPECT_EQ(image.size() - image.rfind(':') - 1, 64U) << "the tag is the content sha256: " << image;

  // The registry was asked for the content-addressed tag before anything was built; it had none.
  bool asked = false;
  for (const auto& r : registry_->requests())
    asked = asked || r.path == "/v2/ml/train/manifests/" + image.substr(image.rfind(':') + 1);
  EXPECT_TRUE(asked) << "no manifest request for " << image;

  // The build Job as the API server stored it.
  EXPECT_EQ(build["metadata"]["name"], name);
  EXPECT_EQ(build["metadata"]["labels"]["launch.dev/agent"], "kaniko-agent");
  EXPECT_EQ(build["metadata"]["ownerReferences"][0]["kind"], "LaunchJob");
  const Json& spec = build["spec"];
  EXPECT_EQ(spec["backoffLimit"], 0);
  EXPECT_EQ(spec["activeDeadlineSeconds"], 900);
  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  ASSERT_EQ(pod["containers"].size(), 1U);
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["image"], std::string(api::KanikoSettings::kDefaultImage));
  const Json args = container["args"];
  const auto hasArg = [&args](const std::string& arg) {
    return std::find(args.begin(), args.end(), Json(arg)) != args.end();
  };
  EXPECT_TRUE(hasArg("--context=s3://" + kBucket + "/" + contextKey("train"))) << args.dump();
  EXPECT_TRUE(hasArg("--dockerfile=Dockerfile")) << args.dump();
  EXPECT_TRUE(hasArg("--destination=" + image)) << args.dump();
  EXPECT_TRUE(hasArg("--digest-file=/dev/termination-log")) << args.dump();
  EXPECT_TRUE(hasArg("--insecure-registry=" + registry_->host())) << args.dump();
  bool endpoint = false;
  for (const auto& e : container["env"])
    endpoint = endpoint || (e["name"] == "S3_ENDPOINT" && e["value"] == moto->url());
  EXPECT_TRUE(endpoint) << container["env"].dump();

  // The per-build Secret holds the agent's registry login; the archive is in the bucket as the context.
  auto secret = client().get(res::kSecrets, ns_, name);
  ASSERT_TRUE(secret.ok()) << secret.error().describe();
  EXPECT_TRUE((*secret)["data"].contains("config.json"));
  auto object = s3Request("GET", "/" + kBucket + "/" + contextKey("train"));
  ASSERT_TRUE(object.ok() && object->status == 200) << (object ? object->body : object.error().message);
  auto entries = readTar(object->body);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 2U);
  EXPECT_EQ((*entries)[0].path, "Dockerfile");
  EXPECT_EQ((*entries)[0].content, kGoodDockerfile);
  EXPECT_EQ((*entries)[1].path, "train.py");
  EXPECT_TRUE(jobsFor("train", false).empty()) << "a run before its image was built";

  endBuild(name, 0, kDigest);
  Json run;
  const std::string runPod = startRun("train", run);
  ASSERT_FALSE(runPod.empty());
  EXPECT_EQ(run["metadata"].value("name", "").rfind("lj-train-", 0), 0U) << run["metadata"].dump();
  EXPECT_EQ(run["spec"]["template"]["spec"]["containers"][0].value("image", ""), image);
  EXPECT_EQ(field(job("train"), "status", "image"), image);
  EXPECT_NE(conditionMessage("train", "Built").find(kDigest), std::string::npos) << job("train").dump();
  EXPECT_TRUE(eventually([&] { return phase("train") == "Running"; })) << job("train").dump();

  // The build is over while the run goes on: its push credentials and its context are not kept for it.
  EXPECT_TRUE(eventually([&] { return secretGone(name); })) << "the per-build Secret " << name;
  EXPECT_TRUE(eventually([&] { return objectStatus(contextKey("train")) == 404; })) << "the context object";

  succeedRun("train", runPod);
  EXPECT_TRUE(secretGone(name));
}

TEST_F(KanikoTargetIT, AFailedBuildFailsTheJobWithItsCauseAndTheAgentServesOn) {
  createArchiveJob("broken", "broken");
  const Json build = buildJob("broken");
  ASSERT_FALSE(build.is_null());
  const std::string name = buildName("broken");
  ASSERT_TRUE(eventually([&] { return objectStatus(contextKey("broken")) == 200; })) << "the context was uploaded";
  endBuild(name, 1, kCopyFailure);
  ASSERT_TRUE(eventually([&] { return phase("broken") == "Failed"; }, std::chrono::seconds(60)))
      << job("broken").dump();
  EXPECT_EQ(finishedReason("broken"), "BuildFailed");
  EXPECT_NE(message("broken").find("COPY failed: file not found"), std::string::npos) << message("broken");
  EXPECT_NE(message("broken").find("fix the Dockerfile"), std::string::npos) << message("broken");
  EXPECT_TRUE(jobsFor("broken", false).empty()) << "a run Job for a failed build";
  EXPECT_TRUE(eventually([&] { return secretGone(name); })) << "the per-build Secret " << name;
  EXPECT_TRUE(eventually([&] { return objectStatus(contextKey("broken")) == 404; })) << "the context object";

  // The same agent builds and runs the next job.
  createArchiveJob("after", "good");
  const Json next = buildJob("after");
  ASSERT_FALSE(next.is_null());
  endBuild(buildName("after"), 0, kDigest);
  Json run;
  const std::string runPod = startRun("after", run);
  ASSERT_FALSE(runPod.empty());
  EXPECT_EQ(run["spec"]["template"]["spec"]["containers"][0].value("image", ""),
            field(job("after"), "status", "image"));
  succeedRun("after", runPod);
  EXPECT_TRUE(jobsFor("broken", false).empty()) << "still no run Job for the failed build";
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({.full = true}));
  return RUN_ALL_TESTS();
}
