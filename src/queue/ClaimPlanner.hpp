// planClaims: which waiting jobs an agent takes next, honouring its maxJobs, each queue's maxConcurrency
// across all agents, queue order (priority then age, or strict FIFO) and round-robin fairness across queues.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"

namespace launch::queue {

struct QueueState {
  const api::LaunchQueue* queue = nullptr;
  int running = 0;                             // claimed and not finished, by any agent
  std::vector<const api::LaunchJob*> waiting;  // Queued and unclaimed, in any order
};

struct AgentState {
  std::string name;
  int maxJobs = 1;  // -1: no limit
  int active = 0;   // jobs it holds that have not finished
  std::vector<std::string> queues;
  size_t firstQueue = 0;  // rotates between passes, so no queue is always served first
};

// The jobs to claim, in order. Updates `queues` (running counts, waiting lists) as if every claim succeeds.
std::vector<const api::LaunchJob*> planClaims(const AgentState& agent, std::map<std::string, QueueState>& queues);

}  // namespace launch::queue
