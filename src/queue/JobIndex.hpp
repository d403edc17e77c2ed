// JobIndex: a few fields (queue, phase, agent) of every cached LaunchJob that has not finished, kept beside the
// informer's packed cache, so that dispatch passes, queue counts and agent counts read thousands of jobs without
// unpacking one, and cost nothing for the finished jobs a namespace keeps as history.
#pragma once

#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace launch::queue {

struct JobSummary {
  std::string name;
  std::string queue;
  std::string phase;  // status.phase as written; "" when the job has none yet
  std::string agent;  // status.agent; "" when unclaimed
  std::string resourceVersion;
  bool deleting = false;  // metadata.deletionTimestamp is set
  bool cancel = false;    // spec.cancel

  // Reads the fields from a LaunchJob object; missing or mistyped fields read as empty.
  static JobSummary of(const nlohmann::json& object);
  // Ended: Succeeded, Failed or Cancelled.
  bool finished() const;
  // Claimed by an agent and not finished.
  bool active() const;
  bool operator==(const JobSummary&) const = default;
};

class JobIndex {
 public:
  // Keeps the job's summary, or drops it once the job has finished (a finished job never runs again).
  void upsert(const nlohmann::json& object);
  void erase(const nlohmann::json& object);
  // Calls `visit` for every unfinished job of the namespace, in no particular order, under a shared lock: `visit`
  // must be quick and must not call back into the index.
  void forEachIn(const std::string& ns, const std::function<void(const JobSummary&)>& visit) const;
  size_t size() const;

 private:
  // One namespace's summaries side by side, so that a pass over thousands reads memory in order.
  struct Jobs {
    std::vector<JobSummary> summaries;
    std::unordered_map<std::string, size_t> positions;  // name -> index in summaries
  };
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Jobs> byNamespace_;
};

}  // namespace launch::queue
