// DockerConfigJson and RegistryCredentials: reading Secrets, matching hosts, writing config.json, and the
// Docker Engine's X-Registry-Auth encoding.
#include "registry/DockerConfigJson.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "registry/RegistryCredentials.hpp"
#include "util/Base64.hpp"

namespace launch::registry {
namespace {

constexpr std::string_view kOrigin = "Secret ml/regcred key .dockerconfigjson";

TEST(DockerConfigJson, ReadsAuthUsernamePasswordAndIdentityTokenEntries) {
  const std::string json = R"({"auths": {
      "ghcr.io": {"auth": ")" +
                           base64Encode("octo:p@ss:with:colons") + R"("},
      "registry.example.com:5000": {"username": "svc", "password": "s3cret"},
      "launchtest.azurecr.io": {"auth": ")" +
                           base64Encode("00000000-0000-0000-0000-000000000000:") +
                           R"(", "identitytoken": "refresh-123"},
      "both.example.com": {"auth": ")" +
                           base64Encode("from-auth:pw1") +
                           R"(", "username": "ignored", "password": "ignored"}
    }, "credsStore": "desktop"})";
  auto config = DockerConfigJson::parse(json, kOrigin);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->auths().size(), 4U);
  EXPECT_EQ(config->find("ghcr.io"), (RegistryCredentials{"octo", "p@ss:with:colons", ""}));
  EXPECT_EQ(config->find("registry.example.com:5000"), (RegistryCredentials{"svc", "s3cret", ""}));
  EXPECT_EQ(config->find("launchtest.azurecr.io"),
            (RegistryCredentials{"00000000-0000-0000-0000-000000000000", "", "refresh-123"}));
  EXPECT_EQ(config->find("both.example.com"), (RegistryCredentials{"from-auth", "pw1", ""}))
      << "\"auth\" wins over username/password, as in the docker CLI";
}

struct HostMatch {
  const char* key;     // as written in the Secret
  const char* lookup;  // the host asked for
  bool matches;
};

class DockerConfigJsonHostMatching : public ::testing::TestWithParam<HostMatch> {};

TEST_P(DockerConfigJsonHostMatching, FindsKeysWithOrWithoutSchemeAndPath) {
  const HostMatch& c = GetParam();
  DockerConfigJson config;
  config.set(c.key, RegistryCredentials{"user", "pw", ""});
  EXPECT_EQ(config.find(c.lookup).has_value(), c.matches) << c.key << " vs " << c.lookup;
}

INSTANTIATE_TEST_SUITE_P(Table, DockerConfigJsonHostMatching,
                         ::testing::Values(HostMatch{"ghcr.io", "ghcr.io", true},
                                           HostMatch{"https://ghcr.io", "ghcr.io", true},
                                           HostMatch{"https://ghcr.io/v1/", "ghcr.io", true},
                                           HostMatch{"http://localhost:5000/v2/", "localhost:5000", true},
                                           HostMatch{"GHCR.IO", "ghcr.io", true},
                                           HostMatch{"ghcr.io", "https://ghcr.io/", true},
                                           HostMatch{"https://index.docker.io/v1/", "docker.io", true},
                                           HostMatch{"docker.io", "registry-1.docker.io", true},
                                           HostMatch{"localhost:5000", "localhost:5001", false},
                                           HostMatch{"localhost:5000", "localhost", false},
                                           HostMatch{"ghcr.io", "ghcr.io.evil.example", false},
                                           HostMatch{"evil.ghcr.io", "ghcr.io", false}));

TEST(DockerConfigJson, AnExactKeyWinsOverOneThatOnlyNormalizesToTheSameHost) {
  DockerConfigJson config;
  config.set("https://ghcr.io/v1/", RegistryCredentials{"old", "pw-old", ""});
  config.set("ghcr.io", RegistryCredentials{"new", "pw-new", ""});
  EXPECT_EQ(config.find("ghcr.io")->username, "new");
}

TEST(DockerConfigJson, RoundTripsThroughTheJsonItWrites) {
  DockerConfigJson config;
  config.set("123456789012.dkr.ecr.us-east-1.amazonaws.com", RegistryCredentials{"AWS", "ecr+pass/word=", ""});
  config.set("launchtest.azurecr.io", RegistryCredentials{"00000000-0000-0000-0000-000000000000", "", "rt-1"});
  config.set("localhost:5000", RegistryCredentials{"launch", "launch-test-password", ""});
  const std::string json = config.toJson();

  // The shape docker login writes and kaniko reads: "auth" is base64 of user:password.
  const auto document = nlohmann::json::parse(json);
  EXPECT_EQ(document["auths"]["localhost:5000"]["auth"], base64Encode("launch:launch-test-password"));
  EXPECT_EQ(document["auths"]["launchtest.azurecr.io"]["identitytoken"], "rt-1");
  EXPECT_FALSE(document["auths"]["localhost:5000"].contains("password")) << json;

  auto back = DockerConfigJson::parse(json, kOrigin);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->auths(), config.auths());
}

