// Vertex AI REST calls: bearer token, JSON, retries for what may be repeated, look-before-retry for creates.
#include "backends/VertexClient.hpp"

#include <thread>
#include <utility>

#include "cloud/GoogleCachedTokenSource.hpp"
#include "util/Text.hpp"

namespace launch::backends {

namespace {

void defaultSleep(std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); }

ErrorCode errorCodeOf(const std::string& status, long httpStatus) {
  if (status == "INVALID_ARGUMENT" || status == "FAILED_PRECONDITION" || status == "OUT_OF_RANGE") {
    return ErrorCode::Invalid;
  }
  if (status == "NOT_FOUND" || httpStatus == 404) return ErrorCode::NotFound;
  if (status == "ALREADY_EXISTS") return ErrorCode::AlreadyExists;
  if (status == "ABORTED" || httpStatus == 409) return ErrorCode::Conflict;
  if (status == "UNAUTHENTICATED" || httpStatus == 401) return ErrorCode::Unauthorized;
  if (status == "PERMISSION_DENIED" || httpStatus == 403) return ErrorCode::Forbidden;
  if (status == "RESOURCE_EXHAUSTED" || httpStatus == 429) return ErrorCode::TooManyRequests;
  if (status == "DEADLINE_EXCEEDED" || httpStatus == 504) return ErrorCode::Timeout;
  if (httpStatus >= 500) return ErrorCode::Unavailable;
  if (httpStatus >= 400) return ErrorCode::Invalid;
  return ErrorCode::Internal;
}

std::string trimmedEndpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

bool ambiguous(cloud::RetryReason reason) {
  return reason == cloud::RetryReason::ServerError || reason == cloud::RetryReason::Transient ||
         reason == cloud::RetryReason::ConnectionError;
}

}  // namespace

std::string defaultVertexEndpoint(std::string_view region) {
  return "https://" + std::string(region) + "-aiplatform.googleapis.com";
}

VertexClient::VertexClient(VertexClientOptions options, cloud::GoogleTokenSource& tokens, http::HttpClient& http,
                           const Clock& clock, RetrySleep sleep)
    : options_(std::move(options)),
      tokens_(tokens),
      http_(http),
      sleep_(sleep ? std::move(sleep) : RetrySleep(defaultSleep)),
      retryPolicy_(options_.retry, clock) {
  options_.endpoint = trimmedEndpoint(std::move(options_.endpoint));
}

Result<http::HttpResponse> VertexClient::exchange(std::string_view method, const std::string& path,
                                                  const std::string* body, std::string& usedToken) {
  auto* cached = dynamic_cast<cloud::GoogleCachedTokenSource*>(&tokens_);
  // A cached token the server no longer takes (revoked, clock skew) is dropped and the request sent once more.
  for (int round = 0;; ++round) {
    auto token = tokens_.token();
    if (!token) {
      Error error = token.error();
      error.message = "Vertex AI needs a Google access token (" + tokens_.describe() + "): " + error.message;
      return error;
    }
    usedToken = token->token;
    http::HttpRequest request;
    request.method = std::string(method);
    request.url = options_.endpoint + path;
    request.headers = {{"Authorization", "Bearer " + token->token}, {"Accept", "application/json"}};
    if (body != nullptr) {
      request.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      request.body = *body;
    }
    request.timeout = options_.requestTimeout;
    auto response = http_.send(request);
    if (response && response->status == 401 && cached != nullptr && round == 0) {
      cached->invalidate();
      continue;
    }
    return response;
  }
}

Result<Json> VertexClient::parse(std::string_view method, const std::string& path, const http::HttpResponse& response) {
  if (response.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  auto document = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return makeError(ErrorCode::Internal, "Vertex AI " + std::string(method) + " " + path + " answered HTTP " +
                                              std::to_string(response.status) + " with a body that is not JSON");
  }
  return document;
}

