// JobOrder: the queue order of LaunchJobs, compared without copying names.
#include "api/JobOrder.hpp"

#include <string_view>
#include <tuple>

namespace launch::api {
namespace {

struct KeyView {
  Priority priority;
  const std::optional<Timestamp>& created;
  std::string_view name;
  std::string_view namespace_;
};

bool before(const KeyView& a, const KeyView& b, bool prioritization) {
  if (prioritization && a.priority != b.priority) return priorityRank(a.priority) < priorityRank(b.priority);
  if (a.created != b.created) {
    if (!a.created) return false;
    if (!b.created) return true;
    return *a.created < *b.created;
  }
  return std::tie(a.name, a.namespace_) < std::tie(b.name, b.namespace_);
}

KeyView view(const JobOrderKey& key) { return {key.priority, key.created, key.name, key.namespace_}; }
KeyView view(const LaunchJob& job) {
  return {job.spec.priority, job.metadata.creationTimestamp, job.metadata.name, job.metadata.namespace_};
}

}  // namespace

JobOrderKey jobOrderKey(const LaunchJob& job) {
  return {job.spec.priority, job.metadata.creationTimestamp, job.metadata.name, job.metadata.namespace_};
}

bool runsBefore(const JobOrderKey& a, const JobOrderKey& b, bool prioritization) {
  return before(view(a), view(b), prioritization);
}

bool runsBefore(const LaunchJob& a, const LaunchJob& b, bool prioritization) {
  return before(view(a), view(b), prioritization);
}

}  // namespace launch::api
