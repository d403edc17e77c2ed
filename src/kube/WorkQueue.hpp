// WorkQueue: the controller's queue of object keys, with client-go's guarantees (deduplication, one worker per
// key), delayed and rate-limited re-adds, and the workqueue_* Prometheus metrics.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kube/RateLimiter.hpp"
#include "util/Clock.hpp"
#include "util/Metrics.hpp"

namespace launch::kube {

// Low is for events that only confirm what is already known (the initial list, resyncs): every Normal key
// is handed out before any Low one, so real changes are not stuck behind a startup flood. A key added with
// both priorities counts as Normal.
enum class Priority { Normal, Low };

// Set the fields, or chain on a temporary: WorkQueueOptions{}.withName("jobs").withMetrics(Metrics::global()).
struct WorkQueueOptions {
  std::string name;                               // the `name` label of the metrics; unique per registry
  const Clock* clock = &SystemClock::instance();  // never null
  std::unique_ptr<RateLimiter> rateLimiter;       // null: defaultControllerRateLimiter(*clock)
  Metrics* metrics = nullptr;                     // null: metrics are kept but not exported

  WorkQueueOptions&& withName(std::string value) && {
    name = std::move(value);
    return std::move(*this);
  }
  WorkQueueOptions&& withClock(const Clock& value) && {
    clock = &value;
    return std::move(*this);
  }
  WorkQueueOptions&& withRateLimiter(std::unique_ptr<RateLimiter> value) && {
    rateLimiter = std::move(value);
    return std::move(*this);
  }
  WorkQueueOptions&& withMetrics(Metrics& value) && {
    metrics = &value;
    return std::move(*this);
  }
};

// Semantics (those of client-go's workqueue):
//  - A key is either idle, queued, processing (handed out by get() and not yet done()), or processing and
//    dirty. Adding a queued key does nothing; adding a processing key marks it dirty, and done() queues it
//    again. So one key is never held by two workers at once, and a burst of events becomes one reconcile.
//  - addAfter() keeps waiting keys in a timer heap served by one internal thread; a key waiting twice keeps
//    the earlier time.
//  - No lock is held while the caller works on a key, and waiting never spins.
// Workers must have returned from get() (and the queue been shut down) before the queue is destroyed.
class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` unless it is queued already (see above). Ignored after shutdown.
  void add(const std::string& key, Priority priority = Priority::Normal);
  // Queues `key` once `delay` has passed on the queue's clock (now when delay <= 0). Counts as a retry in
  // workqueue_retries_total, as in client-go. Ignored after shutdown.
  void addAfter(const std::string& key, Clock::Duration delay, Priority priority = Priority::Normal);
  // addAfter() with the delay the rate limiter gives for this key's next retry.
  void addRateLimited(const std::string& key);
  // Clears the key's retry history in the rate limiter (after a success); does not remove it from the queue.
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const;

  // Blocks until a key is queued and hands it out (it is then processing); nullopt once the queue is shut down.
  std::optional<std::string> get();
  // The caller has finished with a key from get(); it is queued again if it was added meanwhile. A key that
  // is not processing is ignored.
  void done(const std::string& key);

  // Keys queued and waiting for a worker (not those processing or waiting for a delay).
  std::size_t len() const;
  // Of those, the keys queued with Normal priority: the work a Low key waits behind.
  std::size_t lenNormal() const;
  // Keys waiting in the timer heap for their delay to pass.
  std::size_t waitingLen() const;

  // Stops the queue now: get() returns nullopt to every caller, queued and delayed keys are dropped, adds are
  // ignored. Keys being processed may still be passed to done(). Returns at once.
  void shutDown();
  // Like shutDown(), then blocks until every key being processed has been passed to done(). Must not be
  // called from a worker that holds a key.
  void shutDownWithDrain();
  bool shuttingDown() const;

  // For a ManualClock, which moves without telling anyone: queues every delayed key that is now due. The
  // internal thread does this by itself for real clocks.
  void onClockAdvanced();

 private:
  struct Pending {
    Priority priority = Priority::Normal;
    std::uint64_t ticket = 0;  // matches the queue entry that is live for this key; 0 while not queued
    Clock::TimePoint addedAt;  // for workqueue_queue_duration_seconds
  };
  struct Entry {
    std::string key;
    std::uint64_t ticket = 0;
  };
  struct Waiting {
    Clock::TimePoint readyAt;
    std::uint64_t ticket = 0;
    Priority priority = Priority::Normal;
  };
  struct TimerEntry {
    Clock::TimePoint readyAt;
    std::uint64_t ticket = 0;
    std::string key;
    bool operator>(const TimerEntry& other) const {
      return readyAt != other.readyAt ? readyAt > other.readyAt : ticket > other.ticket;
    }
  };

  void addLocked(const std::string& key, Priority priority);
  void enqueueLocked(const std::string& key, Pending& pending);
  void promoteDueLocked();
  void shutDownLocked();
  void timerLoop();
  void updateDepthLocked();
  void collect();

  const Clock& clock_;
  const bool manualClock_;
  std::unique_ptr<RateLimiter> rateLimiter_;
  std::unique_ptr<Metrics> privateMetrics_;  // when the caller gave none

  Gauge* depth_ = nullptr;
  Counter* adds_ = nullptr;
  Counter* retries_ = nullptr;
  Histogram* queueDuration_ = nullptr;
  Histogram* workDuration_ = nullptr;
  Gauge* unfinishedWork_ = nullptr;
  Gauge* longestRunning_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable itemsReady_;    // get() waits here
  std::condition_variable timerChanged_;  // the timer thread waits here
  std::condition_variable drained_;       // shutDownWithDrain() waits here
  bool shuttingDown_ = false;
  std::uint64_t nextTicket_ = 1;

  std::unordered_map<std::string, Pending> dirty_;                // keys that need (another) processing
  std::unordered_map<std::string, Clock::TimePoint> processing_;  // key -> when get() handed it out
  std::deque<Entry> queues_[2];                                   // by Priority; may hold stale entries
  std::size_t queued_ = 0;                                        // live entries in queues_
  std::size_t queuedNormal_ = 0;                                  // live entries in queues_[Normal]

  std::unordered_map<std::string, Waiting> waiting_;  // delayed keys; the heap may hold stale entries
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;

  Metrics::CollectHook collectHook_;
  std::thread timerThread_;
};

}  // namespace launch::kube
