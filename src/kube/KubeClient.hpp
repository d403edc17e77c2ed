// KubeClient: typed-error REST calls against the Kubernetes API (get, list with pagination, create, update,
// patch, server-side apply, delete with preconditions, status subresources) for any group/version/resource,
// with retries, an optional client-side rate limit, and credentials from certificates, tokens or exec plugins.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http/HttpClient.hpp"
#include "kube/ExecCredentialPlugin.hpp"
#include "kube/KubeConfig.hpp"
#include "kube/ResourceType.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::kube {

using Json = nlohmann::json;

enum class PatchType { Merge, Json, Strategic };
enum class Propagation { Default, Background, Foreground, Orphan };

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int limit = 0;
  std::string continueToken;
  std::string resourceVersion;  // "0": any cached version is fine; "": a consistent read
};

struct DeleteOptions {
  Propagation propagation = Propagation::Default;
  std::string preconditionUid;              // delete only this incarnation of the object
  std::string preconditionResourceVersion;  // delete only if unchanged since read
  std::optional<int> gracePeriodSeconds;
};

// How failed requests are retried: 429 and 5xx answers and connection failures, with jittered exponential
// backoff that honours Retry-After. A create (POST) is retried only when it never reached the server or the
// server refused it with 429, because a create that may have happened must not be repeated blindly.
struct RetryPolicy {
  int maxAttempts = 5;
  std::chrono::milliseconds initialBackoff{200};
  std::chrono::milliseconds maxBackoff{5000};
};

struct KubeClientOptions {
  RetryPolicy retry;
  std::chrono::milliseconds requestTimeout{30000};
  std::chrono::milliseconds connectTimeout{5000};
  // Client-side rate limit (QPS <= 0: none). Blocks the caller until a token is free.
  double qps = 0;
  int burst = 10;
  std::string userAgent = "launch-operator/0.1";
};

// An API error answer (a Status object) as an Error: code from the HTTP status, reason and message from
// the body.
Error errorFromStatus(long httpStatus, std::string_view body, std::string_view what);

// The pages of a paginated list, joined.
struct ObjectList {
  Json items = Json::array();
  std::string resourceVersion;
};

class KubeClient {
 public:
  explicit KubeClient(KubeConfig config, KubeClientOptions options = {}, const Clock& clock = SystemClock::instance());
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  const KubeConfig& config() const { return config_; }

  Result<Json> get(const ResourceType& type, std::string_view ns, std::string_view name);
  // One page (options.limit/continueToken) as the server returned it.
  Result<Json> list(const ResourceType& type, std::string_view ns, const ListOptions& options = {});
  // Every page, following continue tokens; restarts once with a fresh list if a token expires (410).
  Result<ObjectList> listAll(const ResourceType& type, std::string_view ns, ListOptions options = {},
                             int pageSize = 500);
  Result<Json> create(const ResourceType& type, std::string_view ns, const Json& object);
  Result<Json> update(const ResourceType& type, std::string_view ns, const Json& object,
                      std::string_view subresource = {});
  Result<Json> patch(const ResourceType& type, std::string_view ns, std::string_view name, const Json& patch,
                     PatchType patchType = PatchType::Merge, std::string_view subresource = {});
  // Server-side apply: the object is the caller's full intent for the fields it manages.
  Result<Json> apply(const ResourceType& type, std::string_view ns, const Json& object, const std::string& fieldManager,
                     bool force = true, std::string_view subresource = {});
  Result<Json> remove(const ResourceType& type, std::string_view ns, std::string_view name,
                      const DeleteOptions& options = {});
  Result<Json> remove(const ResourceType& type, std::string_view ns, std::string_view name, Propagation propagation) {
    return remove(type, ns, name, DeleteOptions{propagation, {}, {}, {}});
  }
  Result<Json> serverVersion();

  // A request on any API path, answer unparsed (no retries).
  Result<http::HttpResponse> raw(std::string_view method, const std::string& path, const std::string& body = {},
                                 const std::string& contentType = "application/json");
  // A streamed GET (watches): chunks go to onChunk until the server ends the stream, onChunk returns false,
  // or shouldStop() turns true. timeout 0: none.
  Result<http::HttpResponse> stream(const std::string& path, const http::BodyChunkHandler& onChunk,
                                    const http::StopCondition& shouldStop, std::chrono::milliseconds timeout);

  // While the gate answers false every write (create, update, patch, apply, delete) fails at once with
  // Forbidden and nothing is sent: a replica that has lost its leader lease must not write.
  void setWriteGate(std::function<bool()> gate);

  // Requests sent (including retries), for tests and metrics.
  long requestCount() const { return requests_.load(); }

 private:
  struct Credentials {
    std::string token;
    std::shared_ptr<const http::TlsConfig> tls;  // set when an exec plugin supplies a client certificate
  };
  Result<Json> call(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& contentType, const std::string& what);
  Result<http::HttpResponse> send(const std::string& method, const std::string& path, const std::string& body,
                                  const std::string& contentType, std::chrono::milliseconds timeout,
                                  const http::BodyChunkHandler* onChunk, const http::StopCondition* shouldStop);
  Result<Credentials> credentials();
  void throttle();
  bool writeAllowed(const std::string& method, const std::string& what, Error& refusal) const;

  KubeConfig config_;
  KubeClientOptions options_;
  const Clock& clock_;
  http::HttpClient http_;
  std::unique_ptr<ExecCredentialPlugin> exec_;
  std::atomic<long> requests_{0};

  std::mutex tokenMutex_;
  std::string cachedToken_;
  Clock::TimePoint tokenReadAt_{};

  std::mutex limiterMutex_;
  double tokens_ = 0;
  Clock::TimePoint tokensAt_{};

  mutable std::mutex gateMutex_;
  std::function<bool()> writeGate_;
};

}  // namespace launch::kube
