// HttpClient: HTTP/1.1 over TCP, TLS or a unix socket, with streaming, timeouts, proxies and kept-alive connections.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/Result.hpp"

namespace launch::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct TlsConfig {
  std::string caPem;          // trusted CA bundle; empty means the system's bundle
  std::string clientCertPem;  // client certificate, for mutual TLS
  std::string clientKeyPem;
  bool insecureSkipVerify = false;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // whole request; 0 means none (long-lived streams)
  const TlsConfig* tls = nullptr;            // overrides the client's TLS settings (rotating client certs)
};

struct HttpResponse {
  long status = 0;
  Headers headers;
  std::string body;

  // The first header with this name, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpClientOptions {
  TlsConfig tls;
  std::string unixSocket;  // when set, every request goes over this socket
  std::chrono::milliseconds connectTimeout{5000};
  // A stream that receives fewer than lowSpeedBytes in lowSpeedWindow is dropped as dead (0 = never).
  long lowSpeedBytes = 0;
  std::chrono::seconds lowSpeedWindow{0};
};

// Returns false to stop the transfer.
using BodyChunkHandler = std::function<bool(std::string_view chunk)>;
// Polled about once a second while a stream is open, also when no data flows; true stops it.
using StopCondition = std::function<bool()>;

// Error::reason for a request that never reached the server (safe to retry even when not idempotent).
inline constexpr const char* kReasonConnectFailed = "ConnectFailed";

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and collects the whole answer. Transport failures are errors; any HTTP status is
  // a value, for the caller to interpret.
  Result<HttpResponse> send(const HttpRequest& request);

  // Sends the request and hands the body to onChunk as it arrives. The returned response has the status
  // and headers but no body. A transfer stopped by onChunk is not an error.
  Result<HttpResponse> stream(const HttpRequest& request, const BodyChunkHandler& onChunk,
                              const StopCondition& shouldStop = {});

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Transport;  // what requests share: kept-alive connections, TLS contexts, proxies
  Result<HttpResponse> perform(const HttpRequest& request, const BodyChunkHandler* onChunk,
                               const StopCondition* shouldStop);

  HttpClientOptions options_;
  std::unique_ptr<Transport> transport_;
};

// Percent-encodes a string for use in a URL path segment or query value.
std::string urlEncode(std::string_view text);

}  // namespace launch::http
