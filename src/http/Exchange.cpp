// Exchange: writes a request and reads interim and final heads and the body, in waits of at most a second.
#include "http/Exchange.hpp"

#include <algorithm>
#include <array>

#include "http/ChunkedDecoder.hpp"

namespace launch::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kReadSize = 16384;
constexpr size_t kMaxHead = 1 << 20;  // a response head beyond this is refused
constexpr size_t kCoalesce = 16384;   // a body up to this goes out in the head's write
constexpr auto kStopPollInterval = std::chrono::seconds(1);
constexpr const char* kReasonStopped = "Stopped";  // internal: the caller ended the exchange

}  // namespace

Exchange::Exchange(Connection& connection, const Limits& limits) : connection_(connection), limits_(limits) {
  const auto now = SteadyClock::now();
  nextStopPoll_ = now + kStopPollInterval;
  windowEnd_ = now + limits_.lowSpeedWindow;
}

// Waits end at the deadline, the next poll of the stop condition, or the end of the low-speed window,
// whichever comes first, so those are checked while no byte moves.
Deadline Exchange::nextWake() const {
  Deadline wake = limits_.deadline;
  if (limits_.shouldStop != nullptr) wake = std::min(wake, nextStopPoll_);
  if (limits_.lowSpeedBytes > 0) wake = std::min(wake, windowEnd_);
  return wake;
}

Status Exchange::stop() {
  stopped_ = true;
  Error error = makeError(ErrorCode::Internal, "stopped");
  error.reason = kReasonStopped;
  return error;
}

// Called after every wait: ends the exchange when its deadline passed, the stop condition holds, or the
// last window moved too few bytes.
Status Exchange::checkpoint() {
  const auto now = SteadyClock::now();
  if (now >= limits_.deadline) {
    return makeError(ErrorCode::Timeout, "timed out after " + std::to_string(limits_.timeout.count()) + " ms");
  }
  if (limits_.shouldStop != nullptr && now >= nextStopPoll_) {
    nextStopPoll_ = now + kStopPollInterval;
    if ((*limits_.shouldStop)()) return stop();
  }
  if (limits_.lowSpeedBytes > 0 && now >= windowEnd_) {
    if (windowBytes_ < limits_.lowSpeedBytes) {
      return makeError(ErrorCode::Timeout, "fewer than " + std::to_string(limits_.lowSpeedBytes) + " bytes in " +
                                               std::to_string(limits_.lowSpeedWindow.count()) +
                                               " s, the connection is dropped as dead");
    }
    windowBytes_ = 0;
    windowEnd_ = now + limits_.lowSpeedWindow;
  }
  return {};
}

Status Exchange::send(std::string_view head, std::string_view body) {
  std::string coalesced;
  if (!body.empty() && body.size() <= kCoalesce) {
    coalesced.reserve(head.size() + body.size());
    coalesced.append(head).append(body);
    head = coalesced;
    body = {};
  }
  for (std::string_view part : {head, body}) {
    while (!part.empty()) {
      auto written = connection_.writeSome(part, nextWake());
      if (!written && written.error().code != ErrorCode::Timeout) return written.error();
      if (written) {
        part.remove_prefix(*written);
        windowBytes_ += static_cast<long>(*written);
      }
      if (auto checked = checkpoint(); !checked) return checked;
    }
  }
  for (;;) {
    auto flushed = connection_.flush(nextWake());
    if (flushed) return {};
    if (flushed.error().code != ErrorCode::Timeout) return flushed;
    if (auto checked = checkpoint(); !checked) return checked;
  }
}

Result<size_t> Exchange::receive(char* data, size_t size) {
  for (;;) {
    auto received = connection_.readSome(data, size, nextWake());
    if (!received && received.error().code != ErrorCode::Timeout) return received.error();
    if (received && *received > 0) {
      receivedAny_ = true;
      windowBytes_ += static_cast<long>(*received);
    }
    if (auto checked = checkpoint(); !checked) return checked.error();
    if (received) return *received;
  }
}

Result<ResponseHead> Exchange::readHead() {
  std::array<char, kReadSize> chunk{};
  for (;;) {
    const size_t end = findHeadEnd(buffer_);
    if (end != std::string::npos) {
      auto head = parseResponseHead(std::string_view(buffer_).substr(0, end));
      buffer_.erase(0, end);
      if (!head) return head.error();
      if (head->status >= 100 && head->status < 200 && head->status != 101) continue;  // interim: 100, 102, 103
      return head;
    }
    if (buffer_.size() > kMaxHead) return makeError(ErrorCode::Internal, "the response head is too large");
    auto received = receive(chunk.data(), chunk.size());
    if (!received) return received.error();
    if (*received == 0) {
      return makeError(ErrorCode::Unavailable, buffer_.empty() ? "the server closed the connection without answering"
                                                               : "the server closed the connection inside the head");
    }
    buffer_.append(chunk.data(), *received);
  }
}

Result<Headers> Exchange::readBody(const BodyFraming& framing, const std::function<bool(std::string_view)>& onData) {
  using Kind = BodyFraming::Kind;
  std::array<char, kReadSize> chunk{};
  bool handlerStopped = false;
  auto deliver = [&](std::string_view data) {
    if (!handlerStopped && !data.empty() && !onData(data)) handlerStopped = true;
  };

  if (framing.kind == Kind::None) {
    endedCleanly_ = buffer_.empty();
    return Headers{};
  }

  if (framing.kind == Kind::Length) {
    uint64_t left = framing.length;
    const size_t buffered = static_cast<size_t>(std::min<uint64_t>(left, buffer_.size()));
    deliver(std::string_view(buffer_).substr(0, buffered));
    left -= buffered;
    const bool extra = buffer_.size() > buffered;
    buffer_.clear();
    while (left > 0 && !handlerStopped) {
      auto received = receive(chunk.data(), static_cast<size_t>(std::min<uint64_t>(left, chunk.size())));
      if (!received) return received.error();
      if (*received == 0) {
        return makeError(ErrorCode::Unavailable,
                         "the server closed the connection " + std::to_string(left) + " bytes before the body's end");
      }
      deliver(std::string_view(chunk.data(), *received));
      left -= *received;
    }
    if (handlerStopped) return stop().error();
    endedCleanly_ = !extra;
    return Headers{};
  }

  if (framing.kind == Kind::Chunked) {
    ChunkedDecoder decoder;
    std::string_view input = buffer_;
    for (;;) {
      auto consumed = decoder.decode(input, deliver);
      if (!consumed) return consumed.error();
      if (handlerStopped) return stop().error();
      if (decoder.done()) {
        endedCleanly_ = *consumed == input.size();
        buffer_.clear();
        return decoder.trailers();
      }
      auto received = receive(chunk.data(), chunk.size());
      if (!received) return received.error();
      if (*received == 0)
        return makeError(ErrorCode::Unavailable, "the server closed the connection inside a chunked body");
      input = std::string_view(chunk.data(), *received);
    }
  }

  // Until the server closes the connection.
  deliver(buffer_);
  buffer_.clear();
  while (!handlerStopped) {
    auto received = receive(chunk.data(), chunk.size());
    if (!received) return received.error();
    if (*received == 0) return Headers{};
    deliver(std::string_view(chunk.data(), *received));
  }
  return stop().error();
}

}  // namespace launch::http
