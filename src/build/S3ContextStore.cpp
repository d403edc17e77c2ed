// S3ContextStore: PutObject and DeleteObject through the shared S3Client, with errors that say what to fix.
#include "build/S3ContextStore.hpp"

namespace launch::build {
S3ContextStore::S3ContextStore(http::HttpClient& http, std::shared_ptr<cloud::AwsCredentialProvider> credentials,
                               S3ContextStoreOptions options, const Clock& clock)
    : options_(std::move(options)),
      client_(http, std::move(credentials), cloud::S3ClientOptions{options_.region, options_.endpoint, {}}, clock) {}

std::string S3ContextStore::objectUrl(const std::string& key) const { return client_.objectUrl(options_.bucket, key); }

std::string S3ContextStore::contextUrl(const std::string& name) const {
  const BuildContextLocation location{"s3", options_.bucket, options_.prefix};
  return "s3://" + options_.bucket + "/" + location.key(name);
}

std::vector<std::pair<std::string, std::string>> S3ContextStore::executorEnv() const {
  std::vector<std::pair<std::string, std::string>> env = {{"AWS_REGION", options_.region}};
  if (!options_.endpoint.empty()) {
    env.emplace_back("S3_ENDPOINT", options_.endpoint);
    env.emplace_back("S3_FORCE_PATH_STYLE", "true");
  }
  return env;
}

std::string S3ContextStore::describe() const {
  return "s3://" + options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix);
}

Result<http::HttpResponse> S3ContextStore::send(const std::string& method, const std::string& key,
                                                const std::string& body) {
  auto response = client_.send(method, options_.bucket, key, body, method == "PUT" ? "application/gzip" : "");
  if (!response && response.error().reason == cloud::kReasonNoAwsCredentials) {
    return makeError(response.error().code, "no AWS credentials to write the build context store " + describe() + ": " +
                                                response.error().message);
  }
  return response;
}

Status S3ContextStore::put(const std::string& name, const std::string& archive) {
  const std::string key = BuildContextLocation{"s3", options_.bucket, options_.prefix}.key(name);
  auto response = send("PUT", key, archive);
  if (!response) {
    return makeError(response.error().code,
                     "uploading the build context to " + contextUrl(name) + ": " + response.error().message);
  }
  if (response->status >= 200 && response->status < 300) return {};
  std::string fix;
  if (response->status == 403) fix = "; may these AWS credentials s3:PutObject into bucket " + options_.bucket + "?";
  if (response->status == 404) fix = "; does bucket " + options_.bucket + " exist in " + options_.region + "?";
  return makeError(storeErrorCode(response->status),
                   "uploading the build context to " + contextUrl(name) + ": " + cloud::s3Problem(*response) + fix);
}

Status S3ContextStore::remove(const std::string& name) {
  const std::string key = BuildContextLocation{"s3", options_.bucket, options_.prefix}.key(name);
  auto response = send("DELETE", key, "");
  if (!response) {
    return makeError(response.error().code,
                     "deleting the build context " + contextUrl(name) + ": " + response.error().message);
  }
  if ((response->status >= 200 && response->status < 300) || response->status == 404) return {};
  return makeError(storeErrorCode(response->status),
                   "deleting the build context " + contextUrl(name) + ": " + cloud::s3Problem(*response));
}

}  // namespace launch::build
