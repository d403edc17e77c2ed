// Benchmark: work-queue throughput (add, get, done) on one thread and with two producers and two consumers,
// for distinct keys and for a few keys added over and over (which the queue collapses into fewer gets).
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "kube/WorkQueue.hpp"

namespace {

constexpr int kDistinctKeys = 100000;
constexpr int kRepeatedKeys = 4;

std::vector<std::string> makeKeys(int count) {
  std::vector<std::string> keys;
  keys.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) keys.push_back("ml-team/train-job-" + std::to_string(i));
  return keys;
}

// Adds a batch of 64 keys, then hands out and finishes whatever is queued. Items are adds.
void BM_SingleThread(benchmark::State& state) {
  constexpr int kBatch = 64;
  const auto keys = makeKeys(static_cast<int>(state.range(0)));
  launch::kube::WorkQueue queue;
  std::size_t next = 0;
  std::int64_t gets = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) queue.add(keys[next++ % keys.size()]);
    while (queue.len() > 0) {
      auto key = queue.get();
      queue.done(*key);
      ++gets;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["gets"] = benchmark::Counter(static_cast<double>(gets), benchmark::Counter::kIsRate);
  state.SetLabel(state.range(0) == kRepeatedKeys ? "repeated keys" : "distinct keys");
}
BENCHMARK(BM_SingleThread)->Arg(kDistinctKeys)->Arg(kRepeatedKeys);

// Two threads add 20000 keys each while two workers get and finish them. When both producers are done a last
// key is added; the worker that gets it stops the queue (every key queued before it has been handed out).
// Items are adds; thread start-up is included.
void BM_TwoProducersTwoConsumers(benchmark::State& state) {
  constexpr int kAddsPerProducer = 20000;
  const auto keys = makeKeys(static_cast<int>(state.range(0)));
  const std::string stop = "~stop";
  std::int64_t gets = 0;
  for (auto _ : state) {
    launch::kube::WorkQueue queue;
    std::atomic<std::int64_t> handled{0};
    std::vector<std::thread> consumers;
    consumers.reserve(2);
    for (int c = 0; c < 2; ++c) {
      consumers.emplace_back([&] {
        while (auto key = queue.get()) {
          handled.fetch_add(1, std::memory_order_relaxed);
          queue.done(*key);
          if (*key == stop) queue.shutDown();
        }
      });
    }
    std::vector<std::thread> producers;
    producers.reserve(2);
    for (int p = 0; p < 2; ++p) {
      producers.emplace_back([&, p] {
        for (int i = 0; i < kAddsPerProducer; ++i) {
          queue.add(keys[static_cast<std::size_t>(p * kAddsPerProducer + i) % keys.size()]);
        }
      });
    }
    for (auto& producer : producers) producer.join();
    queue.add(stop);
    for (auto& consumer : consumers) consumer.join();
    gets += handled.load();
  }
  state.SetItemsProcessed(state.iterations() * 2 * kAddsPerProducer);
  state.counters["gets"] = benchmark::Counter(static_cast<double>(gets), benchmark::Counter::kIsRate);
  state.SetLabel(state.range(0) == kRepeatedKeys ? "repeated keys" : "distinct keys");
}
BENCHMARK(BM_TwoProducersTwoConsumers)
    ->Arg(kDistinctKeys)
    ->Arg(kRepeatedKeys)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
