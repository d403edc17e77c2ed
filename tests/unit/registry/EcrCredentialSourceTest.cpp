// EcrCredentialSource against FakeEcr, which checks the SigV4 signature with its own copy of the secret:
// decoding, caching until shortly before expiresAt, refusals, retries and the endpoint settings.
#include "registry/EcrCredentialSource.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cloud/AwsEnvironment.hpp"
#include "cloud/AwsEnvironmentCredentialProvider.hpp"
#include "fakes/FakeEcr.hpp"
#include "util/Base64.hpp"

namespace launch::registry {
namespace {

using testing::FakeEcr;

constexpr const char* kKeyId = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

class EcrCredentialSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { ecr_.setCredentials(kKeyId, kSecret); }

  std::shared_ptr<cloud::AwsCredentialProvider> aws(const std::string& secret = kSecret,
                                                    const std::string& token = "") {
    auto environment = std::make_shared<cloud::AwsMapEnvironment>(
        std::map<std::string, std::string>{{"AWS_ACCESS_KEY_ID", kKeyId}, {"AWS_SECRET_ACCESS_KEY", secret}});
    if (!token.empty()) environment->set("AWS_SESSION_TOKEN", token);
    return std::make_shared<cloud::AwsEnvironmentCredentialProvider>(environment);
  }
  EcrOptions options() {
    EcrOptions options;
    options.region = "us-east-1";
    options.endpoint = ecr_.url();
    options.sleep = [this](std::chrono::milliseconds) { ++sleeps_; };
    return options;
  }

  ManualClock clock_;
  FakeEcr ecr_{clock_};
  std::shared_ptr<http::HttpClient> http_ = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
  int sleeps_ = 0;
};

TEST_F(EcrCredentialSourceTest, ASignedRequestGetsUserAwsAndThePassword) {
  ecr_.setPassword("eyJwYXlsb2FkIjoi-ecr-password");
  EcrCredentialSource source(options(), aws(), http_, clock_);
  auto credentials = source.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message << " / fake: " << ecr_.lastRejection();
  EXPECT_EQ(credentials->username, "AWS");
  EXPECT_EQ(credentials->password, "eyJwYXlsb2FkIjoi-ecr-password");
  EXPECT_EQ(ecr_.acceptedRequests(), 1);
}

TEST_F(EcrCredentialSourceTest, SignsTheSessionTokenOfTemporaryCredentials) {
  ecr_.setCredentials(kKeyId, kSecret, "FQoGZXIvYXdzEXAMPLETOKEN");
  EcrCredentialSource source(options(), aws(kSecret, "FQoGZXIvYXdzEXAMPLETOKEN"), http_, clock_);
  auto credentials = source.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message << " / fake: " << ecr_.lastRejection();
}

TEST_F(EcrCredentialSourceTest, CachesTheTokenUntilShortlyBeforeItExpires) {
  ecr_.setExpiresAt(clock_.wallNow() + std::chrono::hours(12));
  EcrCredentialSource source(options(), aws(), http_, clock_);
  ASSERT_TRUE(source.credentials().ok());
  ASSERT_TRUE(source.credentials().ok());
  EXPECT_EQ(ecr_.requests(), 1) << "the second call must not reach ECR";

  clock_.advance(std::chrono::hours(12) - std::chrono::minutes(6));
  ASSERT_TRUE(source.credentials().ok());
  EXPECT_EQ(ecr_.requests(), 1) << "still more than five minutes to go";

  clock_.advance(std::chrono::minutes(2));
  ecr_.setPassword("rotated-password");
  auto refreshed = source.credentials();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(ecr_.requests(), 2) << "within five minutes of expiresAt the token is replaced";
  EXPECT_EQ(refreshed->password, "rotated-password");

  source.invalidate();
  ASSERT_TRUE(source.credentials().ok());
  EXPECT_EQ(ecr_.requests(), 3);
}

TEST_F(EcrCredentialSourceTest, ATokenThatArrivesExpiredIsUsedButNotKept) {
  ecr_.setExpiresAt(std::chrono::system_clock::from_time_t(1420070400));  // what moto answers
  EcrCredentialSource source(options(), aws(), http_, clock_);
  ASSERT_TRUE(source.credentials().ok());
  ASSERT_TRUE(source.credentials().ok());
  EXPECT_EQ(ecr_.requests(), 2);
}

TEST_F(EcrCredentialSourceTest, AWrongSecretIsUnauthorizedAndTheSecretStaysOut) {
  EcrCredentialSource source(options(), aws("wrong/secret+KEY0123456789"), http_, clock_);
  auto refused = source.credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ecr_.lastRejection(), "the signature does not match");
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthorized) << refused.error().message;
  EXPECT_EQ(refused.error().reason, "InvalidSignatureException");
  EXPECT_NE(refused.error().message.find("ECR GetAuthorizationToken at " + ecr_.url()), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("check the AWS access key"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("wrong/secret"), std::string::npos) << refused.error().message;
  EXPECT_EQ(ecr_.requests(), 1) << "a refused signature is not retried";
}

TEST_F(EcrCredentialSourceTest, ASigningScopeForAnotherRegionIsRefused) {
  ecr_.setRegion("eu-west-1");
  EcrCredentialSource source(options(), aws(), http_, clock_);
  auto refused = source.credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(ecr_.lastRejection().find("not eu-west-1/ecr"), std::string::npos) << ecr_.lastRejection();
}

