// Unit tests of reading Google credentials files: both kinds, defaults, and errors that name the field (table-driven).
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "cloud/GoogleCredentialsFile.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"

namespace launch::cloud {
namespace {

using launch::testing::authorizedUserJson;
using launch::testing::ScratchDirectory;
using launch::testing::serviceAccountKeyJson;
using launch::testing::testKeyPair;

TEST(GoogleCredentialsFile, ReadsAServiceAccountKey) {
  const std::string json =
      serviceAccountKeyJson("sa@proj.iam.gserviceaccount.com", testKeyPair().privateKeyPem, "https://t/token", "k9");
  auto credentials = parseGoogleCredentials(json, "key.json");
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  const auto* key = std::get_if<GoogleServiceAccountKey>(&*credentials);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->clientEmail, "sa@proj.iam.gserviceaccount.com");
  EXPECT_EQ(key->privateKeyPem, testKeyPair().privateKeyPem);
  EXPECT_EQ(key->privateKeyId, "k9");
  EXPECT_EQ(key->tokenUri, "https://t/token");
  EXPECT_EQ(key->projectId, "proj");
}

TEST(GoogleCredentialsFile, ReadsAUserLoginAndDefaultsItsTokenUri) {
  auto credentials = parseGoogleCredentials(authorizedUserJson("cid", "csecret", "rtoken"), "adc.json");
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  const auto* user = std::get_if<GoogleAuthorizedUser>(&*credentials);
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->clientId, "cid");
  EXPECT_EQ(user->clientSecret, "csecret");
  EXPECT_EQ(user->refreshToken, "rtoken");
  EXPECT_EQ(user->tokenUri, kGoogleTokenUri);
}

TEST(GoogleCredentialsFile, ErrorsNameTheFileAndTheFieldButNoSecret) {
  const std::string pem = testKeyPair().privateKeyPem;
  const auto without = [](const std::string& json, const std::string& field) {
    auto doc = nlohmann::json::parse(json);
    doc.erase(field);
    return doc.dump();
  };
  const std::string key = serviceAccountKeyJson("sa@p.iam.gserviceaccount.com", pem, "https://t");
  const std::string user = authorizedUserJson("cid", "the-client-secret", "the-refresh-token");
  struct Case {
    std::string name;
    std::string json;
    std::string mentions;  // the field or fact the message must name
  };
  const std::vector<Case> cases = {
      {"not JSON", "{oops", "not a JSON object"},
      {"a JSON array", "[]", "not a JSON object"},
      {"no type", without(key, "type"), "\"type\""},
      {"unsupported type", R"({"type":"external_account"})", "external_account"},
      {"key without client_email", without(key, "client_email"), "\"client_email\""},
      {"key without private_key", without(key, "private_key"), "\"private_key\""},
      {"key with a non-PEM private_key",
       serviceAccountKeyJson("sa@p", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-secret-bytes", "https://t"), "\"private_key\""},
      {"key with a numeric client_email", R"({"type":"service_account","client_email":5})", "\"client_email\""},
      {"login without client_id", without(user, "client_id"), "\"client_id\""},
      {"login without client_secret", without(user, "client_secret"), "\"client_secret\""},
      {"login without refresh_token", without(user, "refresh_token"), "\"refresh_token\""},
  };
  for (const auto& c : cases) {
    auto credentials = parseGoogleCredentials(c.json, "/etc/creds/file.json");
    ASSERT_FALSE(credentials.ok()) << c.name;
    const std::string& message = credentials.error().message;
    EXPECT_EQ(credentials.error().code, ErrorCode::Invalid) << c.name;
    EXPECT_NE(message.find("/etc/creds/file.json"), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.mentions), std::string::npos) << c.name << ": " << message;
    for (const char* secret : {"secret-bytes", "the-client-secret", "the-refresh-token", "PRIVATE KEY"}) {
      EXPECT_EQ(message.find(secret), std::string::npos) << c.name << " leaks " << secret << ": " << message;
    }
  }
}

TEST(GoogleCredentialsFile, LoadsFromAFileAndReportsAMissingOne) {
  const ScratchDirectory dir;
  const std::string path = dir.write("adc.json", authorizedUserJson("cid", "s", "r"));
  auto loaded = loadGoogleCredentials(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(std::holds_alternative<GoogleAuthorizedUser>(*loaded));

  auto missing = loadGoogleCredentials(dir.path() + "/nope.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_NE(missing.error().message.find("nope.json"), std::string::npos);
}

}  // namespace
}  // namespace launch::cloud
