// Unit tests of SageMakerBackend against FakeSageMaker, which speaks AWS JSON 1.1 and checks every SigV4 signature.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/SageMakerBackend.hpp"
#include "backends/SageMakerClient.hpp"
#include "cloud/AwsCachedCredentialProvider.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "fakes/DroppingProxy.hpp"
#include "fakes/FakeSageMaker.hpp"

namespace launch::backends {
namespace {

using launch::testing::DroppingProxy;
using launch::testing::FakeSageMaker;

constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kSessionToken = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";
constexpr const char* kImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1";

class StaticCredentials final : public cloud::AwsCredentialProvider {
 public:
  explicit StaticCredentials(cloud::AwsCredentials credentials) : credentials_(std::move(credentials)) {}
  Result<cloud::AwsCredentials> credentials() override { return credentials_; }
  std::string name() const override { return "static"; }

 private:
  cloud::AwsCredentials credentials_;
};

api::LaunchJob makeJob(const std::string& name = "train", const std::string& uid = "0123456789abcdef") {
  api::LaunchJob job;
  job.metadata.name = name;
  job.metadata.namespace_ = "ml";
  job.metadata.uid = uid;
  job.spec.queue = "sagemaker";
  job.spec.source = api::ImageSource{kImage};
  job.spec.entryPoint = {"python", "train.py"};
  job.spec.args = {"--epochs", "3"};
  job.spec.env = {{"WANDB_PROJECT", "vision"}};
  return job;
}

Json queueConfig() {
  return Json::parse(R"({
    "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "output_data_config": {"s3_output_path": "s3://bucket/out"},
    "resource_config": {"instance_type": "ml.m5.xlarge", "volume_size_in_gb": 30}
  })");
}

class SageMakerBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.addCredentials(kAccessKey, kSecret, kSessionToken); }

  cloud::AwsCredentials credentials(const std::string& secret = kSecret) const {
    return cloud::AwsCredentials{kAccessKey, secret, kSessionToken, std::nullopt, "test credentials"};
  }
  SageMakerOptions options() const {
    SageMakerOptions options;
    options.region = "us-east-1";
    options.endpoint = fake_.url();
    options.pollInterval = std::chrono::seconds(20);
    return options;
  }
  SageMakerBackend backend(cloud::AwsCredentialProvider& provider) {
    return SageMakerBackend(options(), provider, http_, clock_,
                            [this](std::chrono::milliseconds delay) { sleeps_.push_back(delay); });
  }
  Result<std::string> submit(SageMakerBackend& backend, const api::LaunchJob& job) {
    const Json config = queueConfig();
    return backend.submit(RunSpec{job, config, "agent-1", kImage});
  }

  ManualClock clock_;
  FakeSageMaker fake_{clock_};
  http::HttpClient http_{http::HttpClientOptions{}};
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(SageMakerBackendTest, CreatesDescribesAndStopsATrainingJob) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  EXPECT_EQ(sageMaker.pollInterval(), std::chrono::seconds(20));

  auto ref = submit(sageMaker, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(*ref, "sagemaker/us-east-1/lj-train-01234567");
  const auto job = fake_.job("lj-train-01234567");
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->request["RoleArn"], "arn:aws:iam::123456789012:role/SageMakerRole");
  EXPECT_EQ(job->request["AlgorithmSpecification"]["TrainingImage"], kImage);
  EXPECT_EQ(job->request["AlgorithmSpecification"]["ContainerEntrypoint"], Json({"python", "train.py"}));
  EXPECT_EQ(job->request["Environment"]["WANDB_PROJECT"], "vision");
  EXPECT_EQ(job->request["StoppingCondition"]["MaxRuntimeInSeconds"], 86400);

  auto starting = sageMaker.observe(*ref);
  ASSERT_TRUE(starting.ok()) << starting.error().message;
  EXPECT_TRUE(starting->exists);
  EXPECT_FALSE(starting->started);
  EXPECT_FALSE(starting->finished.has_value());

  fake_.startTraining("lj-train-01234567");
  auto training = sageMaker.observe(*ref);
  ASSERT_TRUE(training.ok()) << training.error().message;
  EXPECT_TRUE(training->started);
  EXPECT_EQ(training->reason, "Running");

  ASSERT_TRUE(sageMaker.cancel(*ref).ok());
  EXPECT_EQ(fake_.job("lj-train-01234567")->status, "Stopping");
  auto stopping = sageMaker.observe(*ref);
  ASSERT_TRUE(stopping.ok());
  EXPECT_FALSE(stopping->finished.has_value());
  EXPECT_EQ(stopping->reason, "Stopping");

  fake_.finishStopping("lj-train-01234567");
  auto stopped = sageMaker.observe(*ref);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->finished, api::JobPhase::Failed);
  EXPECT_EQ(stopped->reason, "Stopped");

  // Stopping a job that is already over is fine, as is cleaning up after it.
  EXPECT_TRUE(sageMaker.cancel(*ref).ok());
  EXPECT_TRUE(sageMaker.cleanup(*ref).ok());
  EXPECT_TRUE(fake_.rejections().empty());
}

