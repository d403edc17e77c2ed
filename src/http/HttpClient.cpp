// HttpClient over libcurl: one pool of easy handles per client so connections and TLS sessions are reused.
#include "http/HttpClient.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace launch::http {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

void ensureCurlGlobal() { static const CurlGlobal global; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

struct Transfer {
  HttpResponse response;
  const BodyChunkHandler* onChunk = nullptr;
  const StopCondition* shouldStop = nullptr;
  bool stoppedByHandler = false;
};

int onProgress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->shouldStop != nullptr && (*transfer->shouldStop)()) {
    transfer->stoppedByHandler = true;
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (transfer->onChunk != nullptr) {
    if (!(*transfer->onChunk)(std::string_view(data, n))) {
      transfer->stoppedByHandler = true;
      return 0;  // makes curl abort with CURLE_WRITE_ERROR
    }
    return n;
  }
  transfer->response.body.append(data, n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response.headers.clear();  // a new response (after 100-continue or a redirect)
    return n;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    transfer->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                            std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

void setBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{};
  blob.data = const_cast<char*>(pem.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast): curl copies it
  blob.len = pem.size();
  blob.flags = CURL_BLOB_COPY;
  curl_easy_setopt(curl, option, &blob);
}

ErrorCode codeFor(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorCode::Timeout;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_PEER_FAILED_VERIFICATION:
      return ErrorCode::Unauthorized;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return ErrorCode::Invalid;
    default:
      return ErrorCode::Unavailable;
  }
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

// Idle easy handles; curl keeps each handle's connections and TLS sessions alive between requests.
struct HttpClient::Pool {
  std::mutex mutex;
  std::vector<CURL*> idle;

  CURL* take() {
    {
      const std::lock_guard lock(mutex);
      if (!idle.empty()) {
        CURL* curl = idle.back();
        idle.pop_back();
        return curl;
      }
    }
    return curl_easy_init();
  }
  void give(CURL* curl) {
    curl_easy_reset(curl);  // keeps live connections, DNS and TLS session caches
    const std::lock_guard lock(mutex);
    if (idle.size() < 16) {
      idle.push_back(curl);
      return;
    }
    curl_easy_cleanup(curl);
  }
  ~Pool() {
    for (CURL* curl : idle) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  ensureCurlGlobal();
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send(const HttpRequest& request) { return perform(request, nullptr, nullptr); }

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, const BodyChunkHandler& onChunk,
                                        const StopCondition& shouldStop) {
  return perform(request, &onChunk, shouldStop ? &shouldStop : nullptr);
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& request, const BodyChunkHandler* onChunk,
                                         const StopCondition* shouldStop) {
  CURL* curl = pool_->take();
  if (curl == nullptr) return makeError(ErrorCode::Internal, "curl_easy_init failed");

  Transfer transfer;
  transfer.onChunk = onChunk;
  transfer.shouldStop = shouldStop;
  char errorBuffer[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connectTimeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  if (options_.lowSpeedBytes > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.lowSpeedBytes);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.lowSpeedWindow.count()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  if (!options_.unixSocket.empty()) curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, options_.unixSocket.c_str());

  if (shouldStop != nullptr) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  }
  // Dead peers on long-lived streams are found by TCP keepalive rather than by waiting forever.
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 10L);

  const TlsConfig& tls = request.tls != nullptr ? *request.tls : options_.tls;
  if (!tls.caPem.empty()) setBlob(curl, CURLOPT_CAINFO_BLOB, tls.caPem);
  if (!tls.clientCertPem.empty()) {
    setBlob(curl, CURLOPT_SSLCERT_BLOB, tls.clientCertPem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!tls.clientKeyPem.empty()) {
    setBlob(curl, CURLOPT_SSLKEY_BLOB, tls.clientKeyPem);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (tls.insecureSkipVerify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  curl_slist* headerList = nullptr;
  for (const auto& [key, value] : request.headers) {
    std::string line = key;
    line += value.empty() ? ";" : ": ";  // "Name;" sends an empty header; "Name:" would remove it
    line += value;
    headerList = curl_slist_append(headerList, line.c_str());
  }
  // curl adds "Expect: 100-continue" to large bodies; servers answer faster without the round trip.
  headerList = curl_slist_append(headerList, "Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headerList);

  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  curl_slist_free_all(headerList);
  pool_->give(curl);

  const bool stopped = transfer.stoppedByHandler && (rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK);
  if (rc != CURLE_OK && !stopped) {
    std::string detail = errorBuffer[0] != '\0' ? errorBuffer : curl_easy_strerror(rc);
    Error error = makeError(codeFor(rc), request.method + " " + request.url + ": " + detail);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) error.reason = kReasonConnectFailed;
    return error;
  }
  return std::move(transfer.response);
}

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

}  // namespace launch::http
