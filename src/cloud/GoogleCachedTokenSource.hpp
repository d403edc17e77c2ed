// GoogleCachedTokenSource: hands out one access token until shortly before it expires, then fetches the next.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cloud/GoogleTokenSource.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

class GoogleCachedTokenSource final : public GoogleTokenSource {
 public:
  // refreshBefore: how long before expiry a token is replaced. A token that lives less than twice that is
  // replaced half-way through its life instead, so short-lived tokens are not fetched on every call.
  GoogleCachedTokenSource(std::unique_ptr<GoogleTokenSource> inner, const Clock& clock,
                          Clock::Duration refreshBefore = std::chrono::minutes(5));

  // The cached token while it is fresh; otherwise one caller fetches while the others wait for it (no lock
  // is held during the fetch). When a refresh fails but the cached token has not yet expired, that token is
  // returned and the next call tries again.
  Result<AccessToken> token() override;
  std::string describe() const override { return inner_->describe(); }

  // Drops the cached token, e.g. after an API answered 401 to it.
  void invalidate();

 private:
  std::unique_ptr<GoogleTokenSource> inner_;
  const Clock& clock_;
  const Clock::Duration refreshBefore_;

  std::mutex mutex_;
  std::condition_variable refreshed_;
  bool refreshing_ = false;
  std::optional<AccessToken> cached_;
  Clock::TimePoint refreshAt_{};
};

}  // namespace launch::cloud
