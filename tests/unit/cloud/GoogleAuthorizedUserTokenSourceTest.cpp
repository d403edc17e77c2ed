// Unit tests of the refresh_token grant for gcloud user logins against a fake token endpoint (table-driven errors).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cloud/GoogleAuthorizedUserTokenSource.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {
namespace {

using launch::testing::FakeGoogleTokenEndpoint;

constexpr const char* kClientId = "764086051850-abc.apps.googleusercontent.com";
constexpr const char* kSecret = "d-FL95Q19q7MQmFpd7hHD0Ty";
constexpr const char* kRefreshToken = "1//0gLongLivedRefreshTokenValue";
constexpr const char* kOrigin = "/home/me/.config/gcloud/application_default_credentials.json";

class GoogleAuthorizedUserTokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_.addAuthorizedUser(kClientId, kSecret, kRefreshToken);
    endpoint_.setExpiresIn(1800);
    endpoint_.start();
  }

  ManualClock clock_;
  FakeGoogleTokenEndpoint endpoint_{clock_};
  http::HttpClient http_{http::HttpClientOptions{}};
};

TEST_F(GoogleAuthorizedUserTokenSourceTest, RefreshesAnAccessToken) {
  GoogleAuthorizedUserTokenSource source({kClientId, kSecret, kRefreshToken, endpoint_.tokenUri(), ""}, kOrigin, http_,
                                         clock_);
  auto token = source.token();
  ASSERT_TRUE(token.ok()) << token.error().message << " / fake: " << endpoint_.lastRejection();
  EXPECT_EQ(token->token, "ya29.fake-1");
  EXPECT_EQ(token->expiry, clock_.now() + std::chrono::seconds(1800));
  EXPECT_NE(source.describe().find(kClientId), std::string::npos);
  EXPECT_EQ(source.describe().find(kSecret), std::string::npos);
}

TEST_F(GoogleAuthorizedUserTokenSourceTest, TheTokenUriOverrideWinsOverTheFile) {
  GoogleAuthorizedUserTokenSource source({kClientId, kSecret, kRefreshToken, "http://127.0.0.1:1/token", ""}, kOrigin,
                                         http_, clock_, endpoint_.tokenUri());
  auto token = source.token();
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(endpoint_.requests(), 1);
}

TEST_F(GoogleAuthorizedUserTokenSourceTest, RejectionsSayWhatToFixWithoutTheSecrets) {
  struct Case {
    std::string name;
    GoogleAuthorizedUser user;
    ErrorCode code;
    int httpStatus;
    std::string reason;
    std::vector<std::string> mentions;
  };
  const std::string uri = endpoint_.tokenUri();
  const std::vector<Case> cases = {
      {"a revoked refresh token",
       {kClientId, kSecret, "1//0gRevokedRefreshToken", uri, ""},
       ErrorCode::Unauthorized,
       400,
       "invalid_grant",
       {"expired or revoked", "gcloud auth application-default login"}},
      {"a wrong client secret",
       {kClientId, "wrong-client-secret-value", kRefreshToken, uri, ""},
       ErrorCode::Unauthorized,
       401,
       "invalid_client",
       {"\"client_secret\"", kOrigin}},
      {"an unknown client",
       {"unknown-client.apps.googleusercontent.com", kSecret, kRefreshToken, uri, ""},
       ErrorCode::Unauthorized,
       401,
       "invalid_client",
       {"\"client_id\"", "unknown-client.apps.googleusercontent.com"}},
  };
  for (const auto& c : cases) {
    GoogleAuthorizedUserTokenSource source(c.user, kOrigin, http_, clock_);
    auto token = source.token();
    ASSERT_FALSE(token.ok()) << c.name;
    const Error& error = token.error();
    EXPECT_EQ(error.code, c.code) << c.name << ": " << error.message;
    EXPECT_EQ(error.httpStatus, c.httpStatus) << c.name;
    EXPECT_EQ(error.reason, c.reason) << c.name;
    for (const auto& text : c.mentions) {
      EXPECT_NE(error.message.find(text), std::string::npos)
          << c.name << " should mention " << text << ": " << error.message;
    }
    for (const auto& secret : {c.user.clientSecret, c.user.refreshToken}) {
      EXPECT_EQ(error.message.find(secret), std::string::npos) << c.name << " leaks a secret: " << error.message;
    }
  }
}

// An endpoint that echoes the request body: the client secret and refresh token must be redacted.
TEST(GoogleAuthorizedUserTokenSource, RedactsSecretsAnEndpointEchoes) {
  ManualClock clock;
  launch::testing::FakeHttpServer echo;
  echo.server().Post("/token", [](const httplib::Request& request, httplib::Response& response) {
    response.status = 400;
    response.set_content(nlohmann::json{{"error", "invalid_grant"}, {"error_description", request.body}}.dump(),
                         "application/json");
  });
  echo.start();
  http::HttpClient http{http::HttpClientOptions{}};
  GoogleAuthorizedUserTokenSource source({kClientId, kSecret, kRefreshToken, echo.url() + "/token", ""}, kOrigin, http,
                                         clock);
  auto token = source.token();
  ASSERT_FALSE(token.ok());
  const std::string& message = token.error().message;
  EXPECT_NE(message.find("client_id=" + std::string(kClientId)), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
  EXPECT_EQ(message.find(http::urlEncode(kRefreshToken)), std::string::npos) << message;
}

}  // namespace
}  // namespace launch::cloud
