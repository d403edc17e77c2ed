// CredentialCache: single-flight refresh of expiring registry credentials.
#include "registry/CredentialCache.hpp"

namespace launch::registry {

CredentialCache::CredentialCache(const Clock& clock, Clock::Duration refreshBefore)
    : clock_(clock), refreshBefore_(refreshBefore) {}

Result<RegistryCredentials> CredentialCache::get(const Fetch& fetch) {
  std::unique_lock lock(mutex_);
  refreshed_.wait(lock, [this] { return !refreshing_ || (cached_ && clock_.now() < refreshAt_); });
  const Clock::TimePoint now = clock_.now();
  if (cached_ && now < refreshAt_) return cached_->credentials;

  refreshing_ = true;
  lock.unlock();
  Result<ExpiringCredentials> fetched = fetch();
  lock.lock();
  refreshing_ = false;
  refreshed_.notify_all();

  const Clock::TimePoint after = clock_.now();
  if (!fetched) {
    if (cached_ && after < cached_->expiry) return cached_->credentials;
    return fetched.error();
  }
  if (fetched->expiry <= after) {
    cached_.reset();
    return fetched->credentials;
  }
  const Clock::Duration life = fetched->expiry - after;
  refreshAt_ = life >= 2 * refreshBefore_ ? fetched->expiry - refreshBefore_ : after + life / 2;
  cached_ = std::move(fetched).value();
  return cached_->credentials;
}

void CredentialCache::invalidate() {
  const std::lock_guard lock(mutex_);
  cached_.reset();
}

}  // namespace launch::registry
