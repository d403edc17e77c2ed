// Unit tests of token endpoint answers becoming tokens or secret-free errors (table-driven).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cloud/GoogleTokenEndpoint.hpp"
#include "fakes/FakeHttpServer.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {
namespace {

using launch::testing::FakeHttpServer;

// A token endpoint that gives one canned answer.
class CannedEndpoint {
 public:
  CannedEndpoint(int status, const std::string& body) {
    server_.server().Post("/token", [this, status, body](const httplib::Request& request, httplib::Response& response) {
      lastBody_ = request.body;
      lastContentType_ = request.get_header_value("Content-Type");
      response.status = status;
      response.set_content(body, "application/json");
    });
    server_.start();
  }
  std::string uri() const { return server_.url() + "/token"; }
  std::string lastBody_;
  std::string lastContentType_;

 private:
  FakeHttpServer server_;
};

GoogleTokenGrant grant() {
  GoogleTokenGrant grant;
  grant.form = {{"grant_type", "refresh_token"}, {"refresh_token", "rt/with+odd=chars"}, {"client_id", "c"}};
  grant.secrets = {"rt/with+odd=chars"};
  grant.subject = "user login for OAuth client c";
  grant.invalidGrantFix = "FIX-GRANT";
  grant.invalidClientFix = "FIX-CLIENT";
  return grant;
}

TEST(GoogleTokenEndpoint, PostsTheGrantFormEncoded) {
  CannedEndpoint canned(200, R"({"access_token":"ya29.a","expires_in":3599,"token_type":"Bearer"})");
  ManualClock clock;
  http::HttpClient http{http::HttpClientOptions{}};
  auto token = GoogleTokenEndpoint(canned.uri(), http, clock).exchange(grant());
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "ya29.a");
  EXPECT_EQ(token->expiry, clock.now() + std::chrono::seconds(3599));
  EXPECT_EQ(canned.lastContentType_, "application/x-www-form-urlencoded");
  EXPECT_EQ(canned.lastBody_, "grant_type=refresh_token&refresh_token=rt%2Fwith%2Bodd%3Dchars&client_id=c");
}

