// DockerBuilder: builds a job's image with a Docker engine (Engine API POST /build of a tar context) and
// pushes it to the agent's registry with X-Registry-Auth. Builds run on a small fixed pool of threads the
// builder owns, never a thread per job: submit() queues the build and returns, and every change (throttled
// progress, the end) is reported through the BuildChanged callback.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "build/BuildContext.hpp"
#include "build/Builder.hpp"
#include "docker/DockerEngine.hpp"
#include "registry/CredentialSource.hpp"
#include "util/Clock.hpp"

namespace launch::build {

struct DockerBuilderOptions {
  std::size_t threads = 1;  // builds at once; more wait in line
  std::string platform;     // os/arch[/variant]; empty: the engine's own
  // Push the built image to its registry; false keeps it in the engine (an agent without spec.registry), and
  // then an image the engine already has is not built again.
  bool push = true;
  std::shared_ptr<registry::CredentialSource> credentials;  // for the push; null: anonymous
  // Appended to a refused push: where the operator fixes the credentials.
  std::string credentialsHint = "check the registry credentials";
  std::chrono::milliseconds progressInterval{2000};  // at most one progress report per build this often
  std::size_t logBytes = std::size_t{64} * 1024;     // the build output kept for logs()
  BuildContextOptions context;
};

class DockerBuilder final : public Builder {
 public:
  DockerBuilder(std::unique_ptr<docker::DockerEngine> engine, DockerBuilderOptions options,
                const Clock& clock = SystemClock::instance());
  ~DockerBuilder() override;
  DockerBuilder(const DockerBuilder&) = delete;
  DockerBuilder& operator=(const DockerBuilder&) = delete;

  // Starts the pool. Builds submitted before start() wait for it.
  Status start(const BuildChanged& changed) override;
  // Stops every build under way and joins the pool.
  void stop() override;

  Status submit(const BuildRequest& request) override;
  Result<BuildObservation> observe(const api::LaunchJob& job) override;
  Result<std::string> logs(const api::LaunchJob& job, std::size_t maxBytes) override;
  Status cancel(const api::LaunchJob& job) override;
  Status cleanup(const api::LaunchJob& job) override;

  // Builds started since the builder was made (each ran the engine's /build), for tests and metrics.
  std::size_t buildsRun() const { return buildsRun_.load(); }

 private:
  // One build: what to do, and how it stands. Fields after `mutable` are guarded by mutex_.
  struct Build {
    std::string key;  // namespace/name of the LaunchJob
    std::string uid;  // of the LaunchJob, so a recreated job of the same name is a different build
    std::filesystem::path context;
    std::string dockerfilePath;
    std::string dockerfile;
    std::string image;
    std::atomic<bool> cancelled{false};
    bool started = false;
    BuildObservation observation;
    std::string log;
    Clock::TimePoint lastReport{};
  };

  void work();
  void run(Build& build);
  BuildObservation runSteps(Build& build);
  void progress(Build& build, std::string_view line);
  void report(const std::string& key);
  std::shared_ptr<Build> find(const api::LaunchJob& job) const;

  std::unique_ptr<docker::DockerEngine> engine_;
  DockerBuilderOptions options_;
  const Clock& clock_;
  BuildChanged changed_;

  mutable std::mutex mutex_;  // never held across a call to the engine or the callback
  std::condition_variable wake_;
  std::map<std::string, std::shared_ptr<Build>> builds_;  // by job key
  std::deque<std::shared_ptr<Build>> waiting_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> buildsRun_{0};
};

// Splits "host/repo:tag" into ("host/repo", "tag"); a reference without a tag gets "latest".
std::pair<std::string, std::string> splitImageTag(const std::string& image);

}  // namespace launch::build
