// Connection: sockets with poll() deadlines, and TLS through memory BIOs so that our send() does all writing.
#include "http/Connection.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

namespace launch::http {
namespace {

constexpr size_t kTlsRecord = 16384;  // plaintext handed to SSL_write at a time, and ciphertext read at a time

std::string errnoText(int error) {
  char buffer[256];
  return ::strerror_r(error, buffer, sizeof buffer);
}

Error connectFailed(ErrorCode code, std::string message) {
  Error error = makeError(code, std::move(message));
  error.reason = kReasonConnectFailed;
  return error;
}

bool isAddress(const std::string& host) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Alerts by which a server refuses our certificate, or the lack of one.
bool rejectsCredentials(int reason) {
  switch (reason) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return true;
    default:
      return false;
  }
}

void setSocketOptions(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Dead peers on long-lived streams are found by TCP keepalive rather than by waiting forever.
  const int idle = 30;
  const int interval = 10;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::openTcp(const std::string& host, int port, Deadline until) {
  const std::string name = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  // getaddrinfo has no deadline of its own; the resolver's timeouts (resolv.conf) bound it.
  const int resolved = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (resolved != 0) {
    return connectFailed(ErrorCode::Unavailable, "cannot resolve host '" + host + "': " + ::gai_strerror(resolved));
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);

  std::string failure = "no address";
  for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      failure = errnoText(errno);
      continue;
    }
    std::unique_ptr<Connection> connection(new Connection(fd));
    setSocketOptions(fd);
    if (::connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        failure = errnoText(errno);
        continue;
      }
      if (auto ready = connection->waitFor(POLLOUT, until); !ready) {
        if (ready.error().code != ErrorCode::Timeout)
          return connectFailed(ErrorCode::Unavailable, ready.error().message);
        return connectFailed(ErrorCode::Timeout, "connect to " + name + " timed out");
      }
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        failure = errnoText(error);
        continue;
      }
    }
    return connection;
  }
  return connectFailed(ErrorCode::Unavailable, "connect to " + name + ": " + failure);
}

Result<std::unique_ptr<Connection>> Connection::openUnix(const std::string& path, Deadline until) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    return makeError(ErrorCode::Invalid, "the unix socket path '" + path + "' is too long");
  }
  std::copy(path.begin(), path.end(), static_cast<char*>(address.sun_path));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return connectFailed(ErrorCode::Unavailable, "socket: " + errnoText(errno));
  std::unique_ptr<Connection> connection(new Connection(fd));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS) {
      return connectFailed(ErrorCode::Unavailable, "connect to unix socket " + path + ": " + errnoText(errno));
    }
    if (auto ready = connection->waitFor(POLLOUT, until); !ready) {
      if (ready.error().code != ErrorCode::Timeout) return connectFailed(ErrorCode::Unavailable, ready.error().message);
      return connectFailed(ErrorCode::Timeout, "connect to unix socket " + path + " timed out");
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      return connectFailed(ErrorCode::Unavailable, "connect to unix socket " + path + ": " + errnoText(error));
    }
  }
  return connection;
}

Connection::~Connection() {
  if (ssl_ != nullptr) {
    // A quiet shutdown sends nothing but marks the connection as closed cleanly, which keeps its session
    // resumable; after a TLS failure the session is dropped instead.
    if (!tlsFailed_ && SSL_is_init_finished(ssl_) == 1) {
      SSL_set_quiet_shutdown(ssl_, 1);
      SSL_shutdown(ssl_);
    }
    ERR_clear_error();
    SSL_free(ssl_);
  }
  if (fd_ >= 0) ::close(fd_);
}

