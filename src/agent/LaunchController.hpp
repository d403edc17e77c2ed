// LaunchController: reconciles LaunchQueues, LaunchAgents and LaunchJobs in the cluster. Each LaunchAgent
// is an in-process agent: a dispatch pass claims the next jobs of its queues (a status update guarded by
// resourceVersion, so two agents or two replicas never run one job), then each claimed job is run as a
// batch/v1 Job and tracked through watches on Jobs and Pods until it ends. No thread per job: a few
// workers share one rate-limited work queue.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/AgentBuilders.hpp"
#include "api/LaunchAgent.hpp"
#include "api/LaunchJob.hpp"
#include "api/LaunchQueue.hpp"
#include "backends/Backend.hpp"
#include "build/DockerfileGenerator.hpp"
#include "build/SourceCheckout.hpp"
#include "http/HttpClient.hpp"
#include "kube/EventRecorder.hpp"
#include "kube/Informer.hpp"
#include "kube/KubeClient.hpp"
#include "kube/WorkQueue.hpp"
#include "queue/JobIndex.hpp"
#include "util/Clock.hpp"
#include "util/Metrics.hpp"

namespace launch::agent {

inline constexpr const char* kFinalizer = "launch.dev/cleanup";

struct LaunchControllerOptions {
  std::string ns;  // empty: all namespaces
  int workers = 2;
  std::chrono::seconds heartbeatPeriod{30};
  // The targets this process can run on, besides Kubernetes (which the controller always has): Docker,
  // SageMaker, Vertex, local process. Not owned; they must outlive the controller.
  std::map<api::QueueResource, backends::Backend*> backends;
  // Where git and archive sources are checked out, one directory per run.
  std::filesystem::path workDir = std::filesystem::temp_directory_path() / "launch-operator-sources";
  // How each builder type (LaunchAgent spec.builder.type) is made; noop needs none. A type without a
  // factory fails its agents' source jobs with a message naming spec.builder.type.
  std::map<api::BuilderType, BuilderFactory> builders{};
  // The base images of generated Dockerfiles (sources without one); a LaunchAgent's spec.builder.baseImage
  // and cudaBaseImage win.
  build::DockerfileSettings dockerfile{};
  // Credentials of ecr, gar and acr registries named without a Secret; empty: such agents are refused.
  CloudRegistryCredentials cloudRegistryCredentials{};
  // Fetchers of s3:// and gs:// archive sources; a missing one refuses its scheme, naming what to configure.
  build::ArchiveFetchers archiveFetchers{};
};

class LaunchController {
 public:
  LaunchController(kube::KubeClient& client, LaunchControllerOptions options, Metrics& metrics = Metrics::global(),
                   const Clock& clock = SystemClock::instance());
  ~LaunchController();
  LaunchController(const LaunchController&) = delete;
  LaunchController& operator=(const LaunchController&) = delete;

  // Starts the informers, waits for their caches, then starts the workers.
  Status start(std::chrono::milliseconds syncTimeout = std::chrono::seconds(60));
  // Stops taking work, lets writes in flight finish, and stops the watches.
  void stop();
  bool synced() const { return synced_.load(); }
  // Credentials for a backend to pull an image a build pushed: the registry credentials of the agent whose
  // registry holds it (anonymous when none does). Thread-safe.
  docker::RegistryCredentials pullCredentials(const std::string& image) const {
    return builders_->pullCredentials(image);
  }

 private:
  void worker();
  Status reconcile(const std::string& key, std::chrono::milliseconds& requeueAfter);
  Status reconcileJob(const std::string& ns, const std::string& name, std::chrono::milliseconds& requeueAfter);
  Status dispatch(const std::string& ns);
  Status reconcileQueue(const std::string& ns, const std::string& name, std::chrono::milliseconds& requeueAfter);
  Status reconcileAgent(const std::string& ns, const std::string& name, std::chrono::milliseconds& requeueAfter);