TEST_F(SageMakerBackendTest, ReportsCompletionAndTheFailureReason) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  auto good = submit(sageMaker, makeJob("good", "11111111aaaa"));
  auto bad = submit(sageMaker, makeJob("bad", "22222222bbbb"));
  ASSERT_TRUE(good.ok() && bad.ok());

  fake_.startTraining("lj-good-11111111");
  fake_.complete("lj-good-11111111");
  fake_.fail("lj-bad-22222222", "AlgorithmError: ExecuteUserScriptError:\nCommand \"python train.py\" exited 1");

  auto succeeded = sageMaker.observe(*good);
  ASSERT_TRUE(succeeded.ok());
  EXPECT_EQ(succeeded->finished, api::JobPhase::Succeeded);
  EXPECT_TRUE(succeeded->started);

  auto failed = sageMaker.observe(*bad);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->finished, api::JobPhase::Failed);
  EXPECT_EQ(failed->reason, "Failed");
  EXPECT_EQ(failed->message, "AlgorithmError: ExecuteUserScriptError: Command \"python train.py\" exited 1");
}

TEST_F(SageMakerBackendTest, RetriesThrottlingWithBackoff) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  fake_.throttleNext(1);
  auto ref = submit(sageMaker, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(fake_.calls("CreateTrainingJob"), 2);
  EXPECT_EQ(fake_.jobCount(), 1U);
  ASSERT_EQ(sleeps_.size(), 1U);
  EXPECT_LE(sleeps_[0], std::chrono::milliseconds(1000));  // throttled: up to the 1 s base, jittered

  fake_.throttleNext(2);
  auto seen = sageMaker.observe(*ref);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(fake_.calls("DescribeTrainingJob"), 3);
}

// Counts how often the cache asks for credentials.
class CountingCredentials final : public cloud::AwsCredentialProvider {
 public:
  CountingCredentials(cloud::AwsCredentials credentials, int& calls)
      : credentials_(std::move(credentials)), calls_(calls) {}
  Result<cloud::AwsCredentials> credentials() override {
    ++calls_;
    return credentials_;
  }
  std::string name() const override { return "counting"; }

 private:
  cloud::AwsCredentials credentials_;
  int& calls_;
};

TEST_F(SageMakerBackendTest, ExpiredCredentialsAreRefreshedAndTheCallRetried) {
  int fetches = 0;
  cloud::AwsCachedCredentialProvider cached(std::make_unique<CountingCredentials>(credentials(), fetches), clock_);
  SageMakerBackend sageMaker = backend(cached);
  fake_.expireTokenNext(1);
  auto seen = sageMaker.observe("sagemaker/us-east-1/lj-train-01234567");
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_FALSE(seen->exists);
  EXPECT_EQ(fetches, 2);  // the cache was dropped after ExpiredTokenException
  EXPECT_EQ(fake_.calls("DescribeTrainingJob"), 2);
}

TEST_F(SageMakerBackendTest, GivesUpOnThrottlingAfterTheAllowedAttempts) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  fake_.throttleNext(10);
  auto seen = sageMaker.observe("sagemaker/us-east-1/lj-train-01234567");
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.error().code, ErrorCode::TooManyRequests);
  EXPECT_EQ(seen.error().reason, "ThrottlingException");
  EXPECT_EQ(fake_.calls("DescribeTrainingJob"), 3);
}

