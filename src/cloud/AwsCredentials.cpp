// The JSON credential document shared by the ECS/EKS container endpoint and the EC2 instance metadata service.
#include "cloud/AwsCredentials.hpp"

#include <nlohmann/json.hpp>

#include "cloud/AwsTimestamp.hpp"

namespace launch::cloud {

namespace {

std::string stringField(const nlohmann::json& document, const char* name) {
  const auto it = document.find(name);
  if (it == document.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

Result<AwsCredentials> parseAwsCredentialsJson(std::string_view body, const std::string& source) {
  // The body carries secrets, so no error below quotes it, nor the parser's message (which can).
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    return makeError(ErrorCode::Internal, source + " answered something that is not a JSON object");
  }
  if (const std::string code = stringField(document, "Code"); !code.empty() && code != "Success") {
    Error error = makeError(ErrorCode::Unavailable, source + " answered Code \"" + code + "\" instead of Success");
    error.reason = code;
    return error;
  }

  AwsCredentials credentials;
  credentials.accessKeyId = stringField(document, "AccessKeyId");
  credentials.secretAccessKey = stringField(document, "SecretAccessKey");
  credentials.sessionToken = stringField(document, "Token");
  credentials.source = source;
  if (credentials.accessKeyId.empty() || credentials.secretAccessKey.empty()) {
    return makeError(ErrorCode::Internal,
                     source + " answered without the string fields AccessKeyId and SecretAccessKey");
  }
  if (const std::string expiration = stringField(document, "Expiration"); !expiration.empty()) {
    credentials.expiration = parseIso8601(expiration);
    if (!credentials.expiration) {
      return makeError(ErrorCode::Internal,
                       source + " answered an Expiration that is not an ISO 8601 time: \"" + expiration + "\"");
    }
  }
  return credentials;
}

}  // namespace launch::cloud
