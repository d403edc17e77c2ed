// makeCredentialSource: which source each registry type gets, and the settings each one insists on.
#include "registry/RegistryAuth.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cloud/AwsEnvironment.hpp"
#include "cloud/AwsEnvironmentCredentialProvider.hpp"
#include "registry/GarCredentialSource.hpp"
#include "registry/StaticCredentialSource.hpp"

namespace launch::registry {
namespace {

class FixedTokenSource final : public cloud::GoogleTokenSource {
 public:
  Result<cloud::AccessToken> token() override { return cloud::AccessToken{"ya29.token", {}}; }
  std::string describe() const override { return "a fixed token"; }
};

RegistryAuthServices services(bool withClouds) {
  RegistryAuthServices services;
  services.http = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
  if (withClouds) {
    services.aws =
        std::make_shared<cloud::AwsEnvironmentCredentialProvider>(std::make_shared<cloud::AwsMapEnvironment>());
    services.google = std::make_shared<FixedTokenSource>();
  }
  return services;
}

RegistryAuthOptions optionsFor(RegistryType type, std::string uri) {
  RegistryAuthOptions options;
  options.type = type;
  options.uri = std::move(uri);
  options.acr.azure.tenantId = "tenant";
  options.acr.azure.clientId = "client";
  options.acr.azure.clientSecret = "secret";
  return options;
}

enum class Expect { Anonymous, Static, Ecr, Gar, Acr };

struct Choice {
  const char* name;
  RegistryType type;
  const char* uri;
  bool withCredentials;
  Expect expected;
};

class RegistryAuthChooses : public ::testing::TestWithParam<Choice> {};

TEST_P(RegistryAuthChooses, TheSourceForTheType) {
  const Choice& c = GetParam();
  RegistryAuthOptions options = optionsFor(c.type, c.uri);
  if (c.withCredentials) options.credentials = RegistryCredentials{"user", "pw", ""};
  auto source = makeCredentialSource(options, services(true));
  ASSERT_TRUE(source.ok()) << source.error().message;
  CredentialSource* raw = source->get();
  switch (c.expected) {
    case Expect::Anonymous: {
      ASSERT_NE(dynamic_cast<StaticCredentialSource*>(raw), nullptr);
      auto credentials = raw->credentials();
      ASSERT_TRUE(credentials.ok());
      EXPECT_TRUE(credentials->anonymous());
      break;
    }
    case Expect::Static: {
      ASSERT_NE(dynamic_cast<StaticCredentialSource*>(raw), nullptr);
      EXPECT_EQ(raw->credentials()->username, "user");
      break;
    }
    case Expect::Ecr:
      EXPECT_NE(dynamic_cast<EcrCredentialSource*>(raw), nullptr) << raw->describe();
      break;
    case Expect::Gar:
      EXPECT_NE(dynamic_cast<GarCredentialSource*>(raw), nullptr) << raw->describe();
      break;
    case Expect::Acr:
      EXPECT_NE(dynamic_cast<AcrCredentialSource*>(raw), nullptr) << raw->describe();
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryAuthChooses,
    ::testing::Values(
        Choice{"GenericAnonymous", RegistryType::Generic, "localhost:5000/launch", false, Expect::Anonymous},
        Choice{"GenericSecret", RegistryType::Generic, "ghcr.io/org/launch", true, Expect::Static},
        Choice{"Ecr", RegistryType::Ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch", false, Expect::Ecr},
        Choice{"EcrSecretWins", RegistryType::Ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch", true,
               Expect::Static},
        Choice{"Gar", RegistryType::Gar, "us-central1-docker.pkg.dev/proj/repo", false, Expect::Gar},
        Choice{"Gcr", RegistryType::Gar, "gcr.io/proj", false, Expect::Gar},
        Choice{"Acr", RegistryType::Acr, "launchtest.azurecr.io/launch", false, Expect::Acr},
        Choice{"AcrSecretWins", RegistryType::Acr, "launchtest.azurecr.io/launch", true, Expect::Static}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RegistryAuth, EcrTakesItsRegionFromTheRegistryHost) {
  auto source = makeCredentialSource(
      optionsFor(RegistryType::Ecr, "123456789012.dkr.ecr.eu-central-1.amazonaws.com/launch"), services(true));
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_NE((*source)->describe().find("https://api.ecr.eu-central-1.amazonaws.com/"), std::string::npos)
      << (*source)->describe();
}

TEST(RegistryAuth, EcrRegionOfHostTable) {
  EXPECT_EQ(ecrRegionOf("123456789012.dkr.ecr.us-east-1.amazonaws.com"), "us-east-1");
  EXPECT_EQ(ecrRegionOf("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"), "cn-north-1");
  EXPECT_EQ(ecrRegionOf("ghcr.io"), std::nullopt);
  EXPECT_EQ(ecrRegionOf("123456789012.dkr.ecr..amazonaws.com"), std::nullopt);
  EXPECT_EQ(ecrRegionOf("x.dkr.ecr.us-east-1.example.com"), std::nullopt);
}

struct Refused {
  const char* name;
  RegistryType type;
  const char* uri;
  bool withClouds;
  const char* why;
};

class RegistryAuthRefuses : public ::testing::TestWithParam<Refused> {};

TEST_P(RegistryAuthRefuses, NamingTheMissingOrWrongSetting) {
  const Refused& c = GetParam();
  RegistryAuthOptions options = optionsFor(c.type, c.uri);
  if (std::string(c.name) == "AcrWithoutTenant") options.acr.azure.tenantId.clear();
  auto source = makeCredentialSource(options, services(c.withClouds));
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, ErrorCode::Invalid);
  EXPECT_NE(source.error().message.find(c.why), std::string::npos) << source.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryAuthRefuses,
    ::testing::Values(
        Refused{"EmptyUri", RegistryType::Generic, "", true, "the registry uri is empty"},
        Refused{"BadUri", RegistryType::Generic, "Not A Uri", true, "the registry uri is not <host>/<repository>"},
        Refused{"EcrNotEcrHost", RegistryType::Ecr, "ghcr.io/org/launch", true, "is not an ECR registry"},
        Refused{"EcrWithoutAws", RegistryType::Ecr, "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch", false,
                "needs AWS credentials"},
        Refused{"GarNotGarHost", RegistryType::Gar, "ghcr.io/org/launch", true, "is not an Artifact Registry host"},
        Refused{"GarWithoutGoogle", RegistryType::Gar, "europe-west4-docker.pkg.dev/p/r", false,
                "needs Google credentials"},
        Refused{"AcrNotAcrHost", RegistryType::Acr, "ghcr.io/org/launch", true, "is not an ACR registry"},
        Refused{"AcrWithoutTenant", RegistryType::Acr, "launchtest.azurecr.io/launch", true, "AZURE_TENANT_ID"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace launch::registry
