// RetryPolicy: which answers are retried, how long it waits, Retry-After, attempt limits and idempotency.
#include "cloud/RetryPolicy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cloud/AwsTimestamp.hpp"

namespace launch::cloud {
namespace {

using std::chrono::milliseconds;

http::HttpResponse answer(long status, std::string body = {}, http::Headers headers = {}) {
  return http::HttpResponse{status, std::move(headers), std::move(body)};
}

Error transportError(ErrorCode code, std::string reason = {}) {
  Error error = makeError(code, "POST https://api.sagemaker.us-east-1.amazonaws.com/: failed");
  error.reason = std::move(reason);
  return error;
}

TEST(RetryPolicy, ClassifiesAnswers) {
  const struct {
    const char* name;
    Result<http::HttpResponse> outcome;
    RetryReason want;
  } cases[] = {
      {"success", answer(200), RetryReason::None},
      {"HTTP 429", answer(429), RetryReason::Throttled},
      {"JSON ThrottlingException", answer(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})"),
       RetryReason::Throttled},
      {"namespaced __type", answer(400, R"({"__type":"com.amazonaws.sagemaker#ThrottlingException:http://x"})"),
       RetryReason::Throttled},
      {"XML Throttling (STS, EC2)",
       answer(400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code></Error></ErrorResponse>"),
       RetryReason::Throttled},
      {"X-Amzn-ErrorType header", answer(400, "", {{"x-amzn-errortype", "ThrottlingException:http://internal/"}}),
       RetryReason::Throttled},
      {"S3 SlowDown on 503", answer(503, "<Error><Code>SlowDown</Code></Error>"), RetryReason::Throttled},
      {"HTTP 500", answer(500, R"({"__type":"InternalFailure"})"), RetryReason::Transient},
      {"HTTP 502 without a body", answer(502), RetryReason::ServerError},
      {"HTTP 503", answer(503, "<html>busy</html>"), RetryReason::ServerError},
      {"HTTP 504", answer(504), RetryReason::ServerError},
      {"HTTP 501 is final", answer(501), RetryReason::None},
      {"RequestTimeout", answer(400, "<Error><Code>RequestTimeout</Code></Error>"), RetryReason::Transient},
      {"STS IDPCommunicationError", answer(400, "<Error><Code>IDPCommunicationError</Code></Error>"),
       RetryReason::Transient},
      {"expired token", answer(403, R"({"__type":"ExpiredTokenException","message":"expired"})"),
       RetryReason::ExpiredCredentials},
      {"validation is final", answer(400, R"({"__type":"ValidationException","Message":"bad"})"), RetryReason::None},
      {"ResourceLimitExceeded is final", answer(400, R"({"__type":"ResourceLimitExceeded"})"), RetryReason::None},
      {"access denied is final", answer(403, R"({"__type":"AccessDeniedException"})"), RetryReason::None},
      {"not found is final", answer(404), RetryReason::None},
      {"connection refused", transportError(ErrorCode::Unavailable, http::kReasonConnectFailed),
       RetryReason::ConnectionError},
      {"timeout", transportError(ErrorCode::Timeout), RetryReason::ConnectionError},
      {"bad TLS certificate is final", transportError(ErrorCode::Unauthorized), RetryReason::None},
      {"malformed URL is final", transportError(ErrorCode::Invalid), RetryReason::None},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RetryPolicy::classify(c.outcome), c.want)
        << c.name << ": got " << toString(RetryPolicy::classify(c.outcome));
  }
}

TEST(RetryPolicy, ReadsAwsErrorCodes) {
  const struct {
    http::HttpResponse response;
    const char* want;
  } cases[] = {
      {answer(400, R"({"__type":"ValidationException"})"), "ValidationException"},
      {answer(400, R"({"code":"AccessDeniedException","message":"no"})"), "AccessDeniedException"},
      {answer(400, R"({"Code":"X"})"), "X"},
      {answer(400, R"(  {"__type":"aws.protocoltests#Err:extra"})"), "Err"},
      {answer(400, "<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>"),
       "RequestLimitExceeded"},
      {answer(400, R"({"__type":"FromBody"})", {{"X-Amzn-ErrorType", "FromHeader"}}), "FromHeader"},
      {answer(400, "not json"), ""},
      {answer(400, "{broken"), ""},
      {answer(400, ""), ""},
  };
  for (const auto& c : cases) EXPECT_EQ(awsErrorCode(c.response), c.want) << c.response.body;
}

TEST(RetryPolicy, BacksOffExponentiallyWithFullJitterUpToTheCap) {
  ManualClock clock;
  double fraction = 1.0;
  RetryOptions options;
  options.maxAttempts = 10;
  const RetryPolicy policy(options, clock, [&] { return fraction; });

  const struct {
    int attempt;
    Result<http::HttpResponse> outcome;
    double fraction;
    milliseconds want;
  } cases[] = {
      {1, answer(503), 1.0, milliseconds(50)},   // base 50 ms
      {2, answer(503), 1.0, milliseconds(100)},  // doubles
      {3, answer(503), 1.0, milliseconds(200)},
      {3, answer(503), 0.5, milliseconds(100)},  // jitter scales the whole delay
      {3, answer(503), 0.0, milliseconds(0)},
      {1, answer(429), 1.0, milliseconds(1000)},  // throttling starts at 1 s
      {4, answer(429), 1.0, milliseconds(8000)},
      {6, answer(429), 1.0, milliseconds(20000)},  // capped at 20 s
      {9, answer(429), 0.25, milliseconds(5000)},
      {2, transportError(ErrorCode::Timeout), 1.0, milliseconds(100)},
      {1, answer(403, R"({"__type":"ExpiredTokenException"})"), 1.0, milliseconds(0)},  // refresh and go
  };
  for (const auto& c : cases) {
    fraction = c.fraction;
    const auto decision = policy.decide(c.attempt, c.outcome);
    EXPECT_TRUE(decision.retry) << decision.explanation;
    EXPECT_EQ(decision.delay, c.want) << "attempt " << c.attempt << ": " << decision.explanation;
  }
}

TEST(RetryPolicy, JitterIsRandomByDefault) {
  const RetryPolicy policy;
  std::vector<milliseconds> delays;
  delays.reserve(20);
  for (int i = 0; i < 20; ++i) delays.push_back(policy.decide(2, answer(429)).delay);
  for (const auto delay : delays) {
    EXPECT_GE(delay, milliseconds(0));
    EXPECT_LE(delay, milliseconds(2000));
  }
  EXPECT_NE(std::count(delays.begin(), delays.end(), delays.front()), 20) << "20 equal delays: no jitter";
}

TEST(RetryPolicy, HonoursRetryAfter) {
  ManualClock clock;
  const RetryPolicy policy(RetryOptions{}, clock, [] { return 1.0; });
  const auto now = clock.wallNow();
  // An HTTP date 30 s from the manual clock's wall time.
  const std::string amzDate = formatAmzDate(now + std::chrono::seconds(30));  // yyyymmddThhmmssZ
  const std::string httpDate = "Tue, " + amzDate.substr(6, 2) + " Nov " + amzDate.substr(0, 4) + " " +
                               amzDate.substr(9, 2) + ":" + amzDate.substr(11, 2) + ":" + amzDate.substr(13, 2) +
                               " GMT";
  ASSERT_EQ(amzDate.substr(4, 2), "11") << "the manual clock's date moved; fix the month above";

  const struct {
    const char* name;
    http::Headers headers;
    bool retry;
    milliseconds want;
  } cases[] = {
      {"seconds", {{"Retry-After", "7"}}, true, milliseconds(7000)},
      {"zero", {{"retry-after", "0"}}, true, milliseconds(0)},
      {"HTTP date", {{"Retry-After", httpDate}}, true, milliseconds(30000)},
      {"date in the past", {{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}}, true, milliseconds(0)},
      {"too long to wait", {{"Retry-After", "3600"}}, false, milliseconds(0)},
      {"unreadable: ordinary backoff", {{"Retry-After", "soon"}}, true, milliseconds(1000)},
  };
  for (const auto& c : cases) {
    const auto decision = policy.decide(1, answer(429, "", c.headers));
    EXPECT_EQ(decision.retry, c.retry) << c.name << ": " << decision.explanation;
    EXPECT_EQ(decision.delay, c.want) << c.name << ": " << decision.explanation;
  }
  EXPECT_EQ(policy.decide(1, answer(503, "", {{"Retry-After", "2"}})).delay, milliseconds(2000));
}

TEST(RetryPolicy, StopsAtTheAttemptLimitAndOnFinalErrors) {
  const RetryPolicy policy(RetryOptions{}, SystemClock::instance(), [] { return 0.5; });
  EXPECT_TRUE(policy.decide(1, answer(503)).retry);
  EXPECT_TRUE(policy.decide(2, answer(503)).retry);
  const auto exhausted = policy.decide(3, answer(503));
  EXPECT_FALSE(exhausted.retry);
  EXPECT_EQ(exhausted.reason, RetryReason::ServerError);
  EXPECT_NE(exhausted.explanation.find("after 3 attempts"), std::string::npos) << exhausted.explanation;

  const auto final = policy.decide(1, answer(400, R"({"__type":"ValidationException"})"));
  EXPECT_FALSE(final.retry);
  EXPECT_EQ(final.reason, RetryReason::None);
  EXPECT_FALSE(policy.decide(1, answer(200)).retry);
}

TEST(RetryPolicy, RetriesNonIdempotentCallsOnlyWhenTheServerDidNotAct) {
  const RetryPolicy policy(RetryOptions{}, SystemClock::instance(), [] { return 0.5; });
  const struct {
    const char* name;
    Result<http::HttpResponse> outcome;
    bool retry;
  } cases[] = {
      {"throttled", answer(429), true},
      {"never connected", transportError(ErrorCode::Unavailable, http::kReasonConnectFailed), true},
      {"timed out (may have been processed)", transportError(ErrorCode::Timeout), false},
      {"connection dropped mid-request", transportError(ErrorCode::Unavailable), false},
      {"server error", answer(500), false},
      {"bad gateway", answer(502), false},
  };
  for (const auto& c : cases) {
    const auto decision = policy.decide(1, c.outcome, /*idempotent=*/false);
    EXPECT_EQ(decision.retry, c.retry) << c.name << ": " << decision.explanation;
    // The same outcomes are all retried for an idempotent call.
    EXPECT_TRUE(policy.decide(1, c.outcome).retry) << c.name;
  }
}

}  // namespace
}  // namespace launch::cloud
