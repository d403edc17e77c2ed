// Integration: ECR GetAuthorizationToken against the real moto_server, and RegistryClient against the real
// docker-registry behind htpasswd auth, with an image built and pushed by the real Docker engine.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "cloud/AwsEnvironment.hpp"
#include "cloud/AwsEnvironmentCredentialProvider.hpp"
#include "docker/DockerEngine.hpp"
#include "http/HttpClient.hpp"
#include "registry/DockerConfigJson.hpp"
#include "registry/EcrCredentialSource.hpp"
#include "registry/RegistryAuth.hpp"
#include "registry/RegistryClient.hpp"
#include "registry/StaticCredentialSource.hpp"
#include "support/DockerTestEngine.hpp"
#include "support/MotoServer.hpp"

namespace launch::testing {
namespace {

constexpr const char* kHint = "check the Secret named in spec.registry.credentialsSecretRef";

std::shared_ptr<http::HttpClient> newHttpClient() {
  return std::make_shared<http::HttpClient>(http::HttpClientOptions{});
}

class EcrAgainstMoto : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new MotoServer();
    const Status started = moto_->start();
    if (!started.ok()) startError_ = started.error().message;
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(startError_.empty()) << startError_; }

  static std::shared_ptr<cloud::AwsCredentialProvider> awsCredentials() {
    return std::make_shared<cloud::AwsEnvironmentCredentialProvider>(
        std::make_shared<cloud::AwsMapEnvironment>(std::map<std::string, std::string>{
            {"AWS_ACCESS_KEY_ID", "AKIDMOTOTEST"}, {"AWS_SECRET_ACCESS_KEY", "moto-test-secret"}}));
  }

  static MotoServer* moto_;
  static std::string startError_;
};

MotoServer* EcrAgainstMoto::moto_ = nullptr;
std::string EcrAgainstMoto::startError_;

TEST_F(EcrAgainstMoto, GetAuthorizationTokenDecodesToUserAws) {
  registry::EcrOptions options;
  options.applyEnvironment(cloud::AwsMapEnvironment({{"AWS_ENDPOINT_URL_ECR", moto_->url()},
                                                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
                                                     {"AWS_REGION", "us-east-1"}}));
  registry::EcrCredentialSource source(options, awsCredentials(), newHttpClient());
  auto credentials = source.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
  EXPECT_EQ(credentials->username, "AWS");
  EXPECT_FALSE(credentials->password.empty());

  // As docker config.json: "auth" is base64 of AWS:<password>, as ECR's token itself is.
  registry::DockerConfigJson config;
  config.set("123456789012.dkr.ecr.us-east-1.amazonaws.com", *credentials);
  auto back = registry::DockerConfigJson::parse(config.toJson(), "generated config");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->find("https://123456789012.dkr.ecr.us-east-1.amazonaws.com"), *credentials);
}

TEST_F(EcrAgainstMoto, TheFactoryMakesAnEcrSourceFromTheRegistryUri) {
  registry::RegistryAuthOptions options;
  options.type = registry::RegistryType::Ecr;
  options.uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch";
  options.ecr.endpoint = moto_->url();
  registry::RegistryAuthServices services;
  services.http = newHttpClient();
  services.aws = awsCredentials();
  auto source = registry::makeCredentialSource(options, services);
  ASSERT_TRUE(source.ok()) << source.error().message;
  auto credentials = (*source)->credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().describe();
  EXPECT_EQ(credentials->username, "AWS");
}

class RegistryAgainstDockerRegistry : public ::testing::Test {
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

  // Builds a FROM-scratch image as <registry>/launch-it/registry:<tag> and pushes it; returns the digest.
  std::string buildAndPush(const std::string& registry, const docker::RegistryCredentials& credentials) {
    auto context = env_.busyboxContext("FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n");
    EXPECT_TRUE(context.ok());
    if (!context.ok()) return {};
    const std::string repository = registry + "/launch-it/registry";
    docker::BuildOptions options;
    options.tag = repository + ":" + tag_;
    auto image = engine_->build(*context, options);
    EXPECT_TRUE(image.ok()) << image.error().describe();
    if (!image.ok()) return {};
    auto digest = engine_->push(repository, tag_, credentials);
    EXPECT_TRUE(digest.ok()) << digest.error().describe();
    return digest.ok() ? *digest : std::string();
  }

  std::unique_ptr<registry::RegistryClient> client(const std::string& user, const std::string& password) {
    std::shared_ptr<registry::CredentialSource> source;
    if (!user.empty()) {
      source = std::make_shared<registry::StaticCredentialSource>(registry::RegistryCredentials{user, password, ""},
                                                                  "Secret launch-it/regcred");
    }
    registry::RegistryClientOptions options;
    options.insecure = true;  // docker-registry serves plain http on loopback
    options.credentialsHint = kHint;
    return std::make_unique<registry::RegistryClient>(newHttpClient(), source, options);
  }

  registry::ImageReference reference(const std::string& registry, const std::string& tag) {
    auto parsed = registry::ImageReference::parse(registry + "/launch-it/registry:" + tag);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return parsed.ok() ? *parsed : registry::ImageReference{};
  }

  DockerTestEngine env_;
  std::unique_ptr<docker::DockerEngine> engine_;
  std::string tag_;
};

TEST_F(RegistryAgainstDockerRegistry, FindsThePushedDigestWithTheRightCredentials) {
  const std::string pushed = buildAndPush(env_.authRegistry, {env_.authUser, env_.authPassword, env_.authRegistry});
  ASSERT_EQ(pushed.rfind("sha256:", 0), 0U) << pushed;

  auto registryClient = client(env_.authUser, env_.authPassword);
  auto found = registryClient->manifestDigest(reference(env_.authRegistry, tag_));
  ASSERT_TRUE(found.ok()) << found.error().describe();
  EXPECT_EQ(*found, pushed);

  auto byDigest = registry::ImageReference::parse(env_.authRegistry + "/launch-it/registry@" + pushed);
  ASSERT_TRUE(byDigest.ok());
  auto again = registryClient->manifestDigest(*byDigest);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(*again, pushed);

  auto missing = registryClient->manifestDigest(reference(env_.authRegistry, tag_ + "-missing"));
  ASSERT_TRUE(missing.ok()) << missing.error().describe();
  EXPECT_FALSE(missing->has_value()) << **missing;
}

TEST_F(RegistryAgainstDockerRegistry, AWrongPasswordIsAnAuthErrorThatNamesTheRegistryAndTheFix) {
  auto refused =
      client(env_.authUser, "wrong-password-for-it")->manifestDigest(reference(env_.authRegistry, "anything"));
  ASSERT_FALSE(refused.ok());
  const Error& error = refused.error();
  EXPECT_EQ(error.code, ErrorCode::Unauthorized) << error.describe();
  EXPECT_NE(error.message.find("registry " + env_.authRegistry + " rejected the credentials"), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find(kHint), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("wrong-password-for-it"), std::string::npos) << "password leaked: " << error.message;

  auto anonymous = client("", "")->manifestDigest(reference(env_.authRegistry, "anything"));
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(anonymous.error().message.find("requires credentials"), std::string::npos) << anonymous.error().message;
}

TEST_F(RegistryAgainstDockerRegistry, AnOpenRegistryIsReadAnonymously) {
  const std::string pushed = buildAndPush(env_.registry, {});
  ASSERT_EQ(pushed.rfind("sha256:", 0), 0U) << pushed;
  auto found = client("", "")->manifestDigest(reference(env_.registry, tag_));
  ASSERT_TRUE(found.ok()) << found.error().describe();
  EXPECT_EQ(*found, pushed);
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