TEST_F(SageMakerBackendTest, AdoptsTheJobWhenACreateWhoseAnswerWasLostIsRetried) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  fake_.failNextCreateAfterCreating();  // creates, then answers 500
  auto ref = submit(sageMaker, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(*ref, "sagemaker/us-east-1/lj-train-01234567");
  EXPECT_EQ(fake_.calls("CreateTrainingJob"), 2);  // the retry met ResourceInUse
  EXPECT_EQ(fake_.jobCount(), 1U);

  // A submit after a restart finds the same job.
  auto again = submit(sageMaker, makeJob());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *ref);
  EXPECT_EQ(fake_.jobCount(), 1U);
}

TEST_F(SageMakerBackendTest, AWrongSecretGetsAClearAuthErrorWithoutSecrets) {
  const std::string wrongSecret = "notTheRightSecretKeyEXAMPLE0000000000000";
  StaticCredentials provider(credentials(wrongSecret));
  SageMakerBackend sageMaker = backend(provider);
  auto ref = submit(sageMaker, makeJob());
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().code, ErrorCode::Unauthorized);
  EXPECT_EQ(ref.error().reason, "InvalidSignatureException");
  EXPECT_EQ(ref.error().httpStatus, 403);
  const std::string& message = ref.error().message;
  EXPECT_NE(message.find("signature we calculated does not match"), std::string::npos) << message;
  EXPECT_NE(message.find("test credentials"), std::string::npos) << message;
  // The fake, like AWS, echoed the canonical request, session token included: none of it may reach the message.
  EXPECT_EQ(message.find(kSessionToken), std::string::npos) << message;
  EXPECT_EQ(message.find(wrongSecret), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
  EXPECT_EQ(message.find("x-amz-security-token"), std::string::npos) << message;
  EXPECT_EQ(fake_.jobCount(), 0U);
  EXPECT_EQ(fake_.rejections(), std::vector<std::string>{"InvalidSignatureException"});  // not retried
}

TEST_F(SageMakerBackendTest, AnUnknownAccessKeyIsUnauthorized) {
  StaticCredentials provider(cloud::AwsCredentials{"AKIDUNKNOWN", kSecret, "", std::nullopt, "env"});
  SageMakerBackend sageMaker = backend(provider);
  auto seen = sageMaker.observe("sagemaker/us-east-1/lj-train-01234567");
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.error().code, ErrorCode::Unauthorized);
  EXPECT_EQ(seen.error().reason, "UnrecognizedClientException");
}

TEST_F(SageMakerBackendTest, AMissingJobReadsAsGoneAndCancellingItSucceeds) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  auto seen = sageMaker.observe("sagemaker/us-east-1/lj-gone-01234567");
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_FALSE(seen->exists);
  EXPECT_TRUE(sageMaker.cancel("sagemaker/us-east-1/lj-gone-01234567").ok());
}

TEST_F(SageMakerBackendTest, CancellingACompletedJobSucceeds) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  auto ref = submit(sageMaker, makeJob());
  ASSERT_TRUE(ref.ok());
  fake_.complete("lj-train-01234567");
  EXPECT_TRUE(sageMaker.cancel(*ref).ok());
  EXPECT_EQ(fake_.job("lj-train-01234567")->status, "Completed");
}

TEST_F(SageMakerBackendTest, RefsOfAnotherRegionOrBackendAreRejected) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  for (const char* ref : {"sagemaker/eu-west-1/lj-train-01234567", "projects/p/locations/l/customJobs/1"}) {
    auto seen = sageMaker.observe(ref);
    ASSERT_FALSE(seen.ok()) << ref;
    EXPECT_EQ(seen.error().code, ErrorCode::Invalid);
    EXPECT_FALSE(sageMaker.cancel(ref).ok());
  }
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(SageMakerBackendTest, LogsPointToCloudWatch) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  auto logs = sageMaker.logs("sagemaker/us-east-1/lj-train-01234567", 4096);
  ASSERT_TRUE(logs.ok());
  EXPECT_NE(logs->find("/aws/sagemaker/TrainingJobs"), std::string::npos);
  EXPECT_NE(logs->find("--log-stream-name-prefix lj-train-01234567"), std::string::npos);
  auto tail = sageMaker.logs("sagemaker/us-east-1/lj-train-01234567", 10);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->size(), 10U);
}

