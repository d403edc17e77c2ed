// CredentialCache: when cached credentials are served, refreshed, kept after a failed refresh, or dropped.
#include "registry/CredentialCache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace launch::registry {
namespace {

class CredentialCacheTest : public ::testing::Test {
 protected:
  CredentialCache::Fetch fetchLiving(Clock::Duration life) {
    return [this, life]() -> Result<ExpiringCredentials> {
      ++fetches_;
      return ExpiringCredentials{{"AWS", "pw-" + std::to_string(fetches_), ""}, clock_.now() + life};
    };
  }

  ManualClock clock_;
  CredentialCache cache_{clock_, std::chrono::minutes(5)};
  int fetches_ = 0;
};

TEST_F(CredentialCacheTest, ServesCachedCredentialsUntilRefreshBeforeExpiry) {
  const auto fetch = fetchLiving(std::chrono::hours(1));
  EXPECT_EQ(cache_.get(fetch)->password, "pw-1");
  clock_.advance(std::chrono::minutes(54));
  EXPECT_EQ(cache_.get(fetch)->password, "pw-1");
  clock_.advance(std::chrono::minutes(2));
  EXPECT_EQ(cache_.get(fetch)->password, "pw-2");
  EXPECT_EQ(fetches_, 2);
}

TEST_F(CredentialCacheTest, ShortLivedCredentialsAreReplacedHalfWayThroughTheirLife) {
  const auto fetch = fetchLiving(std::chrono::minutes(6));
  ASSERT_TRUE(cache_.get(fetch).ok());
  clock_.advance(std::chrono::seconds(179));
  ASSERT_TRUE(cache_.get(fetch).ok());
  EXPECT_EQ(fetches_, 1);
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(cache_.get(fetch).ok());
  EXPECT_EQ(fetches_, 2);
}

TEST_F(CredentialCacheTest, AFailedRefreshServesUnexpiredCredentialsAndThenFails) {
  ASSERT_TRUE(cache_.get(fetchLiving(std::chrono::hours(1))).ok());
  clock_.advance(std::chrono::minutes(57));
  const CredentialCache::Fetch failing = [this]() -> Result<ExpiringCredentials> {
    ++fetches_;
    return makeError(ErrorCode::Unavailable, "ECR is down");
  };
  auto stale = cache_.get(failing);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->password, "pw-1");
  clock_.advance(std::chrono::minutes(4));
  auto expired = cache_.get(failing);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().message, "ECR is down");
}

TEST_F(CredentialCacheTest, InvalidateForcesAFetch) {
  const auto fetch = fetchLiving(std::chrono::hours(1));
  ASSERT_TRUE(cache_.get(fetch).ok());
  cache_.invalidate();
  EXPECT_EQ(cache_.get(fetch)->password, "pw-2");
}

TEST_F(CredentialCacheTest, ConcurrentCallersShareOneFetch) {
  std::atomic<int> fetches{0};
  const CredentialCache::Fetch slow = [&]() -> Result<ExpiringCredentials> {
    ++fetches;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return ExpiringCredentials{{"AWS", "pw", ""}, clock_.now() + std::chrono::hours(1)};
  };
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (cache_.get(slow).ok()) ++ok;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(fetches.load(), 1);
}

}  // namespace
}  // namespace launch::registry
