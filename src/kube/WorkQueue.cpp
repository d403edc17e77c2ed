// WorkQueue: dirty and processing sets, priority queues with lazy removal, the timer heap and its thread.
#include "kube/WorkQueue.hpp"

#include <algorithm>

namespace launch::kube {
namespace {

double seconds(Clock::Duration duration) { return std::chrono::duration<double>(duration).count(); }

// 10 ns to 1000 s, ten times apart: the buckets controller-runtime gives the workqueue histograms.
std::vector<double> latencyBuckets() { return {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000}; }

std::size_t indexOf(Priority priority) { return priority == Priority::Normal ? 0 : 1; }

}  // namespace

WorkQueue::WorkQueue(WorkQueueOptions options)
    : clock_(options.clock != nullptr ? *options.clock : SystemClock::instance()),
      manualClock_(dynamic_cast<const ManualClock*>(&clock_) != nullptr),
      rateLimiter_(options.rateLimiter ? std::move(options.rateLimiter) : defaultControllerRateLimiter(clock_)) {
  Metrics* metrics = options.metrics;
  if (metrics == nullptr) {
    privateMetrics_ = std::make_unique<Metrics>();
    metrics = privateMetrics_.get();
  }
  const std::vector<std::string> labels{"name"};
  const std::vector<std::string> name{options.name};
  depth_ = &metrics->gauge("workqueue_depth", "Current depth of workqueue", labels).withLabels(name);
  adds_ =
      &metrics->counter("workqueue_adds_total", "Total number of adds handled by workqueue", labels).withLabels(name);
  retries_ = &metrics->counter("workqueue_retries_total", "Total number of retries handled by workqueue", labels)
                  .withLabels(name);
  queueDuration_ = &metrics
                        ->histogram("workqueue_queue_duration_seconds",
                                    "How long in seconds an item stays in workqueue before being requested", labels,
                                    latencyBuckets())
                        .withLabels(name);
  workDuration_ =
      &metrics
           ->histogram("workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes",
                       labels, latencyBuckets())
           .withLabels(name);
  unfinishedWork_ = &metrics
                         ->gauge("workqueue_unfinished_work_seconds",
                                 "How many seconds of work has been done that is in progress and hasn't been "
                                 "observed by work_duration. Large values indicate stuck threads",
                                 labels)
                         .withLabels(name);
  longestRunning_ =
      &metrics
           ->gauge("workqueue_longest_running_processor_seconds",
                   "How many seconds has the longest running processor for workqueue been running", labels)
           .withLabels(name);
  depth_->set(0);
  collectHook_ = metrics->onCollect([this] { collect(); });
  timerThread_ = std::thread([this] { timerLoop(); });
}

WorkQueue::~WorkQueue() {
  collectHook_.reset();
  {
    const std::lock_guard lock(mutex_);
    shutDownLocked();
  }
  timerThread_.join();
  unfinishedWork_->set(0);
  longestRunning_->set(0);
}

void WorkQueue::add(const std::string& key, Priority priority) {
  const std::lock_guard lock(mutex_);
  addLocked(key, priority);
}

void WorkQueue::addLocked(const std::string& key, Priority priority) {
  if (shuttingDown_) return;
  const auto found = dirty_.find(key);
  if (found != dirty_.end()) {
    Pending& pending = found->second;
    if (priority == Priority::Normal && pending.priority == Priority::Low) {
      pending.priority = Priority::Normal;
      if (pending.ticket != 0) {
        // Queued as Low: its entry there goes stale and a live one joins the Normal queue.
        --queued_;
        enqueueLocked(key, pending);
      }
    }
    return;
  }
  adds_->inc();
  Pending& pending = dirty_[key];
  pending = Pending{priority, 0, clock_.now()};
  updateDepthLocked();
  if (processing_.count(key) != 0) return;  // done() queues it
  enqueueLocked(key, pending);
}

void WorkQueue::enqueueLocked(const std::string& key, Pending& pending) {
  pending.ticket = nextTicket_++;
  queues_[indexOf(pending.priority)].push_back(Entry{key, pending.ticket});
  ++queued_;
  if (pending.priority == Priority::Normal) ++queuedNormal_;
  itemsReady_.notify_one();
}

void WorkQueue::addAfter(const std::string& key, Clock::Duration delay, Priority priority) {
  const std::lock_guard lock(mutex_);
  if (shuttingDown_) return;
  retries_->inc();
  if (delay <= Clock::Duration::zero()) {
    addLocked(key, priority);
    return;
  }
  const auto readyAt = clock_.now() + delay;
  auto found = waiting_.find(key);
  if (found != waiting_.end()) {
    if (priority == Priority::Normal) found->second.priority = Priority::Normal;
    if (readyAt >= found->second.readyAt) return;  // the earlier time wins
    found->second.readyAt = readyAt;
    found->second.ticket = nextTicket_++;
  } else {
    found = waiting_.emplace(key, Waiting{readyAt, nextTicket_++, priority}).first;
  }
  const auto ticket = found->second.ticket;
  timers_.push(TimerEntry{readyAt, ticket, key});
  if (timers_.top().ticket == ticket) timerChanged_.notify_one();  // a new earliest deadline
}

void WorkQueue::addRateLimited(const std::string& key) {
  if (shuttingDown()) return;
  addAfter(key, rateLimiter_->when(key));
}

void WorkQueue::forget(const std::string& key) { rateLimiter_->forget(key); }

int WorkQueue::numRequeues(const std::string& key) const { return rateLimiter_->retries(key); }

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mutex_);
  itemsReady_.wait(lock, [this] { return shuttingDown_ || queued_ > 0; });
  if (shuttingDown_) return std::nullopt;
  for (auto& queue : queues_) {
    while (!queue.empty()) {
      Entry entry = std::move(queue.front());
      queue.pop_front();
      const auto found = dirty_.find(entry.key);
      if (found == dirty_.end() || found->second.ticket != entry.ticket) continue;  // stale
      --queued_;
      if (&queue == &queues_[indexOf(Priority::Normal)]) --queuedNormal_;
      const auto now = clock_.now();
      queueDuration_->observe(seconds(now - found->second.addedAt));
      dirty_.erase(found);
      processing_.emplace(entry.key, now);
      updateDepthLocked();
      return std::move(entry.key);
    }
  }
  return std::nullopt;  // unreachable while queued_ counts the live entries
}

