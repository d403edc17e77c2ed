// AwsContainerCredentialProvider: credentials from the ECS task role or EKS Pod Identity endpoint.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {

struct AwsContainerOptions {
  // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved: the ECS agent's link-local address.
  std::string relativeUriBase = "http://169.254.170.2";
  std::chrono::milliseconds timeout{5000};
};

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS) or AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity, ECS
// Anywhere, Greengrass), with the Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every
// call: EKS rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN. A full URI over plain HTTP must point at loopback
// or one of the container agents' link-local addresses, so credentials never cross a network in the clear.
class AwsContainerCredentialProvider final : public AwsCredentialProvider {
 public:
  AwsContainerCredentialProvider(std::shared_ptr<const AwsEnvironment> environment,
                                 std::shared_ptr<http::HttpClient> client, AwsContainerOptions options = {});
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "container endpoint"; }

 private:
  std::shared_ptr<const AwsEnvironment> environment_;
  std::shared_ptr<http::HttpClient> client_;
  AwsContainerOptions options_;
};

}  // namespace launch::cloud
