// Unit tests of the work-queue rate limiters: exponential backoff, the token bucket and their maximum.
#include <gtest/gtest.h>

#include <chrono>

#include "kube/RateLimiter.hpp"

namespace launch::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Duration = RateLimiter::Duration;

struct BackoffCase {
  int failures;  // this is the n-th when() for the key
  Duration expected;
};

void PrintTo(const BackoffCase& c, std::ostream* os) { *os << "failure " << c.failures; }

class ExponentialBackoff : public ::testing::TestWithParam<BackoffCase> {};
TEST_P(ExponentialBackoff, DoublesFromFiveMillisecondsUpToTheCap) {
  ItemExponentialRateLimiter limiter;
  Duration delay{};
  for (int i = 0; i < GetParam().failures; ++i) delay = limiter.when("ns/a");
  EXPECT_EQ(delay, GetParam().expected);
  EXPECT_EQ(limiter.retries("ns/a"), GetParam().failures);
}
INSTANTIATE_TEST_SUITE_P(Default, ExponentialBackoff,
                         ::testing::Values(BackoffCase{1, milliseconds(5)}, BackoffCase{2, milliseconds(10)},
                                           BackoffCase{3, milliseconds(20)}, BackoffCase{4, milliseconds(40)},
                                           BackoffCase{11, milliseconds(5120)}, BackoffCase{18, milliseconds(655360)},
                                           BackoffCase{19, seconds(1000)}, BackoffCase{64, seconds(1000)},
                                           BackoffCase{300, seconds(1000)}));

TEST(ItemExponentialRateLimiter, ForgetResetsOneKeyOnly) {
  ItemExponentialRateLimiter limiter;
  EXPECT_EQ(limiter.when("a"), milliseconds(5));
  EXPECT_EQ(limiter.when("a"), milliseconds(10));
  EXPECT_EQ(limiter.when("b"), milliseconds(5));
  limiter.forget("a");
  EXPECT_EQ(limiter.retries("a"), 0);
  EXPECT_EQ(limiter.retries("b"), 1);
  EXPECT_EQ(limiter.when("a"), milliseconds(5));
  EXPECT_EQ(limiter.when("b"), milliseconds(10));
  limiter.forget("never-seen");
  EXPECT_EQ(limiter.retries("never-seen"), 0);
}

TEST(ItemExponentialRateLimiter, CustomBaseAndCap) {
  ItemExponentialRateLimiter limiter(milliseconds(1), seconds(1));
  std::vector<Duration> delays;
  delays.reserve(12);
  for (int i = 0; i < 12; ++i) delays.push_back(limiter.when("k"));
  EXPECT_EQ(delays, (std::vector<Duration>{milliseconds(1), milliseconds(2), milliseconds(4), milliseconds(8),
                                           milliseconds(16), milliseconds(32), milliseconds(64), milliseconds(128),
                                           milliseconds(256), milliseconds(512), seconds(1), seconds(1)}));
}

TEST(BucketRateLimiter, BurstThenOneTokenPerTenthOfASecond) {
  ManualClock clock;
  BucketRateLimiter limiter(10, 100, clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.when("k" + std::to_string(i)), Duration::zero()) << i;
  EXPECT_EQ(limiter.when("x"), milliseconds(100));
  EXPECT_EQ(limiter.when("x"), milliseconds(200));
  EXPECT_EQ(limiter.retries("x"), 0);  // the bucket keeps no per-key state

  // One second refills ten tokens, two of which pay the debt above.
  clock.advance(seconds(1));
  for (int i = 0; i < 8; ++i) ASSERT_EQ(limiter.when("y"), Duration::zero()) << i;
  EXPECT_EQ(limiter.when("y"), milliseconds(100));

  // An idle hour refills only up to the burst.
  clock.advance(std::chrono::hours(1));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.when("z"), Duration::zero()) << i;
  EXPECT_EQ(limiter.when("z"), milliseconds(100));
}

TEST(BucketRateLimiter, OtherRates) {
  ManualClock clock;
  BucketRateLimiter limiter(2, 1, clock);
  EXPECT_EQ(limiter.when("a"), Duration::zero());
  EXPECT_EQ(limiter.when("a"), milliseconds(500));
  EXPECT_EQ(limiter.when("a"), milliseconds(1000));
  clock.advance(milliseconds(250));
  EXPECT_EQ(limiter.when("a"), milliseconds(1250));
}

TEST(DefaultControllerRateLimiter, PerKeyBackoffUntilTheBucketRunsDry) {
  ManualClock clock;
  auto limiter = defaultControllerRateLimiter(clock);
  EXPECT_EQ(limiter->when("a"), milliseconds(5));
  EXPECT_EQ(limiter->when("a"), milliseconds(10));
  EXPECT_EQ(limiter->when("a"), milliseconds(20));
  EXPECT_EQ(limiter->retries("a"), 3);
  limiter->forget("a");
  EXPECT_EQ(limiter->retries("a"), 0);
  EXPECT_EQ(limiter->when("a"), milliseconds(5));
  // Four tokens are gone; 96 more distinct keys empty the bucket, and then the bucket's delay is the larger.
  for (int i = 0; i < 96; ++i) ASSERT_EQ(limiter->when("k" + std::to_string(i)), milliseconds(5)) << i;
  EXPECT_EQ(limiter->when("late"), milliseconds(100));
  EXPECT_EQ(limiter->when("later"), milliseconds(200));
}

TEST(MaxOfRateLimiter, TakesTheLongestAndForgetsEverywhere) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialRateLimiter>(milliseconds(1), seconds(10)));
  limiters.push_back(std::make_unique<ItemExponentialRateLimiter>(milliseconds(3), milliseconds(5)));
  MaxOfRateLimiter limiter(std::move(limiters));
  EXPECT_EQ(limiter.when("k"), milliseconds(3));  // max(1, 3)
  EXPECT_EQ(limiter.when("k"), milliseconds(5));  // max(2, 5 capped)
  EXPECT_EQ(limiter.when("k"), milliseconds(5));  // max(4, 5)
  EXPECT_EQ(limiter.when("k"), milliseconds(8));  // max(8, 5)
  EXPECT_EQ(limiter.retries("k"), 4);
  limiter.forget("k");
  EXPECT_EQ(limiter.retries("k"), 0);
  EXPECT_EQ(limiter.when("k"), milliseconds(3));
}

}  // namespace
}  // namespace launch::kube
