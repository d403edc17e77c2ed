// GcsClient: object URLs, the bearer token per attempt and the retry loop for the Cloud Storage JSON API.
#include "cloud/GcsClient.hpp"

#include <nlohmann/json.hpp>
#include <thread>

#include "cloud/GoogleCachedTokenSource.hpp"

namespace launch::cloud {

GcsClient::GcsClient(http::HttpClient& http, std::shared_ptr<GoogleTokenSource> tokens, GcsClientOptions options,
                     const Clock& clock)
    : http_(http), tokens_(std::move(tokens)), options_(std::move(options)), clock_(clock) {
  if (options_.endpoint.empty()) options_.endpoint = kGcsDefaultEndpoint;
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
}

std::string GcsClient::objectUrl(const std::string& bucket, const std::string& object) const {
  return options_.endpoint + "/storage/v1/b/" + http::urlEncode(bucket) + "/o/" + http::urlEncode(object);
}

std::string GcsClient::uploadUrl(const std::string& bucket, const std::string& object) const {
  return options_.endpoint + "/upload/storage/v1/b/" + http::urlEncode(bucket) +
         "/o?uploadType=media&name=" + http::urlEncode(object);
}

Result<http::HttpResponse> GcsClient::send(const std::string& method, const std::string& url, const std::string& body,
                                           const std::string& contentType) {
  const RetryPolicy retry(options_.retry, clock_);
  bool refreshedToken = false;
  for (int attempt = 1;; ++attempt) {
    auto token = tokens_->token();
    if (!token) {
      Error error = token.error();
      error.reason = kReasonNoGoogleToken;
      return error;
    }
    http::HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = body;
    request.timeout = std::chrono::minutes(10);  // objects may be large
    request.headers.emplace_back("Authorization", "Bearer " + token->token);
    if (!contentType.empty()) request.headers.emplace_back("Content-Type", contentType);
    auto response = http_.send(request);
    if (response && response->status == 401 && !refreshedToken) {
      // A token revoked or expired early: one retry with a fresh one, when the source caches.
      if (auto* cached = dynamic_cast<GoogleCachedTokenSource*>(tokens_.get())) {
        cached->invalidate();
        refreshedToken = true;
        continue;
      }
    }
    const RetryDecision decision = retry.decide(attempt, response, true);
    if (!decision.retry) return response;
    std::this_thread::sleep_for(decision.delay);
  }
}

std::string gcsProblem(const http::HttpResponse& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& message = body["error"].value("message", nlohmann::json());
    if (message.is_string()) out += ": " + message.get<std::string>();
  }
  return out;
}

}  // namespace launch::cloud