  // The newest state of a LaunchJob: the cache, or this controller's own later write not yet seen there.
  kube::ObjectPtr latestJob(const std::string& key);
  // With overlayMutex_ held: this controller's own write of the job while the cache (at `cachedVersion`, or
  // without the job) has not caught up with it, for up to 30 s; forgets writes the cache has caught up with.
  kube::ObjectPtr newerWriteLocked(const std::string& key, const std::string& cachedVersion, bool inCache);
  // Calls `visit` with the newest summary of every LaunchJob of the namespace (the cache's, or this
  // controller's own later write), with overlayMutex_ held: `visit` must be quick.
  void forEachLatestJob(const std::string& ns, const std::function<void(const queue::JobSummary&)>& visit);
  Result<kube::Json> writeJobStatus(const kube::Json& object, const api::LaunchJobStatus& status);
  void remember(const kube::Json& written);
  Status finish(const kube::Json& object, api::LaunchJob job, api::JobPhase phase, const std::string& reason,
                const std::string& message);
  void enqueueJob(const kube::Json& object);
  void enqueueNamespace(const std::string& prefix, const kube::Json& object);
  backends::Backend* backendFor(api::QueueResource resource) const;
  backends::Backend* backendForRef(const std::string& backendRef) const;
  struct Run {
    backends::Backend* backend;
    std::string ref;
  };
  // The job's run, if it has one: the one its status records, else the one its queue's backend finds.
  Result<std::optional<Run>> runOf(const api::LaunchJob& job) const;
  // The job's git or archive source, checked out for a run that needs it; nullopt when it has none.
  Result<std::optional<build::CheckedOutSource>> checkout(const api::LaunchJob& job);
  Status submit(const kube::Json& object, api::LaunchJob& job, const api::LaunchQueue& queue,
                backends::Backend& backend, std::chrono::milliseconds& requeueAfter);
  // Git and archive jobs on queues that run images: the image is found in the registry (no build) or built
  // by the agent's builder (phase Building, resumed by the builder's callback), then the run is submitted.
  Status buildThenSubmit(const kube::Json& object, api::LaunchJob& job, const api::LaunchQueue& queue,
                         kube::Json config, backends::Backend& backend, std::chrono::milliseconds& requeueAfter);
  // Starts the build (or skips it when the registry has the image); the job is Building afterwards.
  Status startBuild(const kube::Json& object, api::LaunchJob& job, const api::LaunchAgent& agent,
                    const AgentBuild& setup, const kube::Json& config, backends::Backend& backend,
                    std::chrono::milliseconds& requeueAfter);
  Status submitRun(const kube::Json& object, api::LaunchJob& job, const kube::Json& config, backends::Backend& backend,
                   const std::string& image, const std::string& sourceDir, std::chrono::milliseconds& requeueAfter);
  // Writes the claim (when not yet written) and the submitted run in one status update.
  Status recordRun(const kube::Json& object, api::LaunchJob& job, const std::string& run, const std::string& image,
                   backends::Backend& backend, std::chrono::milliseconds& requeueAfter);
  // A kubernetes run of an image built for a cloud registry (credentials of the operator's identity, no
  // Secret of the agent's): the kubelet needs the token in a Secret of the run's own.
  static bool needsImagePullSecret(const api::LaunchQueue& queue, const AgentBuild& setup);
  Status createImagePullSecret(const api::LaunchJob& job, const AgentBuild& setup);
  // Stops and forgets the job's build, if its agent's builder has one, and deletes the run's image pull Secret.
  // Called when the job ends.
  void forgetBuild(const api::LaunchJob& job);
  // A builder's report: the job's build changed.
  void buildChanged(const std::string& jobKey);

