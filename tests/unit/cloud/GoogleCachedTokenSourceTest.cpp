// Unit tests of the token cache: reuse, refresh before expiry, failure fallback, single flight (table-driven).
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cloud/GoogleCachedTokenSource.hpp"
#include "cloud/GoogleServiceAccountTokenSource.hpp"
#include "fakes/FakeGoogleEndpoints.hpp"
#include "http/HttpClient.hpp"

namespace launch::cloud {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// Issues "token-1", "token-2", ... living `lifetime` from the clock's now, or the errors queued for it.
class ScriptedTokenSource final : public GoogleTokenSource {
 public:
  ScriptedTokenSource(const Clock& clock, Clock::Duration lifetime) : clock_(clock), lifetime_(lifetime) {}

  Result<AccessToken> token() override {
    const int call = ++calls_;
    if (gate_) gate_->wait();
    const std::lock_guard lock(mutex_);
    if (!failures_.empty()) {
      Error error = failures_.front();
      failures_.pop_front();
      return error;
    }
    return AccessToken{"token-" + std::to_string(call), clock_.now() + lifetime_};
  }
  std::string describe() const override { return "scripted"; }

  void failNext(Error error) {
    const std::lock_guard lock(mutex_);
    failures_.push_back(std::move(error));
  }
  void holdUntil(std::shared_future<void> gate) { gate_ = std::move(gate); }
  int calls() const { return calls_; }

 private:
  const Clock& clock_;
  Clock::Duration lifetime_;
  std::atomic<int> calls_{0};
  std::mutex mutex_;
  std::deque<Error> failures_;
  std::optional<std::shared_future<void>> gate_;
};

TEST(GoogleCachedTokenSource, ReusesATokenUntilShortlyBeforeItExpires) {
  struct Step {
    Clock::Duration advance;  // before the call
    std::string token;        // expected answer
  };
  struct Case {
    std::string name;
    Clock::Duration lifetime;
    Clock::Duration refreshBefore;
    std::vector<Step> steps;
  };
  const std::vector<Case> cases = {
      {"one hour, five minutes early",
       minutes(60),
       minutes(5),
       {{{}, "token-1"},
        {minutes(30), "token-1"},
        {minutes(24) + seconds(59), "token-1"},
        {seconds(1), "token-2"},
        {minutes(54), "token-2"},
        {minutes(1), "token-3"}}},
      {"a configurable margin",
       minutes(60),
       minutes(15),
       {{{}, "token-1"}, {minutes(44), "token-1"}, {minutes(1), "token-2"}}},
      {"a token shorter than twice the margin refreshes half-way",
       minutes(4),
       minutes(5),
       {{{}, "token-1"},
        {minutes(1), "token-1"},
        {seconds(59), "token-1"},
        {seconds(1), "token-2"},
        {minutes(1), "token-2"}}},
  };
  for (const auto& c : cases) {
    ManualClock clock;
    auto scripted = std::make_unique<ScriptedTokenSource>(clock, c.lifetime);
    GoogleCachedTokenSource cache(std::move(scripted), clock, c.refreshBefore);
    Clock::Duration elapsed{};
    for (const auto& step : c.steps) {
      clock.advance(step.advance);
      elapsed += step.advance;
      auto token = cache.token();
      ASSERT_TRUE(token.ok()) << c.name;
      EXPECT_EQ(token->token, step.token)
          << c.name << " at " << std::chrono::duration_cast<seconds>(elapsed).count() << "s";
    }
  }
}

TEST(GoogleCachedTokenSource, AFailedRefreshFallsBackToTheStillValidToken) {
  ManualClock clock;
  auto owned = std::make_unique<ScriptedTokenSource>(clock, minutes(60));
  ScriptedTokenSource& scripted = *owned;
  GoogleCachedTokenSource cache(std::move(owned), clock);
  ASSERT_EQ(cache.token()->token, "token-1");

  clock.advance(minutes(56));  // inside the refresh window, not yet expired
  scripted.failNext(makeError(ErrorCode::Unavailable, "token endpoint down"));
  auto fallback = cache.token();
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->token, "token-1");
  EXPECT_EQ(scripted.calls(), 2) << "the refresh must have been tried";

