// Result<T>: a value or an Error, the way errors cross layer boundaries.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace launch {

enum class ErrorCode {
  Invalid,        // the caller's input is wrong; the message names the field and the fix
  NotFound,       // the object does not exist
  AlreadyExists,  // a create found the object already there
  Conflict,       // an update lost a race (stale resourceVersion)
  Unauthorized,   // credentials missing or rejected
  Forbidden,      // credentials valid but not allowed
  Gone,           // a resourceVersion too old to resume from (HTTP 410)
  TooManyRequests,
  Unavailable,  // the peer could not be reached or answered 5xx
  Timeout,      // the peer did not answer in time
  Internal,     // a bug or an unexpected answer
};

const char* toString(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  int httpStatus = 0;  // 0 when the error did not come from an HTTP answer
  std::string reason;  // the peer's machine-readable reason, when it gave one

  std::string describe() const;
};

Error makeError(ErrorCode code, std::string message);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<0>(checked()); }
  T& value() & { return std::get<0>(checked()); }
  T&& value() && { return std::get<0>(std::move(checked())); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const {
    if (ok()) throw std::logic_error("Result::error() called on a value");
    return std::get<1>(state_);
  }

 private:
  const std::variant<T, Error>& checked() const {
    if (!ok()) throw std::logic_error("Result::value() called on an error: " + std::get<1>(state_).describe());
    return state_;
  }
  std::variant<T, Error>& checked() {
    if (!ok()) throw std::logic_error("Result::value() called on an error: " + std::get<1>(state_).describe());
    return state_;
  }

  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    if (ok()) throw std::logic_error("Result::error() called on success");
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace launch
