// Tests of KanikoBuilder against a recording fake API server (the requests it makes, the Job and Secret it
// writes), and of the context stores against verifying fakes of S3 (SigV4 checked) and Cloud Storage.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "build/BuildContextStore.hpp"
#include "build/GcsContextStore.hpp"
#include "build/KanikoBuilder.hpp"
#include "build/S3ContextStore.hpp"
#include "fakes/FakeGcs.hpp"
#include "fakes/FakeKubeApiServer.hpp"
#include "fakes/FakeS3.hpp"
#include "registry/StaticCredentialSource.hpp"
#include "util/Base64.hpp"
#include "util/Crypto.hpp"
#include "util/Files.hpp"
#include "util/TarArchive.hpp"

namespace launch::build {
namespace {

namespace fs = std::filesystem;
using testing::FakeGcs;
using testing::FakeKubeApiServer;
using testing::FakeS3;
using Json = nlohmann::json;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
const std::string kJobPath = "/apis/batch/v1/namespaces/ml/jobs/lb-train-01234567";
const std::string kSecretPath = "/api/v1/namespaces/ml/secrets/lb-train-01234567";

class StaticAws final : public cloud::AwsCredentialProvider {
 public:
  StaticAws(std::string id, std::string secret) : id_(std::move(id)), secret_(std::move(secret)) {}
  Result<cloud::AwsCredentials> credentials() override {
    return cloud::AwsCredentials{id_, secret_, "", std::nullopt, "test"};
  }
  std::string name() const override { return "static"; }

 private:
  std::string id_;
  std::string secret_;
};

class StaticToken final : public cloud::GoogleTokenSource {
 public:
  explicit StaticToken(std::string token) : token_(std::move(token)) {}
  Result<cloud::AccessToken> token() override { return cloud::AccessToken{token_, {}}; }
  std::string describe() const override { return "test account"; }

 private:
  std::string token_;
};

api::LaunchJob makeJob() {
  api::LaunchJob job;
  job.metadata.name = "train";
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123456789abcdef";
  job.spec.queue = "gpu";
  job.spec.source = api::ArchiveSource{"https://example.com/src.tar.gz", ""};
  return job;
}

// --- the context stores ---

TEST(BuildContextStoreUrl, ParsesTheSupportedForms) {
  struct Case {
    std::string url;
    bool ok;
    std::string scheme, bucket, prefix;
  };
  const std::vector<Case> cases = {
      {"s3://contexts", true, "s3", "contexts", ""},
      {"s3://contexts/launch/", true, "s3", "contexts", "launch"},
      {"gs://ml-builds/a/b", true, "gs", "ml-builds", "a/b"},
      {"s3:///nobucket", false, "", "", ""},
      {"https://acct.blob.core.windows.net/c/p", false, "", "", ""},
      {"file:///tmp", false, "", "", ""},
  };
  for (const auto& c : cases) {
    auto location = parseBuildContextStore(c.url);
    ASSERT_EQ(location.ok(), c.ok) << c.url;
    if (!location) {
      EXPECT_NE(location.error().message.find("s3://bucket"), std::string::npos) << location.error().message;
      continue;
    }
    EXPECT_EQ(location->scheme, c.scheme);
    EXPECT_EQ(location->bucket, c.bucket);
    EXPECT_EQ(location->prefix, c.prefix);
  }
}

TEST(BuildContextStoreUrl, OpeningAStoreNeedsCredentialsForItsKind) {
  http::HttpClient http({});
  BuildContextStoreClients clients;
  clients.http = &http;
  auto s3 = openBuildContextStore("s3://b/p", clients);
  ASSERT_FALSE(s3.ok());
  EXPECT_NE(s3.error().message.find("spec.environment"), std::string::npos);
  auto gs = openBuildContextStore("gs://b/p", clients);
  ASSERT_FALSE(gs.ok());
  EXPECT_NE(gs.error().message.find("Google"), std::string::npos);
  clients.aws = std::make_shared<StaticAws>("a", "b");
  auto opened = openBuildContextStore("s3://b/p", clients);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ((*opened)->contextUrl("ml/x.tar.gz"), "s3://b/p/ml/x.tar.gz");
}

class S3ContextStoreTest : public ::testing::Test {
 protected:
  FakeS3 s3_{"contexts", "eu-west-1"};
  http::HttpClient http_{{}};
  S3ContextStore store(const std::string& secret = {}) {
    return S3ContextStore(http_, std::make_shared<StaticAws>(s3_.accessKeyId(), secret.empty() ? s3_.secret() : secret),
                          {"contexts", "launch", "eu-west-1", s3_.url()});
  }
};

TEST_F(S3ContextStoreTest, PutIsASignedPathStylePutObject) {
  auto s = store();
  ASSERT_TRUE(s.put("ml/lb-train-01234567.tar.gz", "archive-bytes").ok());
  const auto calls = s3_.calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].rejection, "") << "the fake recomputed the SigV4 signature";
  EXPECT_EQ(calls[0].method, "PUT");
  EXPECT_EQ(calls[0].target, "/contexts/launch/ml/lb-train-01234567.tar.gz");
  EXPECT_EQ(calls[0].headers.at("content-type"), "application/gzip");
  EXPECT_EQ(calls[0].headers.at("x-amz-content-sha256"), sha256Hex("archive-bytes"));
  EXPECT_NE(calls[0].headers.at("authorization").find("/eu-west-1/s3/aws4_request"), std::string::npos);
  EXPECT_EQ(s3_.objects().at("launch/ml/lb-train-01234567.tar.gz"), "archive-bytes");
  EXPECT_EQ(s.contextUrl("ml/lb-train-01234567.tar.gz"), "s3://contexts/launch/ml/lb-train-01234567.tar.gz");
  EXPECT_EQ(s.executorEnv(),
            (std::vector<std::pair<std::string, std::string>>{
                {"AWS_REGION", "eu-west-1"}, {"S3_ENDPOINT", s3_.url()}, {"S3_FORCE_PATH_STYLE", "true"}}));
}

