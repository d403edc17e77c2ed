// Unit tests of the claim planner: maxJobs, maxConcurrency across agents, FIFO and priority order, and
// round-robin fairness across an agent's queues.
#include <gtest/gtest.h>

#include "queue/ClaimPlanner.hpp"

namespace launch::queue {
namespace {

api::LaunchQueue makeQueue(const std::string& name, bool prioritization = false, int maxConcurrency = -1) {
  api::LaunchQueue q;
  q.metadata.name = name;
  q.spec.prioritization = prioritization;
  q.spec.maxConcurrency = maxConcurrency;
  return q;
}

api::LaunchJob makeJob(const std::string& name, const std::string& queue, int createdSecond,
                       api::Priority priority = api::Priority::Medium) {
  api::LaunchJob j;
  j.metadata.name = name;
  j.metadata.namespace_ = "ml";
  j.metadata.creationTimestamp = api::Timestamp(std::chrono::seconds(1700000000 + createdSecond));
  j.spec.queue = queue;
  j.spec.priority = priority;
  return j;
}

std::vector<std::string> names(const std::vector<const api::LaunchJob*>& jobs) {
  std::vector<std::string> out;
  for (const auto* j : jobs) out.push_back(j->metadata.name);
  return out;
}

struct PlanCase {
  std::string name;
  int maxJobs;
  int active;
  bool prioritization;
  int maxConcurrency;
  int runningOnQueue;
  std::vector<std::string> expected;
};

class Plans : public ::testing::TestWithParam<PlanCase> {};
TEST_P(Plans, FollowTheLimitsAndOrder) {
  const PlanCase& c = GetParam();
  const api::LaunchQueue q = makeQueue("q", c.prioritization, c.maxConcurrency);
  const std::vector<api::LaunchJob> jobs = {
      makeJob("low-old", "q", 1, api::Priority::Low), makeJob("medium", "q", 2, api::Priority::Medium),
      makeJob("critical-new", "q", 3, api::Priority::Critical), makeJob("low-new", "q", 4, api::Priority::Low)};
  std::map<std::string, QueueState> queues;
  queues["q"].queue = &q;
  queues["q"].running = c.runningOnQueue;
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) queues["q"].waiting.push_back(&*it);  // any order in
  const AgentState agent{"agent", c.maxJobs, c.active, {"q"}, 0};
  EXPECT_EQ(names(planClaims(agent, queues)), c.expected);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, Plans,
    ::testing::Values(PlanCase{"FifoOneAtATime", 1, 0, false, -1, 0, {"low-old"}},
                      PlanCase{"FifoAll", -1, 0, false, -1, 0, {"low-old", "medium", "critical-new", "low-new"}},
                      PlanCase{"PriorityFirst", 2, 0, true, -1, 0, {"critical-new", "medium"}},
                      PlanCase{"PriorityThenAge", -1, 0, true, -1, 0, {"critical-new", "medium", "low-old", "low-new"}},
                      PlanCase{"AgentFull", 2, 2, false, -1, 0, {}}, PlanCase{"AgentPaused", 0, 0, false, -1, 0, {}},
                      PlanCase{"QueueConcurrencyAcrossAgents", -1, 0, false, 3, 2, {"low-old"}},
                      PlanCase{"QueuePaused", -1, 0, false, 0, 0, {}}),
    [](const auto& info) { return info.param.name; });

TEST(ClaimPlanner, SharesAnAgentRoundRobinAcrossItsQueues) {
  const api::LaunchQueue a = makeQueue("a");
  const api::LaunchQueue b = makeQueue("b");
  const std::vector<api::LaunchJob> jobs = {makeJob("a1", "a", 1), makeJob("a2", "a", 2), makeJob("a3", "a", 3),
                                            makeJob("b1", "b", 4)};
  std::map<std::string, QueueState> queues;
  queues["a"].queue = &a;
  queues["b"].queue = &b;
  for (const auto& j : jobs) queues[j.spec.queue].waiting.push_back(&j);
  EXPECT_EQ(names(planClaims({"agent", 3, 0, {"a", "b"}, 0}, queues)), (std::vector<std::string>{"a1", "b1", "a2"}));
  EXPECT_EQ(queues["a"].running, 2);
  EXPECT_EQ(queues["a"].waiting.size(), 1U) << "claimed jobs leave the waiting list";

  std::map<std::string, QueueState> again;
  again["a"].queue = &a;
  again["b"].queue = &b;
  for (const auto& j : jobs) again[j.spec.queue].waiting.push_back(&j);
  EXPECT_EQ(names(planClaims({"agent", 1, 0, {"a", "b"}, 1}, again)), (std::vector<std::string>{"b1"}))
      << "the rotating first queue means a busy queue does not always win";
}

TEST(ClaimPlanner, IgnoresQueuesItDoesNotServeAndRemoteQueues) {
  api::LaunchQueue remote = makeQueue("remote");
  remote.spec.remote = api::RemoteQueue{};
  const api::LaunchQueue other = makeQueue("other");
  const auto j1 = makeJob("r", "remote", 1);
  const auto j2 = makeJob("o", "other", 1);
  std::map<std::string, QueueState> queues;
  queues["remote"] = {&remote, 0, {&j1}};
  queues["other"] = {&other, 0, {&j2}};
  EXPECT_TRUE(planClaims({"agent", -1, 0, {"remote", "missing"}, 0}, queues).empty());
}

}  // namespace
}  // namespace launch::queue