  auto retried = cache.token();  // the next call tries again and succeeds
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->token, "token-3");
}

TEST(GoogleCachedTokenSource, AFailedRefreshAfterExpiryIsAnError) {
  ManualClock clock;
  auto owned = std::make_unique<ScriptedTokenSource>(clock, minutes(60));
  ScriptedTokenSource& scripted = *owned;
  GoogleCachedTokenSource cache(std::move(owned), clock);
  ASSERT_TRUE(cache.token().ok());
  clock.advance(minutes(61));
  scripted.failNext(makeError(ErrorCode::Unauthorized, "key disabled"));
  auto token = cache.token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::Unauthorized);
  EXPECT_EQ(token.error().message, "key disabled");
}

TEST(GoogleCachedTokenSource, InvalidateForcesAFreshToken) {
  ManualClock clock;
  GoogleCachedTokenSource cache(std::make_unique<ScriptedTokenSource>(clock, minutes(60)), clock);
  EXPECT_EQ(cache.token()->token, "token-1");
  EXPECT_EQ(cache.token()->token, "token-1");
  cache.invalidate();
  EXPECT_EQ(cache.token()->token, "token-2");
}

TEST(GoogleCachedTokenSource, ConcurrentCallersShareOneFetch) {
  ManualClock clock;
  auto owned = std::make_unique<ScriptedTokenSource>(clock, minutes(60));
  ScriptedTokenSource& scripted = *owned;
  std::promise<void> release;
  scripted.holdUntil(release.get_future().share());
  GoogleCachedTokenSource cache(std::move(owned), clock);

  std::vector<std::future<std::string>> callers;
  callers.reserve(8);
  for (int i = 0; i < 8; ++i) {
    callers.push_back(std::async(std::launch::async, [&cache] {
      auto token = cache.token();
      return token.ok() ? token->token : token.error().message;
    }));
  }
  while (scripted.calls() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the others reach the wait
  release.set_value();
  for (auto& caller : callers) EXPECT_EQ(caller.get(), "token-1");
  EXPECT_EQ(scripted.calls(), 1);
}

// The cache in front of a service-account source and the verifying fake endpoint: one request per token life.
TEST(GoogleCachedTokenSource, RefreshesAServiceAccountTokenBeforeItExpires) {
  ManualClock clock;
  launch::testing::FakeGoogleTokenEndpoint endpoint(clock);
  endpoint.addServiceAccount("sa@proj.iam.gserviceaccount.com", "key-1", launch::testing::testKeyPair().publicKeyPem);
  endpoint.setExpiresIn(3600);
  endpoint.start();
  http::HttpClient http{http::HttpClientOptions{}};
  GoogleServiceAccountKey key{"sa@proj.iam.gserviceaccount.com", launch::testing::testKeyPair().privateKeyPem, "key-1",
                              endpoint.tokenUri(), "proj"};
  GoogleCachedTokenSource cache(std::make_unique<GoogleServiceAccountTokenSource>(key, "key.json", http, clock), clock);

  for (int i = 0; i < 3; ++i) {
    auto token = cache.token();
    ASSERT_TRUE(token.ok()) << token.error().message;
    EXPECT_EQ(token->token, "ya29.fake-1");
  }
  EXPECT_EQ(endpoint.requests(), 1);

  clock.advance(minutes(56));
  auto refreshed = cache.token();
  ASSERT_TRUE(refreshed.ok()) << refreshed.error().message << " / fake: " << endpoint.lastRejection();
  EXPECT_EQ(refreshed->token, "ya29.fake-2");
  EXPECT_EQ(endpoint.requests(), 2);
  EXPECT_EQ(refreshed->expiry, clock.now() + minutes(60));
}

}  // namespace
}  // namespace launch::cloud
