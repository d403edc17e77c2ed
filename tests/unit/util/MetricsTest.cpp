// Unit tests of the Prometheus registry: values, exact exposition text, escaping, registration rules, hooks.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#include "util/Metrics.hpp"

namespace launch {
namespace {

TEST(Metrics, RendersTheExpositionFormatExactly) {
  Metrics metrics;
  auto& requests = metrics.counter("http_requests_total", "Requests served.", {"method", "code"});
  requests.withLabels({"POST", "500"}).inc();
  requests.withLabels({"GET", "200"}).inc(3);
  metrics.gauge("room_temperature_celsius", "Temperature\nwith \\ escapes", {"room"})
      .withLabels({"a\"b\\c\nd"})
      .set(-2.5);
  auto& latency = metrics.histogram("latency_seconds", "Latency.", {}, {0.25, 1, 2.5}).withLabels({});
  for (const double value : {0.25, 0.5, 0.75, 3.0}) latency.observe(value);
  metrics.counter("untouched_total", "A family without children is not rendered.");
  metrics.gauge("up", "No labels.").withLabels({}).set(1);

  EXPECT_EQ(metrics.renderText(),
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",code=\"200\"} 3\n"
            "http_requests_total{method=\"POST\",code=\"500\"} 1\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.25\"} 1\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"2.5\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 4.5\n"
            "latency_seconds_count 4\n"
            "# HELP room_temperature_celsius Temperature\\nwith \\\\ escapes\n"
            "# TYPE room_temperature_celsius gauge\n"
            "room_temperature_celsius{room=\"a\\\"b\\\\c\\nd\"} -2.5\n"
            "# HELP up No labels.\n"
            "# TYPE up gauge\n"
            "up 1\n");
}

TEST(Metrics, HistogramBucketsCarryTheFamilyLabelsBeforeLe) {
  Metrics metrics;
  auto& family = metrics.histogram("work_seconds", "Work.", {"name"}, {1});
  family.withLabels({"jobs"}).observe(2);
  EXPECT_EQ(metrics.renderText(),
            "# HELP work_seconds Work.\n"
            "# TYPE work_seconds histogram\n"
            "work_seconds_bucket{name=\"jobs\",le=\"1\"} 0\n"
            "work_seconds_bucket{name=\"jobs\",le=\"+Inf\"} 1\n"
            "work_seconds_sum{name=\"jobs\"} 2\n"
            "work_seconds_count{name=\"jobs\"} 1\n");
}

TEST(Metrics, CountersGaugesAndHistogramsHoldTheirValues) {
  Metrics metrics;
  auto& counter = metrics.counter("c_total", "c").withLabels({});
  counter.inc();
  counter.inc(2.5);
  counter.inc(-7);  // ignored: counters never go down
  EXPECT_DOUBLE_EQ(counter.value(), 3.5);

  auto& gauge = metrics.gauge("g", "g").withLabels({});
  gauge.set(10);
  gauge.inc();
  gauge.dec();
  gauge.dec();
  gauge.add(-0.5);
  EXPECT_DOUBLE_EQ(gauge.value(), 8.5);

  auto& histogram = metrics.histogram("h", "h", {}, {1, 2}).withLabels({});
  histogram.observe(1);
  histogram.observe(1.5);
  histogram.observe(100);
  histogram.observe(std::nan(""));  // ignored
  const auto snap = histogram.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(snap.count, 3u);
  EXPECT_DOUBLE_EQ(snap.sum, 102.5);
}

TEST(Metrics, TheSameLabelValuesGiveTheSameChild) {
  Metrics metrics;
  auto& family = metrics.counter("adds_total", "adds", {"name"});
  EXPECT_EQ(&family.withLabels({"a"}), &family.withLabels({"a"}));
  EXPECT_NE(&family.withLabels({"a"}), &family.withLabels({"b"}));
  EXPECT_THROW(family.withLabels({}), std::invalid_argument);
  EXPECT_THROW(family.withLabels({"a", "b"}), std::invalid_argument);
}

TEST(Metrics, RegisteringAgainWithTheSameShapeReturnsTheSameFamily) {
  Metrics metrics;
  auto& first = metrics.counter("x_total", "x", {"name"});
  EXPECT_EQ(&first, &metrics.counter("x_total", "other help", {"name"}));
  auto& histogram = metrics.histogram("y", "y", {}, {1, 2});
  EXPECT_EQ(&histogram, &metrics.histogram("y", "y", {}, {1, 2}));
}

struct BadRegistration {
  std::string what;
  std::function<void(Metrics&)> call;
};

void PrintTo(const BadRegistration& c, std::ostream* os) { *os << c.what; }

class MetricsRejects : public ::testing::TestWithParam<BadRegistration> {};
TEST_P(MetricsRejects, WithInvalidArgument) {
  Metrics metrics;
  metrics.counter("taken_total", "t", {"name"});
  metrics.histogram("taken_seconds", "t", {}, {1});
  EXPECT_THROW(GetParam().call(metrics), std::invalid_argument) << GetParam().what;
}
INSTANTIATE_TEST_SUITE_P(
    Registration, MetricsRejects,
    ::testing::Values(
        BadRegistration{"empty name", [](Metrics& m) { m.counter("", "h"); }},
        BadRegistration{"name starting with a digit", [](Metrics& m) { m.counter("1abc", "h"); }},
        BadRegistration{"name with a dash", [](Metrics& m) { m.gauge("a-b", "h"); }},
        BadRegistration{"reserved label prefix", [](Metrics& m) { m.gauge("g", "h", {"__name"}); }},
        BadRegistration{"label with a space", [](Metrics& m) { m.gauge("g", "h", {"a b"}); }},
        BadRegistration{"label with a colon", [](Metrics& m) { m.gauge("g", "h", {"a:b"}); }},
        BadRegistration{"label named twice",
                        [](Metrics& m) {
                          m.gauge("g", "h", {"a", "a"});
                        }},
        BadRegistration{"histogram label le", [](Metrics& m) { m.histogram("h", "h", {"le"}, {1}); }},
        BadRegistration{"bounds not ascending",
                        [](Metrics& m) {
                          m.histogram("h", "h", {}, {1, 1});
                        }},
        BadRegistration{"infinite bound",
                        [](Metrics& m) {
                          m.histogram("h", "h", {}, {1, std::numeric_limits<double>::infinity()});
                        }},
        BadRegistration{"same name, other type", [](Metrics& m) { m.gauge("taken_total", "t", {"name"}); }},
        BadRegistration{"same name, other labels", [](Metrics& m) { m.counter("taken_total", "t", {"queue"}); }},
        BadRegistration{"same name, other buckets", [](Metrics& m) { m.histogram("taken_seconds", "t", {}, {2}); }}));

struct FormatCase {
  double value;
  std::string text;
};

void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.text; }

class MetricValueFormat : public ::testing::TestWithParam<FormatCase> {};
TEST_P(MetricValueFormat, MatchesPrometheus) { EXPECT_EQ(formatMetricValue(GetParam().value), GetParam().text); }
INSTANTIATE_TEST_SUITE_P(
    Numbers, MetricValueFormat,
    ::testing::Values(FormatCase{0, "0"}, FormatCase{3, "3"}, FormatCase{-4, "-4"}, FormatCase{-2.5, "-2.5"},
                      FormatCase{0.005, "0.005"}, FormatCase{1e-8, "1e-08"}, FormatCase{0.1, "0.1"},
                      FormatCase{0.0001, "0.0001"}, FormatCase{0.00001, "1e-05"}, FormatCase{1000, "1000"},
                      FormatCase{123456, "123456"}, FormatCase{1234567, "1.234567e+06"},
                      FormatCase{123456789012, "1.23456789012e+11"}, FormatCase{1e15, "1e+15"},
                      FormatCase{-0.25, "-0.25"}, FormatCase{0.1 + 0.2, "0.30000000000000004"},
                      FormatCase{std::numeric_limits<double>::infinity(), "+Inf"},
                      FormatCase{-std::numeric_limits<double>::infinity(), "-Inf"}, FormatCase{std::nan(""), "NaN"}));

TEST(Metrics, ExponentialBuckets) {
  EXPECT_EQ(exponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_TRUE(exponentialBuckets(1, 2, 0).empty());
}

TEST(Metrics, CollectHooksRunBeforeRenderingUntilReset) {
  Metrics metrics;
  auto& gauge = metrics.gauge("refreshed", "r").withLabels({});
  int calls = 0;
  auto hook = metrics.onCollect([&] { gauge.set(++calls); });
  EXPECT_EQ(metrics.renderText(), "# HELP refreshed r\n# TYPE refreshed gauge\nrefreshed 1\n");
  auto moved = std::move(hook);
  (void)metrics.renderText();
  EXPECT_EQ(calls, 2);
  moved.reset();
  (void)metrics.renderText();
  EXPECT_EQ(calls, 2);
  {
    auto scoped = metrics.onCollect([&] { ++calls; });
  }
  (void)metrics.renderText();
  EXPECT_EQ(calls, 2);
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Metrics metrics;
  auto& family = metrics.counter("hits_total", "h", {"name"});
  auto& histogram = metrics.histogram("sizes", "s", {}, {5}).withLabels({});
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = 20000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& counter = family.withLabels({"shared"});
      for (std::uint64_t i = 0; i < kPerThread; ++i) {
        counter.inc();
        histogram.observe(t % 2 == 0 ? 1 : 10);
        if (i % 1000 == 0) (void)metrics.renderText();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_DOUBLE_EQ(family.withLabels({"shared"}).value(), kThreads * kPerThread);
  const auto snap = histogram.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{2 * kPerThread, 4 * kPerThread}));
  EXPECT_DOUBLE_EQ(snap.sum, 2.0 * kPerThread * 1 + 2.0 * kPerThread * 10);
}

TEST(Metrics, GlobalIsOneRegistry) { EXPECT_EQ(&Metrics::global(), &Metrics::global()); }

}  // namespace
}  // namespace launch
