// RateLimiter: how long a work-queue key waits before its next retry (per-key backoff, a global token bucket).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/Clock.hpp"

namespace launch::kube {

// Decides the delay before a failed key is retried. Implementations are thread-safe.
class RateLimiter {
 public:
  using Duration = Clock::Duration;
  virtual ~RateLimiter() = default;
  // Records one more retry of `key` and returns how long it should wait before being processed again.
  virtual Duration when(const std::string& key) = 0;
  // The key succeeded: its failure history is dropped.
  virtual void forget(const std::string& key) = 0;
  // How many retries of `key` were recorded since it was last forgotten.
  virtual int retries(const std::string& key) const = 0;
};

// Per-key exponential backoff: base * 2^failures, capped. The first retry waits `base`.
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  explicit ItemExponentialRateLimiter(Duration base = std::chrono::milliseconds(5),
                                      Duration cap = std::chrono::seconds(1000));
  Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int retries(const std::string& key) const override;

 private:
  Duration base_;
  Duration cap_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, int> failures_;
};

// One token bucket shared by all keys: `qps` tokens a second, holding at most `burst`. Each when() takes a
// token; once the bucket is empty the delay grows by 1/qps per call. It keeps no per-key state.
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, const Clock& clock = SystemClock::instance());
  Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int retries(const std::string& key) const override;

 private:
  double qps_;
  double burst_;
  const Clock& clock_;
  std::mutex mutex_;
  double tokens_;
  Clock::TimePoint last_;
};

// The longest delay of several limiters; every limiter records every retry.
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int retries(const std::string& key) const override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// What controllers use (client-go's DefaultControllerRateLimiter): the max of per-key backoff 5 ms..1000 s
// and a global bucket of 10 qps with a burst of 100.
std::unique_ptr<RateLimiter> defaultControllerRateLimiter(const Clock& clock = SystemClock::instance());

}  // namespace launch::kube
