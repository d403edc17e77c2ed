// CloudClients: the operator's own cloud identities, made once and shared: the AWS default credential chain
// and Google Application Default Credentials (both looked up on first use), and what they serve: the
// fetchers of s3:// and gs:// archive sources and the credentials of ecr, gar and acr registries.
#pragma once

#include <memory>

#include "agent/AgentBuilders.hpp"
#include "build/ArchiveFetcher.hpp"
#include "cloud/AwsCredentials.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"

namespace launch::operator_main {

class CloudClients {
 public:
  CloudClients();

  build::ArchiveFetchers archiveFetchers() const;
  // ecr: GetAuthorizationToken signed with the AWS chain, in the region of spec.environment or of the host;
  // gar: an OAuth2 access token from ADC; acr: the Entra ID token exchange with AZURE_TENANT_ID, AZURE_CLIENT_ID
  // and AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE.
  agent::CloudRegistryCredentials registryCredentials() const;

 private:
  std::shared_ptr<http::HttpClient> http_;
  std::shared_ptr<cloud::AwsCredentialProvider> aws_;
  std::shared_ptr<cloud::GoogleTokenSource> google_;
};

}  // namespace launch::operator_main
