// End to end: LaunchJobs on sagemaker and vertex queues, run by the real launch-operator (--sagemaker-region,
// --vertex-project) against moto_server and the C++ fakes of SageMaker and Vertex AI, which it reaches by URL as
// it would reach a private endpoint: jobs succeed, fail with the cloud's reason, are cancelled, and survive
// throttling; credentials come from the operator's environment and never reach the LaunchJob's status.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "fakes/FakeSageMaker.hpp"
#include "fakes/FakeVertex.hpp"
#include "support/MotoServer.hpp"
#include "support/OperatorTest.hpp"
#include "util/Clock.hpp"

namespace launch::testing {
namespace {

constexpr const char* kAccessKey = "AKIDCLOUDTARGETIT";
constexpr const char* kSecret = "cloudTargetItSecretKeyThatMustNeverLeak0001";
constexpr const char* kEmail = "launcher@proj.iam.gserviceaccount.com";

const Json kSageMakerConfig = Json::parse(R"({
  "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
  "output_data_config": {"s3_output_path": "s3://bucket/out"},
  "resource_config": {"instance_type": "ml.m5.xlarge", "instance_count": 1, "volume_size_in_gb": 30}})");
const Json kVertexConfig = Json::parse(R"({
  "worker_pool_specs": [{"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}]})");

class CloudTargetIT : public OperatorTest {
 protected:
  void SetUp() override {
    ::setenv("AWS_ACCESS_KEY_ID", kAccessKey, 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", kSecret, 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_PROFILE");
    ::setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    sageMaker_.addCredentials(kAccessKey, kSecret, "");
    vertex_.tokenEndpoint().addServiceAccount(kEmail, "key-1", testKeyPair().publicKeyPem);
    keyFile_ = plane().directory() + "/vertex-key-" + std::to_string(::getpid()) + ".json";
    ASSERT_TRUE(writeFile(
        keyFile_, serviceAccountKeyJson(kEmail, testKeyPair().privateKeyPem, vertex_.tokenEndpoint().tokenUri())));
    ::setenv("GOOGLE_APPLICATION_CREDENTIALS", keyFile_.c_str(), 1);
    ::setenv("AWS_ENDPOINT_URL_SAGEMAKER", sageMakerEndpoint().c_str(), 1);
    extraOperatorArgs_ = {
        "--sagemaker-region", "us-east-1",   "--vertex-project",      "proj", "--vertex-region", "us-central1",
        "--vertex-endpoint",  vertex_.url(), "--cloud-poll-interval", "1"};
    OperatorTest::SetUp();
    createQueue("sagemaker", {{"resource", "sagemaker"}, {"config", kSageMakerConfig}});
    createQueue("vertex", {{"resource", "vertex"}, {"config", kVertexConfig}});
    createAgent("agent", {"sagemaker", "vertex"}, 10);
  }
  void TearDown() override {
    OperatorTest::TearDown();
    ::unsetenv("AWS_ENDPOINT_URL_SAGEMAKER");
    ::unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
  }
  virtual std::string sageMakerEndpoint() { return sageMaker_.url(); }

  std::string backendRef(const std::string& name) { return field(job(name), "status", "backendRef"); }
  void expectNoSecretIn(const std::string& name) {
    const std::string dumped = job(name).dump();
    EXPECT_EQ(dumped.find(kSecret), std::string::npos) << "the AWS secret reached the LaunchJob";
    EXPECT_EQ(dumped.find("PRIVATE KEY"), std::string::npos) << "the Google key reached the LaunchJob";
    EXPECT_EQ(operator_->log().find(kSecret), std::string::npos) << "the AWS secret reached the operator's log";
  }

  FakeSageMaker sageMaker_{SystemClock::instance()};
  FakeVertex vertex_{SystemClock::instance()};
  std::string keyFile_;
};

TEST_F(CloudTargetIT, ASageMakerJobRunsToSuccessAndAFailedOneReportsItsFailureReason) {
  createJob("train", "sagemaker");
  createJob("broken", "sagemaker");
  ASSERT_TRUE(eventually([&] { return !backendRef("train").empty() && !backendRef("broken").empty(); }))
      << job("train").dump();
  const std::string train = backendRef("train").substr(backendRef("train").rfind('/') + 1);
  const std::string broken = backendRef("broken").substr(backendRef("broken").rfind('/') + 1);
  ASSERT_TRUE(sageMaker_.job(train).has_value());
  EXPECT_EQ(sageMaker_.job(train)->request["AlgorithmSpecification"]["TrainingImage"], "registry.local/train:1");

  sageMaker_.startTraining(train);
  ASSERT_TRUE(eventually([&] { return !field(job("train"), "status", "startTime").empty(); })) << job("train").dump();
  sageMaker_.complete(train);
  ASSERT_TRUE(eventually([&] { return phase("train") == "Succeeded"; })) << job("train").dump();

  sageMaker_.fail(broken, "AlgorithmError: ExecuteUserScriptError: exit code 2");
  ASSERT_TRUE(eventually([&] { return phase("broken") == "Failed"; })) << job("broken").dump();
  EXPECT_NE(message("broken").find("ExecuteUserScriptError"), std::string::npos) << message("broken");
  EXPECT_EQ(sageMaker_.jobCount(), 2U) << "each LaunchJob made exactly one training job";
  expectNoSecretIn("train");
}

TEST_F(CloudTargetIT, CancellingASageMakerJobStopsTheTrainingJob) {
  createJob("stop-me", "sagemaker");
  ASSERT_TRUE(eventually([&] { return !backendRef("stop-me").empty(); }));
  const std::string name = backendRef("stop-me").substr(backendRef("stop-me").rfind('/') + 1);
  sageMaker_.startTraining(name);
  ASSERT_TRUE(client().patch(kLaunchJobs, ns_, "stop-me", {{"spec", {{"cancel", true}}}}).ok());
  ASSERT_TRUE(eventually([&] { return phase("stop-me") == "Cancelled"; })) << job("stop-me").dump();
  ASSERT_TRUE(eventually([&] { return sageMaker_.calls("StopTrainingJob") >= 1; }));
  EXPECT_EQ(sageMaker_.job(name)->status, "Stopping");
}

TEST_F(CloudTargetIT, SageMakerThrottlingIsRetriedAndTheJobStillEndsRight) {
  sageMaker_.throttleNext(3);
  createJob("throttled", "sagemaker");
  ASSERT_TRUE(eventually([&] { return !backendRef("throttled").empty(); })) << job("throttled").dump();
  const std::string name = backendRef("throttled").substr(backendRef("throttled").rfind('/') + 1);
  sageMaker_.complete(name);
  ASSERT_TRUE(eventually([&] { return phase("throttled") == "Succeeded"; })) << job("throttled").dump();
  EXPECT_EQ(sageMaker_.jobCount(), 1U);
}

TEST_F(CloudTargetIT, AVertexJobWalksItsStatesAndAFailedOneReportsTheError) {
  createJob("custom", "vertex", {{"entryPoint", {"python", "train.py"}}});
  createJob("bad", "vertex");
  ASSERT_TRUE(eventually([&] { return !backendRef("custom").empty() && !backendRef("bad").empty(); }))
      << job("custom").dump();
  const std::string ref = backendRef("custom");
  EXPECT_EQ(ref.rfind("projects/123456789012/locations/us-central1/customJobs/", 0), 0U) << ref;
  const auto created = vertex_.job(ref);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ((*created)["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]["command"], Json({"python", "train.py"}));

  vertex_.advance(ref);  // PENDING
  vertex_.advance(ref);  // RUNNING
  ASSERT_TRUE(eventually([&] { return !field(job("custom"), "status", "startTime").empty(); })) << job("custom").dump();
  vertex_.advance(ref);  // SUCCEEDED
  ASSERT_TRUE(eventually([&] { return phase("custom") == "Succeeded"; })) << job("custom").dump();

  vertex_.fail(backendRef("bad"), "The replica workerpool0-0 exited with a non-zero status of 1.");
  ASSERT_TRUE(eventually([&] { return phase("bad") == "Failed"; })) << job("bad").dump();
  EXPECT_NE(message("bad").find("non-zero status of 1"), std::string::npos) << message("bad");
  EXPECT_EQ(vertex_.jobCount(), 2U);
  EXPECT_EQ(vertex_.unauthenticated(), 0) << "every call carried a token from the JWT grant";
  expectNoSecretIn("custom");
}

TEST_F(CloudTargetIT, CancellingAVertexJobCancelsTheCustomJob) {
  createJob("cancel-me", "vertex");
  ASSERT_TRUE(eventually([&] { return !backendRef("cancel-me").empty(); }));
  const std::string ref = backendRef("cancel-me");
  ASSERT_TRUE(client().remove(kLaunchJobs, ns_, "cancel-me").ok());
  ASSERT_TRUE(eventually([&] { return !client().get(kLaunchJobs, ns_, "cancel-me").ok(); }))
      << "the finalizer was not released";
  EXPECT_GE(vertex_.calls("cancel"), 1);
  const auto cancelled = vertex_.job(ref);
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ((*cancelled)["state"], "JOB_STATE_CANCELLING");
}

TEST_F(CloudTargetIT, VertexThrottlingIsRetriedWithoutASecondCustomJob) {
  vertex_.throttleNext(3);
  createJob("throttled", "vertex");
  ASSERT_TRUE(eventually([&] { return !backendRef("throttled").empty(); })) << job("throttled").dump();
  EXPECT_EQ(vertex_.jobCount(), 1U);
  EXPECT_EQ(vertex_.calls("create"), 1);
}

// The SageMaker API of moto_server (a real AWS emulator) behind the same operator: a job created there completes.
class CloudTargetOnMotoIT : public CloudTargetIT {
 protected:
  static void SetUpTestSuite() {
    CloudTargetIT::SetUpTestSuite();
    moto_ = new MotoServer();
    const Status started = moto_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  std::string sageMakerEndpoint() override { return moto_ != nullptr ? moto_->url() : ""; }
  static MotoServer* moto_;
};
MotoServer* CloudTargetOnMotoIT::moto_ = nullptr;

TEST_F(CloudTargetOnMotoIT, ASageMakerJobOnMotoRunsToSuccess) {
  createJob("on-moto", "sagemaker");
  ASSERT_TRUE(eventually([&] { return phase("on-moto") == "Succeeded"; })) << job("on-moto").dump();
  EXPECT_EQ(backendRef("on-moto").rfind("sagemaker/us-east-1/lj-on-moto-", 0), 0U) << backendRef("on-moto");
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
