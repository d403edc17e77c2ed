// AcrCredentialSource and AzureAdTokenEndpoint against FakeAzureEndpoints: the Entra ID client-credentials
// grant, the ACR refresh-token exchange, caching by the refresh token's "exp", and the refusals.
#include "registry/AcrCredentialSource.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "fakes/FakeAzureEndpoints.hpp"
#include "util/Clock.hpp"

namespace launch::registry {
namespace {

using testing::FakeAzureEndpoints;

constexpr const char* kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr const char* kClientId = "d6f6d3a6-5b3e-4c1e-9a5b-2b1b3f2c1a00";
constexpr const char* kSecret = "Xy8Q~client.secret-value_123";

class AcrCredentialSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { azure_.addServicePrincipal(kTenant, kClientId, kSecret); }

  AcrOptions options(const std::string& secret = kSecret) {
    AcrOptions options;
    options.registry = azure_.registry();
    options.registryEndpoint = azure_.registryEndpoint();
    options.azure.authority = azure_.authority();
    options.azure.tenantId = kTenant;
    options.azure.clientId = kClientId;
    options.azure.clientSecret = secret;
    return options;
  }

  ManualClock clock_;
  FakeAzureEndpoints azure_{clock_};
  std::shared_ptr<http::HttpClient> http_ = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
};

TEST_F(AcrCredentialSourceTest, ExchangesAnEntraIdTokenForARefreshToken) {
  AcrCredentialSource source(options(), http_, clock_);
  auto credentials = source.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(credentials->username, "00000000-0000-0000-0000-000000000000");
  ASSERT_EQ(azure_.refreshTokens().size(), 1U);
  EXPECT_EQ(credentials->password, azure_.refreshTokens()[0]);
  EXPECT_TRUE(credentials->identityToken.empty());

  const auto token = azure_.lastTokenForm();
  EXPECT_EQ(token.at("grant_type"), "client_credentials");
  EXPECT_EQ(token.at("scope"), "https://management.azure.com/.default");
  EXPECT_EQ(token.at("client_id"), kClientId);
  const auto exchange = azure_.lastExchangeForm();
  EXPECT_EQ(exchange.at("grant_type"), "access_token");
  EXPECT_EQ(exchange.at("service"), "launchtest.azurecr.io");
  EXPECT_EQ(exchange.at("tenant"), kTenant);
  EXPECT_EQ(exchange.at("access_token"), "aad-token-1");
}

TEST_F(AcrCredentialSourceTest, KeepsTheRefreshTokenUntilShortlyBeforeItsExp) {
  azure_.setRefreshTokenLifetime(3LL * 3600);
  AcrCredentialSource source(options(), http_, clock_);
  ASSERT_TRUE(source.credentials().ok());
  clock_.advance(std::chrono::hours(2));  // past the Entra ID token's hour: the refresh token's exp counts
  ASSERT_TRUE(source.credentials().ok());
  EXPECT_EQ(azure_.exchangeRequests(), 1);
  EXPECT_EQ(azure_.tokenRequests(), 1);

  clock_.advance(std::chrono::minutes(56));
  auto refreshed = source.credentials();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(azure_.exchangeRequests(), 2);
  EXPECT_EQ(refreshed->password, azure_.refreshTokens().back());
}

TEST_F(AcrCredentialSourceTest, AWrongClientSecretIsUnauthorizedWithEntraIdsReasonAndNoSecret) {
  AcrCredentialSource source(options("wrong~secret.value-999"), http_, clock_);
  auto refused = source.credentials();
  ASSERT_FALSE(refused.ok());
  const Error& error = refused.error();
  EXPECT_EQ(error.code, ErrorCode::Unauthorized);
  EXPECT_EQ(error.reason, "invalid_client");
  EXPECT_NE(error.message.find("AADSTS7000215"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find(std::string("service principal ") + kClientId + " in tenant " + kTenant),
            std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("check the client secret"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("wrong~secret"), std::string::npos) << error.message;
  EXPECT_EQ(azure_.exchangeRequests(), 0);
}

TEST_F(AcrCredentialSourceTest, AnUnknownTenantShowsOnlyTheFirstLineOfTheDescription) {
  AcrOptions wrongTenant = options();
  wrongTenant.azure.tenantId = "00000000-1111-2222-3333-444444444444";
  AcrCredentialSource source(wrongTenant, http_, clock_);
  auto refused = source.credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::Invalid);
  EXPECT_NE(refused.error().message.find("AADSTS90002"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("Trace ID"), std::string::npos) << refused.error().message;
}

TEST_F(AcrCredentialSourceTest, ARegistryThatRefusesThePrincipalSaysWhichRoleToGrant) {
  azure_.setForbidden(true);
  AcrCredentialSource source(options(), http_, clock_);
  auto refused = source.credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::Forbidden);
  EXPECT_NE(refused.error().message.find("ACR launchtest.azurecr.io refused the token exchange"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("AcrPull"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("aad-token-"), std::string::npos) << refused.error().message;
}

TEST_F(AcrCredentialSourceTest, AnExchangeForAnotherRegistryIsRefused) {
  AcrOptions other = options();
  other.registry = "other.azurecr.io";
  AcrCredentialSource source(other, http_, clock_);
  auto refused = source.credentials();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().httpStatus, 400);
}

TEST_F(AcrCredentialSourceTest, AFederatedTokenFileIsSentAsAClientAssertion) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("launch-acr-" + std::to_string(::getpid()) + ".jwt")).string();
  {
    std::ofstream file(path);
    file << "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bWw6YWdlbnQifQ.c2ln\n";
  }
  azure_.addFederatedPrincipal(kTenant, "wi-client",
                               "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bWw6YWdlbnQifQ.c2ln");
  AcrOptions federated = options("");
  federated.azure.clientId = "wi-client";
  federated.azure.federatedTokenFile = path;
  AcrCredentialSource source(federated, http_, clock_);
  auto credentials = source.credentials();
  std::filesystem::remove(path);
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(azure_.lastTokenForm().count("client_secret"), 0U);
  EXPECT_EQ(azure_.lastTokenForm().at("client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

  federated.azure.federatedTokenFile = path + ".missing";
  AcrCredentialSource missing(federated, http_, clock_);
  auto failed = missing.credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("AZURE_FEDERATED_TOKEN_FILE"), std::string::npos) << failed.error().message;
}

TEST_F(AcrCredentialSourceTest, ServicePrincipalModeUsesClientIdAndSecretWithoutAnyCall) {
  AcrOptions login = options();
  login.mode = AcrAuthMode::ServicePrincipal;
  AcrCredentialSource source(login, http_, clock_);
  auto credentials = source.credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message;
  EXPECT_EQ(*credentials, (RegistryCredentials{kClientId, kSecret, ""}));
  EXPECT_EQ(azure_.tokenRequests(), 0);
  EXPECT_EQ(source.describe().find(kSecret), std::string::npos);

  login.azure.clientSecret.clear();
  AcrCredentialSource noSecret(login, http_, clock_);
  auto failed = noSecret.credentials();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("AZURE_CLIENT_SECRET"), std::string::npos) << failed.error().message;
}

TEST(AzureAdTokenEndpoint, BuildsTheV2TokenUrlFromAuthorityAndTenant) {
  AzureClientCredentials credentials;
  credentials.tenantId = "contoso.onmicrosoft.com";
  auto http = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
  EXPECT_EQ(AzureAdTokenEndpoint(credentials, http).tokenUrl(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  credentials.authority = "https://login.microsoftonline.us/";
  EXPECT_EQ(AzureAdTokenEndpoint(credentials, http).tokenUrl(),
            "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token");
}

TEST(AzureAdTokenEndpoint, TheAccessTokenExpiresAfterExpiresIn) {
  ManualClock clock;
  FakeAzureEndpoints azure(clock);
  azure.addServicePrincipal(kTenant, kClientId, kSecret);
  AzureClientCredentials credentials;
  credentials.authority = azure.authority();
  credentials.tenantId = kTenant;
  credentials.clientId = kClientId;
  credentials.clientSecret = kSecret;
  auto token =
      AzureAdTokenEndpoint(credentials, std::make_shared<http::HttpClient>(http::HttpClientOptions{}), clock).token();
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "aad-token-1");
  EXPECT_EQ(token->expiry, clock.now() + std::chrono::seconds(3599));
}

}  // namespace
}  // namespace launch::registry
