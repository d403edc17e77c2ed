// Builder: turns a job's checked-out source into an image pushed to the agent's registry. Builds run
// without holding a controller worker: submit() returns once the build is under way (a Docker build on the
// builder's own thread, a Kaniko Job in the cluster), observe() says how it stands, and every change is
// reported through the callback given to start(), so the controller never polls a build it can watch.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "api/LaunchJob.hpp"
#include "build/SourceCheckout.hpp"
#include "util/Result.hpp"

namespace launch::build {

// What to build: the claimed LaunchJob, its checked-out source, the Dockerfile to build it with and the
// content-addressed image reference (registry/repository:tag) to push the result to.
struct BuildRequest {
  const api::LaunchJob& job;
  const CheckedOutSource& source;
  std::string dockerfilePath;  // relative to source.context
  std::string dockerfile;      // its text (the source's own, or a generated one)
  std::string image;           // where the built image goes
};

// How one build stands, in the LaunchJob's terms.
struct BuildObservation {
  bool exists = false;            // the builder knows a build for this job
  std::optional<bool> succeeded;  // set once the build is over
  std::string digest;             // "sha256:..." of the pushed image, when it succeeded and is known
  std::string reason;             // CamelCase when it failed: BuildFailed, PushFailed, DeadlineExceeded...
  std::string message;            // one line for people: the last progress line, or what went wrong
};

// Called with the LaunchJob key ("namespace/name") when a build changes.
using BuildChanged = std::function<void(const std::string& jobKey)>;

class Builder {
 public:
  virtual ~Builder() = default;

  // Starts watching builds, if the builder can, and reports changes through `changed`.
  virtual Status start(const BuildChanged& changed) {
    (void)changed;
    return {};
  }
  virtual void stop() {}

  // Starts the build, or finds the one an earlier call started for this LaunchJob (a build's name derives
  // from the LaunchJob, so a retried submit never makes a second build).
  virtual Status submit(const BuildRequest& request) = 0;
  virtual Result<BuildObservation> observe(const api::LaunchJob& job) = 0;
  // The last `maxBytes` of the build's output.
  virtual Result<std::string> logs(const api::LaunchJob& job, std::size_t maxBytes) = 0;
  // Stops a build under way; a build that is over or unknown is fine.
  virtual Status cancel(const api::LaunchJob& job) = 0;
  // Removes what a build left behind (build Jobs, uploaded contexts, per-build Secrets). Idempotent.
  virtual Status cleanup(const api::LaunchJob& job) = 0;
};

}  // namespace launch::build
