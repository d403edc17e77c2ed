// CredentialCache: keeps fetched registry credentials until shortly before they expire, fetching one at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

#include "registry/RegistryCredentials.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::registry {

struct ExpiringCredentials {
  RegistryCredentials credentials;
  Clock::TimePoint expiry{};  // on the cache's monotonic clock
};

class CredentialCache {
 public:
  using Fetch = std::function<Result<ExpiringCredentials>()>;

  // refreshBefore: how long before expiry credentials are replaced. Credentials that live less than twice
  // that are replaced half-way through their life instead, so short-lived ones are not fetched every call.
  CredentialCache(const Clock& clock, Clock::Duration refreshBefore);

  // The cached credentials while fresh; otherwise one caller runs `fetch` (with no lock held) while the
  // others wait for its result. A failed refresh still serves cached credentials that have not expired.
  // Credentials that arrive already expired (a skewed clock) are returned but not kept.
  Result<RegistryCredentials> get(const Fetch& fetch);

  // Drops the cached credentials, e.g. after the registry rejected them.
  void invalidate();

 private:
  const Clock& clock_;
  const Clock::Duration refreshBefore_;

  std::mutex mutex_;
  std::condition_variable refreshed_;
  bool refreshing_ = false;
  std::optional<ExpiringCredentials> cached_;
  Clock::TimePoint refreshAt_{};
};

}  // namespace launch::registry
