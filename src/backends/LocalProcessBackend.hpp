// LocalProcessBackend: runs a LaunchJob's entry point as a process on the agent's machine, in its own
// process group, with its output in a log file per job. A small monitor process waits for the job and
// records its exit status in the run's directory, so a restarted agent adopts running jobs and still
// learns how they ended. One thread watches every run (its monitor's pidfd for the end, inotify on its
// directory for the start); none is started per job.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backends/Backend.hpp"

namespace launch::backends {

struct LocalProcessBackendOptions {
  std::filesystem::path stateDir;      // one directory per run: log, pid, exit status
  std::chrono::seconds stopGrace{10};  // SIGTERM, then SIGKILL after this long
  // Variables passed through from the agent's own environment (the rest is not: it may hold credentials).
  std::vector<std::string> passEnvironment = {"PATH", "HOME", "LANG", "TMPDIR", "USER"};
};

class LocalProcessBackend final : public Backend {
 public:
  explicit LocalProcessBackend(LocalProcessBackendOptions options);
  ~LocalProcessBackend() override;
  LocalProcessBackend(const LocalProcessBackend&) = delete;
  LocalProcessBackend& operator=(const LocalProcessBackend&) = delete;

  Status start(const RunChanged& changed) override;
  void stop() override;
  Result<std::string> submit(const RunSpec& spec) override;
  Result<std::optional<std::string>> findRun(const api::LaunchJob& job) override;
  Result<RunObservation> observe(const std::string& backendRef) override;
  Result<std::string> logs(const std::string& backendRef, std::size_t maxBytes) override;
  Status cancel(const std::string& backendRef) override;
  Status cleanup(const std::string& backendRef) override;
  std::chrono::milliseconds pollInterval() const override { return std::chrono::milliseconds(0); }

 private:
  struct Watched {
    int pidfd = -1;
    int startWatch = -1;  // inotify watch on the run's directory until its pid file appears
    std::string jobKey;
    int monitorPid = 0;
  };
  void handleStartEvents(std::vector<std::string>& changed);  // mutex_ held
  void watch();
  void track(const std::string& run, int monitorPid, const std::string& jobKey);  // mutex_ held
  std::filesystem::path runDir(const std::string& backendRef) const;

  LocalProcessBackendOptions options_;
  RunChanged changed_;
  std::atomic<bool> stopping_{false};
  int epoll_ = -1;
  int wakeFd_ = -1;
  int inotify_ = -1;
  std::mutex mutex_;
  std::map<std::string, Watched> watched_;  // run name -> its monitor
  std::vector<std::string> startedEarly_;   // job keys whose start came before their watch, not yet reported
  std::vector<std::pair<std::chrono::steady_clock::time_point, int>> kills_;  // SIGKILL deadlines by pgid
  std::thread watcher_;
};

}  // namespace launch::backends