TEST_F(S3ContextStoreTest, RetriesAThrottledPutAndSignsEachAttempt) {
  s3_.throttleNext(1);
  auto s = store();
  ASSERT_TRUE(s.put("ml/a.tar.gz", "x").ok());
  const auto calls = s3_.calls();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[1].rejection, "");
  EXPECT_EQ(s3_.objects().count("launch/ml/a.tar.gz"), 1U);
}

TEST_F(S3ContextStoreTest, RemoveDeletesAndAMissingObjectIsFine) {
  auto s = store();
  ASSERT_TRUE(s.put("ml/a.tar.gz", "x").ok());
  ASSERT_TRUE(s.remove("ml/a.tar.gz").ok());
  EXPECT_TRUE(s3_.objects().empty());
  ASSERT_TRUE(s.remove("ml/a.tar.gz").ok());
  EXPECT_EQ(s3_.calls().back().method, "DELETE");
  EXPECT_EQ(s3_.calls().back().rejection, "");
}

TEST_F(S3ContextStoreTest, ARejectedSignatureSaysWhatToCheck) {
  auto s = store("wrong-secret");
  auto put = s.put("ml/a.tar.gz", "x");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, ErrorCode::Forbidden);
  EXPECT_NE(put.error().message.find("SignatureDoesNotMatch"), std::string::npos) << put.error().message;
  EXPECT_NE(put.error().message.find("s3:PutObject"), std::string::npos) << put.error().message;
}

TEST(S3ContextStoreUrls, AwsIsAddressedVirtualHostStyle) {
  http::HttpClient http({});
  S3ContextStore store(http, std::make_shared<StaticAws>("a", "b"), {"contexts", "", "us-west-2", ""});
  EXPECT_EQ(store.objectUrl("ml/lb x.tar.gz"), "https://contexts.s3.us-west-2.amazonaws.com/ml/lb%20x.tar.gz");
  EXPECT_EQ(store.executorEnv(), (std::vector<std::pair<std::string, std::string>>{{"AWS_REGION", "us-west-2"}}));
  EXPECT_EQ(store.contextUrl("ml/a.tar.gz"), "s3://contexts/ml/a.tar.gz");
}

