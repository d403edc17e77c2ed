// KubeClient: REST calls over one pooled HttpClient; retries, rate limiting, credentials and Status errors.
#include "kube/KubeClient.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "util/Files.hpp"

namespace launch::kube {
namespace {

ErrorCode codeForHttp(long status) {
  switch (status) {
    case 400:
    case 415:
    case 422:
      return ErrorCode::Invalid;
    case 401:
      return ErrorCode::Unauthorized;
    case 403:
      return ErrorCode::Forbidden;
    case 404:
      return ErrorCode::NotFound;
    case 409:
      return ErrorCode::Conflict;
    case 410:
      return ErrorCode::Gone;
    case 429:
      return ErrorCode::TooManyRequests;
    case 504:
      return ErrorCode::Timeout;
    default:
      return status >= 500 ? ErrorCode::Unavailable : ErrorCode::Internal;
  }
}

const char* contentTypeFor(PatchType type) {
  switch (type) {
    case PatchType::Merge:
      return "application/merge-patch+json";
    case PatchType::Json:
      return "application/json-patch+json";
    case PatchType::Strategic:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

std::string query(const ListOptions& options) {
  std::string q;
  auto add = [&q](const char* key, const std::string& value) {
    q += q.empty() ? "?" : "&";
    q += key;
    q += "=";
    q += http::urlEncode(value);
  };
  if (!options.labelSelector.empty()) add("labelSelector", options.labelSelector);
  if (!options.fieldSelector.empty()) add("fieldSelector", options.fieldSelector);
  if (options.limit > 0) add("limit", std::to_string(options.limit));
  if (!options.continueToken.empty()) add("continue", options.continueToken);
  if (!options.resourceVersion.empty()) add("resourceVersion", options.resourceVersion);
  return q;
}

bool isWrite(const std::string& method) { return method != "GET" && method != "HEAD"; }

// Seconds from a Retry-After header (the API server sends whole seconds), capped.
std::optional<std::chrono::milliseconds> retryAfter(const http::HttpResponse& response, std::chrono::milliseconds cap) {
  const auto header = response.header("Retry-After");
  if (!header) return std::nullopt;
  try {
    const auto seconds = std::chrono::seconds(std::stol(*header));
    return std::min<std::chrono::milliseconds>(seconds, cap);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  thread_local std::mt19937 random(std::random_device{}());
  std::uniform_real_distribution<double> factor(0.5, 1.5);
  return std::chrono::milliseconds(static_cast<long>(static_cast<double>(base.count()) * factor(random)));
}

}  // namespace

Error errorFromStatus(long httpStatus, std::string_view body, std::string_view what) {
  Error error;
  error.httpStatus = static_cast<int>(httpStatus);
  error.code = codeForHttp(httpStatus);
  const Json status = Json::parse(body, nullptr, false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    error.reason = status.value("reason", "");
    error.message = status.value("message", "");
    if (error.reason == "AlreadyExists") error.code = ErrorCode::AlreadyExists;
    if (error.reason == "Expired" || error.reason == "Gone") error.code = ErrorCode::Gone;
  }
  if (error.message.empty()) error.message = std::string(body.substr(0, 200));
  error.message = std::string(what) + ": " + error.message;
  return error;
}

KubeClient::KubeClient(KubeConfig config, KubeClientOptions options, const Clock& clock)
    : config_(std::move(config)),
      options_(std::move(options)),
      clock_(clock),
      http_(http::HttpClientOptions{config_.tls, {}, options_.connectTimeout, 0, {}}) {
  if (config_.exec) exec_ = std::make_unique<ExecCredentialPlugin>(*config_.exec, clock_);
  tokens_ = options_.burst;
  tokensAt_ = clock_.now();
}

KubeClient::~KubeClient() = default;

void KubeClient::setWriteGate(std::function<bool()> gate) {
  const std::lock_guard lock(gateMutex_);
  writeGate_ = std::move(gate);
}

bool KubeClient::writeAllowed(const std::string& method, const std::string& what, Error& refusal) const {
  if (!isWrite(method)) return true;
  const std::lock_guard lock(gateMutex_);
  if (!writeGate_ || writeGate_()) return true;
  refusal = makeError(ErrorCode::Forbidden, what + ": refused locally, this process is not the leader");
  return false;
}

Result<KubeClient::Credentials> KubeClient::credentials() {
  Credentials credentials;
  if (exec_) {
    auto credential = exec_->credential();
    if (!credential) return credential.error();
    credentials.token = credential->token;
    if (!credential->clientCertificatePem.empty()) {
      auto tls = std::make_shared<http::TlsConfig>(config_.tls);
      tls->clientCertPem = credential->clientCertificatePem;
      tls->clientKeyPem = credential->clientKeyPem;
      credentials.tls = std::move(tls);
    }
    return credentials;
  }
  if (config_.tokenFile.empty()) {
    credentials.token = config_.bearerToken;
    return credentials;
  }
  // Projected service-account tokens rotate; re-read the file at most once a minute, as client-go does.
  const std::lock_guard lock(tokenMutex_);
  const auto now = clock_.now();
  if (cachedToken_.empty() || now - tokenReadAt_ > std::chrono::minutes(1)) {
    if (auto token = readFile(config_.tokenFile)) {
      cachedToken_ = *token;
      while (!cachedToken_.empty() && (cachedToken_.back() == '\n' || cachedToken_.back() == '\r')) {
        cachedToken_.pop_back();
      }
      tokenReadAt_ = now;
    } else if (cachedToken_.empty()) {
      return token.error();
    }
  }
  credentials.token = cachedToken_.empty() ? config_.bearerToken : cachedToken_;
  return credentials;
}

void KubeClient::throttle() {
  if (options_.qps <= 0) return;
  std::chrono::nanoseconds wait{0};
  {
    const std::lock_guard lock(limiterMutex_);
    const auto now = clock_.now();
    const double elapsed = std::chrono::duration<double>(now - tokensAt_).count();
    tokens_ = std::min<double>(options_.burst, tokens_ + elapsed * options_.qps);
    tokensAt_ = now;
    tokens_ -= 1;  // reserve a token now; a negative balance is the wait
    if (tokens_ < 0) wait = std::chrono::nanoseconds(static_cast<long>(-tokens_ / options_.qps * 1e9));
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

Result<http::HttpResponse> KubeClient::send(const std::string& method, const std::string& path, const std::string& body,
                                            const std::string& contentType, std::chrono::milliseconds timeout,
                                            const http::BodyChunkHandler* onChunk,
                                            const http::StopCondition* shouldStop) {
  for (int attempt = 0;; ++attempt) {
    auto credentials = this->credentials();
    if (!credentials) return credentials.error();
    http::HttpRequest request;
    request.method = method;
    request.url = config_.server + path;
    request.body = body;
    request.timeout = timeout;
    request.tls = credentials->tls.get();
    request.headers.emplace_back("Accept", "application/json");
    if (!body.empty()) request.headers.emplace_back("Content-Type", contentType);
    request.headers.emplace_back("User-Agent", options_.userAgent);
    if (!credentials->token.empty()) request.headers.emplace_back("Authorization", "Bearer " + credentials->token);
    throttle();
    ++requests_;
    auto response = onChunk != nullptr ? http_.stream(request, *onChunk, shouldStop != nullptr ? *shouldStop : nullptr)
                                       : http_.send(request);
    // An exec plugin's credential may have been revoked before its expiry: get a fresh one, once.
    if (response && response->status == 401 && exec_ && attempt == 0) {
      exec_->invalidate();
      continue;
    }
    return response;
  }
}

Result<http::HttpResponse> KubeClient::raw(std::string_view method, const std::string& path, const std::string& body,
                                           const std::string& contentType) {
  Error refusal;
  if (!writeAllowed(std::string(method), std::string(method) + " " + path, refusal)) return refusal;
  return send(std::string(method), path, body, contentType, options_.requestTimeout, nullptr, nullptr);
}

Result<http::HttpResponse> KubeClient::stream(const std::string& path, const http::BodyChunkHandler& onChunk,
                                              const http::StopCondition& shouldStop,
                                              std::chrono::milliseconds timeout) {
  return send("GET", path, {}, {}, timeout, &onChunk, &shouldStop);
}

Result<Json> KubeClient::call(const std::string& method, const std::string& path, const std::string& body,
                              const std::string& contentType, const std::string& what) {
  Error refusal;
  if (!writeAllowed(method, what, refusal)) return refusal;
  std::chrono::milliseconds backoff = options_.retry.initialBackoff;
  for (int attempt = 1;; ++attempt) {
    auto response = send(method, path, body, contentType, options_.requestTimeout, nullptr, nullptr);
    const bool last = attempt >= options_.retry.maxAttempts;
    std::optional<std::chrono::milliseconds> delay;
    Error error;
    if (!response) {
      error = response.error();
      error.message = what + ": the API server at " + config_.server + " did not answer (" + error.message + ")";
      // A create that may have reached the server is not repeated: the caller decides (names derived from a
      // UID make a repeated create answer AlreadyExists instead of making a twin).
      const bool safe = method != "POST" || error.reason == http::kReasonConnectFailed;
      if (safe && error.code != ErrorCode::Invalid) delay = jittered(backoff);
    } else if (response->status >= 200 && response->status < 300) {
      Json parsed = Json::parse(response->body, nullptr, false);
      if (parsed.is_discarded()) return makeError(ErrorCode::Internal, what + ": the answer is not JSON");
      return parsed;
    } else {
      error = errorFromStatus(response->status, response->body, what);
      const bool throttled = response->status == 429;
      const bool serverError = response->status >= 500 && response->status != 501;
      if (throttled || (serverError && method != "POST")) {
        delay = retryAfter(*response, options_.retry.maxBackoff).value_or(jittered(backoff));
      }
    }
    if (!delay || last) {
      if (delay && last) error.message += " (after " + std::to_string(attempt) + " attempts)";
      return error;
    }
    std::this_thread::sleep_for(*delay);
    backoff = std::min(backoff * 2, options_.retry.maxBackoff);
  }
}

Result<Json> KubeClient::get(const ResourceType& type, std::string_view ns, std::string_view name) {
  const std::string path = type.path(ns, name);
  return call("GET", path, {}, {}, "get " + path);
}

Result<Json> KubeClient::list(const ResourceType& type, std::string_view ns, const ListOptions& options) {
  const std::string path = type.path(ns) + query(options);
  return call("GET", path, {}, {}, "list " + type.path(ns));
}

Result<ObjectList> KubeClient::listAll(const ResourceType& type, std::string_view ns, ListOptions options,
                                       int pageSize) {
  options.limit = pageSize;
  bool restarted = false;
  ObjectList all;
  while (true) {
    auto page = list(type, ns, options);
    if (!page) {
      // The continue token outlived etcd's compaction window: start over with a fresh, consistent list.
      if (page.error().code == ErrorCode::Gone && !options.continueToken.empty() && !restarted) {
        restarted = true;
        all = ObjectList{};
        options.continueToken.clear();
        options.resourceVersion.clear();
        continue;
      }
      return page.error();
    }
    Json& items = (*page)["items"];
    if (items.is_array()) {
      for (auto& item : items) all.items.push_back(std::move(item));
    }
    const Json& metadata = (*page)["metadata"];
    all.resourceVersion = metadata.value("resourceVersion", "");
    options.continueToken = metadata.value("continue", "");
    if (options.continueToken.empty()) return all;
    // A continued list is served from the first page's snapshot; resourceVersion must not be repeated.
    options.resourceVersion.clear();
  }
}

Result<Json> KubeClient::create(const ResourceType& type, std::string_view ns, const Json& object) {
  const std::string path = type.path(ns);
  return call("POST", path, object.dump(), "application/json", "create in " + path);
}

Result<Json> KubeClient::update(const ResourceType& type, std::string_view ns, const Json& object,
                                std::string_view subresource) {
  const std::string name = object.at("metadata").at("name").get<std::string>();
  const std::string path = type.path(ns, name, subresource);
  return call("PUT", path, object.dump(), "application/json", "update " + path);
}

Result<Json> KubeClient::patch(const ResourceType& type, std::string_view ns, std::string_view name, const Json& patch,
                               PatchType patchType, std::string_view subresource) {
  const std::string path = type.path(ns, name, subresource);
  return call("PATCH", path, patch.dump(), contentTypeFor(patchType), "patch " + path);
}

Result<Json> KubeClient::apply(const ResourceType& type, std::string_view ns, const Json& object,
                               const std::string& fieldManager, bool force, std::string_view subresource) {
  const std::string name = object.at("metadata").at("name").get<std::string>();
  const std::string path = type.path(ns, name, subresource);
  const std::string fullPath = path + "?fieldManager=" + http::urlEncode(fieldManager) + (force ? "&force=true" : "");
  // JSON is YAML, so the apply body can be JSON under the apply-patch+yaml content type.
  return call("PATCH", fullPath, object.dump(), "application/apply-patch+yaml", "apply " + path);
}

Result<Json> KubeClient::remove(const ResourceType& type, std::string_view ns, std::string_view name,
                                const DeleteOptions& options) {
  const std::string path = type.path(ns, name);
  Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  static constexpr const char* kNames[] = {"", "Background", "Foreground", "Orphan"};
  if (options.propagation != Propagation::Default) {
    body["propagationPolicy"] = kNames[static_cast<int>(options.propagation)];
  }
  if (!options.preconditionUid.empty()) body["preconditions"]["uid"] = options.preconditionUid;
  if (!options.preconditionResourceVersion.empty()) {
    body["preconditions"]["resourceVersion"] = options.preconditionResourceVersion;
  }
  if (options.gracePeriodSeconds) body["gracePeriodSeconds"] = *options.gracePeriodSeconds;
  return call("DELETE", path, body.dump(), "application/json", "delete " + path);
}

Result<Json> KubeClient::serverVersion() { return call("GET", "/version", {}, {}, "get /version"); }

}  // namespace launch::kube
