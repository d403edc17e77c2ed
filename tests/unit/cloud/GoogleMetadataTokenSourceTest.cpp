// Unit tests of tokens from the GCE metadata server, against a fake that insists on "Metadata-Flavor: Google".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cloud/GoogleMetadataTokenSource.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {
namespace {

using launch::testing::FakeGoogleMetadataServer;
using launch::testing::FakeHttpServer;

class GoogleMetadataTokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { metadata_.start(); }

  GoogleMetadataOptions options() const {
    GoogleMetadataOptions options;
    options.host = metadata_.host();
    return options;
  }

  ManualClock clock_;
  FakeGoogleMetadataServer metadata_;
  http::HttpClient http_{http::HttpClientOptions{}};
};

TEST_F(GoogleMetadataTokenSourceTest, TheFakeRefusesRequestsWithoutTheFlavorHeader) {
  httplib::Client client("127.0.0.1", std::stoi(metadata_.host().substr(metadata_.host().find(':') + 1)));
  auto bare = client.Get("/computeMetadata/v1/instance/service-accounts/default/token");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 403);
  auto forwarded = client.Get("/computeMetadata/v1/instance/service-accounts/default/token",
                              {{"Metadata-Flavor", "Google"}, {"X-Forwarded-For", "10.0.0.1"}});
  ASSERT_TRUE(forwarded);
  EXPECT_EQ(forwarded->status, 403);
  EXPECT_EQ(metadata_.tokensIssued(), 0);
}

TEST_F(GoogleMetadataTokenSourceTest, GetsATokenForTheDefaultAccount) {
  metadata_.setExpiresIn(3000);
  GoogleMetadataTokenSource source(options(), http_, clock_);
  auto token = source.token();
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "ya29.metadata-1");
  EXPECT_EQ(token->expiry, clock_.now() + std::chrono::seconds(3000));
  EXPECT_EQ(metadata_.refused(), 0);
  EXPECT_EQ(metadata_.lastScopes(), "");
}

TEST_F(GoogleMetadataTokenSourceTest, AsksForScopesWhenGivenSome) {
  GoogleMetadataOptions withScopes = options();
  withScopes.scopes = {"https://www.googleapis.com/auth/cloud-platform", "https://example.com/x"};
  GoogleMetadataTokenSource source(withScopes, http_, clock_);
  ASSERT_TRUE(source.token().ok());
  EXPECT_EQ(metadata_.lastScopes(), "https://www.googleapis.com/auth/cloud-platform,https://example.com/x");
}

TEST_F(GoogleMetadataTokenSourceTest, NoAttachedAccountIsNotFoundAndSaysWhatToAttach) {
  metadata_.setAccountAttached(false);
  GoogleMetadataTokenSource source(options(), http_, clock_);
  auto token = source.token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::NotFound) << token.error().message;
  EXPECT_EQ(token.error().httpStatus, 404);
  EXPECT_NE(token.error().message.find("attach"), std::string::npos) << token.error().message;
}

TEST_F(GoogleMetadataTokenSourceTest, ProbeFindsTheServer) {
  GoogleMetadataTokenSource source(options(), http_, clock_);
  const Status probed = source.probe(std::chrono::milliseconds(2000));
  EXPECT_TRUE(probed.ok()) << probed.error().message;
}

TEST(GoogleMetadataTokenSource, ProbeRejectsWhatIsNotAMetadataServer) {
  ManualClock clock;
  FakeHttpServer impostor;  // answers 200 but without "Metadata-Flavor: Google"
  impostor.server().Get(
      "/", [](const httplib::Request&, httplib::Response& response) { response.set_content("hello", "text/plain"); });
  impostor.start();
  http::HttpClient http{http::HttpClientOptions{}};
  struct Case {
    std::string name;
    std::string host;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"a web server without the header", "127.0.0.1:" + std::to_string(impostor.port()), "Metadata-Flavor"},
      {"nothing listening", "127.0.0.1:1", "no metadata server answers"},
  };
  for (const auto& c : cases) {
    GoogleMetadataOptions options;
    options.host = c.host;
    GoogleMetadataTokenSource source(options, http, clock);
    const Status probed = source.probe(std::chrono::milliseconds(2000));
    ASSERT_FALSE(probed.ok()) << c.name;
    EXPECT_EQ(probed.error().code, ErrorCode::NotFound) << c.name;
    EXPECT_NE(probed.error().message.find(c.mentions), std::string::npos) << c.name << ": " << probed.error().message;
  }
}

TEST(GoogleMetadataTokenSource, AnUnreachableServerIsUnavailableAndPointsAtTheAlternatives) {
  ManualClock clock;
  http::HttpClient http{http::HttpClientOptions{}};
  GoogleMetadataOptions options;
  options.host = "127.0.0.1:1";
  GoogleMetadataTokenSource source(options, http, clock);
  auto token = source.token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::Unavailable) << token.error().message;
  EXPECT_NE(token.error().message.find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos);
}

TEST(GoogleMetadataOptions, TheHostComesFromTheEnvironment) {
  struct Case {
    std::string name;
    std::map<std::string, std::string> variables;
    std::string host;
  };
  const std::vector<Case> cases = {
      {"nothing set", {}, "metadata.google.internal"},
      {"GCE_METADATA_HOST", {{"GCE_METADATA_HOST", "10.0.0.5:8080"}}, "10.0.0.5:8080"},
      {"the older GCE_METADATA_ROOT", {{"GCE_METADATA_ROOT", "10.0.0.6"}}, "10.0.0.6"},
      {"GCE_METADATA_HOST wins", {{"GCE_METADATA_HOST", "a:1"}, {"GCE_METADATA_ROOT", "b:2"}}, "a:1"},
      {"an empty value counts as unset", {{"GCE_METADATA_HOST", ""}}, "metadata.google.internal"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(GoogleMetadataOptions::fromEnvironment(GoogleMapEnvironment(c.variables)).host, c.host) << c.name;
  }
}

}  // namespace
}  // namespace launch::cloud
