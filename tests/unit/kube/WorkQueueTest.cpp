// Unit tests of the work queue: client-go's dedup and one-worker-per-key rules, delays, rate limits, shutdown
// and drain, priorities, and the workqueue_* metrics.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "kube/WorkQueue.hpp"

namespace launch::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// get(), but a bug that leaves the queue empty fails the test instead of hanging it: after `limit` the queue
// is shut down, which unblocks the get().
std::optional<std::string> nextKey(WorkQueue& queue, Clock::Duration limit = seconds(5)) {
  auto key = std::async(std::launch::async, [&] { return queue.get(); });
  if (key.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "get() found nothing to hand out";
    queue.shutDown();
  }
  return key.get();
}

// Hands out and finishes every queued key, in order.
std::vector<std::string> takeAll(WorkQueue& queue) {
  std::vector<std::string> keys;
  while (queue.len() > 0) {
    auto key = queue.get();
    if (!key) break;
    keys.push_back(*key);
    queue.done(*key);
  }
  return keys;
}

struct Add {
  std::string key;
  Priority priority = Priority::Normal;
};

struct OrderCase {
  std::string name;
  std::vector<Add> adds;
  std::vector<std::string> expected;
};

void PrintTo(const OrderCase& c, std::ostream* os) { *os << c.name; }

class WorkQueueOrder : public ::testing::TestWithParam<OrderCase> {};
TEST_P(WorkQueueOrder, HandsOutKeysOnceInOrder) {
  WorkQueue queue;
  for (const auto& add : GetParam().adds) queue.add(add.key, add.priority);
  EXPECT_EQ(queue.len(), GetParam().expected.size());
  EXPECT_EQ(takeAll(queue), GetParam().expected);
  EXPECT_EQ(queue.len(), 0u);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, WorkQueueOrder,
    ::testing::Values(
        OrderCase{"DistinctKeysFifo", {{"a"}, {"b"}, {"c"}}, {"a", "b", "c"}},
        OrderCase{"RepeatedKeyQueuedOnce", {{"a"}, {"b"}, {"a"}, {"a"}, {"b"}}, {"a", "b"}},
        OrderCase{"LowPriorityWaitsBehindNormal",
                  {{"x", Priority::Low}, {"a"}, {"y", Priority::Low}, {"b"}},
                  {"a", "b", "x", "y"}},
        OrderCase{"RealChangeLiftsALowKey",
                  {{"x", Priority::Low}, {"y", Priority::Low}, {"z", Priority::Low}, {"y"}},
                  {"y", "x", "z"}},
        OrderCase{"LowAddKeepsANormalKeyNormal", {{"b", Priority::Low}, {"a"}, {"a", Priority::Low}}, {"a", "b"}}),
    [](const auto& info) { return info.param.name; });

TEST(WorkQueue, KeyAddedWhileProcessingIsQueuedOnceAfterDone) {
  WorkQueue queue;
  queue.add("a");
  ASSERT_EQ(nextKey(queue), "a");
  queue.add("a");
  queue.add("a");
  EXPECT_EQ(queue.len(), 0u) << "a processing key must not be handed to a second worker";
  queue.add("b");
  ASSERT_EQ(nextKey(queue), "b");
  queue.done("b");
  EXPECT_EQ(queue.len(), 0u);
  queue.done("a");
  EXPECT_EQ(queue.len(), 1u);
  ASSERT_EQ(nextKey(queue), "a");
  queue.done("a");
  EXPECT_EQ(queue.len(), 0u);
}

TEST(WorkQueue, DoneOfAKeyNotProcessingIsIgnored) {
  WorkQueue queue;
  queue.add("a");
  queue.done("a");  // queued, not processing
  queue.done("never-added");
  EXPECT_EQ(queue.len(), 1u);
  ASSERT_EQ(nextKey(queue), "a");
  queue.done("a");
  queue.done("a");
  EXPECT_EQ(queue.len(), 0u);
}

void storeMax(std::atomic<std::uint64_t>& target, std::uint64_t value) {
  auto current = target.load();
  while (current < value && !target.compare_exchange_weak(current, value)) {
  }
}

