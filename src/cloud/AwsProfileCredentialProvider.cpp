// Picks static credentials out of the selected shared-file profile, with errors that say which file and key.
#include "cloud/AwsProfileCredentialProvider.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "cloud/AwsSharedConfig.hpp"

namespace launch::cloud {

namespace {

bool has(const AwsProfile& profile, const std::string& key) {
  const auto it = profile.find(key);
  return it != profile.end() && !it->second.empty();
}

}  // namespace

AwsProfileCredentialProvider::AwsProfileCredentialProvider(std::shared_ptr<const AwsEnvironment> environment)
    : environment_(std::move(environment)) {}

Result<AwsCredentials> AwsProfileCredentialProvider::credentials() {
  auto config = AwsSharedConfig::load(*environment_);
  if (!config) return config.error();
  const std::string& profileName = config->profileName();
  const std::string files =
      (config->credentialsPath().empty() ? std::string("(no credentials file)") : config->credentialsPath()) + " or " +
      (config->configPath().empty() ? std::string("(no config file)") : config->configPath());

  if (!config->anyFileFound()) {
    if (config->profileNamedByEnvironment()) {
      return makeError(ErrorCode::Invalid, "AWS_PROFILE names profile \"" + profileName +
                                               "\" but there is no shared credentials or config file at " + files);
    }
    return makeError(ErrorCode::NotFound, "no shared credentials or config file at " + files);
  }
  const AwsProfile* fromCredentials = config->credentialsProfile();
  const AwsProfile* fromConfig = config->configProfile();
  if (fromCredentials == nullptr && fromConfig == nullptr) {
    if (config->profileNamedByEnvironment()) {
      return makeError(ErrorCode::Invalid, "AWS_PROFILE names profile \"" + profileName + "\", which is in neither " +
                                               files + "; add [" + profileName +
                                               "] to the credentials file or [profile " + profileName +
                                               "] to the config file");
    }
    return makeError(ErrorCode::NotFound, "no [default] profile in " + files);
  }

  const std::array<std::pair<const AwsProfile*, const std::string*>, 2> sources = {
      std::pair{fromCredentials, &config->credentialsPath()}, std::pair{fromConfig, &config->configPath()}};
  for (const auto& [profile, path] : sources) {
    if (profile == nullptr || !has(*profile, "aws_access_key_id")) continue;
    if (!has(*profile, "aws_secret_access_key")) {
      return makeError(ErrorCode::Invalid, "profile \"" + profileName + "\" in " + *path +
                                               " sets aws_access_key_id but not aws_secret_access_key; add it");
    }
    AwsCredentials credentials;
    credentials.accessKeyId = profile->at("aws_access_key_id");
    credentials.secretAccessKey = profile->at("aws_secret_access_key");
    if (has(*profile, "aws_session_token")) credentials.sessionToken = profile->at("aws_session_token");
    credentials.source = "profile " + profileName + " in " + *path;
    return credentials;
  }

  if (config->value("role_arn") && config->value("web_identity_token_file")) {
    return makeError(ErrorCode::NotFound, "profile \"" + profileName +
                                              "\" assumes a role with a web identity token (the web identity source)");
  }
  static constexpr std::array<std::string_view, 6> kUnsupported = {
      "source_profile", "credential_source", "credential_process", "sso_session", "sso_start_url", "login_session"};
  const auto unsupported = std::find_if(kUnsupported.begin(), kUnsupported.end(), [&](std::string_view key) {
    return config->value(std::string(key)).has_value();
  });
  if (unsupported != kUnsupported.end()) {
    return makeError(ErrorCode::Invalid,
                     "profile \"" + profileName + "\" in " + files + " gets its credentials through " +
                         std::string(*unsupported) +
                         ", which this launcher does not support; give the profile aws_access_key_id and "
                         "aws_secret_access_key, or use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a web identity");
  }
  return makeError(ErrorCode::NotFound, "profile \"" + profileName + "\" in " + files + " has no aws_access_key_id");
}

}  // namespace launch::cloud