TEST(GcsContextStoreTest, UploadsAndDeletesThroughTheJsonApi) {
  FakeGcs gcs("ml-builds", "ya29.token");
  http::HttpClient http({});
  GcsContextStore store(http, std::make_shared<StaticToken>("ya29.token"), {"ml-builds", "ctx", gcs.url()});
  ASSERT_TRUE(store.put("ml/lb-train-01234567.tar.gz", "archive").ok());
  EXPECT_EQ(gcs.objects().at("ctx/ml/lb-train-01234567.tar.gz"), "archive");
  const auto calls = gcs.calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].target,
            "/upload/storage/v1/b/ml-builds/o?uploadType=media&name=ctx%2Fml%2Flb-train-01234567.tar.gz");
  EXPECT_EQ(calls[0].contentType, "application/gzip");
  EXPECT_EQ(store.contextUrl("ml/lb-train-01234567.tar.gz"), "gs://ml-builds/ctx/ml/lb-train-01234567.tar.gz");
  ASSERT_TRUE(store.remove("ml/lb-train-01234567.tar.gz").ok());
  EXPECT_TRUE(gcs.objects().empty());
  EXPECT_EQ(gcs.calls().back().target, "/storage/v1/b/ml-builds/o/ctx%2Fml%2Flb-train-01234567.tar.gz");
  EXPECT_TRUE(store.remove("ml/lb-train-01234567.tar.gz").ok()) << "a missing object is fine";
}

TEST(GcsContextStoreTest, ARefusedTokenIsAnError) {
  FakeGcs gcs("ml-builds", "ya29.token");
  http::HttpClient http({});
  GcsContextStore store(http, std::make_shared<StaticToken>("stale"), {"ml-builds", "", gcs.url()});
  auto put = store.put("a.tar.gz", "x");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(put.error().message.find("Invalid Credentials"), std::string::npos) << put.error().message;
}

// --- the builder ---

class KanikoBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("launch-kaniko-builder-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "app");
    ASSERT_TRUE(writeFile((dir_ / "app" / "train.py").string(), "print('train')\n").ok());
    ASSERT_TRUE(writeFile((dir_ / "app" / "Dockerfile").string(), "FROM python:3.12\n").ok());
    source_ = CheckedOutSource{dir_, dir_ / "app", "git:" + kCommit};
    kube::KubeClientOptions options;
    options.retry.maxAttempts = 1;
    client_ = std::make_unique<kube::KubeClient>(api_.config(), options);
    api_.script("POST", "/api/v1/namespaces/ml/secrets", {FakeKubeApiServer::json(201, "{}")});
    api_.script("POST", "/apis/batch/v1/namespaces/ml/jobs", {FakeKubeApiServer::json(201, "{}")});
  }
  void TearDown() override { fs::remove_all(dir_); }

  KanikoBuilderOptions options() {
    KanikoBuilderOptions o;
    o.ns = "ml";
    o.agent = "agent-1";
    o.settings.timeoutSeconds = 600;
    return o;
  }
  std::unique_ptr<BuildContextStore> s3Store() {
    return std::make_unique<S3ContextStore>(http_, std::make_shared<StaticAws>(s3_.accessKeyId(), s3_.secret()),
                                            S3ContextStoreOptions{"contexts", "launch", "us-east-1", s3_.url()});
  }
  std::vector<std::string> calls() const {
    std::vector<std::string> out;
    for (const auto& r : api_.requests()) out.push_back(r.method + " " + r.path);
    return out;
  }
  Json bodyOf(const std::string& method, const std::string& path) const {
    for (const auto& r : api_.requests()) {
      if (r.method == method && r.path == path) return Json::parse(r.body);
    }
    return Json();
  }

  FakeKubeApiServer api_;
  FakeS3 s3_{"contexts"};
  http::HttpClient http_{{}};
  std::unique_ptr<kube::KubeClient> client_;
  fs::path dir_;
  CheckedOutSource source_;
};

