// AwsCachedCredentialProvider: keeps the credentials of another provider and refreshes them before they expire.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "cloud/AwsCredentials.hpp"
#include "util/Clock.hpp"

namespace launch::cloud {

struct AwsCachedCredentialOptions {
  // Temporary credentials are replaced this long before their expiration, so a signed request never carries
  // credentials that expire in flight (the AWS SDKs use 5 to 15 minutes).
  std::chrono::seconds refreshBeforeExpiry{std::chrono::minutes(5)};
  // Credentials without an expiration are read again after this long (a rotated key in a file is picked up).
  std::chrono::seconds maxAgeWithoutExpiry{std::chrono::minutes(15)};
  // After a failed or unhelpful refresh, still-valid credentials are served without asking again for this long,
  // so an unreachable STS or metadata service is not hammered by every request.
  std::chrono::seconds retryInterval{std::chrono::seconds(30)};
};

// Thread-safe: one caller refreshes while the others keep using the cached credentials if they are still valid,
// or wait for the refresh if they are not. No lock is held while the inner provider works.
class AwsCachedCredentialProvider final : public AwsCredentialProvider {
 public:
  AwsCachedCredentialProvider(std::unique_ptr<AwsCredentialProvider> inner, const Clock& clock,
                              AwsCachedCredentialOptions options = {});
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "cached " + inner_->name(); }

  // Drops the cached credentials, e.g. after AWS answered ExpiredToken; the next call refreshes.
  void invalidate();

 private:
  bool fresh(const AwsCredentials& credentials) const;
  bool valid(const AwsCredentials& credentials) const;

  std::unique_ptr<AwsCredentialProvider> inner_;
  const Clock& clock_;
  AwsCachedCredentialOptions options_;

  std::mutex mutex_;
  std::condition_variable refreshed_;
  bool refreshing_ = false;
  std::optional<AwsCredentials> cached_;
  Clock::TimePoint fetchedAt_{};
  std::optional<Clock::TimePoint> lastAttempt_;
};

}  // namespace launch::cloud
