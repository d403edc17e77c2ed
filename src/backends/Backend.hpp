// Backend: one target resource (Kubernetes, Docker, SageMaker, Vertex AI, a local process) behind one
// interface: submit, observe, logs, cancel and cleanup of the run that carries one LaunchJob.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"
#include "backends/RunObservation.hpp"
#include "util/Result.hpp"

namespace launch::backends {

// What to run: the claimed LaunchJob, its resolved resource config (queue template filled, the job's
// overrides merged) and the image (the job's own, or the one a build produced; empty for a local process).
struct RunSpec {
  const api::LaunchJob& job;
  const nlohmann::json& config;
  std::string_view agent;
  std::string_view image;
  std::string_view sourceDir = {};  // where a git or archive source was fetched; empty when none
};

// Called with the LaunchJob key ("namespace/name") when a backend that watches its runs sees one change.
using RunChanged = std::function<void(const std::string& jobKey)>;

class Backend {
 public:
  virtual ~Backend() = default;

  // Starts watching runs, if the backend can, and reports each change through `changed`; returns once
  // its caches are filled. The default has nothing to watch.
  virtual Status start(const RunChanged& changed) {
    (void)changed;
    return {};
  }
  // Stops the watches. Runs keep running.
  virtual void stop() {}

  // Starts the run, or finds the one an earlier attempt started (the run's name derives from the
  // LaunchJob, so a retried submit never makes a second run). Returns the backendRef to keep in status.
  virtual Result<std::string> submit(const RunSpec& spec) = 0;
  // The backendRef of the run an earlier submit started for this LaunchJob, or nullopt when there is none.
  // A job cancelled between its submit and the status write that records the run finds it this way.
  virtual Result<std::optional<std::string>> findRun(const api::LaunchJob& job) = 0;
  // The agent (its launch.dev/agent label) of a run of this LaunchJob that the backend's watch cache holds,
  // without asking the server; nullopt when the cache holds none or the backend keeps no cache. After a restart
  // this finds runs made for claims that were never written, so they count against their agent's maxJobs.
  virtual std::optional<std::string> cachedRunAgent(const api::LaunchJob& job) const {
    (void)job;
    return std::nullopt;
  }
  // The run as the LaunchJob should report it; after a restart this is how a run is adopted.
  virtual Result<RunObservation> observe(const std::string& backendRef) = 0;
  // The last `maxBytes` of the run's output.
  virtual Result<std::string> logs(const std::string& backendRef, std::size_t maxBytes) = 0;
  // Stops the run (gracefully first). Cancelling a run that is already gone succeeds.
  virtual Status cancel(const std::string& backendRef) = 0;
  // Removes what a finished run leaves behind (containers, log files, pull secrets). Idempotent.
  virtual Status cleanup(const std::string& backendRef) = 0;
  // How soon to observe a running job again when nothing notifies a change: zero for backends whose
  // watches notify every change, a poll period for cloud APIs that cannot be watched.
  virtual std::chrono::milliseconds pollInterval() const = 0;
};

// "lj-<name>-<first 8 of uid>", at most 63 characters of [a-z0-9-]: stable for one LaunchJob, different
// for a recreated LaunchJob of the same name. Every backend names its run this way.
std::string runName(const api::LaunchJob& job);

// Which kind of backend made a backendRef ("batch/v1/Job/...", "docker/container/...", "local/...",
// "sagemaker/...", "projects/.../customJobs/..."); nullopt for one this version does not know.
std::optional<api::QueueResource> resourceOfRef(std::string_view backendRef);

}  // namespace launch::backends