Status Connection::waitFor(short events, Deadline until) const {
  for (;;) {
    int timeoutMs = -1;
    if (until != kNoDeadline) {
      const auto left = until - std::chrono::steady_clock::now();
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeoutMs = static_cast<int>(std::clamp<int64_t>(ms, 0, INT_MAX));
    }
    pollfd descriptor{fd_, events, 0};
    const int ready = ::poll(&descriptor, 1, timeoutMs);
    if (ready > 0) return {};  // readable, writable, or an error the next call reports
    if (ready < 0 && errno != EINTR) return makeError(ErrorCode::Unavailable, "poll: " + errnoText(errno));
    if (ready == 0 && std::chrono::steady_clock::now() >= until) return makeError(ErrorCode::Timeout, "timed out");
  }
}

Result<size_t> Connection::receive(char* data, size_t size, Deadline until) {
  for (;;) {
    const ssize_t n = ::recv(fd_, data, size, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return makeError(ErrorCode::Unavailable, "receiving: " + errnoText(errno));
    }
    if (auto ready = waitFor(POLLIN, until); !ready) return ready.error();
  }
}

// Every byte leaves here, TLS records included (OpenSSL writes them to a memory BIO): MSG_NOSIGNAL makes a
// peer that closed mid-write an error value, never a SIGPIPE, without touching process-wide signal handling.
Result<size_t> Connection::transmit(std::string_view data, Deadline until) {
  for (;;) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return makeError(ErrorCode::Unavailable, "sending: " + errnoText(errno));
    }
    if (auto ready = waitFor(POLLOUT, until); !ready) return ready.error();
  }
}

void Connection::collectTlsOutput() {
  if (pendingSent_ == pendingOut_.size()) {
    pendingOut_.clear();
    pendingSent_ = 0;
  }
  while (const size_t available = BIO_ctrl_pending(tlsOut_)) {
    const size_t at = pendingOut_.size();
    pendingOut_.resize(at + available);
    const int n = BIO_read(tlsOut_, pendingOut_.data() + at, static_cast<int>(available));
    pendingOut_.resize(at + static_cast<size_t>(std::max(n, 0)));
    if (n <= 0) break;
  }
}

// A TLS peer that refuses us (a client certificate missing or rejected) sends an alert and closes; when a
// write meets the closed connection first, the alert may already be here and names the real cause.
Error Connection::explainSendFailure(Error failure) {
  std::array<char, kTlsRecord> buffer{};
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    BIO_write(tlsIn_, buffer.data(), static_cast<int>(n));
  }
  if (BIO_ctrl_pending(tlsIn_) == 0) return failure;
  ERR_clear_error();
  char byte = 0;
  const int result = SSL_peek(ssl_, &byte, 1);
  if (result <= 0 && SSL_get_error(ssl_, result) == SSL_ERROR_SSL) return tlsError(result, "sending");
  ERR_clear_error();
  return failure;
}

Status Connection::flush(Deadline until) {
  while (pendingSent_ < pendingOut_.size()) {
    auto sent = transmit(std::string_view(pendingOut_).substr(pendingSent_), until);
    if (!sent && sent.error().code != ErrorCode::Timeout) return explainSendFailure(sent.error());
    if (!sent) return sent.error();
    pendingSent_ += *sent;
  }
  pendingOut_.clear();
  pendingSent_ = 0;
  return {};
}

Error Connection::tlsError(int result, const std::string& during) {
  tlsFailed_ = true;
  const int kind = SSL_get_error(ssl_, result);
  if (kind == SSL_ERROR_SYSCALL || kind == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return makeError(ErrorCode::Unavailable, "TLS " + during + ": the connection closed");
  }
  const unsigned long code = ERR_peek_last_error();
  std::string text = openSslErrorText();
  if (context_ != nullptr && context_->verifiesPeer()) {
    const long verified = SSL_get_verify_result(ssl_);
    if (verified != X509_V_OK) {
      return makeError(ErrorCode::Unauthorized,
                       "TLS " + during + ": certificate verify failed: " + X509_verify_cert_error_string(verified));
    }
  }
  if (ERR_GET_LIB(code) == ERR_LIB_SSL && rejectsCredentials(ERR_GET_REASON(code))) {
    return makeError(ErrorCode::Unauthorized, "TLS: the server refused our client certificate (" + text + ")");
  }
  return makeError(ErrorCode::Unavailable, "TLS " + during + ": " + text);
}

