// AwsCredentials: an AWS access key, its secret and session token, and the interface every credential source
// implements.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/Result.hpp"

namespace launch::cloud {

struct AwsCredentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;  // empty for long-term keys
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // which source produced them ("environment", "profile default", ...), for logs
};

// One place credentials can come from. A source that is simply not configured here (no variables, no file,
// not on EC2) answers ErrorCode::NotFound, so a chain can move on; any other error means the source is
// configured but broken, and says how to fix it. No error message ever contains a secret.
class AwsCredentialProvider {
 public:
  virtual ~AwsCredentialProvider() = default;
  virtual Result<AwsCredentials> credentials() = 0;
  virtual std::string name() const = 0;
};

// Parses the JSON document the container endpoint and the instance metadata service both answer:
// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}. `source` names the answering endpoint in
// errors (which never quote the body: it holds secrets).
Result<AwsCredentials> parseAwsCredentialsJson(std::string_view body, const std::string& source);

}  // namespace launch::cloud
