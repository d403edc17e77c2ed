// Unit tests of the service-account JWT bearer grant against a fake token endpoint that verifies the signature.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cloud/GoogleCredentialsFile.hpp"
#include "cloud/GoogleServiceAccountTokenSource.hpp"
#include "cloud/Jwt.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {
namespace {

using launch::testing::FakeGoogleTokenEndpoint;
using launch::testing::otherTestKeyPair;
using launch::testing::testKeyPair;
using std::chrono::seconds;

constexpr const char* kEmail = "builder@proj.iam.gserviceaccount.com";
constexpr const char* kOrigin = "/secrets/gcp/key.json";

// Lines of a PEM body: any of them in a message would be part of the key.
std::vector<std::string> pemBodyLines(const std::string& pem) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < pem.size()) {
    const std::size_t end = pem.find('\n', begin);
    const std::string line = pem.substr(begin, end - begin);
    if (!line.empty() && line.find("-----") == std::string::npos) lines.push_back(line);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return lines;
}

class GoogleServiceAccountTokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_.addServiceAccount(kEmail, "key-1", testKeyPair().publicKeyPem);
    endpoint_.start();
  }

  GoogleServiceAccountKey key(const std::string& privateKeyPem = testKeyPair().privateKeyPem) const {
    return GoogleServiceAccountKey{kEmail, privateKeyPem, "key-1", endpoint_.tokenUri(), "proj"};
  }

  ManualClock serverClock_;
  ManualClock clientClock_;
  FakeGoogleTokenEndpoint endpoint_{serverClock_};
  http::HttpClient http_{http::HttpClientOptions{}};
};

TEST_F(GoogleServiceAccountTokenSourceTest, ExchangesASignedAssertionForAToken) {
  GoogleServiceAccountTokenSource source(key(), kOrigin, http_, clientClock_);
  auto token = source.token();
  ASSERT_TRUE(token.ok()) << token.error().message << " / fake: " << endpoint_.lastRejection();
  EXPECT_EQ(token->token, "ya29.fake-1");
  EXPECT_EQ(token->expiry, clientClock_.now() + seconds(3599));

  const nlohmann::json claims = endpoint_.lastClaims();
  const auto now = std::chrono::duration_cast<seconds>(clientClock_.wallNow().time_since_epoch()).count();
  EXPECT_EQ(claims.at("iss"), kEmail);
  EXPECT_EQ(claims.at("aud"), endpoint_.tokenUri());
  EXPECT_EQ(claims.at("scope"), "https://www.googleapis.com/auth/cloud-platform");
  EXPECT_EQ(claims.at("iat"), now);
  EXPECT_EQ(claims.at("exp"), now + 3600);
  EXPECT_NE(source.describe().find(kEmail), std::string::npos);
}

TEST_F(GoogleServiceAccountTokenSourceTest, TheAssertionIsSignedWithTheKeyAndNamesTheKeyId) {
  GoogleServiceAccountTokenSource source(key(), kOrigin, http_, clientClock_);
  auto assertion = source.assertion();
  ASSERT_TRUE(assertion.ok()) << assertion.error().message;
  auto verified = Jwt::verify(*assertion, testKeyPair().publicKeyPem);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->header().at("kid"), "key-1");
  EXPECT_EQ(verified->header().at("alg"), "RS256");
}

TEST_F(GoogleServiceAccountTokenSourceTest, TheTokenUriOverrideIsWhereItPostsAndTheAudience) {
  GoogleServiceAccountKey unreachable = key();
  unreachable.tokenUri = "http://127.0.0.1:1/token";
  GoogleServiceAccountOptions options;
  options.tokenUri = endpoint_.tokenUri();
  GoogleServiceAccountTokenSource source(unreachable, kOrigin, http_, clientClock_, options);
  auto token = source.token();
  ASSERT_TRUE(token.ok()) << token.error().message << " / fake: " << endpoint_.lastRejection();
  EXPECT_EQ(endpoint_.lastClaims().at("aud"), endpoint_.tokenUri());
}

TEST_F(GoogleServiceAccountTokenSourceTest, RequestsTheConfiguredScopesSpaceSeparated) {
  const std::string scopes = "https://www.googleapis.com/auth/devstorage.read_only https://example.com/b";
  endpoint_.setExpectedScope(scopes);
  GoogleServiceAccountOptions options;
  options.scopes = {"https://www.googleapis.com/auth/devstorage.read_only", "https://example.com/b"};
  GoogleServiceAccountTokenSource source(key(), kOrigin, http_, clientClock_, options);
  auto token = source.token();
  ASSERT_TRUE(token.ok()) << token.error().message << " / fake: " << endpoint_.lastRejection();
  EXPECT_EQ(endpoint_.lastClaims().at("scope"), scopes);
}

