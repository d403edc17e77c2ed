// Integration: SageMakerBackend against the real moto_server (an AWS API emulator): create and describe a training
// job over signed AWS JSON 1.1, with the endpoint taken from AWS_ENDPOINT_URL_SAGEMAKER.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "backends/SageMakerBackend.hpp"
#include "backends/SageMakerClient.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "http/HttpClient.hpp"
#include "support/MotoServer.hpp"

namespace launch::testing {
namespace {

using backends::Json;

// moto accepts any key; the signature is still computed and sent.
class StaticCredentials final : public cloud::AwsCredentialProvider {
 public:
  Result<cloud::AwsCredentials> credentials() override {
    return cloud::AwsCredentials{"AKIAMOTOTEST", "motoSecretKeyNotChecked", "", std::nullopt, "test"};
  }
  std::string name() const override { return "static"; }
};

MotoServer* moto = nullptr;

api::LaunchJob makeJob(const std::string& name, const std::string& uid) {
  api::LaunchJob job;
  job.metadata.name = name;
  job.metadata.namespace_ = "ml";
  job.metadata.uid = uid;
  job.spec.queue = "sagemaker";
  job.spec.source = api::ImageSource{"123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1"};
  job.spec.entryPoint = {"python", "train.py"};
  job.spec.args = {"--epochs", "1"};
  job.spec.env = {{"WANDB_PROJECT", "vision"}};
  return job;
}

class SageMakerIT : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto = new MotoServer();
    const Status started = moto->start();
    if (!started) {
      delete moto;
      moto = nullptr;
      FAIL() << started.error().message;
    }
  }
  static void TearDownTestSuite() {
    delete moto;
    moto = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(moto, nullptr) << "moto_server did not start";
    const cloud::AwsMapEnvironment environment({{"AWS_ENDPOINT_URL_SAGEMAKER", moto->url()}});
    backends::SageMakerOptions options;
    options.region = "us-east-1";
    options.endpoint = backends::sageMakerEndpoint(options.region, environment);
    options.retry.baseDelay = std::chrono::milliseconds(10);
    backend_ = std::make_unique<backends::SageMakerBackend>(options, credentials_, http_);
  }

  Result<std::string> submit(const api::LaunchJob& job) {
    const Json config = Json::parse(R"({
      "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
      "output_data_config": {"s3_output_path": "s3://bucket/out"},
      "resource_config": {"instance_type": "ml.m5.xlarge", "instance_count": 1, "volume_size_in_gb": 30},
      "hyper_parameters": {"epochs": 1}
    })");
    const std::string image = std::get<api::ImageSource>(job.spec.source).image;
    return backend_->submit(backends::RunSpec{job, config, "agent-it", image});
  }

  StaticCredentials credentials_;
  http::HttpClient http_{http::HttpClientOptions{}};
  std::unique_ptr<backends::SageMakerBackend> backend_;
};

TEST_F(SageMakerIT, CreatesAndDescribesATrainingJob) {
  auto ref = submit(makeJob("train", "5f1e2d3c-aaaa-4bbb-8ccc-000000000001"));
  ASSERT_TRUE(ref.ok()) << ref.error().describe();
  EXPECT_EQ(*ref, "sagemaker/us-east-1/lj-train-5f1e2d3c");

  auto seen = backend_->observe(*ref);
  ASSERT_TRUE(seen.ok()) << seen.error().describe();
  EXPECT_TRUE(seen->exists);
  // moto finishes a training job at once.
  EXPECT_EQ(seen->finished, api::JobPhase::Succeeded);
  EXPECT_EQ(seen->reason, "Completed");
  EXPECT_TRUE(seen->started);

  // What moto stored is what the backend built from the job and the snake_case config.
  backends::SageMakerClient client(
      backends::SageMakerClientOptions{"us-east-1", moto->url(), {}, std::chrono::seconds(30)}, credentials_, http_);
  auto described = client.call("DescribeTrainingJob", Json{{"TrainingJobName", "lj-train-5f1e2d3c"}}, true);
  ASSERT_TRUE(described.ok()) << described.error().describe();
  EXPECT_EQ((*described)["AlgorithmSpecification"]["TrainingImage"],
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1");
  EXPECT_EQ((*described)["RoleArn"], "arn:aws:iam::123456789012:role/SageMakerRole");
  EXPECT_EQ((*described)["ResourceConfig"]["InstanceType"], "ml.m5.xlarge");
  EXPECT_EQ((*described)["HyperParameters"]["epochs"], "1");
  EXPECT_EQ((*described)["StoppingCondition"]["MaxRuntimeInSeconds"], 86400);
}

TEST_F(SageMakerIT, AnUnknownJobReadsAsGone) {
  auto seen = backend_->observe("sagemaker/us-east-1/lj-never-created-00000000");
  ASSERT_TRUE(seen.ok()) << seen.error().describe();
  EXPECT_FALSE(seen->exists);
}

TEST_F(SageMakerIT, ARequestMotoRejectsIsAnInvalidError) {
  backends::SageMakerClient client(
      backends::SageMakerClientOptions{"us-east-1", moto->url(), {}, std::chrono::seconds(30)}, credentials_, http_);
  auto answer = client.call("DescribeTrainingJob", Json{{"TrainingJobName", "lj-missing-00000000"}}, true);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::Invalid);
  EXPECT_EQ(answer.error().reason, "ValidationException");
  EXPECT_NE(answer.error().message.find("lj-missing-00000000"), std::string::npos) << answer.error().message;
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
