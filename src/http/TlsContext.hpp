// TlsContext: an OpenSSL client context built once per distinct TlsConfig, with the TLS sessions it resumes.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::http {

// The text of the most specific error on this thread's OpenSSL error queue, which it empties.
std::string openSslErrorText();

class TlsContext {
 public:
  // Builds a context that trusts config.caPem (the system's CAs when empty), presents the client
  // certificate when there is one and verifies the peer unless insecureSkipVerify. An unusable CA bundle,
  // certificate or key is ErrorCode::Unauthorized.
  static Result<std::shared_ptr<TlsContext>> create(const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  bool verifiesPeer() const { return verifyPeer_; }

  // A session to resume with this peer ("host:port"), with a reference for the caller, or null.
  SSL_SESSION* takeSession(const std::string& peer);
  // Keeps a session the peer offered (a reference the context now owns).
  void keepSession(const std::string& peer, SSL_SESSION* session);

 private:
  TlsContext() = default;

  SSL_CTX* ctx_ = nullptr;
  bool verifyPeer_ = true;
  std::mutex mutex_;
  std::map<std::string, SSL_SESSION*> sessions_;
};

// The contexts of one client, one per distinct TlsConfig (by content, so per-request configs that carry the
// same credentials share one), the least recently used dropped beyond a few.
class TlsContextCache {
 public:
  // The context for `config` and a key that tells it from other configs (for pooling connections).
  struct Entry {
    std::shared_ptr<TlsContext> context;
    std::string key;
  };
  Result<Entry> get(const TlsConfig& config);

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::shared_ptr<TlsContext>, uint64_t>> contexts_;  // key -> context, last use
  uint64_t uses_ = 0;
};

}  // namespace launch::http
