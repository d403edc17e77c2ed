// Exchange: one HTTP/1.1 request and its response over one connection, within the request's limits.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "http/Connection.hpp"
#include "http/HttpClient.hpp"
#include "http/ResponseHead.hpp"
#include "util/Result.hpp"

namespace launch::http {

class Exchange {
 public:
  struct Limits {
    Deadline deadline = kNoDeadline;       // the whole request's
    std::chrono::milliseconds timeout{0};  // the request's timeout, for messages
    const StopCondition* shouldStop = nullptr;
    long lowSpeedBytes = 0;  // fewer bytes than this moved in lowSpeedWindow is an error
    std::chrono::seconds lowSpeedWindow{0};
  };

  Exchange(Connection& connection, const Limits& limits);

  // Sends a request head and its body.
  Status send(std::string_view head, std::string_view body);
  // Reads the next final response head, skipping interim (1xx) ones.
  Result<ResponseHead> readHead();
  // Reads a body framed so, handing its bytes to onData, which returns false to stop. Returns the trailers
  // of a chunked body.
  Result<Headers> readBody(const BodyFraming& framing, const std::function<bool(std::string_view)>& onData);

  // The stop condition or onData ended the exchange (the error returned then is not a failure).
  bool stopped() const { return stopped_; }
  // Whether any byte of a response arrived.
  bool receivedAny() const { return receivedAny_; }
  // The response was read to its end and nothing follows it, so the connection may carry another request.
  bool endedCleanly() const { return endedCleanly_; }

 private:
  Deadline nextWake() const;
  Status checkpoint();
  Result<size_t> receive(char* data, size_t size);
  Status stop();

  Connection& connection_;
  Limits limits_;
  std::chrono::steady_clock::time_point nextStopPoll_;
  std::chrono::steady_clock::time_point windowEnd_;
  long windowBytes_ = 0;
  bool stopped_ = false;
  bool receivedAny_ = false;
  bool endedCleanly_ = false;
  std::string buffer_;  // bytes received beyond the head, not yet consumed
};

}  // namespace launch::http
