// GoogleCachedTokenSource: a single-flight cache in front of any GoogleTokenSource.
#include "cloud/GoogleCachedTokenSource.hpp"

#include <algorithm>
#include <utility>

namespace launch::cloud {

GoogleCachedTokenSource::GoogleCachedTokenSource(std::unique_ptr<GoogleTokenSource> inner, const Clock& clock,
                                                 Clock::Duration refreshBefore)
    : inner_(std::move(inner)), clock_(clock), refreshBefore_(refreshBefore) {}

Result<AccessToken> GoogleCachedTokenSource::token() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (cached_ && clock_.now() < refreshAt_) return *cached_;
    if (!refreshing_) break;
    refreshed_.wait(lock);  // another caller is fetching; use what it gets
  }
  refreshing_ = true;
  lock.unlock();
  const Clock::TimePoint askedAt = clock_.now();
  auto fresh = inner_->token();
  lock.lock();
  refreshing_ = false;
  refreshed_.notify_all();

  if (fresh) {
    const Clock::Duration lifetime = fresh->expiry - askedAt;
    cached_ = *fresh;
    refreshAt_ = fresh->expiry - std::min(refreshBefore_, lifetime / 2);
    return fresh;
  }
  if (cached_ && clock_.now() < cached_->expiry) return *cached_;
  return fresh;
}

void GoogleCachedTokenSource::invalidate() {
  const std::lock_guard lock(mutex_);
  cached_.reset();
}

}  // namespace launch::cloud
