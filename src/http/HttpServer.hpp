// HttpServer: a small HTTP/1.1 server for the operator's /metrics and health probes: GET routes, answered one
// connection at a time on one thread, each connection closed after its answer.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "util/Result.hpp"

namespace launch::http {

struct ServerResponse {
  int status = 200;
  std::string contentType = "text/plain";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<ServerResponse()>;

  // Listens on "host:port" (":port" or "0.0.0.0:port" for all interfaces; port 0 picks a free one). Fails when
  // the address is malformed or the port is taken, naming the address.
  // A client that has not sent its request within `clientTimeout` is dropped, so it holds no probe for longer.
  static Result<std::unique_ptr<HttpServer>> listen(const std::string& address,
                                                    std::chrono::milliseconds clientTimeout = std::chrono::seconds(5));
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Answers GET and HEAD of `path` (the query is ignored); other paths get 404, other methods 405. Routes are
  // added before start().
  void route(const std::string& path, Handler handler);
  void start();
  // Stops accepting and returns once the serving thread has ended.
  void stop();
  int port() const { return port_; }

 private:
  HttpServer(int listener, int wakeRead, int wakeWrite, int port, std::chrono::milliseconds clientTimeout);
  void serve();
  void answer(int connection);

  int listener_;
  int wakeRead_;  // a pipe that wakes the serving thread to stop
  int wakeWrite_;
  int port_;
  std::chrono::milliseconds clientTimeout_;
  std::map<std::string, Handler> routes_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace launch::http
