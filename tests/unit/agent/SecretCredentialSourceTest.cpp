// SecretCredentialSource against a scripted API server: the registry's entry of a dockerconfigjson Secret,
// and every way a Secret can fail to provide it, each naming the Secret and the fix without a password.
#include "agent/SecretCredentialSource.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fakes/FakeKubeApiServer.hpp"
#include "registry/DockerConfigJson.hpp"
#include "util/Base64.hpp"

namespace launch::agent {
namespace {

constexpr const char* kPath = "/api/v1/namespaces/ml/secrets/regcred";

std::string secretWith(const nlohmann::json& data) {
  return nlohmann::json{{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"metadata", {{"name", "regcred"}, {"namespace", "ml"}}},
                        {"type", "kubernetes.io/dockerconfigjson"},
                        {"data", data}}
      .dump();
}

std::string dockerConfigFor(const std::string& host) {
  registry::DockerConfigJson config;
  config.set(host, registry::RegistryCredentials{"pusher", "s3cret", ""});
  return base64Encode(config.toJson());
}

struct SecretCase {
  const char* name;
  testing::FakeKubeApiServer::Responder answer;
  const char* messageHas;  // empty: the credentials are found
};

class SecretCredentials : public ::testing::TestWithParam<SecretCase> {};

TEST_P(SecretCredentials, AreFoundOrExplained) {
  testing::FakeKubeApiServer server;
  server.script("GET", kPath, {GetParam().answer});
  kube::KubeClient client(server.config());
  SecretCredentialSource source(client, "ml", "regcred", "registry.test:5000");
  auto credentials = source.credentials();
  if (std::string(GetParam().messageHas).empty()) {
    ASSERT_TRUE(credentials.ok()) << credentials.error().message;
    EXPECT_EQ(credentials->username, "pusher");
    EXPECT_EQ(credentials->password, "s3cret");
    return;
  }
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().code, ErrorCode::Invalid);
  EXPECT_NE(credentials.error().message.find(GetParam().messageHas), std::string::npos) << credentials.error().message;
  EXPECT_NE(credentials.error().message.find("regcred"), std::string::npos) << credentials.error().message;
  EXPECT_EQ(credentials.error().message.find("s3cret"), std::string::npos) << "a password in a message";
}

INSTANTIATE_TEST_SUITE_P(
    SecretCredentialSource, SecretCredentials,
    ::testing::Values(
        SecretCase{"Found",
                   testing::FakeKubeApiServer::json(200, secretWith({{".dockerconfigjson",
                                                                      dockerConfigFor("registry.test:5000")}})),
                   ""},
        SecretCase{"FoundUnderAnHttpsKey",
                   testing::FakeKubeApiServer::json(
                       200, secretWith({{".dockerconfigjson", dockerConfigFor("https://registry.test:5000/v2/")}})),
                   ""},
        SecretCase{"Missing", testing::FakeKubeApiServer::status(404, "NotFound"), "does not exist in namespace ml"},
        SecretCase{"NotADockerConfigSecret",
                   testing::FakeKubeApiServer::json(200, secretWith({{"password", base64Encode("s3cret")}})),
                   "has no .dockerconfigjson"},
        SecretCase{
            "AnotherRegistrysCredentials",
            testing::FakeKubeApiServer::json(200, secretWith({{".dockerconfigjson", dockerConfigFor("ghcr.io")}})),
            "has no credentials for registry.test:5000"},
        SecretCase{"NotBase64", testing::FakeKubeApiServer::json(200, secretWith({{".dockerconfigjson", "%%%"}})),
                   "is not base64"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SecretCredentialSource, DescribesItselfWithoutASecret) {
  testing::FakeKubeApiServer server;
  kube::KubeClient client(server.config());
  const SecretCredentialSource source(client, "ml", "regcred", "registry.test:5000");
  EXPECT_EQ(source.describe(), "Secret ml/regcred (credentials for registry.test:5000)");
}

}  // namespace
}  // namespace launch::agent
