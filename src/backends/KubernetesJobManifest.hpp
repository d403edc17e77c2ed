// The batch/v1 Job that runs a LaunchJob on Kubernetes, and how its Job and Pods read back as a
// RunObservation. Pure functions: no I/O.
#pragma once

#include <string>
#include <vector>

#include "api/LaunchJob.hpp"
#include "backends/Backend.hpp"
#include "backends/RunObservation.hpp"
#include "util/Result.hpp"

namespace launch::backends {

using Json = nlohmann::json;

// The Job for a LaunchJob and its resolved queue config. The config may hold a Job fragment: `metadata`
// (labels, annotations) and `spec`, merged over the defaults (backoffLimit 0, restartPolicy Never, a
// restricted securityContext); its first container, if given, is the base of the job's container, whose
// image, command, args and env come from the LaunchJob.
Result<Json> buildKubernetesJob(const api::LaunchJob& job, const Json& config, const std::string& agent,
                                const std::string& image);

// Reads a Job and its Pods (from the informer caches) as the LaunchJob should report them.
RunObservation observeKubernetesJob(const Json* job, const std::vector<const Json*>& pods);

}  // namespace launch::backends
