// CloudClients: builds the shared cloud credentials and what uses them from the operator's environment.
#include "CloudClients.hpp"

#include <cstdlib>

#include "build/BuildContextStore.hpp"
#include "cloud/AwsCachedCredentialProvider.hpp"
#include "cloud/AwsCredentialChain.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/GoogleCachedTokenSource.hpp"
#include "cloud/GoogleDeferredCredentials.hpp"
#include "cloud/S3Client.hpp"
#include "registry/AcrCredentialSource.hpp"
#include "registry/EcrCredentialSource.hpp"
#include "registry/GarCredentialSource.hpp"
#include "util/Clock.hpp"

namespace launch::operator_main {
namespace {

std::string environmentValue(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// "<account>.dkr.ecr.<region>.amazonaws.com" -> "<region>"; empty for another host.
std::string ecrRegionOf(const std::string& host) {
  const std::string marker = ".dkr.ecr.";
  const auto at = host.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  const auto end = host.find('.', start);
  return end == std::string::npos ? std::string() : host.substr(start, end - start);
}

}  // namespace

CloudClients::CloudClients() : http_(std::make_shared<http::HttpClient>(http::HttpClientOptions{})) {
  const Clock& clock = SystemClock::instance();
  aws_ = std::make_shared<cloud::AwsCachedCredentialProvider>(
      cloud::AwsCredentialChain::makeDefault(std::make_shared<const cloud::AwsProcessEnvironment>(), http_, clock),
      clock);
  google_ = std::make_shared<cloud::GoogleCachedTokenSource>(
      std::make_unique<cloud::GoogleDeferredCredentials>(*http_, clock), clock);
}

build::ArchiveFetchers CloudClients::archiveFetchers() const {
  const cloud::AwsProcessEnvironment environment;
  build::BuildContextStoreClients clients;
  clients.http = http_.get();
  clients.aws = aws_;
  clients.awsRegion =
      environment.get("AWS_REGION").value_or(environment.get("AWS_DEFAULT_REGION").value_or("us-east-1"));
  clients.s3Endpoint = cloud::s3EndpointFromEnvironment(environment);
  clients.google = google_;
  return build::makeArchiveFetchers(clients);
}

agent::CloudRegistryCredentials CloudClients::registryCredentials() const {
  return [http = http_, aws = aws_, google = google_](
             const api::LaunchAgent& agent,
             const std::string& host) -> Result<std::shared_ptr<registry::CredentialSource>> {
    switch (agent.spec.registry->type) {
      case api::RegistryType::Ecr: {
        registry::EcrOptions options;
        options.region = agent.spec.environment.region.empty() ? ecrRegionOf(host) : agent.spec.environment.region;
        options.applyEnvironment(cloud::AwsProcessEnvironment());
        if (options.region.empty()) {
          return makeError(ErrorCode::Invalid,
                           "the ECR region is unknown: set spec.environment.region (or use an ECR host "
                           "<account>.dkr.ecr.<region>.amazonaws.com)");
        }
        return std::shared_ptr<registry::CredentialSource>(
            std::make_shared<registry::EcrCredentialSource>(options, aws, http));
      }
      case api::RegistryType::Gar:
        return std::shared_ptr<registry::CredentialSource>(std::make_shared<registry::GarCredentialSource>(google));
      case api::RegistryType::Acr: {
        registry::AcrOptions options;
        options.registry = host;
        if (const std::string authority = environmentValue("AZURE_AUTHORITY_HOST"); !authority.empty()) {
          options.azure.authority = authority;
        }
        options.azure.tenantId = environmentValue("AZURE_TENANT_ID");
        options.azure.clientId = environmentValue("AZURE_CLIENT_ID");
        options.azure.clientSecret = environmentValue("AZURE_CLIENT_SECRET");
        options.azure.federatedTokenFile = environmentValue("AZURE_FEDERATED_TOKEN_FILE");
        if (options.azure.tenantId.empty() || options.azure.clientId.empty()) {
          return makeError(ErrorCode::Invalid,
                           "an acr registry without spec.registry.credentialsSecretRef needs the operator's Entra ID "
                           "identity: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or "
                           "AZURE_FEDERATED_TOKEN_FILE");
        }
        return std::shared_ptr<registry::CredentialSource>(
            std::make_shared<registry::AcrCredentialSource>(options, http));
      }
      case api::RegistryType::Generic:
        break;
    }
    return makeError(ErrorCode::Invalid, "a generic registry needs spec.registry.credentialsSecretRef");
  };
}

}  // namespace launch::operator_main
