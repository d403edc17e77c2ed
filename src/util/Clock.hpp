// Clock: the time source behind an interface, so tests can move time instead of sleeping.
#pragma once

#include <chrono>
#include <mutex>

namespace launch {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;                                  // monotonic, for deadlines and backoff
  virtual std::chrono::system_clock::time_point wallNow() const = 0;  // for timestamps written to the API
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wallNow() const override { return std::chrono::system_clock::now(); }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override {
    const std::lock_guard lock(mutex_);
    return now_;
  }
  std::chrono::system_clock::time_point wallNow() const override {
    const std::lock_guard lock(mutex_);
    return wall_ + (now_ - TimePoint{});
  }
  void advance(Duration by) {
    const std::lock_guard lock(mutex_);
    now_ += by;
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_{};
  std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::from_time_t(1700000000);
};

}  // namespace launch
