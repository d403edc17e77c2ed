// RawServer: a socket server writing responses byte for byte, in shapes cpp-httplib cannot produce.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace launch::http::testing {

// One request as the server read it.
struct RawRequest {
  std::string head;  // request line and header lines, up to and without the blank line
  std::string body;

  std::string requestLine() const { return head.substr(0, head.find("\r\n")); }
  // The value of the first header with this name (compared case-insensitively), or nullopt.
  std::optional<std::string> header(std::string_view name) const {
    size_t at = head.find("\r\n");
    while (at != std::string::npos && at + 2 < head.size()) {
      const size_t next = head.find("\r\n", at + 2);
      const std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      const size_t colon = line.find(':');
      if (colon == name.size() && std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          })) {
        const size_t value = line.find_first_not_of(' ', colon + 1);
        return value == std::string::npos ? std::string() : line.substr(value);
      }
      at = next;
    }
    return std::nullopt;
  }
};

// The server's side of one accepted connection.
class RawPeer {
 public:
  explicit RawPeer(int fd) : fd_(fd) {}

  // Reads the next request (head and a Content-Length body); nullopt when the client closed the connection.
  std::optional<RawRequest> readRequest() {
    for (;;) {
      const size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        RawRequest request;
        request.head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        const size_t length = std::stoul(request.header("Content-Length").value_or("0"));
        while (buffer_.size() < length) {
          if (!fill()) return std::nullopt;
        }
        request.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return request;
      }
      if (!fill()) return std::nullopt;
    }
  }
  // Reads at most `size` raw bytes (for a test that only needs the start of a request).
  std::string readSome(size_t size) {
    if (buffer_.empty()) fill();
    std::string out = buffer_.substr(0, size);
    buffer_.erase(0, out.size());
    return out;
  }
  bool write(std::string_view data) const {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Makes the close that follows the handler a reset (as a crashed peer does) instead of a FIN.
  void resetOnClose() const {
    const linger abort{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  int fd() const { return fd_; }

 private:
  bool fill() {
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string buffer_;
};

class RawServer {
 public:
  using Handler = std::function<void(RawPeer& peer)>;
  enum class Family { Ipv4, Ipv6, Unix };

  // Serves each connection with `handler` on a thread of its own, and closes it when the handler returns; on
  // loopback, or on the unix socket `path`.
  explicit RawServer(Handler handler, Family family = Family::Ipv4, std::string path = {})
      : handler_(std::move(handler)), path_(std::move(path)) {
    if (family == Family::Unix) {
      listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::copy(path_.begin(), path_.end(), static_cast<char*>(address.sun_path));
      ::unlink(path_.c_str());
      ok_ = ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    } else if (family == Family::Ipv6) {
      listener_ = ::socket(AF_INET6, SOCK_STREAM, 0);
      sockaddr_in6 address{};
      address.sin6_family = AF_INET6;
      address.sin6_addr = in6addr_loopback;
      ok_ = listener_ >= 0 && ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      socklen_t length = sizeof address;
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
      port_ = ntohs(address.sin6_port);
    } else {
      listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ok_ = ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      socklen_t length = sizeof address;
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
      port_ = ntohs(address.sin_port);
    }
    ok_ = ok_ && ::listen(listener_, 64) == 0;
    if (ok_) acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~RawServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listener_);
    std::vector<std::thread> threads;
    {
      const std::lock_guard lock(mutex_);
      for (const int fd : peers_) ::shutdown(fd, SHUT_RDWR);  // ends handlers blocked in a read
      threads.swap(threads_);
    }
    for (auto& thread : threads) thread.join();
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  bool listening() const { return ok_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void acceptLoop() {
    while (!stopping_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      const std::lock_guard lock(mutex_);
      peers_.push_back(fd);
      threads_.emplace_back([this, fd] {
        RawPeer peer(fd);
        handler_(peer);
        const std::lock_guard lock(mutex_);
        peers_.erase(std::find(peers_.begin(), peers_.end(), fd));
        ::close(fd);  // a FIN, or a reset after RawPeer::reset()
      });
    }
  }

  Handler handler_;
  std::string path_;
  int listener_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> peers_;
  std::vector<std::thread> threads_;
};

// Serves requests on a connection until the client closes it, answering each with respond(request).
inline RawServer::Handler serveEach(std::function<std::string(const RawRequest&)> respond) {
  return [respond = std::move(respond)](RawPeer& peer) {
    while (auto request = peer.readRequest()) {
      if (!peer.write(respond(*request))) return;
    }
  };
}

}  // namespace launch::http::testing