TEST(WorkQueue, NeverTwoWorkersOnOneKeyAndNoAddIsLost) {
  constexpr int kWorkers = 4;
  constexpr int kProducers = 2;
  constexpr int kKeys = 12;
  constexpr int kAddsPerProducer = 4000;
  WorkQueue queue(WorkQueueOptions{}.withName("stress"));
  std::array<std::atomic<int>, kKeys> holders{};
  std::array<std::atomic<std::uint64_t>, kKeys> lastAdd{};
  std::array<std::atomic<std::uint64_t>, kKeys> lastStart{};
  std::atomic<std::uint64_t> sequence{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> handedOut{0};

  std::vector<std::thread> workers;
  workers.reserve(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        const int index = std::stoi(*key);
        storeMax(lastStart[index], ++sequence);
        if (holders[index].fetch_add(1) != 0) ++overlaps;
        ++handedOut;
        std::this_thread::yield();
        holders[index].fetch_sub(1);
        queue.done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  producers.reserve(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937 random(static_cast<unsigned>(p + 1));
      for (int i = 0; i < kAddsPerProducer; ++i) {
        const int index = static_cast<int>(random() % kKeys);
        // Stamped before the add: a worker may take the key before this thread runs again, and its start
        // must count as serving this add.
        storeMax(lastAdd[index], ++sequence);
        queue.add(std::to_string(index));
        if (i % 64 == 0) std::this_thread::yield();
      }
    });
  }
  for (auto& producer : producers) producer.join();

  // Every key must be handed out again after its last add; wait for that (bounded), then stop.
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  auto allServed = [&] {
    for (int i = 0; i < kKeys; ++i) {
      if (lastAdd[i] != 0 && lastStart[i] < lastAdd[i]) return false;
    }
    return true;
  };
  while (!allServed() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(milliseconds(1));
  queue.shutDownWithDrain();
  for (auto& worker : workers) worker.join();

  EXPECT_TRUE(allServed()) << "an add was lost: some key was not processed after its last add";
  EXPECT_EQ(overlaps.load(), 0) << "two workers held the same key at once";
  EXPECT_GE(handedOut.load(), kKeys);
  EXPECT_LE(handedOut.load(), kProducers * kAddsPerProducer);
}

struct DelayStep {
  Clock::Duration advance;
  std::vector<std::string> ready;  // keys queued after the advance, in order
};

TEST(WorkQueue, AddAfterQueuesKeysWhenTheirTimeComesInTimeOrder) {
  ManualClock clock;
  WorkQueue queue(WorkQueueOptions{}.withName("delays").withClock(clock));
  queue.addAfter("c", milliseconds(30));
  queue.addAfter("a", milliseconds(10));
  queue.addAfter("b", milliseconds(20));
  queue.addAfter("b2", milliseconds(20));
  queue.addAfter("now", milliseconds(0));
  queue.addAfter("past", milliseconds(-5));
  EXPECT_EQ(queue.waitingLen(), 4u);
  EXPECT_EQ(takeAll(queue), (std::vector<std::string>{"now", "past"}));

  const std::vector<DelayStep> steps{{milliseconds(9), {}}, {milliseconds(1), {"a"}}, {milliseconds(15), {"b", "b2"}},
                                     {milliseconds(4), {}}, {milliseconds(1), {"c"}}, {seconds(100), {}}};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    clock.advance(steps[i].advance);
    queue.onClockAdvanced();
    EXPECT_EQ(takeAll(queue), steps[i].ready) << "step " << i;
  }
  EXPECT_EQ(queue.waitingLen(), 0u);
}

TEST(WorkQueue, AddAfterOfAWaitingKeyKeepsTheEarlierTime) {
  ManualClock clock;
  WorkQueue queue(WorkQueueOptions{}.withClock(clock));
  queue.addAfter("k", milliseconds(50));
  queue.addAfter("k", milliseconds(20));
  queue.addAfter("k", milliseconds(80));
  EXPECT_EQ(queue.waitingLen(), 1u);
  clock.advance(milliseconds(20));
  queue.onClockAdvanced();
  EXPECT_EQ(takeAll(queue), std::vector<std::string>{"k"});
  clock.advance(milliseconds(100));
  queue.onClockAdvanced();
  EXPECT_EQ(queue.len(), 0u) << "the superseded 50 ms and 80 ms timers must not fire";
}

