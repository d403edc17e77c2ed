// GcsArchiveFetcher: the media download and the Cloud Storage answers turned into errors that say what to fix.
#include "build/GcsArchiveFetcher.hpp"

namespace launch::build {
namespace {

Error failure(ErrorCode code, long status, std::string message) {
  Error error = makeError(code, std::move(message));
  error.httpStatus = static_cast<int>(status);
  return error;
}

}  // namespace

GcsArchiveFetcher::GcsArchiveFetcher(http::HttpClient& http, std::shared_ptr<cloud::GoogleTokenSource> tokens,
                                     cloud::GcsClientOptions options, const Clock& clock)
    : client_(http, std::move(tokens), std::move(options), clock) {}

Result<std::string> GcsArchiveFetcher::download(const std::string& url) {
  auto location = parseObjectUrl(url, "gs");
  if (!location) return location.error();
  const std::string where = "spec.source.archive.url: " + url;
  auto response = client_.send("GET", client_.objectUrl(location->bucket, location->object) + "?alt=media");
  if (!response) {
    const Error& error = response.error();
    if (error.reason == cloud::kReasonNoGoogleToken) {
      const bool transient = error.code == ErrorCode::Unavailable || error.code == ErrorCode::Timeout;
      return makeError(transient ? error.code : ErrorCode::Invalid,
                       where + ": no Google access token to read it (" + client_.describeTokens() + "): " +
                           error.message + "; give the operator Google credentials (application default credentials)");
    }
    return makeError(error.code, where + ": the download failed: " + error.message);
  }
  const long status = response->status;
  if (status == 200) return std::move(response->body);
  const std::string problem = cloud::gcsProblem(*response);
  if (status == 404) {
    return failure(ErrorCode::Invalid, status,
                   where + ": there is no such object (" + problem +
                       "); check the bucket and object names, or upload the archive there");
  }
  if (status == 401) {
    return failure(ErrorCode::Invalid, status,
                   where + ": Cloud Storage refused the operator's Google credentials (" + problem + "); check " +
                       client_.describeTokens());
  }
  if (status == 403) {
    return failure(ErrorCode::Invalid, status,
                   where + ": access denied (" + problem + "); grant " + client_.describeTokens() +
                       " storage.objects.get on bucket " + location->bucket + " (roles/storage.objectViewer)");
  }
  if (status == 429 || status >= 500) {
    return failure(ErrorCode::Unavailable, status,
                   where + ": Cloud Storage is unavailable (" + problem + "); retrying later");
  }
  return failure(ErrorCode::Invalid, status, where + ": Cloud Storage answered " + problem);
}

}  // namespace launch::build
