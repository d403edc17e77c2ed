// planClaims: a pure policy, so the scheduling rules are tested without a cluster.
#include "queue/ClaimPlanner.hpp"

#include <algorithm>

#include "api/JobOrder.hpp"

namespace launch::queue {

std::vector<const api::LaunchJob*> planClaims(const AgentState& agent, std::map<std::string, QueueState>& queues) {
  std::vector<const api::LaunchJob*> claims;
  if (agent.queues.empty()) return claims;
  int capacity = agent.maxJobs < 0 ? INT32_MAX : agent.maxJobs - agent.active;
  for (auto& [name, state] : queues) {
    if (state.queue == nullptr) continue;
    const api::JobOrder order{state.queue->spec.prioritization};
    // Sort once, best first; claims then pop from the front.
    std::stable_sort(state.waiting.begin(), state.waiting.end(),
                     [&order](const api::LaunchJob* a, const api::LaunchJob* b) { return order(*a, *b); });
  }
  std::map<std::string, size_t> taken;
  bool progress = true;
  while (capacity > 0 && progress) {
    progress = false;
    // One job per queue per round: a busy queue cannot starve the agent's other queues.
    for (size_t i = 0; i < agent.queues.size() && capacity > 0; ++i) {
      const std::string& name = agent.queues[(agent.firstQueue + i) % agent.queues.size()];
      const auto it = queues.find(name);
      if (it == queues.end() || it->second.queue == nullptr || it->second.queue->spec.remote) continue;
      QueueState& state = it->second;
      const int limit = state.queue->spec.maxConcurrency;
      if (limit >= 0 && state.running >= limit) continue;
      size_t& next = taken[name];
      if (next >= state.waiting.size()) continue;
      claims.push_back(state.waiting[next++]);
      ++state.running;
      --capacity;
      progress = true;
    }
  }
  for (auto& [name, count] : taken) {
    auto& waiting = queues[name].waiting;
    waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(count));
  }
  return claims;
}

}  // namespace launch::queue
