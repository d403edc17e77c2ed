// JobConfig: resolving a job's config and start timeout against its queue.
#include "api/JobConfig.hpp"

#include "api/QueueTemplate.hpp"

namespace launch::api {

Result<Json> resolveJobConfig(const LaunchQueueSpec& queue, const LaunchJobSpec& job) {
  auto filled = fillTemplate(queue.config, queue.templateVariables, job.templateValues);
  if (!filled) return filled.error();
  return applyOverrides(*filled, job.overrides);
}

std::optional<std::chrono::seconds> startTimeout(const LaunchQueueSpec& queue, const LaunchJobSpec& job) {
  if (job.startTimeoutSeconds) return std::chrono::seconds(*job.startTimeoutSeconds);
  if (queue.startTimeoutSeconds) return std::chrono::seconds(*queue.startTimeoutSeconds);
  return std::nullopt;
}

}  // namespace launch::api