TEST_F(KanikoBuilderTest, AnArchiveSourceIsUploadedThenTheSecretThenTheJob) {
  KanikoBuilderOptions o = options();
  o.registryCredentials =
      std::make_shared<registry::StaticCredentialSource>(registry::RegistryCredentials{"robot", "pw", ""});
  KanikoBuilder builder(*client_, o, s3Store());
  const api::LaunchJob job = makeJob();
  const BuildRequest request{job, source_, "Dockerfile", "FROM python:3.12-slim\n",
                             "registry.example.com/ml/train:c0ffee"};
  ASSERT_TRUE(builder.submit(request).ok());

  EXPECT_EQ(calls(), (std::vector<std::string>{"GET " + kJobPath, "POST /api/v1/namespaces/ml/secrets",
                                               "POST /apis/batch/v1/namespaces/ml/jobs"}));
  // The context: the checked-out directory with the Dockerfile to build, signed into the store.
  ASSERT_EQ(s3_.calls().size(), 1U);
  EXPECT_EQ(s3_.calls()[0].rejection, "");
  const auto objects = s3_.objects();
  ASSERT_EQ(objects.count("launch/ml/lb-train-01234567.tar.gz"), 1U);
  auto entries = readTar(objects.at("launch/ml/lb-train-01234567.tar.gz"));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2U);
  EXPECT_EQ((*entries)[0].path, "Dockerfile");
  EXPECT_EQ((*entries)[0].content, "FROM python:3.12-slim\n");
  EXPECT_EQ((*entries)[1].path, "train.py");

  const Json secret = bodyOf("POST", "/api/v1/namespaces/ml/secrets");
  EXPECT_EQ(secret["metadata"]["name"], "lb-train-01234567");
  const Json config = Json::parse(secret["stringData"]["config.json"].get<std::string>());
  EXPECT_EQ(config["auths"]["registry.example.com"]["auth"], base64Encode("robot:pw"));

  const Json manifest = bodyOf("POST", "/apis/batch/v1/namespaces/ml/jobs");
  EXPECT_EQ(manifest["metadata"]["name"], "lb-train-01234567");
  EXPECT_EQ(manifest["spec"]["activeDeadlineSeconds"], 600);
  const Json& container = manifest["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["image"], std::string(api::KanikoSettings::kDefaultImage));
  EXPECT_EQ(container["args"],
            Json::array({"--context=s3://contexts/launch/ml/lb-train-01234567.tar.gz", "--dockerfile=Dockerfile",
                         "--destination=registry.example.com/ml/train:c0ffee", "--digest-file=/dev/termination-log"}));
  EXPECT_EQ(container["env"], Json::parse(R"([{"name": "AWS_REGION", "value": "us-east-1"},
                                               {"name": "S3_ENDPOINT", "value": ")" +
                                          s3_.url() + R"("},
                                               {"name": "S3_FORCE_PATH_STYLE", "value": "true"}])"));
  EXPECT_EQ(manifest["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"], "lb-train-01234567");
}

TEST_F(KanikoBuilderTest, ASecondSubmitFindsTheJobAndMakesNothing) {
  api_.script("GET", kJobPath, {FakeKubeApiServer::json(200, R"({"metadata":{"name":"lb-train-01234567"}})")});
  KanikoBuilder builder(*client_, options(), s3Store());
  const api::LaunchJob job = makeJob();
  ASSERT_TRUE(builder.submit({job, source_, "Dockerfile", "FROM x\n", "registry.example.com/ml/train:1"}).ok());
  EXPECT_EQ(calls(), (std::vector<std::string>{"GET " + kJobPath}));
  EXPECT_TRUE(s3_.calls().empty());
}