TEST(WorkQueue, DelayedLowPriorityKeysStayLow) {
  ManualClock clock;
  WorkQueue queue(WorkQueueOptions{}.withClock(clock));
  queue.addAfter("resync", milliseconds(5), Priority::Low);
  queue.add("change");
  clock.advance(milliseconds(5));
  queue.onClockAdvanced();
  queue.add("change2");
  EXPECT_EQ(takeAll(queue), (std::vector<std::string>{"change", "change2", "resync"}));
}

TEST(WorkQueue, LenNormalCountsTheWorkALowKeyWaitsBehind) {
  WorkQueue queue;
  queue.add("record", Priority::Low);
  EXPECT_EQ(queue.len(), 1u);
  EXPECT_EQ(queue.lenNormal(), 0u);
  queue.add("create-a");
  queue.add("create-b");
  queue.add("create-a");  // deduplicated
  EXPECT_EQ(queue.lenNormal(), 2u);
  queue.add("record");  // a Normal add of a Low key promotes it
  EXPECT_EQ(queue.lenNormal(), 3u);
  EXPECT_EQ(queue.len(), 3u);
  auto key = queue.get();
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, "create-a");
  EXPECT_EQ(queue.lenNormal(), 2u);
  queue.add("create-a", Priority::Low);  // re-added while processing: queued as Low after done()
  queue.done("create-a");
  EXPECT_EQ(queue.lenNormal(), 2u);
  EXPECT_EQ(queue.len(), 3u);
  EXPECT_EQ(takeAll(queue), (std::vector<std::string>{"create-b", "record", "create-a"}));
  EXPECT_EQ(queue.lenNormal(), 0u);
  queue.add("x");
  queue.shutDown();
  EXPECT_EQ(queue.lenNormal(), 0u);
}

TEST(WorkQueue, AddAfterWithTheRealClockWaitsOnTheTimerThread) {
  WorkQueue queue;
  const auto start = std::chrono::steady_clock::now();
  queue.addAfter("slow", milliseconds(80));
  queue.addAfter("fast", milliseconds(20));
  EXPECT_EQ(queue.len(), 0u);
  EXPECT_EQ(nextKey(queue), "fast");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
  EXPECT_EQ(nextKey(queue), "slow");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(80));
}

TEST(WorkQueue, AddRateLimitedBacksOffPerKeyUntilForgotten) {
  ManualClock clock;
  WorkQueue queue(WorkQueueOptions{}.withClock(clock));
  auto readyAfter = [&](Clock::Duration almost) {
    clock.advance(almost - milliseconds(1));
    queue.onClockAdvanced();
    if (queue.len() != 0) return false;
    clock.advance(milliseconds(1));
    queue.onClockAdvanced();
    return takeAll(queue) == std::vector<std::string>{"k"};
  };
  queue.addRateLimited("k");
  EXPECT_EQ(queue.numRequeues("k"), 1);
  EXPECT_TRUE(readyAfter(milliseconds(5)));
  queue.addRateLimited("k");
  EXPECT_TRUE(readyAfter(milliseconds(10)));
  queue.addRateLimited("k");
  EXPECT_TRUE(readyAfter(milliseconds(20)));
  EXPECT_EQ(queue.numRequeues("k"), 3);
  queue.forget("k");
  EXPECT_EQ(queue.numRequeues("k"), 0);
  queue.addRateLimited("k");
  EXPECT_TRUE(readyAfter(milliseconds(5)));
}

TEST(WorkQueue, ACustomRateLimiterIsUsed) {
  ManualClock clock;
  WorkQueue queue(WorkQueueOptions{}.withClock(clock).withRateLimiter(
      std::make_unique<ItemExponentialRateLimiter>(seconds(2), seconds(3))));
  queue.addRateLimited("k");
  clock.advance(milliseconds(1999));
  queue.onClockAdvanced();
  EXPECT_EQ(queue.len(), 0u);
  clock.advance(milliseconds(1));
  queue.onClockAdvanced();
  EXPECT_EQ(queue.len(), 1u);
}

