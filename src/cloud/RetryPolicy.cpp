// Retry decisions for AWS and other cloud APIs: error classification, jittered backoff and Retry-After.
#include "cloud/RetryPolicy.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <utility>

namespace launch::cloud {

namespace {

// botocore's standard retry mode (botocore/retries/standard.py), plus STS's IDPCommunicationError.
constexpr std::array<std::string_view, 14> kThrottlingCodes = {"Throttling",
                                                               "ThrottlingException",
                                                               "ThrottledException",
                                                               "RequestThrottledException",
                                                               "TooManyRequestsException",
                                                               "ProvisionedThroughputExceededException",
                                                               "TransactionInProgressException",
                                                               "RequestLimitExceeded",
                                                               "BandwidthLimitExceeded",
                                                               "LimitExceededException",
                                                               "RequestThrottled",
                                                               "SlowDown",
                                                               "PriorRequestNotComplete",
                                                               "EC2ThrottledException"};
constexpr std::array<std::string_view, 6> kTransientCodes = {"RequestTimeout",     "RequestTimeoutException",
                                                             "InternalError",      "InternalFailure",
                                                             "ServiceUnavailable", "IDPCommunicationError"};
// Temporary credentials that ran out: the caller refreshes them (invalidating its cache) and retries at once.
constexpr std::array<std::string_view, 3> kExpiredCredentialCodes = {"ExpiredToken", "ExpiredTokenException",
                                                                     "TokenRefreshRequired"};

template <size_t N>
bool oneOf(const std::array<std::string_view, N>& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// "com.amazonaws.sagemaker#ThrottlingException:http://..." -> "ThrottlingException".
std::string bareCode(std::string_view code) {
  if (const size_t hash = code.rfind('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  if (const size_t colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  while (!code.empty() && code.back() == ' ') code.remove_suffix(1);
  while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
  return std::string(code);
}

std::optional<int> monthIndex(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto it = std::find(kMonths.begin(), kMonths.end(), name);
  if (it == kMonths.end()) return std::nullopt;
  return static_cast<int>(it - kMonths.begin()) + 1;
}

std::optional<int> number(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> parseHttpDate(std::string_view text) {
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") return std::nullopt;
  const auto day = number(text.substr(5, 2));
  const auto month = monthIndex(text.substr(8, 3));
  const auto year = number(text.substr(12, 4));
  const auto hour = number(text.substr(17, 2));
  const auto minute = number(text.substr(20, 2));
  const auto second = number(text.substr(23, 2));
  if (!day || !month || !year || !hour || !minute || !second || text[16] != ' ' || text[19] != ':' || text[22] != ':') {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                            std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_days{date} + hours{*hour} + minutes{*minute} + seconds{*second});
}

double defaultRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

const char* toString(RetryReason reason) {
  switch (reason) {
    case RetryReason::None:
      return "none";
    case RetryReason::Throttled:
      return "throttled";
    case RetryReason::ServerError:
      return "server error";
    case RetryReason::Transient:
      return "transient error";
    case RetryReason::ConnectionError:
      return "connection error";
    case RetryReason::ExpiredCredentials:
      return "expired credentials";
  }
  return "unknown";
}

std::string awsErrorCode(const http::HttpResponse& response) {
  if (const auto header = response.header("X-Amzn-ErrorType"); header && !bareCode(*header).empty()) {
    return bareCode(*header);
  }
  const std::string_view body = response.body;
  const size_t start = body.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && body[start] == '{') {
    const auto document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (document.is_object()) {
      for (const char* key : {"__type", "code", "Code"}) {
        const auto it = document.find(key);
        if (it != document.end() && it->is_string()) return bareCode(it->get<std::string>());
      }
    }
    return {};
  }
  const size_t open = body.find("<Code>");
  if (open == std::string_view::npos) return {};
  const size_t close = body.find("</Code>", open);
  if (close == std::string_view::npos) return {};
  return bareCode(body.substr(open + 6, close - open - 6));
}

std::optional<std::chrono::milliseconds> retryAfter(const http::HttpResponse& response,
                                                    std::chrono::system_clock::time_point now) {
  const auto header = response.header("Retry-After");
  if (!header) return std::nullopt;
  std::string_view value = *header;
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (const auto seconds = number(value)) return std::chrono::milliseconds(int64_t{*seconds} * 1000);
  if (const auto date = parseHttpDate(value)) {
    return std::max(std::chrono::milliseconds{0}, std::chrono::duration_cast<std::chrono::milliseconds>(*date - now));
  }
  return std::nullopt;
}

RetryPolicy::RetryPolicy(RetryOptions options, const Clock& clock, Random random)
    : options_(options), clock_(clock), random_(random ? std::move(random) : Random(defaultRandom)) {}

RetryReason RetryPolicy::classify(const Result<http::HttpResponse>& outcome) {
  if (!outcome) {
    const ErrorCode code = outcome.error().code;
    return code == ErrorCode::Unavailable || code == ErrorCode::Timeout ? RetryReason::ConnectionError
                                                                        : RetryReason::None;
  }
  const long status = outcome->status;
  if (status >= 200 && status < 400) return RetryReason::None;
  const std::string code = awsErrorCode(*outcome);
  if (status == 429 || oneOf(kThrottlingCodes, code)) return RetryReason::Throttled;
  if (oneOf(kExpiredCredentialCodes, code)) return RetryReason::ExpiredCredentials;
  if (oneOf(kTransientCodes, code)) return RetryReason::Transient;
  if (status == 500 || status == 502 || status == 503 || status == 504 || status == 509) {
    return RetryReason::ServerError;
  }
  return RetryReason::None;
}

std::chrono::milliseconds RetryPolicy::backoff(int attempt, RetryReason reason) const {
  const auto base = reason == RetryReason::Throttled ? options_.throttledBaseDelay : options_.baseDelay;
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const double ceiling = std::min(static_cast<double>(base.count()) * static_cast<double>(int64_t{1} << doublings),
                                  static_cast<double>(options_.maxDelay.count()));
  const double fraction = std::clamp(random_(), 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(fraction * ceiling));
}

RetryDecision RetryPolicy::decide(int attempt, const Result<http::HttpResponse>& outcome, bool idempotent) const {
  RetryDecision decision;
  decision.reason = classify(outcome);
  if (decision.reason == RetryReason::None) {
    decision.explanation = outcome ? "HTTP " + std::to_string(outcome->status) + " is final" : "the error is final";
    return decision;
  }
  const bool connectFailed = !outcome && outcome.error().reason == http::kReasonConnectFailed;
  if (!idempotent && decision.reason != RetryReason::Throttled && !connectFailed) {
    decision.explanation =
        std::string(toString(decision.reason)) + ", but the call is not idempotent and the server may have acted on it";
    return decision;
  }
  if (attempt >= options_.maxAttempts) {
    decision.explanation =
        std::string(toString(decision.reason)) + " after " + std::to_string(attempt) + " attempts, the most allowed";
    return decision;
  }

  decision.retry = true;
  decision.delay = decision.reason == RetryReason::ExpiredCredentials ? std::chrono::milliseconds{0}
                                                                      : backoff(attempt, decision.reason);
  if (outcome) {
    if (const auto asked = retryAfter(*outcome, clock_.wallNow())) {
      if (*asked > options_.maxRetryAfter) {
        decision.retry = false;
        decision.delay = std::chrono::milliseconds{0};
        decision.explanation = std::string(toString(decision.reason)) + " and the server asked to wait " +
                               std::to_string(asked->count() / 1000) + " s, longer than the " +
                               std::to_string(options_.maxRetryAfter.count() / 1000) + " s allowed";
        return decision;
      }
      decision.delay = *asked;
    }
  }
  decision.explanation = std::string(toString(decision.reason)) + ": retry " + std::to_string(attempt + 1) + " of " +
                         std::to_string(options_.maxAttempts) + " in " + std::to_string(decision.delay.count()) + " ms";
  return decision;
}

}  // namespace launch::cloud
