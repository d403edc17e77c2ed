// JobConfig: what one job runs with, given its queue: the filled and overridden resource config, and the start
// timeout in force.
#pragma once

#include <chrono>
#include <optional>

#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"
#include "util/Result.hpp"

namespace launch::api {

// The queue's config with the job's template values filled in (fillTemplate), then the job's overrides merged
// over it (applyOverrides). An Invalid error names the job's field (spec.templateValues.<name>,
// spec.overrides) or the queue's (spec.config...) and the fix.
Result<Json> resolveJobConfig(const LaunchQueueSpec& queue, const LaunchJobSpec& job);

// The job's startTimeoutSeconds, else the queue's; nullopt when neither sets one.
std::optional<std::chrono::seconds> startTimeout(const LaunchQueueSpec& queue, const LaunchJobSpec& job);

}  // namespace launch::api
