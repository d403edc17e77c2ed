// RegistryClient against FakeRegistry: anonymous and authenticated Bearer tokens, Basic auth, refused
// credentials, missing manifests, token reuse and expiry, and what goes over the wire.
#include "registry/RegistryClient.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fakes/FakeRegistry.hpp"
#include "registry/StaticCredentialSource.hpp"
#include "util/Clock.hpp"

namespace launch::registry {
namespace {

using testing::FakeRegistry;

constexpr const char* kPassword = "correct-horse-battery";
constexpr const char* kHint = "check the Secret named in spec.registry.credentialsSecretRef";

class FailingCredentialSource final : public CredentialSource {
 public:
  Result<RegistryCredentials> credentials() override {
    return makeError(ErrorCode::Unauthorized, "ECR GetAuthorizationToken failed");
  }
  std::string describe() const override { return "a failing source"; }
};

class RegistryClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<RegistryClient> client(std::shared_ptr<CredentialSource> credentials,
                                         RegistryClientOptions options = {}) {
    options.insecure = true;
    options.credentialsHint = kHint;
    // A client of its own, closed with the RegistryClient: a pooled keep-alive connection would hold the
    // fake's stop() for its 5 s keep-alive timeout.
    return std::make_unique<RegistryClient>(std::make_shared<http::HttpClient>(http::HttpClientOptions{}),
                                            std::move(credentials), options, clock_);
  }
  static std::shared_ptr<CredentialSource> user(const std::string& name, const std::string& password) {
    return std::make_shared<StaticCredentialSource>(RegistryCredentials{name, password, ""}, "Secret ml/regcred");
  }
  static ImageReference image(const FakeRegistry& registry, const std::string& path) {
    auto parsed = ImageReference::parse(registry.host() + "/" + path);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return parsed.ok() ? *parsed : ImageReference{};
  }

  std::shared_ptr<http::HttpClient> http_ = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
  ManualClock clock_;
};

TEST_F(RegistryClientTest, AnonymousBearerFollowsTheChallengeToTheTokenServiceAndBack) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.allowAnonymousPull(true);
  const std::string digest = registry.putManifest("team/app", "v1");

  auto found = client(nullptr)->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, digest);

  const auto requests = registry.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].method, "HEAD");
  EXPECT_EQ(requests[0].path, "/v2/team/app/manifests/v1");
  EXPECT_EQ(requests[0].authorization, "");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].path, "/token");
  EXPECT_EQ(requests[1].query, "scope=repository:team/app:pull&service=fake-registry");
  EXPECT_EQ(requests[1].authorization, "") << "no credentials: an anonymous token request";
  EXPECT_EQ(requests[2].method, "HEAD");
  EXPECT_EQ(requests[2].authorization, "Bearer fake-token-1");
}

TEST_F(RegistryClientTest, AsksForEveryManifestKindSoTheRegistryDoesNotConvert) {
  FakeRegistry registry(FakeRegistry::Auth::None);
  const std::string digest = registry.putManifest("team/app", "v1");
  auto found = client(nullptr)->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, digest) << "a schema-1 conversion has another digest";
  const std::string accept = registry.requests().at(0).accept;
  for (const char* type : {"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                           "application/vnd.docker.distribution.manifest.list.v2+json",
                           "application/vnd.docker.distribution.manifest.v2+json"}) {
    EXPECT_NE(accept.find(type), std::string::npos) << type << " missing from " << accept;
  }
}

TEST_F(RegistryClientTest, BearerWithCredentialsSendsThemToTheTokenServiceOnly) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.addUser("launch", kPassword);
  const std::string digest = registry.putManifest("team/app", "v1");

  auto found = client(user("launch", kPassword))->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, digest);
  const std::string basic = "Basic " + RegistryCredentials{"launch", kPassword, ""}.basicAuthorization();
  for (const auto& request : registry.requests()) {
    if (request.path == "/token") {
      EXPECT_EQ(request.authorization, basic);
    } else {
      EXPECT_NE(request.authorization, basic) << "the password went to the registry itself: " << request.path;
    }
  }
  EXPECT_EQ(registry.tokenRequests(), 1);
}

TEST_F(RegistryClientTest, BasicAuthAnswersTheChallengeAndIsThenSentUpFront) {
  FakeRegistry registry(FakeRegistry::Auth::Basic);
  registry.addUser("launch", kPassword);
  const std::string digest = registry.putManifest("team/app", "v1");
  auto registryClient = client(user("launch", kPassword));

  auto first = registryClient->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, digest);
  EXPECT_EQ(registry.manifestRequests(), 2) << "one 401, one answered";
  auto second = registryClient->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*second, digest);
  EXPECT_EQ(registry.manifestRequests(), 3) << "the second call knows the registry wants Basic";
  EXPECT_EQ(registry.tokenRequests(), 0);
}

