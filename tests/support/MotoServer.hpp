// MotoServer: runs the real moto_server (AWS API emulator, on PATH) on a free loopback port for one test
// binary, and stops it (its whole process group) when destroyed.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/FreePort.hpp"
#include "util/Result.hpp"

namespace launch::testing {

class MotoServer {
 public:
  MotoServer() = default;
  ~MotoServer() { stop(); }
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  // Starts moto_server and waits until it accepts connections (it takes a few seconds to import).
  Status start(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    port_ = freeLoopbackPort();
    if (port_ == 0) return makeError(ErrorCode::Unavailable, "no free loopback port for moto_server");
    const std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ < 0) return makeError(ErrorCode::Unavailable, "fork failed for moto_server");
    if (pid_ == 0) {
      setsid();  // its own process group, so stop() reaches any child it starts
      // Its request log would drown the test output.
      const int devNull = open("/dev/null", O_WRONLY);
      if (devNull >= 0) {
        dup2(devNull, STDOUT_FILENO);
        dup2(devNull, STDERR_FILENO);
      }
      execlp("moto_server", "moto_server", "-H", "127.0.0.1", "-p", port.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return makeError(ErrorCode::Unavailable, "moto_server exited before it listened (exit status " +
                                                     std::to_string(status) + "); is moto installed and on PATH?");
      }
      if (accepts()) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stop();
    return makeError(ErrorCode::Timeout, "moto_server did not listen on 127.0.0.1:" + port + " in time");
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  bool accepts() const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port_));
    const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    return connected;
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace launch::testing