TEST_F(KanikoBuilderTest, AGitSourceBuildsFromTheRepositoryWithoutAStore) {
  KanikoBuilderOptions o = options();
  o.registrySecret = api::SecretRef{"regcred"};
  KanikoBuilder builder(*client_, o);
  api::LaunchJob job = makeJob();
  job.spec.source =
      api::GitSource{"https://git.example.com/ml/repo.git", "main", "app", "", api::SecretRef{"git-token"}};
  // The repository's own Dockerfile: no Secret is needed at all.
  ASSERT_TRUE(
      builder.submit({job, source_, "Dockerfile", "FROM python:3.12\n", "registry.example.com/ml/train:1"}).ok());
  EXPECT_EQ(calls(), (std::vector<std::string>{"GET " + kJobPath, "POST /apis/batch/v1/namespaces/ml/jobs"}));
  const Json manifest = bodyOf("POST", "/apis/batch/v1/namespaces/ml/jobs");
  const Json& pod = manifest["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["args"][0], "--context=git://git.example.com/ml/repo.git##" + kCommit);
  EXPECT_EQ(pod["containers"][0]["args"][1], "--dockerfile=Dockerfile");
  EXPECT_EQ(pod["containers"][0]["args"][4], "--context-sub-path=app");
  EXPECT_EQ(pod["containers"][0]["env"][1]["valueFrom"]["secretKeyRef"]["name"], "git-token");
  EXPECT_EQ(pod["volumes"][0]["secret"]["secretName"], "regcred");
  EXPECT_EQ(pod["volumes"][0]["secret"]["items"][0]["key"], ".dockerconfigjson");
}

TEST_F(KanikoBuilderTest, AGeneratedDockerfileForAGitSourceComesFromThePerBuildSecret) {
  KanikoBuilder builder(*client_, options());
  api::LaunchJob job = makeJob();
  job.spec.source = api::GitSource{"https://git.example.com/ml/repo.git", "", "app", "", std::nullopt};
  ASSERT_TRUE(builder.submit({job, source_, "Dockerfile", "FROM generated\n", "registry.example.com/ml/train:1"}).ok());
  const Json secret = bodyOf("POST", "/api/v1/namespaces/ml/secrets");
  EXPECT_EQ(secret["stringData"], Json({{"Dockerfile", "FROM generated\n"}}));
  const Json manifest = bodyOf("POST", "/apis/batch/v1/namespaces/ml/jobs");
  EXPECT_EQ(manifest["spec"]["template"]["spec"]["containers"][0]["args"][1],
            "--dockerfile=/kaniko/launch-build/Dockerfile");
}

TEST_F(KanikoBuilderTest, ASecretLeftByAnEarlierAttemptIsRewritten) {
  api_.script("POST", "/api/v1/namespaces/ml/secrets", {FakeKubeApiServer::status(409, "AlreadyExists")});
  api_.script("PATCH", kSecretPath, {FakeKubeApiServer::json(200, "{}")});
  KanikoBuilderOptions o = options();
  o.registryCredentials =
      std::make_shared<registry::StaticCredentialSource>(registry::RegistryCredentials{"AWS", "fresh-token", ""});
  KanikoBuilder builder(*client_, o, s3Store());
  const api::LaunchJob job = makeJob();
  ASSERT_TRUE(builder.submit({job, source_, "Dockerfile", "FROM x\n", "registry.example.com/ml/train:1"}).ok());
  const Json patch = bodyOf("PATCH", kSecretPath);
  EXPECT_NE(patch["stringData"]["config.json"].get<std::string>().find(base64Encode("AWS:fresh-token")),
            std::string::npos);
  EXPECT_EQ(calls().back(), "POST /apis/batch/v1/namespaces/ml/jobs");
}

TEST_F(KanikoBuilderTest, ASourceKanikoCannotCloneNeedsAStore) {
  KanikoBuilder builder(*client_, options());
  api::LaunchJob job = makeJob();
  job.spec.source = api::GitSource{"ssh://git@git.example.com/ml/repo.git", "", "", "", std::nullopt};
  const Status submitted = builder.submit({job, source_, "Dockerfile", "FROM x\n", "registry.example.com/ml/t:1"});
  ASSERT_FALSE(submitted.ok());
  EXPECT_EQ(submitted.error().code, ErrorCode::Invalid);
  EXPECT_NE(submitted.error().message.find("spec.builder.kaniko.buildContextStore"), std::string::npos);
  EXPECT_EQ(calls(), (std::vector<std::string>{"GET " + kJobPath})) << "nothing is created";
}

TEST_F(KanikoBuilderTest, ObserveReadsTheJobWhenTheCacheHasNotSeenIt) {
  KanikoBuilder builder(*client_, options());
  auto none = builder.observe(makeJob());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->exists);
  api_.script("GET", kJobPath,
              {FakeKubeApiServer::json(200, R"({"metadata":{"name":"lb-train-01234567","namespace":"ml"},
                           "spec":{"template":{"spec":{"containers":[{"name":"kaniko","image":"k",
                             "args":["--destination=registry.example.com/ml/train:1"]}]}}},
                           "status":{"conditions":[{"type":"Complete","status":"True"}]}})")});
  auto seen = builder.observe(makeJob());
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_TRUE(seen->exists);
  EXPECT_EQ(seen->succeeded, true);
}

TEST_F(KanikoBuilderTest, WatchesItsOwnJobsAndPodsAndReadsTheBuildLog) {
  const std::string digest = "sha256:" + std::string(64, 'e');
  const Json job = Json::parse(R"({"metadata":{"name":"lb-train-01234567","namespace":"ml","resourceVersion":"5",
      "labels":{"launch.dev/job":"train","launch.dev/build":"kaniko"}},
    "spec":{"template":{"spec":{"containers":[{"name":"kaniko","image":"k",
      "args":["--destination=registry.example.com/ml/train:1"]}]}}}})");
  Json pod = Json::parse(R"({"metadata":{"name":"lb-train-01234567-x7k2p","namespace":"ml","resourceVersion":"6",
      "creationTimestamp":"2026-01-01T00:00:00Z",
      "labels":{"launch.dev/job":"train","launch.dev/build":"kaniko","job-name":"lb-train-01234567"}},
    "status":{"phase":"Succeeded","containerStatuses":[{"name":"kaniko","state":{"terminated":{"exitCode":0}}}]}})");
  pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"] = digest;
  const auto listThenIdleWatch = [](const Json& item) {
    return [item](const httplib::Request& request, httplib::Response& response) {
      if (request.has_param("watch")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        FakeKubeApiServer::chunks({})(request, response);
        return;
      }
      const Json list = {{"metadata", {{"resourceVersion", "10"}}}, {"items", Json::array({item})}};
      FakeKubeApiServer::json(200, list.dump())(request, response);
    };
  };
  api_.script("GET", "/apis/batch/v1/namespaces/ml/jobs", {listThenIdleWatch(job)});
  api_.script("GET", "/api/v1/namespaces/ml/pods", {listThenIdleWatch(pod)});
  api_.script("GET", "/api/v1/namespaces/ml/pods/lb-train-01234567-x7k2p/log",
              {[](const httplib::Request&, httplib::Response& response) {
                response.set_content("INFO[0000] Retrieving image manifest\nINFO[0009] Pushing image\n", "text/plain");
              }});

  KanikoBuilder builder(*client_, options());
  std::mutex mutex;
  std::vector<std::string> changed;
  ASSERT_TRUE(builder
                  .start([&](const std::string& key) {
                    const std::lock_guard lock(mutex);
                    changed.push_back(key);
                  })
                  .ok());
  {
    const std::lock_guard lock(mutex);
    EXPECT_EQ(std::count(changed.begin(), changed.end(), "ml/train"), 2) << "the Job and the pod were added";
  }
  auto seen = builder.observe(makeJob());
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->succeeded, true);
  EXPECT_EQ(seen->digest, digest);
  EXPECT_EQ(api_.count("GET", kJobPath), 0U) << "observe reads the cache";

  auto log = builder.logs(makeJob(), 20);
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(*log, "0009] Pushing image\n") << "the last maxBytes of the log";
  builder.stop();
  for (const auto& r : api_.requests()) {
    if (r.path == "/api/v1/namespaces/ml/pods" || r.path == "/apis/batch/v1/namespaces/ml/jobs") {
      EXPECT_EQ(r.query.at("labelSelector"), "launch.dev/build=kaniko") << r.path;
    }
    if (r.path == "/api/v1/namespaces/ml/pods/lb-train-01234567-x7k2p/log") {
      EXPECT_EQ(r.query.at("container"), "kaniko");
      EXPECT_EQ(r.query.at("tailLines"), "100");
    }
  }
}

