// RetryPolicy: whether and when to retry a cloud API call, from its HTTP answer or transport error.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http/HttpClient.hpp"
#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::cloud {

struct RetryOptions {
  int maxAttempts = 3;  // in all, the first included (botocore's "standard" mode)
  // Capped exponential backoff with full jitter: random(0, 1) * min(base * 2^(attempt - 1), maxDelay).
  std::chrono::milliseconds baseDelay{50};
  std::chrono::milliseconds throttledBaseDelay{1000};  // throttling backs off harder
  std::chrono::milliseconds maxDelay{20000};
  // A Retry-After longer than this is not waited for: the caller gets the error now.
  std::chrono::milliseconds maxRetryAfter{60000};
};

enum class RetryReason {
  None,                // success, or an error a retry cannot fix (validation, permissions, not found)
  Throttled,           // HTTP 429 or a throttling error code
  ServerError,         // HTTP 500, 502, 503, 504, 509
  Transient,           // a transient error code (RequestTimeout, PriorRequestNotComplete, ...)
  ConnectionError,     // the request never got an answer
  ExpiredCredentials,  // ExpiredToken and kin: refresh the credentials, then retry at once
};

const char* toString(RetryReason reason);

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};
  RetryReason reason = RetryReason::None;
  std::string explanation;  // for logs: why retrying or why not
};

class RetryPolicy {
 public:
  using Random = std::function<double()>;  // uniform in [0, 1)

  explicit RetryPolicy(RetryOptions options = {}, const Clock& clock = SystemClock::instance(), Random random = {});

  // Decides after attempt number `attempt` (1 for the first) ended with `outcome`. A call that is not
  // idempotent (Vertex CreateCustomJob, SageMaker Create* without a client token) is retried only when the
  // server surely did not act on it: throttled, or the connection was never made.
  RetryDecision decide(int attempt, const Result<http::HttpResponse>& outcome, bool idempotent = true) const;

  // Why an answer failed, or None for a success or a failure retries cannot fix.
  static RetryReason classify(const Result<http::HttpResponse>& outcome);

  const RetryOptions& options() const { return options_; }

 private:
  std::chrono::milliseconds backoff(int attempt, RetryReason reason) const;

  RetryOptions options_;
  const Clock& clock_;
  Random random_;
};

// The AWS error code of a failed answer: from the X-Amzn-ErrorType header, a JSON "__type"/"code"/"Code" (with
// any "namespace#" prefix and ":suffix" dropped) or an XML <Code>. Empty when there is none.
std::string awsErrorCode(const http::HttpResponse& response);

// The delay a Retry-After header asks for (delta-seconds or an HTTP date); nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> retryAfter(const http::HttpResponse& response,
                                                    std::chrono::system_clock::time_point now);

}  // namespace launch::cloud
