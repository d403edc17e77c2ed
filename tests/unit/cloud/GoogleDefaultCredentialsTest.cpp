// Unit tests of the ADC order (env var file, gcloud file, metadata server), each proven with a fake (table-driven).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cloud/GoogleDefaultCredentials.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {
namespace {

using launch::testing::authorizedUserJson;
using launch::testing::FakeGoogleMetadataServer;
using launch::testing::FakeGoogleTokenEndpoint;
using launch::testing::ScratchDirectory;
using launch::testing::serviceAccountKeyJson;
using launch::testing::testKeyPair;

constexpr const char* kEmail = "runner@proj.iam.gserviceaccount.com";

class GoogleDefaultCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_.addServiceAccount(kEmail, "key-1", testKeyPair().publicKeyPem);
    endpoint_.addAuthorizedUser("cid", "csecret", "rtoken");
    endpoint_.start();
    metadata_.start();
  }

  std::string writeServiceAccountKey(const std::string& relative) const {
    return dir_.write(relative, serviceAccountKeyJson(kEmail, testKeyPair().privateKeyPem, endpoint_.tokenUri()));
  }
  std::string writeUserLogin(const std::string& relative) const {
    return dir_.write(relative, authorizedUserJson("cid", "csecret", "rtoken", endpoint_.tokenUri()));
  }

  ManualClock clock_;
  FakeGoogleTokenEndpoint endpoint_{clock_};
  FakeGoogleMetadataServer metadata_;
  ScratchDirectory dir_;
  http::HttpClient http_{http::HttpClientOptions{}};
};

TEST_F(GoogleDefaultCredentialsTest, FindsSourcesInAdcOrder) {
  struct Case {
    std::string name;
    std::function<void(GoogleMapEnvironment&)> arrange;
    std::string describes;    // what describe() of the source found must contain
    std::string tokenPrefix;  // which fake issued its token
  };
  const std::string metadataHost = metadata_.host();
  const std::vector<Case> cases = {
      {"GOOGLE_APPLICATION_CREDENTIALS names a key",
       [&](GoogleMapEnvironment& env) {
         env.set("GOOGLE_APPLICATION_CREDENTIALS", writeServiceAccountKey("a/key.json"));
         env.set("HOME", dir_.path() + "/home-a");
         writeUserLogin("home-a/.config/gcloud/application_default_credentials.json");
         env.set("GCE_METADATA_HOST", metadataHost);
       },
       std::string("service account ") + kEmail, "ya29.fake-"},
      {"GOOGLE_APPLICATION_CREDENTIALS names a user login",
       [&](GoogleMapEnvironment& env) {
         env.set("GOOGLE_APPLICATION_CREDENTIALS", writeUserLogin("b/login.json"));
         env.set("GCE_METADATA_HOST", metadataHost);
       },
       "user login for OAuth client cid", "ya29.fake-"},
      {"gcloud's file under HOME beats the metadata server",
       [&](GoogleMapEnvironment& env) {
         env.set("HOME", dir_.path() + "/home-c");
         writeUserLogin("home-c/.config/gcloud/application_default_credentials.json");
         env.set("GCE_METADATA_HOST", metadataHost);
       },
       "home-c/.config/gcloud/application_default_credentials.json", "ya29.fake-"},
      {"CLOUDSDK_CONFIG moves gcloud's file",
       [&](GoogleMapEnvironment& env) {
         env.set("HOME", dir_.path() + "/home-d");
         writeUserLogin("home-d/.config/gcloud/application_default_credentials.json");
         env.set("CLOUDSDK_CONFIG", dir_.path() + "/gcloud-d");
         writeServiceAccountKey("gcloud-d/application_default_credentials.json");
         env.set("GCE_METADATA_HOST", metadataHost);
       },
       "gcloud-d/application_default_credentials.json", "ya29.fake-"},
      {"the metadata server when there is no file",
       [&](GoogleMapEnvironment& env) {
         env.set("HOME", dir_.path() + "/home-e");  // no gcloud file in it
         env.set("GCE_METADATA_HOST", metadataHost);
       },
       "metadata server at http://" + metadataHost, "ya29.metadata-"},
      {"an empty GOOGLE_APPLICATION_CREDENTIALS counts as unset",
       [&](GoogleMapEnvironment& env) {
         env.set("GOOGLE_APPLICATION_CREDENTIALS", "");
         env.set("GCE_METADATA_HOST", metadataHost);
       },
       "metadata server", "ya29.metadata-"},
  };
  for (const auto& c : cases) {
    GoogleMapEnvironment env;
    c.arrange(env);
    auto source = GoogleDefaultCredentials::find(env, http_, clock_);
    ASSERT_TRUE(source.ok()) << c.name << ": " << source.error().message;
    EXPECT_NE((*source)->describe().find(c.describes), std::string::npos)
        << c.name << ": found " << (*source)->describe();
    auto token = (*source)->token();
    ASSERT_TRUE(token.ok()) << c.name << ": " << token.error().message << " / fake: " << endpoint_.lastRejection();
    EXPECT_EQ(token->token.rfind(c.tokenPrefix, 0), 0U) << c.name << ": " << token->token;
  }
}

