// HttpServer: the accept loop (poll on the listener and a wake-up pipe), request-line parsing and answers.
#include "http/HttpServer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <string_view>

namespace launch::http {
namespace {

constexpr size_t kMaxRequestHead = 8192;

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

void sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return;  // the client went away: nothing to tell it
    data.remove_prefix(static_cast<size_t>(sent));
  }
}

void respond(int fd, const ServerResponse& response, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reasonPhrase(response.status) +
                    "\r\nContent-Type: " + response.contentType +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!head) out += response.body;
  sendAll(fd, out);
}

// Reads until the end of the request head; false when the client is too slow, too long-winded or gone.
bool readHead(int fd, std::string& head, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[2048];
  while (head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos) {
    if (head.size() > kMaxRequestHead) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    head.append(buffer, static_cast<size_t>(got));
  }
  return true;
}

Error addressError(const std::string& address, const std::string& why) {
  return makeError(ErrorCode::Invalid, "cannot listen on " + address + ": " + why);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::listen(const std::string& address,
                                                       std::chrono::milliseconds clientTimeout) {
  const auto colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  const std::string portText = colon == std::string::npos ? address : address.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(portText.c_str(), &end, 10);
  if (portText.empty() || end == nullptr || *end != '\0' || port < 0 || port > 65535) {
    return addressError(address, "the port must be a number from 0 to 65535 (for example :8080)");
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in ipv4{};
  sockaddr_in6 ipv6{};
  const sockaddr* bound = nullptr;
  socklen_t length = 0;
  int family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), &ipv4.sin_addr) == 1) {
    ipv4.sin_family = AF_INET;
    ipv4.sin_port = htons(static_cast<uint16_t>(port));
    bound = reinterpret_cast<const sockaddr*>(&ipv4);
    length = sizeof ipv4;
  } else {
    const std::string bare = host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
    if (inet_pton(AF_INET6, bare.c_str(), &ipv6.sin6_addr) != 1) {
      return addressError(address, "the host must be an IP address (or empty for all interfaces)");
    }
    ipv6.sin6_family = AF_INET6;
    ipv6.sin6_port = htons(static_cast<uint16_t>(port));
    bound = reinterpret_cast<const sockaddr*>(&ipv6);
    length = sizeof ipv6;
    family = AF_INET6;
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError(ErrorCode::Internal, "socket: " + std::string(std::strerror(errno)));
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd, bound, length) != 0 || ::listen(fd, 64) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return addressError(address, why + " (is the port in use? change it with the flag)");
  }
  sockaddr_storage actual{};
  socklen_t actualLength = sizeof actual;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&actual), &actualLength);
  const int actualPort = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&actual)->sin_port
                                                 : reinterpret_cast<sockaddr_in6*>(&actual)->sin6_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    ::close(fd);
    return makeError(ErrorCode::Internal, "pipe: " + std::string(std::strerror(errno)));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(fd, wake[0], wake[1], actualPort, clientTimeout));
}

HttpServer::HttpServer(int listener, int wakeRead, int wakeWrite, int port, std::chrono::milliseconds clientTimeout)
    : listener_(listener), wakeRead_(wakeRead), wakeWrite_(wakeWrite), port_(port), clientTimeout_(clientTimeout) {}

HttpServer::~HttpServer() {
  stop();
  ::close(listener_);
  ::close(wakeRead_);
  ::close(wakeWrite_);
}

void HttpServer::route(const std::string& path, Handler handler) { routes_[path] = std::move(handler); }

void HttpServer::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { serve(); });
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  const char byte = 1;
  (void)!::write(wakeWrite_, &byte, 1);
  thread_.join();
}

void HttpServer::serve() {
  while (!stopping_) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wakeRead_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if ((fds[1].revents & POLLIN) != 0 || stopping_) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    answer(connection);
    ::close(connection);
  }
}

void HttpServer::answer(int connection) {
  std::string head;
  if (!readHead(connection, head, clientTimeout_)) return;
  const auto lineEnd = head.find_first_of("\r\n");
  const std::string_view line(head.data(), lineEnd);
  const auto firstSpace = line.find(' ');
  const auto secondSpace = firstSpace == std::string_view::npos ? firstSpace : line.find(' ', firstSpace + 1);
  if (secondSpace == std::string_view::npos || line.substr(secondSpace + 1).rfind("HTTP/1.", 0) != 0) {
    respond(connection, {400, "text/plain", "malformed request line\n"}, false);
    return;
  }
  const std::string_view method = line.substr(0, firstSpace);
  std::string_view target = line.substr(firstSpace + 1, secondSpace - firstSpace - 1);
  target = target.substr(0, target.find('?'));
  const bool headOnly = method == "HEAD";
  if (method != "GET" && !headOnly) {
    respond(connection, {405, "text/plain", "only GET and HEAD are served\n"}, false);
    return;
  }
  const auto route = routes_.find(std::string(target));
  if (route == routes_.end()) {
    respond(connection, {404, "text/plain", "not found\n"}, headOnly);
    return;
  }
  ServerResponse response;
  try {
    response = route->second();
  } catch (const std::exception& e) {
    response = {500, "text/plain", std::string("the handler failed: ") + e.what() + "\n"};
  }
  respond(connection, response, headOnly);
}

}  // namespace launch::http