void WorkQueue::done(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto found = processing_.find(key);
  if (found == processing_.end()) return;
  workDuration_->observe(seconds(clock_.now() - found->second));
  processing_.erase(found);
  const auto dirty = dirty_.find(key);
  if (dirty != dirty_.end()) enqueueLocked(key, dirty->second);
  if (processing_.empty()) drained_.notify_all();
}

std::size_t WorkQueue::len() const {
  const std::lock_guard lock(mutex_);
  return queued_;
}

std::size_t WorkQueue::lenNormal() const {
  const std::lock_guard lock(mutex_);
  return queuedNormal_;
}

std::size_t WorkQueue::waitingLen() const {
  const std::lock_guard lock(mutex_);
  return waiting_.size();
}

void WorkQueue::shutDown() {
  const std::lock_guard lock(mutex_);
  shutDownLocked();
}

void WorkQueue::shutDownWithDrain() {
  std::unique_lock lock(mutex_);
  shutDownLocked();
  drained_.wait(lock, [this] { return processing_.empty(); });
}

bool WorkQueue::shuttingDown() const {
  const std::lock_guard lock(mutex_);
  return shuttingDown_;
}

void WorkQueue::shutDownLocked() {
  shuttingDown_ = true;
  dirty_.clear();
  for (auto& queue : queues_) queue.clear();
  queued_ = 0;
  queuedNormal_ = 0;
  waiting_.clear();
  timers_ = {};
  updateDepthLocked();
  itemsReady_.notify_all();
  timerChanged_.notify_all();
}

void WorkQueue::onClockAdvanced() {
  const std::lock_guard lock(mutex_);
  promoteDueLocked();
}

void WorkQueue::promoteDueLocked() {
  const auto now = clock_.now();
  while (!timers_.empty() && timers_.top().readyAt <= now) {
    const TimerEntry due = timers_.top();
    timers_.pop();
    const auto found = waiting_.find(due.key);
    if (found == waiting_.end() || found->second.ticket != due.ticket) continue;  // stale
    const Priority priority = found->second.priority;
    waiting_.erase(found);
    addLocked(due.key, priority);
  }
}

void WorkQueue::timerLoop() {
  std::unique_lock lock(mutex_);
  while (!shuttingDown_) {
    promoteDueLocked();
    if (timers_.empty() || manualClock_) {
      // A ManualClock only moves when a test says so, and the test then calls onClockAdvanced().
      timerChanged_.wait(lock);
    } else {
      timerChanged_.wait_for(lock, timers_.top().readyAt - clock_.now());
    }
  }
}

void WorkQueue::updateDepthLocked() { depth_->set(static_cast<double>(dirty_.size())); }

void WorkQueue::collect() {
  const std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  double total = 0;
  double longest = 0;
  for (const auto& [key, startedAt] : processing_) {
    const double running = seconds(now - startedAt);
    total += running;
    longest = std::max(longest, running);
  }
  unfinishedWork_->set(total);
  longestRunning_->set(longest);
}

}  // namespace launch::kube
