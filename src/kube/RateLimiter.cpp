// RateLimiter implementations: per-key exponential backoff, a global token bucket, and their maximum.
#include "kube/RateLimiter.hpp"

#include <algorithm>

namespace launch::kube {

ItemExponentialRateLimiter::ItemExponentialRateLimiter(Duration base, Duration cap) : base_(base), cap_(cap) {}

RateLimiter::Duration ItemExponentialRateLimiter::when(const std::string& key) {
  int exponent = 0;
  {
    const std::lock_guard lock(mutex_);
    exponent = failures_[key]++;
  }
  // Doubling in integers until the cap avoids both overflow and floating-point rounding of the delay.
  auto delay = base_;
  for (int i = 0; i < exponent && delay > Duration::zero() && delay < cap_; ++i) {
    if (delay > cap_ / 2) return cap_;
    delay *= 2;
  }
  return std::min(delay, cap_);
}

void ItemExponentialRateLimiter::forget(const std::string& key) {
  const std::lock_guard lock(mutex_);
  failures_.erase(key);
}

int ItemExponentialRateLimiter::retries(const std::string& key) const {
  const std::lock_guard lock(mutex_);
  const auto found = failures_.find(key);
  return found == failures_.end() ? 0 : found->second;
}

BucketRateLimiter::BucketRateLimiter(double qps, int burst, const Clock& clock)
    : qps_(qps > 0 ? qps : 1e-9), burst_(burst > 0 ? burst : 1), clock_(clock), tokens_(burst_), last_(clock.now()) {}

RateLimiter::Duration BucketRateLimiter::when(const std::string& /*key*/) {
  const std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    last_ = now;
  }
  // Take the token now even when it is not there yet: the caller waits until the bucket has refilled to it,
  // so a later caller queues behind this one.
  tokens_ -= 1;
  if (tokens_ >= 0) return Duration::zero();
  return std::chrono::round<Duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

void BucketRateLimiter::forget(const std::string& /*key*/) {}

int BucketRateLimiter::retries(const std::string& /*key*/) const { return 0; }

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

RateLimiter::Duration MaxOfRateLimiter::when(const std::string& key) {
  auto longest = Duration::zero();
  for (const auto& limiter : limiters_) longest = std::max(longest, limiter->when(key));
  return longest;
}

void MaxOfRateLimiter::forget(const std::string& key) {
  for (const auto& limiter : limiters_) limiter->forget(key);
}

int MaxOfRateLimiter::retries(const std::string& key) const {
  int most = 0;
  for (const auto& limiter : limiters_) most = std::max(most, limiter->retries(key));
  return most;
}

std::unique_ptr<RateLimiter> defaultControllerRateLimiter(const Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(
      std::make_unique<ItemExponentialRateLimiter>(std::chrono::milliseconds(5), std::chrono::seconds(1000)));
  limiters.push_back(std::make_unique<BucketRateLimiter>(10.0, 100, clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

}  // namespace launch::kube