TEST_F(SageMakerBackendTest, ServerValidationErrorsAreInvalidAndNotRetried) {
  StaticCredentials provider(credentials());
  SageMakerClientOptions options{"us-east-1", fake_.url(), {}, std::chrono::seconds(5)};
  SageMakerClient client(options, provider, http_, clock_, [](std::chrono::milliseconds) {});
  auto answer = client.call("CreateTrainingJob", Json{{"TrainingJobName", "x"}}, true);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::Invalid);
  EXPECT_EQ(answer.error().reason, "ValidationException");
  EXPECT_NE(answer.error().message.find("Value null at 'roleArn'"), std::string::npos) << answer.error().message;
  EXPECT_EQ(fake_.calls("CreateTrainingJob"), 1);
}

TEST_F(SageMakerBackendTest, ASkewedClockIsRejected) {
  ManualClock skewed;
  skewed.advance(std::chrono::hours(1));
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker(options(), provider, http_, skewed, [](std::chrono::milliseconds) {});
  auto seen = sageMaker.observe("sagemaker/us-east-1/lj-train-01234567");
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(seen.error().message.find("Signature expired"), std::string::npos) << seen.error().message;
}

struct EndpointCase {
  const char* name;
  std::map<std::string, std::string> variables;
  const char* region;
  const char* expected;
};

class SageMakerEndpointTest : public ::testing::TestWithParam<EndpointCase> {};

TEST_P(SageMakerEndpointTest, FollowsTheSdkOrder) {
  const cloud::AwsMapEnvironment environment(GetParam().variables);
  EXPECT_EQ(sageMakerEndpoint(GetParam().region, environment), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SageMakerEndpointTest,
    ::testing::Values(
        EndpointCase{"Default", {}, "us-west-2", "https://api.sagemaker.us-west-2.amazonaws.com"},
        EndpointCase{"China", {}, "cn-north-1", "https://api.sagemaker.cn-north-1.amazonaws.com.cn"},
        EndpointCase{"Global", {{"AWS_ENDPOINT_URL", "http://localhost:5000"}}, "us-east-1", "http://localhost:5000"},
        EndpointCase{"ServiceWins",
                     {{"AWS_ENDPOINT_URL", "http://a:1"}, {"AWS_ENDPOINT_URL_SAGEMAKER", "http://b:2"}},
                     "us-east-1",
                     "http://b:2"},
        EndpointCase{"Ignored",
                     {{"AWS_ENDPOINT_URL_SAGEMAKER", "http://b:2"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}},
                     "us-east-1",
                     "https://api.sagemaker.us-east-1.amazonaws.com"}),
    [](const ::testing::TestParamInfo<EndpointCase>& info) { return std::string(info.param.name); });

TEST_F(SageMakerBackendTest, FindsTheTrainingJobAnEarlierSubmitStarted) {
  StaticCredentials provider(credentials());
  SageMakerBackend sageMaker = backend(provider);
  auto none = sageMaker.findRun(makeJob());
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  auto ref = submit(sageMaker, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  auto found = sageMaker.findRun(makeJob());
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->value_or(""), *ref);
}

TEST_F(SageMakerBackendTest, DroppedConnectionsAreRetriedAndMakeOneTrainingJob) {
  DroppingProxy proxy(std::stoi(fake_.url().substr(fake_.url().rfind(':') + 1)));
  StaticCredentials provider(credentials());
  SageMakerOptions viaProxy = options();
  viaProxy.endpoint = proxy.url();
  SageMakerBackend sageMaker(viaProxy, provider, http_, clock_,
                             [this](std::chrono::milliseconds delay) { sleeps_.push_back(delay); });
  proxy.dropNext(1);
  auto ref = submit(sageMaker, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(proxy.dropped(), 1);
  EXPECT_EQ(fake_.jobCount(), 1U);
  proxy.dropNext(2);
  auto seen = sageMaker.observe(*ref);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_TRUE(seen->exists);
  EXPECT_EQ(proxy.dropped(), 3);
}

}  // namespace
}  // namespace launch::backends
