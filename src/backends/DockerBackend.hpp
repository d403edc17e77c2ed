// DockerBackend: runs a LaunchJob as a container on a Docker engine (Engine API over DOCKER_HOST's socket)
// and learns of starts and exits from one /events stream shared by all runs, not a thread per job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "backends/Backend.hpp"
#include "docker/DockerEngine.hpp"

namespace launch::backends {

struct DockerBackendOptions {
  std::chrono::seconds stopGrace{10};  // SIGTERM, then SIGKILL after this long
  // The safety net when the event stream is down: observe running jobs this often anyway.
  std::chrono::milliseconds pollInterval{std::chrono::seconds(30)};
  // Credentials to pull the job's image with; empty answers mean anonymous.
  std::function<docker::RegistryCredentials(const std::string& image)> pullCredentials;
};

class DockerBackend final : public Backend {
 public:
  DockerBackend(std::unique_ptr<docker::DockerEngine> engine, DockerBackendOptions options = {});
  ~DockerBackend() override;
  DockerBackend(const DockerBackend&) = delete;
  DockerBackend& operator=(const DockerBackend&) = delete;

  Status start(const RunChanged& changed) override;
  void stop() override;
  Result<std::string> submit(const RunSpec& spec) override;
  Result<std::optional<std::string>> findRun(const api::LaunchJob& job) override;
  Result<RunObservation> observe(const std::string& backendRef) override;
  Result<std::string> logs(const std::string& backendRef, std::size_t maxBytes) override;
  Status cancel(const std::string& backendRef) override;
  Status cleanup(const std::string& backendRef) override;
  std::chrono::milliseconds pollInterval() const override { return options_.pollInterval; }

 private:
  void watchEvents(RunChanged changed);
  void reap();                                         // removes cancelled containers once their grace period is over
  void expediteRemoval(const std::string& container);  // a cancelled container exited: remove it now

  std::unique_ptr<docker::DockerEngine> engine_;
  std::unique_ptr<docker::DockerEngine> eventsEngine_;  // its own connection for the long-lived stream
  DockerBackendOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread watcher_;
  std::thread reaper_;
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> cancelled_;  // guarded by mutex_
};

// Reads an inspected container (GET /containers/{id}/json) as the LaunchJob should report it.
RunObservation observeDockerContainer(const nlohmann::json& inspected);

}  // namespace launch::backends
