// AwsCredentialChain: credential sources tried in order, and the default order of the AWS SDKs.
#pragma once

#include <memory>
#include <vector>

#include "cloud/AwsContainerCredentialProvider.hpp"
#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/AwsImdsCredentialProvider.hpp"
#include "cloud/AwsWebIdentityCredentialProvider.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

struct AwsCredentialChainOptions {
  AwsWebIdentityOptions webIdentity;
  AwsContainerOptions container;
  AwsImdsOptions imds;
};

// Asks each source in turn. A source that is not configured (NotFound) passes to the next; the first
// credentials win; any other error ends the search, because a source that is configured but broken should be
// fixed rather than silently replaced by another identity. When no source is configured the error lists why
// each one was passed over.
class AwsCredentialChain final : public AwsCredentialProvider {
 public:
  explicit AwsCredentialChain(std::vector<std::unique_ptr<AwsCredentialProvider>> providers);
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "credential chain"; }

  // environment -> shared files -> web identity -> container endpoint -> instance metadata, as the AWS SDKs
  // (aws-c-auth's default chain, botocore) order them.
  static std::unique_ptr<AwsCredentialChain> makeDefault(std::shared_ptr<const AwsEnvironment> environment,
                                                         std::shared_ptr<http::HttpClient> client, const Clock& clock,
                                                         AwsCredentialChainOptions options = {});

 private:
  std::vector<std::unique_ptr<AwsCredentialProvider>> providers_;
};

}  // namespace launch::cloud
