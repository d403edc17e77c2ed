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
  auto& jobs = byNamespace_[std::move(ns)];
  std::string name = summary.name;
  jobs.insert_or_assign(std::move(name), std::move(summary));
}

void JobIndex::erase(const Json& object) {
  const std::string ns = namespaceOf(object);
  const std::string name = text(member(object, "metadata"), "name");
  const std::unique_lock lock(mutex_);
  const auto jobs = byNamespace_.find(ns);
  if (jobs == byNamespace_.end()) return;
  jobs->second.erase(name);
  if (jobs->second.empty()) byNamespace_.erase(jobs);
}

void JobIndex::forEachIn(const std::string& ns, const std::function<void(const JobSummary&)>& visit) const {
  const std::shared_lock lock(mutex_);
  const auto jobs = byNamespace_.find(ns);
  if (jobs == byNamespace_.end()) return;
  for (const auto& [name, summary] : jobs->second) visit(summary);
}

size_t JobIndex::size() const {
  const std::shared_lock lock(mutex_);
  size_t count = 0;
  for (const auto& [ns, jobs] : byNamespace_) count += jobs.size();
  return count;
}

}  // namespace launch::queue
