// ConnectionPool: a short list under one mutex; connections are checked and closed outside it.
#include "http/ConnectionPool.hpp"

#include <vector>

namespace launch::http {

std::unique_ptr<Connection> ConnectionPool::take(const std::string& route) {
  for (;;) {
    std::unique_ptr<Connection> candidate;
    std::vector<std::unique_ptr<Connection>> expired;  // closed after the lock is released
    {
      const std::lock_guard lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      while (!parked_.empty() && now - parked_.front().since > maxIdleTime_) {
        expired.push_back(std::move(parked_.front().connection));
        parked_.pop_front();
      }
      for (auto it = parked_.rbegin(); it != parked_.rend(); ++it) {
        if (it->route == route) {
          candidate = std::move(it->connection);
          parked_.erase(std::next(it).base());
          break;
        }
      }
    }
    if (candidate == nullptr || candidate->reusable()) return candidate;
  }
}

void ConnectionPool::park(const std::string& route, std::unique_ptr<Connection> connection) {
  std::unique_ptr<Connection> evicted;
  const std::lock_guard lock(mutex_);
  parked_.push_back({route, std::move(connection), std::chrono::steady_clock::now()});
  if (parked_.size() > maxIdle_) {
    evicted = std::move(parked_.front().connection);
    parked_.pop_front();
  }
}

size_t ConnectionPool::idle() const {
  const std::lock_guard lock(mutex_);
  return parked_.size();
}

}  // namespace launch::http
