// AwsWebIdentityCredentialProvider: temporary credentials for a role, from an OIDC token file through STS
// AssumeRoleWithWebIdentity (EKS IRSA, GitHub Actions and other OIDC issuers).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {

struct AwsWebIdentityOptions {
  // The STS endpoint URL. Empty: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.<region>.amazonaws.com
  // (.amazonaws.com.cn in China) with the region from AWS_REGION, AWS_DEFAULT_REGION or the profile, else the
  // global https://sts.amazonaws.com.
  std::string stsEndpoint;
  std::chrono::milliseconds timeout{10000};
  std::optional<int> durationSeconds;  // 900 to 43200; STS defaults to 3600
};

// Reads AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME, falling back to the selected
// profile's web_identity_token_file, role_arn and role_session_name. The token file is read again on every
// call: EKS rotates it. The call to STS is unsigned, as the API defines it.
class AwsWebIdentityCredentialProvider final : public AwsCredentialProvider {
 public:
  AwsWebIdentityCredentialProvider(std::shared_ptr<const AwsEnvironment> environment,
                                   std::shared_ptr<http::HttpClient> client, AwsWebIdentityOptions options = {});
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "web identity"; }

 private:
  std::string endpoint(const std::optional<std::string>& region) const;

  std::shared_ptr<const AwsEnvironment> environment_;
  std::shared_ptr<http::HttpClient> client_;
  AwsWebIdentityOptions options_;
};

}  // namespace launch::cloud
