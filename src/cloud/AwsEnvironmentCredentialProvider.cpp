// Reads static or temporary credentials from the standard AWS environment variables.
#include "cloud/AwsEnvironmentCredentialProvider.hpp"

#include "cloud/AwsTimestamp.hpp"

namespace launch::cloud {

AwsEnvironmentCredentialProvider::AwsEnvironmentCredentialProvider(std::shared_ptr<const AwsEnvironment> environment)
    : environment_(std::move(environment)) {}

Result<AwsCredentials> AwsEnvironmentCredentialProvider::credentials() {
  auto accessKeyId = environment_->get("AWS_ACCESS_KEY_ID");
  auto secretAccessKey = environment_->get("AWS_SECRET_ACCESS_KEY");
  if (!accessKeyId && !secretAccessKey) {
    return makeError(ErrorCode::NotFound, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  }
  if (!accessKeyId) {
    return makeError(ErrorCode::Invalid,
                     "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both or neither");
  }
  if (!secretAccessKey) {
    return makeError(ErrorCode::Invalid,
                     "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both or neither");
  }
  AwsCredentials credentials;
  credentials.accessKeyId = std::move(*accessKeyId);
  credentials.secretAccessKey = std::move(*secretAccessKey);
  credentials.sessionToken = environment_->get("AWS_SESSION_TOKEN").value_or("");
  credentials.source = "environment";
  // The SDKs' convention for temporary credentials handed over in the environment (aws configure
  // export-credentials writes it).
  if (const auto expiration = environment_->get("AWS_CREDENTIAL_EXPIRATION")) {
    credentials.expiration = parseIso8601(*expiration);
    if (!credentials.expiration) {
      return makeError(ErrorCode::Invalid, "AWS_CREDENTIAL_EXPIRATION \"" + *expiration +
                                               "\" is not an ISO 8601 time such as 2024-01-02T03:04:05Z");
    }
  }
  return credentials;
}

}  // namespace launch::cloud