Status Connection::startTls(std::shared_ptr<TlsContext> context, const std::string& host, int port, Deadline until) {
  context_ = std::move(context);
  peer_ = host + ":" + std::to_string(port);
  ssl_ = SSL_new(context_->get());
  if (ssl_ == nullptr) return makeError(ErrorCode::Internal, "SSL_new: " + openSslErrorText());
  tlsIn_ = BIO_new(BIO_s_mem());
  tlsOut_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(tlsIn_, -1);  // an empty input means "wait for more", not the end
  SSL_set_bio(ssl_, tlsIn_, tlsOut_);
  SSL_set_app_data(ssl_, &peer_);
  SSL_set_connect_state(ssl_);
  if (isAddress(host)) {
    if (context_->verifiesPeer()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    if (context_->verifiesPeer()) {
      SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl_, host.c_str());
    }
  }
  if (SSL_SESSION* session = context_->takeSession(peer_)) {
    SSL_set_session(ssl_, session);
    SSL_SESSION_free(session);
  }

  std::array<char, kTlsRecord> buffer{};
  for (;;) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    collectTlsOutput();
    if (auto flushed = flush(until); !flushed) return flushed.error();
    if (result == 1) return {};
    if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ) return tlsError(result, "handshake");
    auto received = receive(buffer.data(), buffer.size(), until);
    if (!received) {
      if (received.error().code == ErrorCode::Timeout) return makeError(ErrorCode::Timeout, "TLS handshake timed out");
      return received.error();
    }
    if (*received == 0) return makeError(ErrorCode::Unavailable, "TLS handshake: the peer closed the connection");
    BIO_write(tlsIn_, buffer.data(), static_cast<int>(*received));
  }
}

Result<size_t> Connection::readSome(char* data, size_t size, Deadline until) {
  if (ssl_ == nullptr) return receive(data, size, until);
  if (auto flushed = flush(until); !flushed) return flushed.error();
  std::array<char, kTlsRecord> buffer{};
  for (;;) {
    ERR_clear_error();
    const int result = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    collectTlsOutput();  // a key update or another post-handshake message may need an answer
    if (result > 0) return static_cast<size_t>(result);
    const int kind = SSL_get_error(ssl_, result);
    if (kind == SSL_ERROR_ZERO_RETURN) return size_t{0};
    if (kind != SSL_ERROR_WANT_READ) return tlsError(result, "receiving");
    if (auto flushed = flush(until); !flushed) return flushed.error();
    auto received = receive(buffer.data(), buffer.size(), until);
    if (!received) return received.error();
    if (*received == 0) return size_t{0};  // closed without close_notify: the HTTP framing tells truncation
    BIO_write(tlsIn_, buffer.data(), static_cast<int>(*received));
  }
}

Result<size_t> Connection::writeSome(std::string_view data, Deadline until) {
  if (ssl_ == nullptr) return transmit(data, until);
  if (auto flushed = flush(until); !flushed) return flushed.error();
  ERR_clear_error();
  const int result = SSL_write(ssl_, data.data(), static_cast<int>(std::min(data.size(), kTlsRecord)));
  if (result <= 0) return tlsError(result, "sending");
  collectTlsOutput();
  // Send what fits now; the rest waits for the next call.
  if (auto flushed = flush(until); !flushed && flushed.error().code != ErrorCode::Timeout) return flushed.error();
  return static_cast<size_t>(result);
}

bool Connection::reusable() const {
  if (fd_ < 0 || tlsFailed_) return false;
  if (ssl_ != nullptr && (pendingSent_ < pendingOut_.size() || BIO_ctrl_pending(tlsIn_) > 0 || SSL_pending(ssl_) > 0)) {
    return false;
  }
  pollfd descriptor{fd_, POLLIN, 0};
  return ::poll(&descriptor, 1, 0) == 0;  // readable means closed by the peer, or bytes nobody asked for
}

}  // namespace launch::http