  kube::KubeClient& client_;
  LaunchControllerOptions options_;
  Metrics& metrics_;
  const Clock& clock_;
  kube::ResourceType queues_;
  kube::ResourceType agents_;
  kube::ResourceType jobs_;
  std::unique_ptr<kube::Informer> queueInformer_;
  std::unique_ptr<kube::Informer> agentInformer_;
  std::unique_ptr<kube::Informer> jobInformer_;
  queue::JobIndex jobIndex_;  // a summary of each cached LaunchJob, for passes over all jobs of a namespace
  std::unique_ptr<backends::Backend> kubernetes_;
  std::unique_ptr<kube::WorkQueue> queue_;
  kube::EventRecorder events_;
  http::HttpClient http_;
  build::SourceCheckout sources_{http_, options_.archiveFetchers};
  std::unique_ptr<AgentBuilders> builders_;
  std::vector<std::thread> workers_;
  std::atomic<bool> synced_{false};

  std::mutex overlayMutex_;
  struct Written {
    kube::ObjectPtr object;
    std::string resourceVersion;  // the object's
    Clock::TimePoint at;
  };
  std::map<std::string, Written> overlay_;    // job key -> this controller's last write
  std::map<std::string, size_t> roundRobin_;  // agent key -> next first queue
  static constexpr std::chrono::seconds kQueueStatusPeriod{1};
  std::map<std::string, Clock::TimePoint> queueWrittenAt_;  // queue key -> its last status write (overlayMutex_)
  std::set<std::string> unplaced_;  // new jobs a dispatch pass had no room for, to be marked Queued (overlayMutex_)
  // Jobs a dispatch pass gave to an agent without a write (overlayMutex_): their run's name derives from the
  // job, so the job's reconcile creates the run and records claim and run in one status write. That record
  // yields to queued work (up to kRecordDelayLimit): in a burst the API server's writes go to starting runs
  // first, and the records follow.
  struct PendingClaim {
    std::string agent;
    std::string run;    // the run's backendRef once it exists (its record not yet written)
    std::string image;  // the image it runs
    Clock::TimePoint runSince{};
  };
  std::map<std::string, PendingClaim> pendingClaims_;
  std::size_t claimsAwaitingRun_ = 0;    // pending claims whose run is not made yet
  std::set<std::string> parkedRecords_;  // jobs whose record waits for claimsAwaitingRun_ to reach 0
  // One claim fewer awaits its run; when none is left, the parked records, to be queued (overlayMutex_ held).
  std::set<std::string> claimGotItsRunLocked();
  void releaseParkedRecords(const std::set<std::string>& keys);
  static constexpr std::chrono::seconds kRecordDelayLimit{30};
  std::optional<PendingClaim> pendingClaimOf(const std::string& key);
  // Claims the job for the agent in memory (overlayMutex_ held).
  void addPendingClaimLocked(const std::string& key, const std::string& agent);
  // The pending claim's run now exists.
  void setPendingRun(const std::string& key, const std::string& run, const std::string& image);
  void forgetPendingClaim(const std::string& key);
  // A run its backend's cache holds for this unclaimed job (made before a restart, its claim never written):
  // the job becomes a pending claim of the run's agent, and that agent is returned.
  std::optional<std::string> adoptUnrecordedRun(const std::string& key, const api::LaunchJob& job,
                                                const kube::Json* queueObject);
  // Whether the record of the job's run should wait (its run younger than kRecordDelayLimit), and for what:
  // other queued work, or other claimed jobs whose runs are being made. In the second case a non-null `park`
  // parks the record (parkedRecords_) and receives the time left to the limit.
  enum class RecordWait { None, ForQueuedWork, ForRunsInTheMaking };
  RecordWait recordWait(const std::string& key, Clock::Duration* park);
  bool recordMayWait(const std::string& key);
  // recordMayWait(), and the job queued again (or parked) with Low priority when it is true.
  bool deferRecord(const std::string& key);

  CounterFamily* reconcileTotal_ = nullptr;
  HistogramFamily* reconcileTime_ = nullptr;
  CounterFamily* finishedTotal_ = nullptr;
  GaugeFamily* queuePending_ = nullptr;
  GaugeFamily* queueRunning_ = nullptr;
};

}  // namespace launch::agent
