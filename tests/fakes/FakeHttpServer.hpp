// FakeHttpServer: a cpp-httplib server on a free loopback port, run on its own thread for one test.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace launch::testing {

class FakeHttpServer {
 public:
  FakeHttpServer() = default;
  ~FakeHttpServer() { stop(); }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  httplib::Server& server() { return server_; }

  // Binds a free port and starts serving; call after registering handlers.
  void start() {
    // Without TCP_NODELAY the header and body writes of a kept-alive response meet the client's delayed ACK
    // (about 40 ms a request); real servers (Go's net/http, the kube-apiserver) set it.
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace launch::testing