TEST(WorkQueue, ShutDownUnblocksEveryGet) {
  WorkQueue queue;
  auto first = std::async(std::launch::async, [&] { return queue.get(); });
  auto second = std::async(std::launch::async, [&] { return queue.get(); });
  EXPECT_EQ(first.wait_for(milliseconds(50)), std::future_status::timeout) << "get() must block on an empty queue";
  queue.shutDown();
  ASSERT_EQ(first.wait_for(seconds(5)), std::future_status::ready);
  ASSERT_EQ(second.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_FALSE(first.get().has_value());
  EXPECT_FALSE(second.get().has_value());
  EXPECT_TRUE(queue.shuttingDown());
}

TEST(WorkQueue, ShutDownDropsQueuedAndDelayedKeysAndIgnoresAdds) {
  WorkQueue queue;
  queue.add("a");
  queue.add("b");
  queue.addAfter("c", std::chrono::hours(1));
  queue.shutDown();
  EXPECT_EQ(queue.len(), 0u);
  EXPECT_EQ(queue.waitingLen(), 0u);
  queue.add("d");
  queue.addAfter("e", milliseconds(1));
  queue.addRateLimited("f");
  EXPECT_EQ(queue.len(), 0u);
  EXPECT_EQ(queue.waitingLen(), 0u);
  EXPECT_FALSE(nextKey(queue).has_value());
}

TEST(WorkQueue, ShutDownWithDrainWaitsForKeysInFlight) {
  WorkQueue queue;
  queue.add("a");
  queue.add("b");
  ASSERT_EQ(nextKey(queue), "a");
  queue.add("a");  // dirty while processing: dropped by the shutdown, not re-queued by done()
  auto drain = std::async(std::launch::async, [&] { queue.shutDownWithDrain(); });
  EXPECT_EQ(drain.wait_for(milliseconds(50)), std::future_status::timeout) << "drain returned with a key in flight";
  EXPECT_FALSE(nextKey(queue).has_value()) << "no new work is handed out while draining";
  queue.done("a");
  ASSERT_EQ(drain.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_EQ(queue.len(), 0u);
}

TEST(WorkQueue, ShutDownWithDrainReturnsAtOnceWhenIdle) {
  WorkQueue queue;
  queue.add("a");
  auto drain = std::async(std::launch::async, [&] { queue.shutDownWithDrain(); });
  EXPECT_EQ(drain.wait_for(seconds(5)), std::future_status::ready);
}

TEST(WorkQueue, PublishesTheWorkqueueMetrics) {
  ManualClock clock;
  Metrics registry;
  WorkQueue queue(WorkQueueOptions{}.withName("jobs").withClock(clock).withMetrics(registry));
  WorkQueue other(WorkQueueOptions{}.withName("other").withClock(clock).withMetrics(registry));
  auto gauge = [&](const std::string& name) { return registry.gauge(name, "", {"name"}).withLabels({"jobs"}).value(); };

  queue.add("a");
  queue.add("b");
  queue.add("a");
  other.add("x");
  EXPECT_EQ(gauge("workqueue_depth"), 2);
  clock.advance(seconds(2));
  ASSERT_EQ(nextKey(queue), "a");
  queue.add("a");
  clock.advance(seconds(3));
  ASSERT_EQ(nextKey(queue), "b");
  clock.advance(seconds(1));
  (void)registry.renderText();
  EXPECT_EQ(gauge("workqueue_unfinished_work_seconds"), 5);  // a for 4 s, b for 1 s
  EXPECT_EQ(gauge("workqueue_longest_running_processor_seconds"), 4);

  queue.done("a");  // worked 4 s; re-queued
  queue.addAfter("c", seconds(1));
  queue.addRateLimited("d");  // 5 ms
  clock.advance(milliseconds(500));
  queue.onClockAdvanced();

  const std::string expected =
      "# HELP workqueue_adds_total Total number of adds handled by workqueue\n"
      "# TYPE workqueue_adds_total counter\n"
      "workqueue_adds_total{name=\"jobs\"} 4\n"
      "workqueue_adds_total{name=\"other\"} 1\n"
      "# HELP workqueue_depth Current depth of workqueue\n"
      "# TYPE workqueue_depth gauge\n"
      "workqueue_depth{name=\"jobs\"} 2\n"
      "workqueue_depth{name=\"other\"} 1\n"
      "# HELP workqueue_longest_running_processor_seconds How many seconds has the longest running processor for "
      "workqueue been running\n"
      "# TYPE workqueue_longest_running_processor_seconds gauge\n"
      "workqueue_longest_running_processor_seconds{name=\"jobs\"} 1.5\n"
      "workqueue_longest_running_processor_seconds{name=\"other\"} 0\n"
      "# HELP workqueue_queue_duration_seconds How long in seconds an item stays in workqueue before being "
      "requested\n"
      "# TYPE workqueue_queue_duration_seconds histogram\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"1e-08\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"1e-07\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"1e-06\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"1e-05\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"0.0001\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"0.001\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"0.01\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"0.1\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"1\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"10\"} 2\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"100\"} 2\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"1000\"} 2\n"
      "workqueue_queue_duration_seconds_bucket{name=\"jobs\",le=\"+Inf\"} 2\n"
      "workqueue_queue_duration_seconds_sum{name=\"jobs\"} 7\n"
      "workqueue_queue_duration_seconds_count{name=\"jobs\"} 2\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"1e-08\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"1e-07\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"1e-06\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"1e-05\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"0.0001\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"0.001\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"0.01\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"0.1\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"1\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"10\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"100\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"1000\"} 0\n"
      "workqueue_queue_duration_seconds_bucket{name=\"other\",le=\"+Inf\"} 0\n"
      "workqueue_queue_duration_seconds_sum{name=\"other\"} 0\n"
      "workqueue_queue_duration_seconds_count{name=\"other\"} 0\n"
      "# HELP workqueue_retries_total Total number of retries handled by workqueue\n"
      "# TYPE workqueue_retries_total counter\n"
      "workqueue_retries_total{name=\"jobs\"} 2\n"
      "workqueue_retries_total{name=\"other\"} 0\n"
      "# HELP workqueue_unfinished_work_seconds How many seconds of work has been done that is in progress and "
      "hasn't been observed by work_duration. Large values indicate stuck threads\n"
      "# TYPE workqueue_unfinished_work_seconds gauge\n"
      "workqueue_unfinished_work_seconds{name=\"jobs\"} 1.5\n"
      "workqueue_unfinished_work_seconds{name=\"other\"} 0\n"
      "# HELP workqueue_work_duration_seconds How long in seconds processing an item from workqueue takes\n"
      "# TYPE workqueue_work_duration_seconds histogram\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"1e-08\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"1e-07\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"1e-06\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"1e-05\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"0.0001\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"0.001\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"0.01\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"0.1\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"1\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"10\"} 1\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"100\"} 1\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"1000\"} 1\n"
      "workqueue_work_duration_seconds_bucket{name=\"jobs\",le=\"+Inf\"} 1\n"
      "workqueue_work_duration_seconds_sum{name=\"jobs\"} 4\n"
      "workqueue_work_duration_seconds_count{name=\"jobs\"} 1\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"1e-08\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"1e-07\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"1e-06\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"1e-05\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"0.0001\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"0.001\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"0.01\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"0.1\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"1\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"10\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"100\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"1000\"} 0\n"
      "workqueue_work_duration_seconds_bucket{name=\"other\",le=\"+Inf\"} 0\n"
      "workqueue_work_duration_seconds_sum{name=\"other\"} 0\n"
      "workqueue_work_duration_seconds_count{name=\"other\"} 0\n";
  EXPECT_EQ(registry.renderText(), expected);
}

TEST(WorkQueue, DestroyingAQueueZeroesItsInFlightGauges) {
  ManualClock clock;
  Metrics registry;
  {
    WorkQueue queue(WorkQueueOptions{}.withName("gone").withClock(clock).withMetrics(registry));
    queue.add("a");
    (void)nextKey(queue);
    clock.advance(seconds(3));
    (void)registry.renderText();
    queue.shutDown();
  }
  const auto text = registry.renderText();  // the destroyed queue's hook must not run
  EXPECT_NE(text.find("workqueue_unfinished_work_seconds{name=\"gone\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("workqueue_depth{name=\"gone\"} 0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace launch::kube