TEST(GoogleServiceAccountTokenSource, RejectionsBecomeErrorsThatSayWhatToFixWithoutTheKey) {
  struct Case {
    std::string name;
    std::function<void(GoogleServiceAccountKey&)> alterKey;
    std::function<void(ManualClock& serverClock, FakeGoogleTokenEndpoint&)> arrange;
    ErrorCode code;
    std::string reason;
    std::vector<std::string> mentions;
  };
  const auto keep = [](GoogleServiceAccountKey&) {};
  const auto asIs = [](ManualClock&, FakeGoogleTokenEndpoint&) {};
  const std::vector<Case> cases = {
      {"signed with the wrong key",
       [](GoogleServiceAccountKey& k) { k.privateKeyPem = otherTestKeyPair().privateKeyPem; },
       asIs,
       ErrorCode::Unauthorized,
       "invalid_grant",
       {"Invalid JWT Signature", kEmail, kOrigin, "gcloud iam service-accounts keys create"}},
      {"an unknown key id",
       [](GoogleServiceAccountKey& k) { k.privateKeyId = "deleted-key"; },
       asIs,
       ErrorCode::Unauthorized,
       "invalid_grant",
       {"Invalid JWT Signature", kEmail}},
      {"an unknown account",
       [](GoogleServiceAccountKey& k) { k.clientEmail = "gone@proj.iam.gserviceaccount.com"; },
       asIs,
       ErrorCode::Unauthorized,
       "invalid_grant",
       {"account not found", "gone@proj.iam.gserviceaccount.com"}},
      {"a clock two hours behind",
       keep,
       [](ManualClock& serverClock, FakeGoogleTokenEndpoint&) { serverClock.advance(std::chrono::hours(2)); },
       ErrorCode::Unauthorized,
       "invalid_grant",
       {"iat and exp", "clock"}},
      {"a scope the account may not have",
       keep,
       [](ManualClock&, FakeGoogleTokenEndpoint& endpoint) {
         endpoint.setExpectedScope("https://www.googleapis.com/auth/other");
       },
       ErrorCode::Invalid,
       "invalid_scope",
       {"scope"}},
  };
  for (const auto& c : cases) {
    ManualClock serverClock;
    ManualClock clientClock;
    FakeGoogleTokenEndpoint endpoint(serverClock);
    endpoint.addServiceAccount(kEmail, "key-1", testKeyPair().publicKeyPem);
    c.arrange(serverClock, endpoint);
    endpoint.start();
    // Declared after the server so it closes its kept-alive connection first and the server stops at once.
    http::HttpClient http{http::HttpClientOptions{}};
    GoogleServiceAccountKey key{kEmail, testKeyPair().privateKeyPem, "key-1", endpoint.tokenUri(), "proj"};
    c.alterKey(key);

    GoogleServiceAccountTokenSource source(key, kOrigin, http, clientClock);
    auto token = source.token();
    ASSERT_FALSE(token.ok()) << c.name;
    const Error& error = token.error();
    EXPECT_EQ(error.code, c.code) << c.name << ": " << error.message;
    EXPECT_EQ(error.httpStatus, 400) << c.name;
    EXPECT_EQ(error.reason, c.reason) << c.name;
    for (const auto& text : c.mentions) {
      EXPECT_NE(error.message.find(text), std::string::npos)
          << c.name << " should mention " << text << ": " << error.message;
    }
    for (const auto& line : pemBodyLines(key.privateKeyPem)) {
      ASSERT_EQ(error.message.find(line), std::string::npos) << c.name << " leaks the private key";
    }
    auto assertion = source.assertion();
    ASSERT_TRUE(assertion.ok());
    EXPECT_EQ(error.message.find(assertion->substr(assertion->rfind('.') + 1)), std::string::npos)
        << c.name << " leaks the assertion's signature";
  }
}

// A token endpoint that echoes the whole request into its error: the grant's secrets must still stay out.
TEST(GoogleServiceAccountTokenSource, RedactsSecretsAnEndpointEchoes) {
  ManualClock clock;
  launch::testing::FakeHttpServer echo;
  echo.server().Post("/token", [](const httplib::Request& request, httplib::Response& response) {
    response.status = 400;
    response.set_content(nlohmann::json{{"error", "invalid_request"}, {"error_description", request.body}}.dump(),
                         "application/json");
  });
  echo.start();
  http::HttpClient http{http::HttpClientOptions{}};
  const std::string keyPem = testKeyPair().privateKeyPem;
  GoogleServiceAccountTokenSource source({kEmail, keyPem, "key-1", echo.url() + "/token", "proj"}, kOrigin, http,
                                         clock);
  auto assertion = source.assertion();
  ASSERT_TRUE(assertion.ok());
  auto token = source.token();
  ASSERT_FALSE(token.ok());
  const std::string& message = token.error().message;
  EXPECT_NE(message.find("grant_type=urn"), std::string::npos) << "the echo must reach the message: " << message;
  EXPECT_NE(message.find("[redacted]"), std::string::npos) << message;
  EXPECT_EQ(message.find(*assertion), std::string::npos) << message;
  EXPECT_EQ(message.find(assertion->substr(assertion->rfind('.') + 1, 40)), std::string::npos) << message;
}

TEST(GoogleServiceAccountTokenSource, AnUnreachableEndpointIsUnavailable) {
  ManualClock clock;
  http::HttpClient http{http::HttpClientOptions{}};
  GoogleServiceAccountTokenSource source({kEmail, testKeyPair().privateKeyPem, "key-1", "http://127.0.0.1:1/token", ""},
                                         kOrigin, http, clock);
  auto token = source.token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::Unavailable) << token.error().message;
  EXPECT_NE(token.error().message.find(kEmail), std::string::npos) << token.error().message;
}

}  // namespace
}  // namespace launch::cloud