TEST_F(KanikoBuilderTest, CancelDeletesTheJobAndItsPod) {
  api_.script("DELETE", kJobPath, {FakeKubeApiServer::json(200, "{}")});
  KanikoBuilder builder(*client_, options());
  ASSERT_TRUE(builder.cancel(makeJob()).ok());
  const Json body = bodyOf("DELETE", kJobPath);
  EXPECT_EQ(body["propagationPolicy"], "Background");
  ASSERT_TRUE(builder.cancel(makeJob()).ok()) << "the second DELETE finds nothing, which is fine";
}

TEST_F(KanikoBuilderTest, CleanupRemovesTheJobTheSecretAndTheContext) {
  KanikoBuilder builder(*client_, options(), s3Store());
  const api::LaunchJob job = makeJob();
  ASSERT_TRUE(builder.submit({job, source_, "Dockerfile", "FROM x\n", "registry.example.com/ml/train:1"}).ok());
  ASSERT_EQ(s3_.objects().size(), 1U);
  api_.script("DELETE", kJobPath, {FakeKubeApiServer::json(200, "{}")});
  api_.script("DELETE", kSecretPath, {FakeKubeApiServer::json(200, "{}")});
  ASSERT_TRUE(builder.cleanup(job).ok());
  EXPECT_EQ(api_.count("DELETE", kJobPath), 1U);
  EXPECT_EQ(api_.count("DELETE", kSecretPath), 1U);
  EXPECT_TRUE(s3_.objects().empty());
  EXPECT_EQ(s3_.calls().back().method, "DELETE");
  EXPECT_EQ(s3_.calls().back().rejection, "");
}

}  // namespace
}  // namespace launch::build
