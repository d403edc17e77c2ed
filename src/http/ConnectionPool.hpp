// ConnectionPool: idle kept-alive connections of one client, by route, bounded in number and idle time.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "http/Connection.hpp"

namespace launch::http {

class ConnectionPool {
 public:
  explicit ConnectionPool(size_t maxIdle = 16, std::chrono::seconds maxIdleTime = std::chrono::seconds(90))
      : maxIdle_(maxIdle), maxIdleTime_(maxIdleTime) {}

  // The most recently parked connection for `route` that still looks usable, or null. Connections found
  // closed by their peer or idle too long are dropped on the way.
  std::unique_ptr<Connection> take(const std::string& route);
  // Parks a connection that finished a request and may carry another; the oldest goes beyond the bound.
  void park(const std::string& route, std::unique_ptr<Connection> connection);

  size_t idle() const;

 private:
  struct Parked {
    std::string route;
    std::unique_ptr<Connection> connection;
    std::chrono::steady_clock::time_point since;
  };

  const size_t maxIdle_;
  const std::chrono::seconds maxIdleTime_;
  mutable std::mutex mutex_;
  std::deque<Parked> parked_;  // oldest first
};

}  // namespace launch::http
