// AwsSharedConfig: the selected profile of the shared credentials and config files, found the way the AWS CLI
// finds them (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, ~/.aws/).
#pragma once

#include <optional>
#include <string>

#include "cloud/AwsEnvironment.hpp"
#include "cloud/AwsProfileFile.hpp"
#include "util/Result.hpp"

namespace launch::cloud {

class AwsSharedConfig {
 public:
  // Missing files are no error (they read as empty); malformed ones are.
  static Result<AwsSharedConfig> load(const AwsEnvironment& environment);

  const std::string& profileName() const { return profileName_; }
  // True when AWS_PROFILE (or AWS_DEFAULT_PROFILE) chose the profile, false for "default".
  bool profileNamedByEnvironment() const { return profileNamedByEnvironment_; }
  const std::string& credentialsPath() const { return credentialsPath_; }
  const std::string& configPath() const { return configPath_; }
  bool anyFileFound() const { return credentials_.has_value() || config_.has_value(); }

  // The selected profile's section in each file; nullptr when the file or the section is missing.
  const AwsProfile* credentialsProfile() const;
  const AwsProfile* configProfile() const;
  // A setting of the selected profile: the credentials file wins over the config file, as in the AWS CLI.
  std::optional<std::string> value(const std::string& key) const;

 private:
  std::string profileName_ = "default";
  bool profileNamedByEnvironment_ = false;
  std::string credentialsPath_;
  std::string configPath_;
  std::optional<AwsProfileFile> credentials_;
  std::optional<AwsProfileFile> config_;
};

}  // namespace launch::cloud
