// GcsContextStore: uploadType=media uploads and object deletes on the GCS JSON API through the shared
// GcsClient (both are idempotent: an upload replaces the object, so retries are safe).
#include "build/GcsContextStore.hpp"

namespace launch::build {
GcsContextStore::GcsContextStore(http::HttpClient& http, std::shared_ptr<cloud::GoogleTokenSource> tokens,
                                 GcsContextStoreOptions options, const Clock& clock)
    : options_(std::move(options)),
      client_(http, std::move(tokens), cloud::GcsClientOptions{options_.endpoint, {}}, clock) {}

std::string GcsContextStore::contextUrl(const std::string& name) const {
  return "gs://" + options_.bucket + "/" + BuildContextLocation{"gs", options_.bucket, options_.prefix}.key(name);
}

std::string GcsContextStore::describe() const {
  return "gs://" + options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix);
}

Result<http::HttpResponse> GcsContextStore::send(const std::string& method, const std::string& url,
                                                 const std::string& body) {
  auto response = client_.send(method, url, body, method == "POST" ? "application/gzip" : "");
  if (!response && response.error().reason == cloud::kReasonNoGoogleToken) {
    return makeError(response.error().code, "no Google access token (" + client_.describeTokens() +
                                                ") to write the build context store " + describe() + ": " +
                                                response.error().message);
  }
  return response;
}

Status GcsContextStore::put(const std::string& name, const std::string& archive) {
  const std::string key = BuildContextLocation{"gs", options_.bucket, options_.prefix}.key(name);
  const std::string url = client_.uploadUrl(options_.bucket, key);
  auto response = send("POST", url, archive);
  if (!response) {
    return makeError(response.error().code,
                     "uploading the build context to " + contextUrl(name) + ": " + response.error().message);
  }
  if (response->status >= 200 && response->status < 300) return {};
  std::string fix;
  if (response->status == 403) {
    fix = "; does " + client_.describeTokens() + " have storage.objects.create on bucket " + options_.bucket + "?";
  }
  if (response->status == 404) fix = "; does bucket " + options_.bucket + " exist?";
  return makeError(storeErrorCode(response->status),
                   "uploading the build context to " + contextUrl(name) + ": " + cloud::gcsProblem(*response) + fix);
}

Status GcsContextStore::remove(const std::string& name) {
  const std::string key = BuildContextLocation{"gs", options_.bucket, options_.prefix}.key(name);
  const std::string url = client_.objectUrl(options_.bucket, key);
  auto response = send("DELETE", url, "");
  if (!response) {
    return makeError(response.error().code,
                     "deleting the build context " + contextUrl(name) + ": " + response.error().message);
  }
  if ((response->status >= 200 && response->status < 300) || response->status == 404) return {};
  return makeError(storeErrorCode(response->status),
                   "deleting the build context " + contextUrl(name) + ": " + cloud::gcsProblem(*response));
}

}  // namespace launch::build
