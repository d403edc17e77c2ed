// Locates and reads the shared AWS files for the selected profile.
#include "cloud/AwsSharedConfig.hpp"

namespace launch::cloud {

namespace {

// "~/x" resolves against HOME, as the CLI does for AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE.
std::string expandHome(const std::string& path, const std::optional<std::string>& home) {
  if (home && (path == "~" || path.rfind("~/", 0) == 0)) return *home + path.substr(1);
  return path;
}

Result<std::optional<AwsProfileFile>> loadIfPresent(const std::string& path, AwsProfileFile::Kind kind) {
  if (path.empty()) return std::optional<AwsProfileFile>{};
  auto file = AwsProfileFile::load(path, kind);
  if (file) return std::optional<AwsProfileFile>{std::move(file).value()};
  if (file.error().code == ErrorCode::NotFound) return std::optional<AwsProfileFile>{};
  return file.error();
}

}  // namespace

Result<AwsSharedConfig> AwsSharedConfig::load(const AwsEnvironment& environment) {
  AwsSharedConfig config;
  if (auto profile = environment.get("AWS_PROFILE")) {
    config.profileName_ = std::move(*profile);
    config.profileNamedByEnvironment_ = true;
  } else if (auto legacy = environment.get("AWS_DEFAULT_PROFILE")) {
    config.profileName_ = std::move(*legacy);
    config.profileNamedByEnvironment_ = true;
  }

  const auto home = environment.get("HOME");
  const std::string awsDir = home ? *home + "/.aws/" : std::string();
  // Without HOME only explicitly named files can be found.
  config.credentialsPath_ =
      expandHome(environment.get("AWS_SHARED_CREDENTIALS_FILE").value_or(home ? awsDir + "credentials" : ""), home);
  config.configPath_ = expandHome(environment.get("AWS_CONFIG_FILE").value_or(home ? awsDir + "config" : ""), home);

  auto credentials = loadIfPresent(config.credentialsPath_, AwsProfileFile::Kind::Credentials);
  if (!credentials) return credentials.error();
  config.credentials_ = std::move(credentials).value();
  auto configFile = loadIfPresent(config.configPath_, AwsProfileFile::Kind::Config);
  if (!configFile) return configFile.error();
  config.config_ = std::move(configFile).value();
  return config;
}

const AwsProfile* AwsSharedConfig::credentialsProfile() const {
  return credentials_ ? credentials_->profile(profileName_) : nullptr;
}

const AwsProfile* AwsSharedConfig::configProfile() const { return config_ ? config_->profile(profileName_) : nullptr; }

std::optional<std::string> AwsSharedConfig::value(const std::string& key) const {
  for (const AwsProfile* profile : {credentialsProfile(), configProfile()}) {
    if (profile == nullptr) continue;
    const auto it = profile->find(key);
    if (it != profile->end() && !it->second.empty()) return it->second;
  }
  return std::nullopt;
}

}  // namespace launch::cloud
