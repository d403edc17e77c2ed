// AwsEnvironmentCredentialProvider: credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
#pragma once

#include <memory>

#include "cloud/AwsCredentials.hpp"
#include "cloud/AwsEnvironment.hpp"

namespace launch::cloud {

class AwsEnvironmentCredentialProvider final : public AwsCredentialProvider {
 public:
  explicit AwsEnvironmentCredentialProvider(std::shared_ptr<const AwsEnvironment> environment);
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "environment"; }

 private:
  std::shared_ptr<const AwsEnvironment> environment_;
};

}  // namespace launch::cloud