Error VertexClient::failure(std::string_view method, const std::string& path, const Result<http::HttpResponse>& outcome,
                            const std::string& usedToken, int attempts) const {
  const std::string what = "Vertex AI " + std::string(method) + " " + path;
  const std::string tries = attempts > 1 ? " after " + std::to_string(attempts) + " attempts" : std::string();
  if (!outcome) {
    Error error = outcome.error();
    error.message = what + " at " + options_.endpoint + ": " + error.message + tries;
    redact(error.message, usedToken);
    return error;
  }
  const http::HttpResponse& response = *outcome;
  std::string status;
  std::string message;
  const auto document = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (document.is_object() && document.contains("error") && document["error"].is_object()) {
    const Json& detail = document["error"];
    if (detail.contains("status") && detail["status"].is_string()) status = detail["status"].get<std::string>();
    if (detail.contains("message") && detail["message"].is_string()) message = detail["message"].get<std::string>();
  }
  if (const std::size_t newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
  if (message.size() > 1024) message = message.substr(0, 1021) + "...";
  redact(message, usedToken);

  Error error;
  error.code = errorCodeOf(status, response.status);
  error.httpStatus = static_cast<int>(response.status);
  error.reason = status;
  error.message = what + " failed with HTTP " + std::to_string(response.status) +
                  (status.empty() ? std::string() : " " + status) + (message.empty() ? std::string() : ": " + message);
  if (error.code == ErrorCode::Unauthorized) {
    error.message += " (check the Google credentials: " + tokens_.describe() + ")";
  } else if (error.code == ErrorCode::Forbidden) {
    error.message += " (the account " + tokens_.describe() +
                     " needs the Vertex AI User role, aiplatform.customJobs.* permissions, on the project)";
  }
  error.message += tries;
  return error;
}

Result<Json> VertexClient::call(std::string_view method, const std::string& path, const Json* body) {
  const std::string text = body != nullptr ? body->dump(-1, ' ', false, Json::error_handler_t::replace) : std::string();
  for (int attempt = 1;; ++attempt) {
    std::string usedToken;
    auto outcome = exchange(method, path, body != nullptr ? &text : nullptr, usedToken);
    if (!outcome && usedToken.empty()) return outcome.error();  // no token
    if (outcome && outcome->status >= 200 && outcome->status < 300) return parse(method, path, *outcome);
    const cloud::RetryDecision decision = retryPolicy_.decide(attempt, outcome, /*idempotent=*/true);
    if (!decision.retry) return failure(method, path, outcome, usedToken, attempt);
    sleep_(decision.delay);
  }
}

Result<Json> VertexClient::create(const std::string& path, const Json& body, const Lookup& lookup) {
  const std::string text = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  for (int attempt = 1;; ++attempt) {
    std::string usedToken;
    auto outcome = exchange("POST", path, &text, usedToken);
    if (!outcome && usedToken.empty()) return outcome.error();
    if (outcome && outcome->status >= 200 && outcome->status < 300) return parse("POST", path, *outcome);

    const cloud::RetryDecision safe = retryPolicy_.decide(attempt, outcome, /*idempotent=*/false);
    if (safe.retry) {
      sleep_(safe.delay);
      continue;
    }
    if (!ambiguous(safe.reason)) return failure("POST", path, outcome, usedToken, attempt);
    // The server may have created the object before failing to answer: look before creating again.
    auto found = lookup();
    if (!found) {
      Error error = found.error();
      error.message = "after " + failure("POST", path, outcome, usedToken, attempt).message +
                      ", looking for what the create may have made failed: " + error.message;
      return error;
    }
    if (found->has_value()) return std::move(**found);
    const cloud::RetryDecision again = retryPolicy_.decide(attempt, outcome, /*idempotent=*/true);
    if (!again.retry) return failure("POST", path, outcome, usedToken, attempt);
    sleep_(again.delay);
  }
}

}  // namespace launch::backends
