// AwsProfileCredentialProvider: static keys from the selected profile of ~/.aws/credentials or ~/.aws/config.
#pragma once

#include <memory>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"

namespace launch::cloud {

// Reads aws_access_key_id, aws_secret_access_key and aws_session_token. A profile that gets its credentials
// another way is reported, not skipped: role_arn with web_identity_token_file is left to the web identity
// source; source_profile, credential_process and SSO settings are not supported and answer Invalid, so the
// chain does not quietly fall through to a different identity.
class AwsProfileCredentialProvider final : public AwsCredentialProvider {
 public:
  explicit AwsProfileCredentialProvider(std::shared_ptr<const AwsEnvironment> environment);
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "shared files"; }

 private:
  std::shared_ptr<const AwsEnvironment> environment_;
};

}  // namespace launch::cloud
