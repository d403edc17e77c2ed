// TlsContext: OpenSSL 3 client contexts from PEM in memory, verification settings and client-side session resumption.
#include "http/TlsContext.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/Crypto.hpp"

namespace launch::http {
namespace {

constexpr size_t kMaxSessions = 64;  // peers remembered per context
constexpr size_t kMaxContexts = 8;   // contexts kept per client (rotating client certificates make new ones)

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memoryBio(const std::string& pem) { return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

// Encrypted keys are not supported: refuse instead of letting OpenSSL prompt on the terminal.
int noPassword(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return -1; }

Error unusable(const std::string& what) {
  return makeError(ErrorCode::Unauthorized, "TLS: " + what + " (" + openSslErrorText() + ")");
}

int onNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* context = static_cast<TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  const auto* peer = static_cast<const std::string*>(SSL_get_app_data(ssl));
  if (context == nullptr || peer == nullptr) return 0;
  context->keepSession(*peer, session);
  return 1;  // the context keeps the reference
}

Status loadCertificates(SSL_CTX* ctx, const std::string& caPem) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  const BioPtr bio = memoryBio(caPem);
  int loaded = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, noPassword, nullptr)) {
    const int added = X509_STORE_add_cert(store, cert);
    X509_free(cert);
    if (added != 1) return unusable("a CA certificate could not be added");
    ++loaded;
  }
  ERR_clear_error();  // the read past the last certificate
  if (loaded == 0) return makeError(ErrorCode::Unauthorized, "TLS: the CA bundle holds no PEM certificate");
  return {};
}

Status loadClientCertificate(SSL_CTX* ctx, const TlsConfig& config) {
  const BioPtr certBio = memoryBio(config.clientCertPem);
  X509* cert = PEM_read_bio_X509(certBio.get(), nullptr, noPassword, nullptr);
  if (cert == nullptr) return unusable("the client certificate is not a PEM certificate");
  const int used = SSL_CTX_use_certificate(ctx, cert);
  X509_free(cert);
  if (used != 1) return unusable("the client certificate cannot be used");
  // Intermediate certificates after the first go out with it.
  while (X509* intermediate = PEM_read_bio_X509(certBio.get(), nullptr, noPassword, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, intermediate) != 1) {
      X509_free(intermediate);
      return unusable("an intermediate client certificate cannot be used");
    }
  }
  ERR_clear_error();
  // Without a separate key, the key is looked for beside the certificate, as the curl CLI and kubectl do.
  const BioPtr keyBio = memoryBio(config.clientKeyPem.empty() ? config.clientCertPem : config.clientKeyPem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassword, nullptr);
  if (key == nullptr) return unusable("the client key is not an unencrypted PEM private key");
  const int keyUsed = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (keyUsed != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return unusable("the client key does not match the client certificate");
  }
  return {};
}

std::string field(const std::string& value) { return std::to_string(value.size()) + ":" + value; }

}  // namespace

std::string openSslErrorText() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    if (reason != nullptr) {
      text = reason;  // the last is the most specific
    } else {
      char buffer[256];
      ERR_error_string_n(code, buffer, sizeof buffer);
      text = buffer;
    }
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

Result<std::shared_ptr<TlsContext>> TlsContext::create(const TlsConfig& config) {
  ERR_clear_error();
  std::shared_ptr<TlsContext> context(new TlsContext());
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return unusable("SSL_CTX_new failed");
  context->ctx_ = ctx;
  context->verifyPeer_ = !config.insecureSkipVerify;
  SSL_CTX_set_app_data(ctx, context.get());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Idle kept-alive connections give their read and write buffers back (about 34 KiB each).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, onNewSession);

  if (context->verifyPeer_) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!config.caPem.empty()) {
      if (auto loaded = loadCertificates(ctx, config.caPem); !loaded) return loaded.error();
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return unusable("the system's CA certificates cannot be loaded");
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!config.clientCertPem.empty()) {
    if (auto loaded = loadClientCertificate(ctx, config); !loaded) return loaded.error();
  }
  return context;
}

TlsContext::~TlsContext() {
  for (auto& [peer, session] : sessions_) SSL_SESSION_free(session);
  SSL_CTX_free(ctx_);
}

SSL_SESSION* TlsContext::takeSession(const std::string& peer) {
  const std::lock_guard lock(mutex_);
  const auto found = sessions_.find(peer);
  if (found == sessions_.end() || SSL_SESSION_is_resumable(found->second) != 1) return nullptr;
  SSL_SESSION_up_ref(found->second);
  return found->second;
}

void TlsContext::keepSession(const std::string& peer, SSL_SESSION* session) {
  const std::lock_guard lock(mutex_);
  auto found = sessions_.find(peer);
  if (found != sessions_.end()) {
    SSL_SESSION_free(found->second);
    found->second = session;
    return;
  }
  if (sessions_.size() >= kMaxSessions) {
    SSL_SESSION_free(sessions_.begin()->second);
    sessions_.erase(sessions_.begin());
  }
  sessions_.emplace(peer, session);
}

Result<TlsContextCache::Entry> TlsContextCache::get(const TlsConfig& config) {
  Entry entry;
  entry.key = toHex(sha256(field(config.caPem) + field(config.clientCertPem) + field(config.clientKeyPem) +
                           (config.insecureSkipVerify ? "insecure" : "verify")))
                  .substr(0, 32);
  {
    const std::lock_guard lock(mutex_);
    auto found = contexts_.find(entry.key);
    if (found != contexts_.end()) {
      found->second.second = ++uses_;
      entry.context = found->second.first;
      return entry;
    }
  }
  // Built without the lock (it may read the system's CA bundle); a context built twice at once is harmless.
  auto created = TlsContext::create(config);
  if (!created) return created.error();
  const std::lock_guard lock(mutex_);
  auto [at, inserted] = contexts_.try_emplace(entry.key, std::move(*created), 0);
  at->second.second = ++uses_;
  entry.context = at->second.first;
  if (inserted && contexts_.size() > kMaxContexts) {
    auto oldest = contexts_.begin();
    for (auto it = contexts_.begin(); it != contexts_.end(); ++it) {
      if (it->second.second < oldest->second.second) oldest = it;
    }
    contexts_.erase(oldest);  // connections made with it hold their own reference
  }
  return entry;
}

}  // namespace launch::http
