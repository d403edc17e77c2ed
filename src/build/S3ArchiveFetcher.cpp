// S3ArchiveFetcher: GetObject and the S3 answers turned into errors that say what to fix.
#include "build/S3ArchiveFetcher.hpp"

namespace launch::build {
namespace {

Error failure(ErrorCode code, long status, const std::string& reason, std::string message) {
  Error error = makeError(code, std::move(message));
  error.httpStatus = static_cast<int>(status);
  error.reason = reason;
  return error;
}

}  // namespace

S3ArchiveFetcher::S3ArchiveFetcher(http::HttpClient& http, std::shared_ptr<cloud::AwsCredentialProvider> credentials,
                                   cloud::S3ClientOptions options, const Clock& clock)
    : client_(http, std::move(credentials), std::move(options), clock) {}

Result<std::string> S3ArchiveFetcher::download(const std::string& url) {
  auto location = parseObjectUrl(url, "s3");
  if (!location) return location.error();
  const std::string where = "spec.source.archive.url: " + url;
  auto response = client_.send("GET", location->bucket, location->object);
  if (!response) {
    const Error& error = response.error();
    if (error.reason == cloud::kReasonNoAwsCredentials) {
      // Not configured (or configured wrong) is for a person to fix; an unreachable metadata service may pass.
      const bool transient = error.code == ErrorCode::Unavailable || error.code == ErrorCode::Timeout;
      return makeError(transient ? error.code : ErrorCode::Invalid,
                       where + ": no AWS credentials to read it (" + client_.credentialsName() + "): " + error.message +
                           "; give the operator AWS credentials through the AWS default chain");
    }
    return makeError(error.code, where + ": the download failed: " + error.message);
  }
  const long status = response->status;
  if (status == 200) return std::move(response->body);
  const std::string code = cloud::awsErrorCode(*response);
  const std::string problem = cloud::s3Problem(*response);
  const std::string& bucket = location->bucket;
  const std::string& region = client_.options().region;
  if (status == 404 && code == "NoSuchBucket") {
    return failure(ErrorCode::Invalid, status, code,
                   where + ": there is no bucket " + bucket + " (" + problem +
                       "); check the bucket name, and the operator's AWS region (" + region + ") and endpoint");
  }
  if (status == 404) {
    return failure(ErrorCode::Invalid, status, code,
                   where + ": there is no such object (" + problem + "); check the key, or upload the archive there");
  }
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || code == "InvalidToken" ||
      code == "ExpiredToken") {
    return failure(ErrorCode::Invalid, status, code,
                   where + ": S3 refused the operator's AWS credentials (" + problem + "); check the credentials of " +
                       client_.credentialsName());
  }
  if (status == 403) {
    return failure(ErrorCode::Invalid, status, code,
                   where + ": access denied (" + problem + "); allow the operator's AWS identity (" +
                       client_.credentialsName() + ") s3:GetObject on arn:aws:s3:::" + bucket + "/" + location->object);
  }
  if (status == 301 || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed") {
    const std::string actual = response->header("x-amz-bucket-region").value_or("");
    return failure(ErrorCode::Invalid, status, code,
                   where + ": bucket " + bucket + " is not in " + region + (actual.empty() ? "" : " but in " + actual) +
                       " (" + problem + "); set the operator's AWS region to the bucket's");
  }
  if (status == 429 || status >= 500) {
    return failure(ErrorCode::Unavailable, status, code,
                   where + ": S3 is unavailable (" + problem + "); retrying later");
  }
  return failure(ErrorCode::Invalid, status, code, where + ": S3 answered " + problem);
}

}  // namespace launch::build
