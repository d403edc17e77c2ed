// VertexClient: calls to the Vertex AI REST API with a Google access token, retried on throttling and 5xx answers,
// and a create that is never sent twice blindly.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cloud/GoogleTokenSource.hpp"
#include "cloud/RetryPolicy.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::backends {

using Json = nlohmann::json;

// How a client waits between attempts (tests pass one that records or skips the wait). Also declared by
// SageMakerClient.hpp: the same alias.
using RetrySleep = std::function<void(std::chrono::milliseconds)>;

// https://<region>-aiplatform.googleapis.com, the regional endpoint Vertex AI wants for regional resources.
std::string defaultVertexEndpoint(std::string_view region);

struct VertexClientOptions {
  std::string endpoint;  // scheme://host[:port], no path
  cloud::RetryOptions retry;
  std::chrono::milliseconds requestTimeout{30000};
};

class VertexClient {
 public:
  // Asked after a create whose outcome is unknown: the object the create made, nullopt when there is none.
  using Lookup = std::function<Result<std::optional<Json>>()>;

  // The token source, the HTTP client and the clock must outlive the client.
  VertexClient(VertexClientOptions options, cloud::GoogleTokenSource& tokens, http::HttpClient& http,
               const Clock& clock = SystemClock::instance(), RetrySleep sleep = {});

  // A call that may safely be repeated (get, list, cancel): `path` starts with "/v1/" and may carry a query; `body`
  // is sent as JSON when given. Retried on 429, 5xx and lost connections with jittered backoff. A 401 is answered
  // once more with a fresh token when the source caches tokens. A failure is an Error whose reason is Google's status
  // (NOT_FOUND, INVALID_ARGUMENT, ...) and whose message never holds the token.
  Result<Json> call(std::string_view method, const std::string& path, const Json* body = nullptr);

  // A POST that must not run twice (CreateCustomJob is not idempotent): retried at once only when the server surely
  // did not act (throttled, never connected); after an answer that leaves it unknown (5xx, timeout) `lookup` is asked
  // first, and what it finds is the result; only when it finds nothing is the create sent again.
  Result<Json> create(const std::string& path, const Json& body, const Lookup& lookup);

  const std::string& endpoint() const { return options_.endpoint; }

 private:
  Result<http::HttpResponse> exchange(std::string_view method, const std::string& path, const std::string* body,
                                      std::string& usedToken);
  Error failure(std::string_view method, const std::string& path, const Result<http::HttpResponse>& outcome,
                const std::string& usedToken, int attempts) const;
  static Result<Json> parse(std::string_view method, const std::string& path, const http::HttpResponse& response);

  VertexClientOptions options_;
  cloud::GoogleTokenSource& tokens_;
  http::HttpClient& http_;
  RetrySleep sleep_;
  cloud::RetryPolicy retryPolicy_;
};

}  // namespace launch::backends
