// Unit tests: the order in which a queue's jobs run (priority rank, FIFO by creation time, name as tie-break).
#include <gtest/gtest.h>

#include <algorithm>

#include "ApiBuilders.hpp"
#include "api/JobOrder.hpp"

namespace launch::api {
namespace {

using testing::makeLaunchJob;

TEST(Priority, RanksCriticalFirstAsWandbDoes) {
  EXPECT_EQ(priorityRank(Priority::Critical), 0);
  EXPECT_EQ(priorityRank(Priority::High), 1);
  EXPECT_EQ(priorityRank(Priority::Medium), 2);
  EXPECT_EQ(priorityRank(Priority::Low), 3);
  EXPECT_EQ(parsePriority("high"), Priority::High);
  EXPECT_EQ(parsePriority("urgent"), std::nullopt);
  EXPECT_EQ(toString(Priority::Low), "low");
}

std::vector<std::string> order(std::vector<LaunchJob> jobs, bool prioritization) {
  std::sort(jobs.begin(), jobs.end(), JobOrder{prioritization});
  std::vector<std::string> names;
  names.reserve(jobs.size());
  for (const auto& job : jobs) names.push_back(job.metadata.name);
  return names;
}

struct OrderCase {
  const char* name;
  bool prioritization;
  std::vector<LaunchJob> jobs;
  std::vector<std::string> expected;
};

// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const OrderCase& c, std::ostream* os) { *os << c.name; }

class JobOrderCases : public ::testing::TestWithParam<OrderCase> {};

TEST_P(JobOrderCases, SortsAsExpected) {
  const auto& c = GetParam();
  EXPECT_EQ(order(c.jobs, c.prioritization), c.expected);
  // The same answer whatever the input order.
  auto reversed = c.jobs;
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(order(reversed, c.prioritization), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JobOrderCases,
    ::testing::Values(OrderCase{"FifoIgnoresPriority",
                                false,
                                {makeLaunchJob("late-critical").priority(Priority::Critical).created(30).obj(),
                                 makeLaunchJob("early-low").priority(Priority::Low).created(10).obj(),
                                 makeLaunchJob("middle").created(20).obj()},
                                {"early-low", "middle", "late-critical"}},
                      OrderCase{"CriticalOvertakesEarlierLowJobs",
                                true,
                                {makeLaunchJob("low-1").priority(Priority::Low).created(1).obj(),
                                 makeLaunchJob("low-2").priority(Priority::Low).created(2).obj(),
                                 makeLaunchJob("critical").priority(Priority::Critical).created(3).obj(),
                                 makeLaunchJob("high").priority(Priority::High).created(4).obj(),
                                 makeLaunchJob("medium").created(0).obj()},
                                {"critical", "high", "medium", "low-1", "low-2"}},
                      OrderCase{"SamePriorityIsFifo",
                                true,
                                {makeLaunchJob("b").priority(Priority::High).created(2).obj(),
                                 makeLaunchJob("a").priority(Priority::High).created(1).obj()},
                                {"a", "b"}},
                      OrderCase{"SameSecondFallsBackToName",
                                false,
                                {makeLaunchJob("job-b").created(5).obj(), makeLaunchJob("job-a").created(5).obj()},
                                {"job-a", "job-b"}},
                      OrderCase{"NotYetStoredSortsLast",
                                false,
                                {makeLaunchJob("unsaved").obj(), makeLaunchJob("saved").created(100).obj()},
                                {"saved", "unsaved"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(JobOrder, KeysOrderLikeTheJobsTheyCameFrom) {
  const auto low = makeLaunchJob("low").priority(Priority::Low).created(1).obj();
  const auto critical = makeLaunchJob("critical").priority(Priority::Critical).created(2).obj();
  for (const bool prioritization : {false, true}) {
    EXPECT_EQ(runsBefore(jobOrderKey(low), jobOrderKey(critical), prioritization),
              runsBefore(low, critical, prioritization));
    EXPECT_EQ(runsBefore(jobOrderKey(critical), jobOrderKey(low), prioritization),
              runsBefore(critical, low, prioritization));
  }
  EXPECT_TRUE(JobOrder{true}(jobOrderKey(critical), jobOrderKey(low)));
  EXPECT_TRUE(JobOrder{false}(jobOrderKey(low), jobOrderKey(critical)));
}

TEST(JobOrder, IsAStrictWeakOrder) {
  const auto a = makeLaunchJob("a").created(1).obj();
  const auto b = makeLaunchJob("b").created(1).obj();
  const JobOrder fifo{false};
  EXPECT_FALSE(fifo(a, a));
  EXPECT_TRUE(fifo(a, b));
  EXPECT_FALSE(fifo(b, a));
  // Same name in two namespaces still has an order.
  const auto other = makeLaunchJob("a", "other").created(1).obj();
  EXPECT_NE(fifo(a, other), fifo(other, a));
}

}  // namespace
}  // namespace launch::api