TEST_F(RegistryClientTest, AMissingTagOrRepositoryIsNotAnError) {
  for (const auto auth : {FakeRegistry::Auth::None, FakeRegistry::Auth::Basic, FakeRegistry::Auth::Bearer}) {
    FakeRegistry registry(auth);
    registry.addUser("launch", kPassword);
    registry.putManifest("team/app", "v1");
    auto registryClient = client(user("launch", kPassword));
    for (const char* path : {"team/app:v2", "team/other:v1"}) {
      auto missing = registryClient->manifestDigest(image(registry, path));
      ASSERT_TRUE(missing.ok()) << path << ": " << missing.error().message;
      EXPECT_FALSE(missing->has_value()) << path;
    }
  }
}

struct Refusal {
  FakeRegistry::Auth auth;
  const char* name;
};

class RegistryClientRefusal : public RegistryClientTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(RegistryClientRefusal, AWrongPasswordIsAnUnauthorizedErrorThatNamesTheRegistryAndTheFix) {
  FakeRegistry registry(GetParam().auth);
  registry.addUser("launch", kPassword);
  registry.putManifest("team/app", "v1");

  auto refused = client(user("launch", "wrong-password-123"))->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_FALSE(refused.ok());
  const Error& error = refused.error();
  EXPECT_EQ(error.code, ErrorCode::Unauthorized) << error.message;
  EXPECT_EQ(error.httpStatus, 401);
  EXPECT_NE(error.message.find("registry " + registry.host() + " rejected the credentials"), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("user \"launch\" from Secret ml/regcred"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find(kHint), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("wrong-password-123"), std::string::npos) << "password leaked: " << error.message;
  EXPECT_EQ(error.message.find(RegistryCredentials{"launch", "wrong-password-123", ""}.basicAuthorization()),
            std::string::npos)
      << "encoded password leaked: " << error.message;
}

TEST_P(RegistryClientRefusal, NoCredentialsForAPrivateRegistrySaysTheyAreNeeded) {
  FakeRegistry registry(GetParam().auth);
  registry.addUser("launch", kPassword);
  registry.putManifest("team/app", "v1");

  auto refused = client(nullptr)->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(refused.error().message.find("registry " + registry.host() + " requires credentials to pull team/app"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(kHint), std::string::npos) << refused.error().message;
}

INSTANTIATE_TEST_SUITE_P(Schemes, RegistryClientRefusal,
                         ::testing::Values(Refusal{FakeRegistry::Auth::Basic, "Basic"},
                                           Refusal{FakeRegistry::Auth::Bearer, "Bearer"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(RegistryClientTest, ReusesATokenPerRepositoryUntilItExpires) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.addUser("launch", kPassword);
  registry.setTokenExpiresIn(300);
  registry.putManifest("team/app", "v1");
  registry.putManifest("team/other", "v1");
  auto registryClient = client(user("launch", kPassword));

  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v1")).ok());
  EXPECT_EQ(registry.tokenRequests(), 1);
  EXPECT_EQ(registry.manifestRequests(), 2);
  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v1")).ok());
  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v2")).ok());
  EXPECT_EQ(registry.tokenRequests(), 1) << "the token for repository:team/app:pull was fetched again";
  EXPECT_EQ(registry.manifestRequests(), 4) << "a cached token goes with the first request";

  // Another repository is another scope: a token of its own, asked for without a 401 first.
  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/other:v1")).ok());
  EXPECT_EQ(registry.tokenRequests(), 2);
  EXPECT_EQ(registry.manifestRequests(), 5);

  clock_.advance(std::chrono::seconds(301));
  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v1")).ok());
  EXPECT_EQ(registry.tokenRequests(), 3) << "an expired token must be replaced";
}

TEST_F(RegistryClientTest, ATokenWithoutExpiresInLastsSixtySecondsAndAccessTokenIsRead) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.allowAnonymousPull(true);
  registry.setTokenExpiresIn(0);
  registry.useAccessTokenField(true);
  registry.putManifest("team/app", "v1");
  auto registryClient = client(nullptr);

  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v1")).ok());
  clock_.advance(std::chrono::seconds(59));
  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v1")).ok());
  EXPECT_EQ(registry.tokenRequests(), 1);
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v1")).ok());
  EXPECT_EQ(registry.tokenRequests(), 2);
}

TEST_F(RegistryClientTest, ARevokedCachedTokenIsReplacedOnce) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.addUser("launch", kPassword);
  const std::string digest = registry.putManifest("team/app", "v1");
  auto registryClient = client(user("launch", kPassword));
  ASSERT_TRUE(registryClient->manifestDigest(image(registry, "team/app:v1")).ok());

  registry.revokeTokens();
  auto again = registryClient->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, digest);
  EXPECT_EQ(registry.tokenRequests(), 2);
}

TEST_F(RegistryClientTest, LooksUpADigestReferenceByItsDigest) {
  FakeRegistry registry(FakeRegistry::Auth::None);
  const std::string digest = registry.putManifest("team/app", "v1");
  auto found = client(nullptr)->manifestDigest(image(registry, "team/app@" + digest));
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, digest);
  EXPECT_EQ(registry.requests().at(0).path, "/v2/team/app/manifests/" + digest);
}