TEST(GoogleTokenEndpoint, AnswersBecomeTokensOrErrors) {
  struct Case {
    std::string name;
    int status;
    std::string body;
    bool ok;
    ErrorCode code;
    std::string reason;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"a string expires_in", 200, R"({"access_token":"ya29.a","expires_in":"120","token_type":"Bearer"})", true,
       ErrorCode::Internal, "", ""},
      {"no token_type", 200, R"({"access_token":"ya29.a","expires_in":120})", true, ErrorCode::Internal, "", ""},
      {"lower-case bearer", 200, R"({"access_token":"ya29.a","expires_in":120,"token_type":"bearer"})", true,
       ErrorCode::Internal, "", ""},
      {"no access_token", 200, R"({"expires_in":120,"token_type":"Bearer"})", false, ErrorCode::Internal, "",
       "\"access_token\""},
      {"no expires_in", 200, R"({"access_token":"ya29.secret-token","token_type":"Bearer"})", false,
       ErrorCode::Internal, "", "\"expires_in\""},
      {"zero expires_in", 200, R"({"access_token":"ya29.secret-token","expires_in":0})", false, ErrorCode::Internal, "",
       "\"expires_in\""},
      {"a MAC token", 200, R"({"access_token":"ya29.secret-token","expires_in":60,"token_type":"mac"})", false,
       ErrorCode::Internal, "", "Bearer"},
      {"not JSON", 200, "ya29.secret-token", false, ErrorCode::Internal, "", "JSON"},
      {"invalid_grant", 400, R"({"error":"invalid_grant","error_description":"Bad Request"})", false,
       ErrorCode::Unauthorized, "invalid_grant", "FIX-GRANT"},
      {"invalid_client", 401, R"({"error":"invalid_client","error_description":"Unauthorized"})", false,
       ErrorCode::Unauthorized, "invalid_client", "FIX-CLIENT"},
      {"unauthorized_client", 400, R"({"error":"unauthorized_client"})", false, ErrorCode::Forbidden,
       "unauthorized_client", "not allowed"},
      {"invalid_scope", 400, R"({"error":"invalid_scope"})", false, ErrorCode::Invalid, "invalid_scope", "scopes"},
      {"rate limited", 429, R"({"error":"rate_limit_exceeded"})", false, ErrorCode::TooManyRequests,
       "rate_limit_exceeded", "retry later"},
      {"a server error page", 503, "<html>backend unavailable</html>", false, ErrorCode::Unavailable, "",
       "backend unavailable"},
      {"a wrong token URI", 404, "Not Found", false, ErrorCode::Invalid, "", "token_uri"},
      {"an error field of the wrong type", 400, R"({"error":{"code":400},"error_description":7})", false,
       ErrorCode::Invalid, "", "HTTP 400"},
  };
  ManualClock clock;
  for (const auto& c : cases) {
    CannedEndpoint canned(c.status, c.body);
    // Declared after the server so it closes its kept-alive connection first and the server stops at once.
    http::HttpClient http{http::HttpClientOptions{}};
    auto token = GoogleTokenEndpoint(canned.uri(), http, clock).exchange(grant());
    ASSERT_EQ(token.ok(), c.ok) << c.name << ": " << (token.ok() ? token->token : token.error().message);
    if (c.ok) {
      EXPECT_EQ(token->token, "ya29.a") << c.name;
      continue;
    }
    const Error& error = token.error();
    EXPECT_EQ(error.code, c.code) << c.name << ": " << error.message;
    EXPECT_EQ(error.reason, c.reason) << c.name;
    EXPECT_EQ(error.httpStatus, c.status == 200 ? 0 : c.status) << c.name;
    EXPECT_NE(error.message.find(c.mentions), std::string::npos) << c.name << ": " << error.message;
    if (c.status != 200) {
      EXPECT_NE(error.message.find("user login for OAuth client c"), std::string::npos)
          << c.name << ": " << error.message;
    }
    EXPECT_EQ(error.message.find("ya29.secret-token"), std::string::npos) << c.name << " leaks the access token";
  }
}

TEST(GoogleTokenEndpoint, LongDescriptionsAreCutAfterRedaction) {
  const std::string secret = "0123456789-secret-0123456789";
  std::string description(295, 'x');
  description += secret;  // straddles the cut at 300 characters
  CannedEndpoint canned(400, nlohmann::json{{"error", "invalid_request"}, {"error_description", description}}.dump());
  ManualClock clock;
  http::HttpClient http{http::HttpClientOptions{}};
  GoogleTokenGrant g = grant();
  g.secrets.push_back(secret);
  auto token = GoogleTokenEndpoint(canned.uri(), http, clock).exchange(g);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().message.find("01234"), std::string::npos) << token.error().message;
  EXPECT_NE(token.error().message.find("[reda..."), std::string::npos) << token.error().message;
}

TEST(RedactSecrets, ReplacesEveryOccurrenceOfEverySecret) {
  struct Case {
    std::string text;
    std::vector<std::string> secrets;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"a=SECRET&b=SECRET", {"SECRET"}, "a=[redacted]&b=[redacted]"},
      {"one two", {"one", "two"}, "one two"},  // shorter than 4 characters: too common to redact
      {"keyAkeyB", {"keyA", "keyB"}, "[redacted][redacted]"},
      {"nothing here", {"absent"}, "nothing here"},
      {"redacted[redacted]", {"redacted"}, "[redacted][[redacted]]"},
      {"", {"abcd"}, ""},
  };
  for (const auto& c : cases) EXPECT_EQ(redactSecrets(c.text, c.secrets), c.expected) << c.text;
}

}  // namespace
}  // namespace launch::cloud
