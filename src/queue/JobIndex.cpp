// JobIndex: summaries of LaunchJobs by namespace, read from their JSON once per change.
#include "queue/JobIndex.hpp"

#include <mutex>

#include "api/LaunchJob.hpp"

namespace launch::queue {
namespace {

using Json = nlohmann::json;

const Json& member(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string text(const Json& object, const char* key) {
  const Json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::string namespaceOf(const Json& object) { return text(member(object, "metadata"), "namespace"); }

}  // namespace

JobSummary JobSummary::of(const Json& object) {
  const Json& metadata = member(object, "metadata");
  const Json& spec = member(object, "spec");
  const Json& status = member(object, "status");
  JobSummary summary;
  summary.name = text(metadata, "name");
  summary.queue = text(spec, "queue");
  summary.phase = text(status, "phase");
  summary.agent = text(status, "agent");
  summary.resourceVersion = text(metadata, "resourceVersion");
  summary.deleting = !member(metadata, "deletionTimestamp").is_null();
  const Json& cancel = member(spec, "cancel");
  summary.cancel = cancel.is_boolean() && cancel.get<bool>();
  return summary;
}

bool JobSummary::finished() const {
  return phase == api::toString(api::JobPhase::Succeeded) || phase == api::toString(api::JobPhase::Failed) ||
         phase == api::toString(api::JobPhase::Cancelled);
}

bool JobSummary::active() const { return !phase.empty() && !agent.empty() && !finished(); }

void JobIndex::upsert(const Json& object) {
  JobSummary summary = JobSummary::of(object);
  if (summary.finished()) {
    erase(object);
    return;
  }
  std::string ns = namespaceOf(object);
  const std::unique_lock lock(mutex_);
  Jobs& jobs = byNamespace_[std::move(ns)];
  const auto [position, added] = jobs.positions.try_emplace(summary.name, jobs.summaries.size());
  if (added) {
    jobs.summaries.push_back(std::move(summary));
  } else {
    jobs.summaries[position->second] = std::move(summary);
  }
}

void JobIndex::erase(const Json& object) {
  const std::string ns = namespaceOf(object);
  const std::string name = text(member(object, "metadata"), "name");
  const std::unique_lock lock(mutex_);
  const auto jobs = byNamespace_.find(ns);
  if (jobs == byNamespace_.end()) return;
  auto& [summaries, positions] = jobs->second;
  const auto position = positions.find(name);
  if (position == positions.end()) return;
  // The last summary takes the place of the one that goes.
  const size_t index = position->second;
  positions.erase(position);
  if (index + 1 != summaries.size()) {
    summaries[index] = std::move(summaries.back());
    positions[summaries[index].name] = index;
  }
  summaries.pop_back();
  if (summaries.empty()) byNamespace_.erase(jobs);
}

void JobIndex::forEachIn(const std::string& ns, const std::function<void(const JobSummary&)>& visit) const {
  const std::shared_lock lock(mutex_);
  const auto jobs = byNamespace_.find(ns);
  if (jobs == byNamespace_.end()) return;
  for (const JobSummary& summary : jobs->second.summaries) visit(summary);
}

size_t JobIndex::size() const {
  const std::shared_lock lock(mutex_);
  size_t count = 0;
  for (const auto& [ns, jobs] : byNamespace_) count += jobs.summaries.size();
  return count;
}

}  // namespace launch::queue
