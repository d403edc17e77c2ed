// Metrics: a small thread-safe Prometheus registry (counters, gauges, histograms) rendered as exposition text.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace launch {

// A value that only goes up. Updates are lock-free.
class Counter {
 public:
  // Negative or NaN increments are ignored: a counter never goes down.
  void inc(double by = 1.0) {
    if (by > 0) value_.fetch_add(by, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down. Updates are lock-free.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  void inc() { add(1.0); }
  void dec() { add(-1.0); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into buckets with upper bounds (inclusive, as Prometheus' `le`), plus their sum.
// Updates are lock-free.
class Histogram {
 public:
  // `bounds` must be sorted ascending and finite; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;             // upper bounds, without +Inf
    std::vector<std::uint64_t> cumulative;  // one per bound, then one for +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  // A copy of the current state. Concurrent observations may land in the buckets and the sum at slightly
  // different moments; the count always equals the +Inf bucket.
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, the last is +Inf
  std::atomic<double> sum_{0.0};
};

// Histogram bounds start, start*factor, ... (count of them).
std::vector<double> exponentialBuckets(double start, double factor, int count);

// One metric name with its help text and label names; holds a child metric per distinct list of label values.
// Callers look a child up once and keep the reference: children live as long as the registry, and updating
// one takes no lock.
template <typename Metric>
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> labelNames, std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labelNames_(std::move(labelNames)),
        bounds_(std::move(bounds)) {}

  // The child for these label values (one per label name, in order), created on first use.
  // Throws std::invalid_argument when the number of values differs from the number of label names.
  Metric& withLabels(const std::vector<std::string>& values) {
    if (values.size() != labelNames_.size()) {
      throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(labelNames_.size()) +
                                  " label values, got " + std::to_string(values.size()));
    }
    const std::lock_guard lock(mutex_);
    auto& child = children_[values];
    if (!child) {
      if constexpr (std::is_same_v<Metric, Histogram>) {
        child = std::make_unique<Histogram>(bounds_);
      } else {
        child = std::make_unique<Metric>();
      }
    }
    return *child;
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labelNames() const { return labelNames_; }
  const std::vector<double>& bounds() const { return bounds_; }

  // Calls visit(labelValues, metric) for every child in label-value order, under the family's lock.
  template <typename Visit>
  void forEach(Visit&& visit) const {
    const std::lock_guard lock(mutex_);
    for (const auto& [values, child] : children_) visit(values, *child);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> labelNames_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

// The registry: families by name, rendered in the Prometheus text exposition format (version 0.0.4).
class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The family of that name, registered on first call. Asking again with the same kind, label names (and
  // bounds) returns the same family, so independent components can share one. Names are code constants:
  // an invalid metric or label name, or a clash with an existing family of another shape, is a bug and
  // throws std::invalid_argument.
  CounterFamily& counter(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                             std::vector<double> bounds);

  // Runs the collect hooks, then renders every family that has at least one child, sorted by name.
  std::string renderText() const;

  // Removes its hook from the registry when destroyed; the registry must outlive it.
  class CollectHook {
   public:
    CollectHook() = default;
    CollectHook(Metrics* registry, std::uint64_t id) : registry_(registry), id_(id) {}
    CollectHook(CollectHook&& other) noexcept { *this = std::move(other); }
    CollectHook& operator=(CollectHook&& other) noexcept;
    CollectHook(const CollectHook&) = delete;
    CollectHook& operator=(const CollectHook&) = delete;
    ~CollectHook() { reset(); }
    // Removes the hook now; once this returns the hook is not running and will not run again.
    void reset();

   private:
    Metrics* registry_ = nullptr;
    std::uint64_t id_ = 0;
  };

  // Registers `hook` to run at the start of every renderText(), to refresh values that are cheaper to compute
  // on scrape than on every change (e.g. how long the oldest item has been in flight). A hook must not call
  // renderText(), onCollect() or reset a hook.
  [[nodiscard]] CollectHook onCollect(std::function<void()> hook);

  // The process-wide registry served at /metrics.
  static Metrics& global();

 private:
  using Family =
      std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>, std::unique_ptr<HistogramFamily>>;

  template <typename Metric>
  MetricFamily<Metric>& family(const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                               std::vector<double> bounds);
  void removeHook(std::uint64_t id);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;

  mutable std::mutex hooksMutex_;
  std::map<std::uint64_t, std::function<void()>> hooks_;
  std::uint64_t nextHookId_ = 1;
};

// A number as the reference (Go) Prometheus client writes it: "+Inf", "-Inf", "NaN", else the shortest text that
// reads back to the same double, "3", "0.005", "1e-08", "1.234567e+06" (exponent form below 1e-4 and from 1e6).
std::string formatMetricValue(double value);

}  // namespace launch
