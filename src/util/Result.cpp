// Names and descriptions of the error values shared by every layer.
#include "util/Result.hpp"

namespace launch {

const char* toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::Invalid:
      return "Invalid";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::AlreadyExists:
      return "AlreadyExists";
    case ErrorCode::Conflict:
      return "Conflict";
    case ErrorCode::Unauthorized:
      return "Unauthorized";
    case ErrorCode::Forbidden:
      return "Forbidden";
    case ErrorCode::Gone:
      return "Gone";
    case ErrorCode::TooManyRequests:
      return "TooManyRequests";
    case ErrorCode::Unavailable:
      return "Unavailable";
    case ErrorCode::Timeout:
      return "Timeout";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "Unknown";
}

std::string Error::describe() const {
  std::string out = toString(code);
  if (httpStatus != 0) out += " (HTTP " + std::to_string(httpStatus) + ")";
  out += ": " + message;
  return out;
}

Error makeError(ErrorCode code, std::string message) { return Error{code, std::move(message), 0, {}}; }

}  // namespace launch