TEST_F(RegistryClientTest, WithoutADigestHeaderTheDigestIsThatOfTheManifestBytes) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.allowAnonymousPull(true);
  registry.sendDigestHeader(false);
  const std::string digest = registry.putManifest("team/app", "v1");
  auto found = client(nullptr)->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, digest);
  EXPECT_EQ(registry.requests().back().method, "GET");
  EXPECT_EQ(registry.requests().back().authorization, "Bearer fake-token-1");
}

TEST_F(RegistryClientTest, AnIdentityTokenUsesTheOAuth2RefreshTokenForm) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.addIdentityToken("refresh-token-xyz", "launch");
  const std::string digest = registry.putManifest("team/app", "v1");
  auto source = std::make_shared<StaticCredentialSource>(RegistryCredentials{"", "", "refresh-token-xyz"});
  auto found = client(source)->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, digest);
  const auto form = registry.lastTokenForm();
  EXPECT_EQ(form.at("grant_type"), "refresh_token");
  EXPECT_EQ(form.at("scope"), "repository:team/app:pull");
  EXPECT_EQ(form.at("service"), "fake-registry");
  EXPECT_FALSE(form.at("client_id").empty());

  auto wrong = client(std::make_shared<StaticCredentialSource>(RegistryCredentials{"", "", "refresh-token-bad"}))
                   ->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::Unauthorized);
  EXPECT_EQ(wrong.error().message.find("refresh-token-bad"), std::string::npos) << wrong.error().message;
}

TEST_F(RegistryClientTest, CredentialsAreNeverSentToAnotherRegistry) {
  FakeRegistry registry(FakeRegistry::Auth::Bearer);
  registry.addUser("launch", kPassword);
  registry.putManifest("team/app", "v1");
  RegistryClientOptions options;
  options.credentialsRegistry = "registry.example.com";
  auto refused = client(user("launch", kPassword), options)->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("the configured credentials are for registry.example.com only"),
            std::string::npos)
      << refused.error().message;
  for (const auto& request : registry.requests()) EXPECT_EQ(request.authorization, "") << request.path;

  // Named as the registry is, they are used.
  options.credentialsRegistry = registry.host();
  EXPECT_TRUE(client(user("launch", kPassword), options)->manifestDigest(image(registry, "team/app:v1")).ok());
}

TEST_F(RegistryClientTest, AFailingCredentialSourceIsReportedWithTheRegistry) {
  FakeRegistry registry(FakeRegistry::Auth::Basic);
  registry.putManifest("team/app", "v1");
  auto failed = client(std::make_shared<FailingCredentialSource>())->manifestDigest(image(registry, "team/app:v1"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(failed.error().message.find("cannot get credentials for registry " + registry.host() +
                                        ": ECR GetAuthorizationToken failed"),
            std::string::npos)
      << failed.error().message;
}

TEST_F(RegistryClientTest, AnUnreachableRegistryIsUnavailableAndNamed) {
  std::string host;
  {
    FakeRegistry gone(FakeRegistry::Auth::None);
    host = gone.host();
  }
  auto parsed = ImageReference::parse(host + "/team/app:v1");
  ASSERT_TRUE(parsed.ok());
  auto failed = client(nullptr)->manifestDigest(*parsed);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::Unavailable) << failed.error().describe();
  EXPECT_NE(failed.error().message.find("cannot reach registry " + host), std::string::npos) << failed.error().message;
}

TEST_F(RegistryClientTest, HttpsIsTheDefaultScheme) {
  FakeRegistry registry(FakeRegistry::Auth::None);
  registry.putManifest("team/app", "v1");
  RegistryClient secure(http_, nullptr, RegistryClientOptions{}, clock_);
  auto failed = secure.manifestDigest(image(registry, "team/app:v1"));
  ASSERT_FALSE(failed.ok()) << "a plain-http fake answered a TLS handshake";
  EXPECT_NE(failed.error().message.find("https://" + registry.host()), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find("insecure option"), std::string::npos) << failed.error().message;
}

}  // namespace
}  // namespace launch::registry