TEST(DockerConfigJson, AConfigWithoutAuthsHasNoCredentials) {
  auto config = DockerConfigJson::parse(R"({"credHelpers": {"launchtest.azurecr.io": "acr-env"}})", kOrigin);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->find("launchtest.azurecr.io").has_value());
}

struct Malformed {
  const char* json;
  const char* why;
};

class DockerConfigJsonRejects : public ::testing::TestWithParam<Malformed> {};

TEST_P(DockerConfigJsonRejects, NamingTheDocumentAndTheEntryButNoSecret) {
  const Malformed& c = GetParam();
  auto config = DockerConfigJson::parse(c.json, kOrigin);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, ErrorCode::Invalid);
  EXPECT_EQ(config.error().message.rfind(std::string(kOrigin), 0), 0U) << config.error().message;
  EXPECT_NE(config.error().message.find(c.why), std::string::npos) << config.error().message;
  EXPECT_EQ(config.error().message.find("hunter2"), std::string::npos) << "a secret leaked: " << config.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DockerConfigJsonRejects,
    ::testing::Values(Malformed{"not json", "is not a JSON object"}, Malformed{"[]", "is not a JSON object"},
                      Malformed{R"({"auths": ["ghcr.io"]})", "\"auths\" must be an object"},
                      Malformed{R"({"auths": {"ghcr.io": "hunter2"}})", "auths[\"ghcr.io\"] must be an object"},
                      Malformed{R"({"auths": {"ghcr.io": {"auth": "hunter2!!"}}})",
                                "auths[\"ghcr.io\"].auth must be base64 of \"username:password\""},
                      // base64 of "hunter2" (no colon)
                      Malformed{R"({"auths": {"ghcr.io": {"auth": "aHVudGVyMg=="}}})",
                                "auths[\"ghcr.io\"].auth must be base64"},
                      Malformed{R"({"auths": {"ghcr.io": {"username": "u", "password": 7}}})",
                                "auths[\"ghcr.io\"].password must be a string"}));

TEST(RegistryCredentials, BasicAuthorizationIsBase64OfUserColonPassword) {
  EXPECT_EQ((RegistryCredentials{"launch", "launch-test-password", ""}).basicAuthorization(),
            "bGF1bmNoOmxhdW5jaC10ZXN0LXBhc3N3b3Jk");
}

struct EngineAuth {
  RegistryCredentials credentials;
  const char* server;
  const char* json;  // what the header decodes to
};

class RegistryCredentialsEngineHeader : public ::testing::TestWithParam<EngineAuth> {};

TEST_P(RegistryCredentialsEngineHeader, IsPaddedBase64UrlOfTheAuthConfigJson) {
  const EngineAuth& c = GetParam();
  const std::string header = c.credentials.engineAuthHeader(c.server);
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos) << "not the URL-safe alphabet: " << header;
  EXPECT_EQ(header.size() % 4, 0U) << "the engine needs the padding: " << header;
  const auto decoded = base64Decode(header);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(nlohmann::json::parse(*decoded), nlohmann::json::parse(c.json));
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryCredentialsEngineHeader,
    ::testing::Values(
        // ">?>" and "~~~" give '+' and '/' in the standard alphabet, so the URL-safe one is checked.
        EngineAuth{
            {"AWS", ">?>~~~", ""},
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            R"({"username":"AWS","password":">?>~~~","serveraddress":"123456789012.dkr.ecr.us-east-1.amazonaws.com"})"},
        EngineAuth{{"", "", "rt-abc"}, "launchtest.azurecr.io", R"({"identitytoken":"rt-abc"})"},
        EngineAuth{{}, "localhost:5000", "{}"}));

TEST(RegistryCredentials, TheEngineHeaderOfKnownCredentialsIsStable) {
  // {"password":"pw","serveraddress":"localhost:5000","username":"u"}, keys sorted as nlohmann writes them.
  EXPECT_EQ((RegistryCredentials{"u", "pw", ""}).engineAuthHeader("localhost:5000"),
            "eyJwYXNzd29yZCI6InB3Iiwic2VydmVyYWRkcmVzcyI6ImxvY2FsaG9zdDo1MDAwIiwidXNlcm5hbWUiOiJ1In0=");
}

}  // namespace
}  // namespace launch::registry