TEST_F(GoogleDefaultCredentialsTest, ABrokenFileIsAnErrorNotAReasonToTryTheNextSource) {
  struct Case {
    std::string name;
    std::function<void(GoogleMapEnvironment&)> arrange;
    ErrorCode code;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {"GOOGLE_APPLICATION_CREDENTIALS names a missing file",
       [&](GoogleMapEnvironment& env) { env.set("GOOGLE_APPLICATION_CREDENTIALS", dir_.path() + "/missing.json"); },
       ErrorCode::NotFound,
       {"GOOGLE_APPLICATION_CREDENTIALS", "missing.json"}},
      {"GOOGLE_APPLICATION_CREDENTIALS names a file that is not JSON",
       [&](GoogleMapEnvironment& env) { env.set("GOOGLE_APPLICATION_CREDENTIALS", dir_.write("bad.json", "{no")); },
       ErrorCode::Invalid,
       {"GOOGLE_APPLICATION_CREDENTIALS", "bad.json", "not a JSON object"}},
      {"gcloud's file lacks its refresh token",
       [&](GoogleMapEnvironment& env) {
         env.set("HOME", dir_.path() + "/home-f");
         dir_.write("home-f/.config/gcloud/application_default_credentials.json",
                    R"({"type":"authorized_user","client_id":"c","client_secret":"s"})");
       },
       ErrorCode::Invalid,
       {"\"refresh_token\"", "gcloud auth application-default login"}},
  };
  for (const auto& c : cases) {
    GoogleMapEnvironment env;
    env.set("GCE_METADATA_HOST", metadata_.host());  // a working fallback that must not be used
    c.arrange(env);
    auto source = GoogleDefaultCredentials::find(env, http_, clock_);
    ASSERT_FALSE(source.ok()) << c.name << ": found " << (*source)->describe();
    EXPECT_EQ(source.error().code, c.code) << c.name << ": " << source.error().message;
    for (const auto& text : c.mentions) {
      EXPECT_NE(source.error().message.find(text), std::string::npos)
          << c.name << " should mention " << text << ": " << source.error().message;
    }
  }
  EXPECT_EQ(metadata_.tokensIssued(), 0);
}

TEST_F(GoogleDefaultCredentialsTest, NothingFoundExplainsEveryPlaceItLooked) {
  GoogleMapEnvironment env;
  env.set("HOME", dir_.path() + "/empty-home");
  env.set("GCE_METADATA_HOST", "127.0.0.1:1");
  auto source = GoogleDefaultCredentials::find(env, http_, clock_);
  ASSERT_FALSE(source.ok());
  const std::string& message = source.error().message;
  EXPECT_EQ(source.error().code, ErrorCode::NotFound) << message;
  for (const char* text :
       {"GOOGLE_APPLICATION_CREDENTIALS is not set",
        "empty-home/.config/gcloud/application_default_credentials.json does not exist",
        "no metadata server answers at http://127.0.0.1:1", "gcloud auth application-default login"}) {
    EXPECT_NE(message.find(text), std::string::npos) << "should mention " << text << ": " << message;
  }
}

TEST_F(GoogleDefaultCredentialsTest, AnExplicitFileAndATokenUriOverride) {
  const std::string path = dir_.write(
      "explicit.json", serviceAccountKeyJson(kEmail, testKeyPair().privateKeyPem, "http://127.0.0.1:1/token"));
  GoogleCredentialsOptions options;
  options.tokenUri = endpoint_.tokenUri();
  auto source = GoogleDefaultCredentials::fromFile(path, http_, clock_, options);
  ASSERT_TRUE(source.ok()) << source.error().message;
  auto token = (*source)->token();
  ASSERT_TRUE(token.ok()) << token.error().message << " / fake: " << endpoint_.lastRejection();
  EXPECT_EQ(token->token, "ya29.fake-1");
}

TEST(GoogleDefaultCredentials, TheWellKnownFile) {
  struct Case {
    std::string name;
    std::map<std::string, std::string> variables;
    std::string path;
  };
  const std::vector<Case> cases = {
      {"under HOME", {{"HOME", "/home/me"}}, "/home/me/.config/gcloud/application_default_credentials.json"},
      {"CLOUDSDK_CONFIG wins",
       {{"HOME", "/home/me"}, {"CLOUDSDK_CONFIG", "/etc/gcloud"}},
       "/etc/gcloud/application_default_credentials.json"},
      {"neither set", {}, ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(GoogleDefaultCredentials::wellKnownFile(GoogleMapEnvironment(c.variables)), c.path) << c.name;
  }
}

}  // namespace
}  // namespace launch::cloud