TEST_F(EcrCredentialSourceTest, AccessDeniedSaysWhichPermissionIsMissing) {
  ecr_.failNext(1, 400, "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/launch is not authorized to perform: ecr:GetAuthorizationToken");
  EcrCredentialSource source(options(), aws(), http_, clock_);
  auto refused = source.credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::Forbidden);
  EXPECT_NE(refused.error().message.find("allow ecr:GetAuthorizationToken"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("is not authorized to perform"), std::string::npos) << refused.error().message;
}

TEST_F(EcrCredentialSourceTest, RetriesServerErrorsAndThrottlingWithBackoff) {
  ecr_.failNext(1, 500, "ServerException", "internal");
  ecr_.failNext(1, 400, "ThrottlingException", "Rate exceeded");
  EcrCredentialSource source(options(), aws(), http_, clock_);
  auto credentials = source.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(ecr_.requests(), 3);
  EXPECT_EQ(sleeps_, 2) << "a backoff before each retry";

  ecr_.failNext(3, 503, "ServiceUnavailableException", "down");
  source.invalidate();
  auto failed = source.credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(ecr_.requests(), 6) << "three attempts in all";
}

TEST_F(EcrCredentialSourceTest, MissingAwsCredentialsAreReportedAsSuch) {
  auto empty = std::make_shared<cloud::AwsEnvironmentCredentialProvider>(std::make_shared<cloud::AwsMapEnvironment>());
  EcrCredentialSource source(options(), empty, http_, clock_);
  auto failed = source.credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message.rfind("ECR needs AWS credentials: ", 0), 0U) << failed.error().message;
  EXPECT_EQ(ecr_.requests(), 0);
}

TEST_F(EcrCredentialSourceTest, AnUnreachableEndpointNamesTheOverride) {
  EcrOptions unreachable = options();
  unreachable.endpoint = "http://127.0.0.1:1";
  unreachable.retry.maxAttempts = 1;
  EcrCredentialSource source(unreachable, aws(), http_, clock_);
  auto failed = source.credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Unavailable) << failed.error().describe();
  EXPECT_NE(failed.error().message.find("cannot reach ECR at http://127.0.0.1:1/"), std::string::npos)
      << failed.error().message;
  EXPECT_NE(failed.error().message.find("AWS_ENDPOINT_URL_ECR"), std::string::npos) << failed.error().message;
}

struct EndpointCase {
  std::map<std::string, std::string> environment;
  const char* presetEndpoint;
  const char* presetRegion;
  const char* url;
  const char* region;
};

class EcrOptionsEnvironment : public ::testing::TestWithParam<EndpointCase> {};

TEST_P(EcrOptionsEnvironment, FillsTheEndpointAndRegionLikeTheAwsSdks) {
  const EndpointCase& c = GetParam();
  EcrOptions options;
  options.endpoint = c.presetEndpoint;
  options.region = c.presetRegion;
  options.applyEnvironment(cloud::AwsMapEnvironment(c.environment));
  EXPECT_EQ(options.endpointUrl(), c.url);
  EXPECT_EQ(options.region, c.region);
}

INSTANTIATE_TEST_SUITE_P(
    Table, EcrOptionsEnvironment,
    ::testing::Values(
        EndpointCase{{}, "", "us-west-2", "https://api.ecr.us-west-2.amazonaws.com/", "us-west-2"},
        EndpointCase{{{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "ap-south-1"}},
                     "",
                     "",
                     "https://api.ecr.eu-west-1.amazonaws.com/",
                     "eu-west-1"},
        EndpointCase{
            {{"AWS_DEFAULT_REGION", "ap-south-1"}}, "", "", "https://api.ecr.ap-south-1.amazonaws.com/", "ap-south-1"},
        EndpointCase{
            {{"AWS_ENDPOINT_URL", "http://localhost:5000"}}, "", "us-east-1", "http://localhost:5000/", "us-east-1"},
        EndpointCase{
            {{"AWS_ENDPOINT_URL", "http://localhost:5000"}, {"AWS_ENDPOINT_URL_ECR", "http://ecr.local:4566/"}},
            "",
            "us-east-1",
            "http://ecr.local:4566/",
            "us-east-1"},
        EndpointCase{{{"AWS_ENDPOINT_URL_ECR", "http://ecr.local:4566"}, {"AWS_REGION", "eu-west-1"}},
                     "http://configured:1234",
                     "us-east-2",
                     "http://configured:1234/",
                     "us-east-2"}));

struct TokenCase {
  std::string token;
  bool ok;
  const char* username;
  const char* password;
};

class EcrAuthorizationToken : public ::testing::TestWithParam<TokenCase> {};

TEST_P(EcrAuthorizationToken, DecodesUserAndPasswordOrRefusesWithoutQuotingIt) {
  const TokenCase& c = GetParam();
  auto decoded = decodeEcrAuthorizationToken(c.token);
  ASSERT_EQ(decoded.ok(), c.ok);
  if (c.ok) {
    EXPECT_EQ(decoded->username, c.username);
    EXPECT_EQ(decoded->password, c.password);
  } else {
    EXPECT_EQ(decoded.error().message.find(c.token), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, EcrAuthorizationToken,
                         ::testing::Values(TokenCase{base64Encode("AWS:pass:with:colons"), true, "AWS",
                                                     "pass:with:colons"},
                                           TokenCase{base64Encode("AWS-no-colon"), false, "", ""},
                                           TokenCase{base64Encode("AWS:"), false, "", ""},
                                           TokenCase{base64Encode(":password"), false, "", ""},
                                           TokenCase{"%%%not-base64%%%", false, "", ""}));

}  // namespace
}  // namespace launch::registry
