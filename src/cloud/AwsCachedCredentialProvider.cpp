// Refresh-ahead caching of credentials, with one refresh at a time and no lock held during it.
#include "cloud/AwsCachedCredentialProvider.hpp"

#include <utility>

namespace launch::cloud {

AwsCachedCredentialProvider::AwsCachedCredentialProvider(std::unique_ptr<AwsCredentialProvider> inner,
                                                         const Clock& clock, AwsCachedCredentialOptions options)
    : inner_(std::move(inner)), clock_(clock), options_(options) {}

bool AwsCachedCredentialProvider::fresh(const AwsCredentials& credentials) const {
  if (credentials.expiration) return clock_.wallNow() + options_.refreshBeforeExpiry < *credentials.expiration;
  return clock_.now() < fetchedAt_ + options_.maxAgeWithoutExpiry;
}

bool AwsCachedCredentialProvider::valid(const AwsCredentials& credentials) const {
  return !credentials.expiration || clock_.wallNow() < *credentials.expiration;
}

void AwsCachedCredentialProvider::invalidate() {
  const std::lock_guard lock(mutex_);
  cached_.reset();
  lastAttempt_.reset();
}

Result<AwsCredentials> AwsCachedCredentialProvider::credentials() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (cached_ && fresh(*cached_)) return *cached_;
    const bool usable = cached_ && valid(*cached_);
    if (usable && lastAttempt_ && clock_.now() < *lastAttempt_ + options_.retryInterval) return *cached_;
    if (!refreshing_) break;
    if (usable) return *cached_;  // someone else is refreshing; these still work meanwhile
    refreshed_.wait(lock);
  }

  refreshing_ = true;
  lock.unlock();
  auto result = inner_->credentials();
  lock.lock();
  refreshing_ = false;
  lastAttempt_ = clock_.now();
  refreshed_.notify_all();

  if (result) {
    cached_ = *result;
    fetchedAt_ = clock_.now();
    return result;
  }
  if (cached_ && valid(*cached_)) return *cached_;  // a failed refresh does not take working credentials away
  return result;
}

}  // namespace launch::cloud
