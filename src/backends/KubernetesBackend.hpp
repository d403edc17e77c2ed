// KubernetesBackend: runs a LaunchJob as a batch/v1 Job and tracks it through watches on the Jobs and Pods
// it made (label launch.dev/job), never by polling.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backends/Backend.hpp"
#include "kube/JobPodInformers.hpp"
#include "kube/KubeClient.hpp"
#include "util/Clock.hpp"

namespace launch::backends {

class KubernetesBackend final : public Backend {
 public:
  // ns: the namespace to watch (empty: all).
  KubernetesBackend(kube::KubeClient& client, const std::string& ns, const Clock& clock = SystemClock::instance());
  ~KubernetesBackend() override;
  KubernetesBackend(const KubernetesBackend&) = delete;
  KubernetesBackend& operator=(const KubernetesBackend&) = delete;

  Status start(const RunChanged& changed) override;
  void stop() override;
  Result<std::string> submit(const RunSpec& spec) override;
  Result<std::optional<std::string>> findRun(const api::LaunchJob& job) override;
  std::optional<std::string> cachedRunAgent(const api::LaunchJob& job) const override;
  Result<RunObservation> observe(const std::string& backendRef) override;
  Result<std::string> logs(const std::string& backendRef, std::size_t maxBytes) override;
  Status cancel(const std::string& backendRef) override;
  Status cleanup(const std::string& backendRef) override;
  std::chrono::milliseconds pollInterval() const override { return std::chrono::milliseconds(0); }

 private:
  // The Job as its create answered, until the cache has it: a run just submitted is observed without a GET.
  kube::ObjectPtr created(const std::string& key);

  kube::KubeClient& client_;
  kube::JobPodInformers informers_;
  const Clock& clock_;
  std::mutex createdMutex_;
  struct Created {
    kube::ObjectPtr job;
    Clock::TimePoint at;
  };
  std::map<std::string, Created> created_;  // "ns/name" -> the Job this process created a moment ago
};

}  // namespace launch::backends
