// Connection: one client socket (TCP or unix), optionally TLS, non-blocking, every wait bounded by a deadline.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "http/TlsContext.hpp"
#include "util/Result.hpp"

namespace launch::http {

using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

class Connection {
 public:
  // Connects to host:port, trying each of its addresses, with TCP_NODELAY and TCP keepalive. Failures carry
  // Error::reason kReasonConnectFailed: ErrorCode::Timeout when `until` passed, else Unavailable.
  static Result<std::unique_ptr<Connection>> openTcp(const std::string& host, int port, Deadline until);
  // Connects to a unix socket; failures as for openTcp.
  static Result<std::unique_ptr<Connection>> openUnix(const std::string& path, Deadline until);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs a TLS handshake over the connection; from then on reads and writes go through TLS. `host` is sent
  // as SNI when it is a name, and checked against the peer's certificate when the context verifies peers
  // (a failed check is ErrorCode::Unauthorized).
  Status startTls(std::shared_ptr<TlsContext> context, const std::string& host, int port, Deadline until);

  // Reads up to `size` bytes: returns how many, 0 at the end of the stream, or ErrorCode::Timeout when
  // `until` passed with nothing to read (the connection stays usable).
  Result<size_t> readSome(char* data, size_t size, Deadline until);
  // Writes some of `data`, at least one byte, or returns ErrorCode::Timeout when `until` passed first.
  // Under TLS the bytes may wait in a buffer: flush() (or the next read) sends them.
  Result<size_t> writeSome(std::string_view data, Deadline until);
  Status flush(Deadline until);

  // Whether an idle connection can carry another request: the peer has not closed it and nothing is unread.
  bool reusable() const;
  bool tls() const { return ssl_ != nullptr; }

 private:
  explicit Connection(int fd) : fd_(fd) {}

  Status waitFor(short events, Deadline until) const;
  Result<size_t> receive(char* data, size_t size, Deadline until);
  Result<size_t> transmit(std::string_view data, Deadline until);
  void collectTlsOutput();
  Error explainSendFailure(Error failure);
  Error tlsError(int result, const std::string& during);

  int fd_ = -1;
  std::shared_ptr<TlsContext> context_;
  SSL* ssl_ = nullptr;
  BIO* tlsIn_ = nullptr;   // ciphertext received, for OpenSSL to read (owned by ssl_)
  BIO* tlsOut_ = nullptr;  // ciphertext OpenSSL wrote, to send (owned by ssl_)
  std::string pendingOut_;
  size_t pendingSent_ = 0;
  bool tlsFailed_ = false;
  std::string peer_;  // host:port, names the TLS session to resume
};

}  // namespace launch::http
