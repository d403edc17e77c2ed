// The ordered search over credential sources.
#include "cloud/AwsCredentialChain.hpp"

#include <utility>

#include "cloud/AwsEnvironmentCredentialProvider.hpp"
#include "cloud/AwsProfileCredentialProvider.hpp"

namespace launch::cloud {

AwsCredentialChain::AwsCredentialChain(std::vector<std::unique_ptr<AwsCredentialProvider>> providers)
    : providers_(std::move(providers)) {}

Result<AwsCredentials> AwsCredentialChain::credentials() {
  std::string passedOver;
  for (const auto& provider : providers_) {
    auto credentials = provider->credentials();
    if (credentials) return credentials;
    if (credentials.error().code != ErrorCode::NotFound) {
      Error error = credentials.error();
      error.message = "AWS credentials from " + provider->name() + ": " + error.message;
      return error;
    }
    passedOver += "; " + provider->name() + ": " + credentials.error().message;
  }
  return makeError(ErrorCode::Unauthorized,
                   "no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in "
                   "~/.aws/credentials, a web identity, or run where a container or instance role is available)" +
                       passedOver);
}

std::unique_ptr<AwsCredentialChain> AwsCredentialChain::makeDefault(std::shared_ptr<const AwsEnvironment> environment,
                                                                    std::shared_ptr<http::HttpClient> client,
                                                                    const Clock& clock,
                                                                    AwsCredentialChainOptions options) {
  std::vector<std::unique_ptr<AwsCredentialProvider>> providers;
  providers.push_back(std::make_unique<AwsEnvironmentCredentialProvider>(environment));
  providers.push_back(std::make_unique<AwsProfileCredentialProvider>(environment));
  providers.push_back(
      std::make_unique<AwsWebIdentityCredentialProvider>(environment, client, std::move(options.webIdentity)));
  providers.push_back(
      std::make_unique<AwsContainerCredentialProvider>(environment, client, std::move(options.container)));
  providers.push_back(std::make_unique<AwsImdsCredentialProvider>(std::move(environment), std::move(client), clock,
                                                                  std::move(options.imds)));
  return std::make_unique<AwsCredentialChain>(std::move(providers));
}

}  // namespace launch::cloud
