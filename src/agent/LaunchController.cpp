// LaunchController: informers and handlers, the worker loop, and the four reconcilers (job, dispatch,
// queue, agent).
#include "agent/LaunchController.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include "agent/ImagePullSecret.hpp"
#include "api/Group.hpp"
#include "api/JobConfig.hpp"
#include "api/Resources.hpp"
#include "backends/KubernetesBackend.hpp"
#include "build/BuildPlan.hpp"
#include "kube/ResourceType.hpp"
#include "queue/ClaimPlanner.hpp"
#include "registry/ImageReference.hpp"
#include "registry/RegistryAuth.hpp"
#include "util/Base64.hpp"

namespace launch::agent {
namespace {

using kube::Json;
using kube::ObjectPtr;
namespace res = kube::resources;

// "ns/name" without the temporaries of a chain of operator+.
std::string joinKey(std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).append("/").append(name);
  return key;
}

std::string keyOf(const Json& object) {
  const Json& m = object["metadata"];
  return m.value("namespace", "") + "/" + m.value("name", "");
}

std::pair<std::string, std::string> splitKey(const std::string& key) {
  const auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

api::Condition condition(const std::string& type, bool status, const std::string& reason, const std::string& message,
                         int64_t generation, api::Timestamp now) {
  return api::Condition{type,       status ? api::ConditionStatus::True : api::ConditionStatus::False,
                        generation, now,
                        reason,     message.substr(0, 32768)};
}

// An image job on a kubernetes queue: its batch/v1 Job is owned by the LaunchJob, so garbage collection removes
// the Job with it. Such a job is claimed and submitted before its finalizer is added (one write less before the
// Job exists); every other job has the finalizer before anything of its run can exist.
bool runIsOwnedByTheJob(const api::LaunchJob& job, const Json* queueObject) {
  if (queueObject == nullptr || !std::holds_alternative<api::ImageSource>(job.spec.source)) return false;
  const Json& spec = queueObject->value("spec", Json::object());
  return spec.is_object() && spec.value("resource", "") == api::toString(api::QueueResource::Kubernetes);
}

// The status of a job that waits: Queued, with whether its queue exists and what to do when it does not.
void markQueued(api::LaunchJobStatus& status, const api::LaunchJob& job, bool queueFound, api::Timestamp now) {
  status.phase = api::JobPhase::Queued;
  status.message = queueFound ? "waiting for an agent"
                              : "LaunchQueue '" + job.spec.queue + "' does not exist in namespace " +
                                    job.metadata.namespace_ + "; create it and the job will run";
  api::setCondition(status.conditions, condition("QueueFound", queueFound, queueFound ? "QueueFound" : "QueueNotFound",
                                                 status.message, job.metadata.generation, now));
  status.observedGeneration = job.metadata.generation;
}

// The status of a job an agent claims: Running on that agent (its run comes next).
void claimFor(api::LaunchJobStatus& status, const api::LaunchJob& job, const std::string& agent, api::Timestamp now) {
  status.phase = api::JobPhase::Running;
  status.agent = agent;
  status.message = "claimed by agent " + agent;
  api::setCondition(status.conditions,
                    condition("Claimed", true, "Claimed", status.message, job.metadata.generation, now));
}

// Adds a Secret to the pod's imagePullSecrets in a kubernetes queue's resolved config (a Job fragment).
void addImagePullSecret(Json& config, const std::string& secret) {
  if (!config.is_object()) return;
  Json& spec = config["spec"];
  if (!spec.is_object()) spec = Json::object();
  Json& templ = spec["template"];
  if (!templ.is_object()) templ = Json::object();
  Json& podSpec = templ["spec"];
  if (!podSpec.is_object()) podSpec = Json::object();
  Json& secrets = podSpec["imagePullSecrets"];
  if (!secrets.is_array()) secrets = Json::array();
  for (const auto& s : secrets) {
    if (s.is_object() && s.value("name", "") == secret) return;
  }
  secrets.push_back({{"name", secret}});
}

// True when the pod of a kubernetes queue's resolved config pulls with this Secret.
bool pullsWith(const Json& config, const std::string& secret) {
  const Json* secrets = &config;
  for (const char* key : {"spec", "template", "spec", "imagePullSecrets"}) {
    if (!secrets->is_object() || !secrets->contains(key)) return false;
    secrets = &(*secrets)[key];
  }
  if (!secrets->is_array()) return false;
  return std::any_of(secrets->begin(), secrets->end(),
                     [&](const Json& s) { return s.is_object() && s.value("name", "") == secret; });
}

// A failed build's message, with what to fix.
std::string buildFailureMessage(const std::string& reason, const std::string& message, const std::string& agent) {
  if (reason == "BuildFailed") {
    return message + "; fix the Dockerfile or the files it uses in the job's source, then submit the job again";
  }
  if (reason == "PushFailed") return message + " (the registry is spec.registry of LaunchAgent '" + agent + "')";
  if (reason == "BuilderUnavailable") {
    return message + "; the builder of LaunchAgent '" + agent +
           "' could not run the build: check that its Docker engine (launch-operator --docker-host) is up";
  }
  return message;
}

}  // namespace

LaunchController::LaunchController(kube::KubeClient& client, LaunchControllerOptions options, Metrics& metrics,
                                   const Clock& clock)
    : client_(client),
      options_(std::move(options)),
      metrics_(metrics),
      clock_(clock),
      queues_(api::kLaunchQueues),
      agents_(api::kLaunchAgents),
      jobs_(api::kLaunchJobs),
      events_(client, "launch-operator", clock),
      http_(http::HttpClientOptions{}) {
  reconcileTotal_ = &metrics_.counter("controller_runtime_reconcile_total",
                                      "Total number of reconciliations per controller", {"controller", "result"});
  reconcileTime_ = &metrics_.histogram("controller_runtime_reconcile_time_seconds",
                                       "Length of time per reconciliation per controller", {"controller"},
                                       exponentialBuckets(0.005, 2, 14));
  finishedTotal_ = &metrics_.counter("launch_jobs_finished_total", "LaunchJobs that ended, by phase",
                                     {"namespace", "queue", "phase"});
  queuePending_ = &metrics_.gauge("launch_queue_pending_jobs", "LaunchJobs waiting on a queue", {"namespace", "queue"});
  queueRunning_ =
      &metrics_.gauge("launch_queue_running_jobs", "LaunchJobs claimed and not finished", {"namespace", "queue"});

  queue_ = std::make_unique<kube::WorkQueue>(
      kube::WorkQueueOptions{}.withName("launch").withClock(clock_).withMetrics(metrics_));
  kube::InformerOptions informer;
  informer.ns = options_.ns;
  queueInformer_ = std::make_unique<kube::Informer>(client_, queues_, informer, clock_);
  agentInformer_ = std::make_unique<kube::Informer>(client_, agents_, informer, clock_);
  jobInformer_ = std::make_unique<kube::Informer>(client_, jobs_, informer, clock_);
  kubernetes_ = std::make_unique<backends::KubernetesBackend>(client_, options_.ns, clock_);
  builders_ = std::make_unique<AgentBuilders>(
      client_, options_.builders, [this](const std::string& jobKey) { buildChanged(jobKey); },
      options_.cloudRegistryCredentials);
  options_.backends.emplace(api::QueueResource::Kubernetes, kubernetes_.get());
  // The index is updated first, so that the work the next handler queues reads the new summary.
  jobInformer_->addHandler({[this](const ObjectPtr& o) { jobIndex_.upsert(*o); },
                            [this](const ObjectPtr&, const ObjectPtr& o) { jobIndex_.upsert(*o); },
                            [this](const ObjectPtr& o, bool) { jobIndex_.erase(*o); }});
  auto jobChanged = [this](const ObjectPtr& o) { enqueueJob(*o); };
  jobInformer_->addHandler({jobChanged, [jobChanged](const ObjectPtr&, const ObjectPtr& o) { jobChanged(o); },
                            [this](const ObjectPtr& o, bool) {
                              enqueueNamespace("dispatch/", *o);
                              queue_->add("queue/" + o->at("metadata").value("namespace", "") + "/" +
                                          o->at("spec").value("queue", ""));
                            }});
  auto queueChanged = [this](const ObjectPtr& o) {
    queue_->add("queue/" + keyOf(*o));
    enqueueNamespace("dispatch/", *o);
  };
  queueInformer_->addHandler({queueChanged, [queueChanged](const ObjectPtr&, const ObjectPtr& o) { queueChanged(o); },
                              [queueChanged](const ObjectPtr& o, bool) { queueChanged(o); }});
  auto agentChanged = [this](const ObjectPtr& o) {
    queue_->add("agent/" + keyOf(*o));
    enqueueNamespace("dispatch/", *o);
  };
  agentInformer_->addHandler({agentChanged,
                              [this](const ObjectPtr& before, const ObjectPtr& after) {
                                // Our own heartbeats change only status: no new dispatch needed for them.
                                if (before->value("spec", Json()) != after->value("spec", Json())) {
                                  queue_->add("agent/" + keyOf(*after));
                                  enqueueNamespace("dispatch/", *after);
                                }
                              },
                              [this](const ObjectPtr& o, bool) {
                                queue_->add("agent/" + keyOf(*o));  // drops its builder
                                enqueueNamespace("dispatch/", *o);
                              }});
}

LaunchController::~LaunchController() { stop(); }

void LaunchController::enqueueJob(const Json& object) {
  queue_->add("job/" + keyOf(object));
  queue_->add("queue/" + object["metadata"].value("namespace", "") + "/" + object["spec"].value("queue", ""));
}

void LaunchController::enqueueNamespace(const std::string& prefix, const Json& object) {
  queue_->add(prefix + object["metadata"].value("namespace", ""));
}

Status LaunchController::start(std::chrono::milliseconds syncTimeout) {
  for (auto* inf : {queueInformer_.get(), agentInformer_.get(), jobInformer_.get()}) inf->start();
  // A change of a run whose record waits (its Job's ADDED event, above all) joins it in the Low lane at once: a
  // reconcile now would only put it there.
  const backends::RunChanged runChanged = [this](const std::string& jobKey) {
    queue_->add("job/" + jobKey, recordMayWait(jobKey) ? kube::Priority::Low : kube::Priority::Normal);
  };
  for (const auto& [resource, backend] : options_.backends) {
    Status started = backend->start(runChanged);
    if (!started.ok()) {
      return makeError(started.error().code,
                       std::string(api::toString(resource)) + " backend: " + started.error().message);
    }
  }
  for (auto* inf : {queueInformer_.get(), agentInformer_.get(), jobInformer_.get()}) {
    if (!inf->waitForSync(syncTimeout)) {
      return makeError(ErrorCode::Unavailable,
                       "the caches did not fill within the sync timeout; are the launch.dev CRDs installed "
                       "(kubectl apply -f crds/) and may this service account list them?");
    }
  }
  synced_ = true;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker(); });
  return {};
}

void LaunchController::stop() {
  if (queue_) queue_->shutDownWithDrain();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  if (builders_) builders_->stop();
  for (const auto& [resource, backend] : options_.backends) backend->stop();
  for (auto* inf : {queueInformer_.get(), agentInformer_.get(), jobInformer_.get()}) {
    if (inf != nullptr) inf->stop();
  }
}

void LaunchController::worker() {
  while (auto key = queue_->get()) {
    const auto started = clock_.now();
    std::chrono::milliseconds requeueAfter{0};
    Status result = makeError(ErrorCode::Internal, "not run");
    try {
      result = reconcile(*key, requeueAfter);
    } catch (const std::exception& e) {
      result = makeError(ErrorCode::Internal, std::string("reconcile threw: ") + e.what());
    }
    const std::string controller = key->substr(0, key->find('/'));
    reconcileTime_->withLabels({controller}).observe(std::chrono::duration<double>(clock_.now() - started).count());
    if (!result.ok()) {
      const bool conflict = result.error().code == ErrorCode::Conflict;
      if (conflict) {
        spdlog::debug("reconcile {}: {}; retrying with the newer object", *key, result.error().message);
      } else {
        spdlog::warn("reconcile {} failed: {}", *key, result.error().message);
      }
      reconcileTotal_->withLabels({controller, "error"}).inc();
      queue_->addRateLimited(*key);
    } else if (requeueAfter.count() > 0) {
      reconcileTotal_->withLabels({controller, "requeue_after"}).inc();
      queue_->forget(*key);
      queue_->addAfter(*key, requeueAfter);
    } else {
      reconcileTotal_->withLabels({controller, "success"}).inc();
      queue_->forget(*key);
    }
    queue_->done(*key);
  }
}

Status LaunchController::reconcile(const std::string& key, std::chrono::milliseconds& requeueAfter) {
  const auto slash = key.find('/');
  const std::string kind = key.substr(0, slash);
  const std::string rest = key.substr(slash + 1);
  if (kind == "dispatch") return dispatch(rest);
  const auto [ns, name] = splitKey(rest);
  if (kind == "job") return reconcileJob(ns, name, requeueAfter);
  if (kind == "queue") return reconcileQueue(ns, name, requeueAfter);
  if (kind == "agent") return reconcileAgent(ns, name, requeueAfter);
  return {};
}

ObjectPtr LaunchController::latestJob(const std::string& key) {
  ObjectPtr cached = jobInformer_->store().get(key);
  const std::string cachedVersion = cached ? cached->at("metadata").value("resourceVersion", "") : std::string();
  const std::lock_guard lock(overlayMutex_);
  ObjectPtr newer = newerWriteLocked(key, cachedVersion, cached != nullptr);
  return newer ? newer : cached;
}

ObjectPtr LaunchController::newerWriteLocked(const std::string& key, const std::string& cachedVersion, bool inCache) {
  const auto it = overlay_.find(key);
  if (it == overlay_.end()) return nullptr;
  const bool caughtUp = inCache && cachedVersion == it->second.resourceVersion;
  // Our write is the newest state until the cache shows it (or a while has passed and the cache moved on).
  if (!inCache || caughtUp || clock_.now() - it->second.at > std::chrono::seconds(30)) {
    overlay_.erase(it);
    return nullptr;
  }
  return it->second.object;
}

void LaunchController::forEachLatestJob(const std::string& ns,
                                        const std::function<void(const queue::JobSummary&)>& visit) {
  const std::lock_guard lock(overlayMutex_);
  std::string key = joinKey(ns, "");  // "ns/", then "ns/name" of the job at hand
  const auto first = overlay_.lower_bound(key);
  const bool ownWrites = first != overlay_.end() && first->first.starts_with(key);  // some in this namespace
  jobIndex_.forEachIn(ns, [&](const queue::JobSummary& cached) {
    if (ownWrites) {
      key.resize(ns.size() + 1);
      key.append(cached.name);
      if (const ObjectPtr newer = newerWriteLocked(key, cached.resourceVersion, true)) {
        visit(queue::JobSummary::of(*newer));
        return;
      }
    }
    visit(cached);
  });
}

void LaunchController::remember(const Json& written) {
  auto object = std::make_shared<const Json>(written);
  std::string version = written["metadata"].value("resourceVersion", "");
  const std::lock_guard lock(overlayMutex_);
  overlay_[keyOf(written)] = Written{std::move(object), std::move(version), clock_.now()};
}

Result<Json> LaunchController::writeJobStatus(const Json& object, const api::LaunchJobStatus& status) {
  Json updated = object;
  updated["status"] = api::toJson(status);
  auto written = client_.update(jobs_, object["metadata"].value("namespace", ""), updated, "status");
  if (written) {
    kube::stripForCache(*written);
    remember(*written);
    forgetPendingClaim(keyOf(object));  // the write recorded the claim, or ended the job
  } else if (written.error().code == ErrorCode::Conflict) {
    // Someone wrote after us: our remembered write is stale, and the cache (which will show their write and
    // reconcile the job again) is the better guide from now on.
    const std::lock_guard lock(overlayMutex_);
    overlay_.erase(keyOf(object));
  }
  return written;
}

std::optional<LaunchController::PendingClaim> LaunchController::pendingClaimOf(const std::string& key) {
  const std::lock_guard lock(overlayMutex_);
  const auto it = pendingClaims_.find(key);
  if (it == pendingClaims_.end()) return std::nullopt;
  return it->second;
}

void LaunchController::addPendingClaimLocked(const std::string& key, const std::string& agent) {
  if (pendingClaims_.try_emplace(key, PendingClaim{agent, {}, {}, {}}).second) ++claimsAwaitingRun_;
}

void LaunchController::setPendingRun(const std::string& key, const std::string& run, const std::string& image) {
  std::set<std::string> released;
  {
    const std::lock_guard lock(overlayMutex_);
    const auto it = pendingClaims_.find(key);
    if (it == pendingClaims_.end() || !it->second.run.empty()) return;
    it->second.run = run;
    it->second.image = image;
    it->second.runSince = clock_.now();
    released = claimGotItsRunLocked();
  }
  releaseParkedRecords(released);
}

std::optional<std::string> LaunchController::adoptUnrecordedRun(const std::string& key, const api::LaunchJob& job,
                                                                const Json* queueObject) {
  if (!runIsOwnedByTheJob(job, queueObject)) return std::nullopt;
  std::optional<std::string> agent = kubernetes_->cachedRunAgent(job);
  if (!agent || agent->empty()) return std::nullopt;
  const std::lock_guard lock(overlayMutex_);
  addPendingClaimLocked(key, *agent);
  return agent;
}

void LaunchController::forgetPendingClaim(const std::string& key) {
  std::set<std::string> released;
  {
    const std::lock_guard lock(overlayMutex_);
    const auto it = pendingClaims_.find(key);
    if (it == pendingClaims_.end()) return;
    if (it->second.run.empty()) released = claimGotItsRunLocked();
    pendingClaims_.erase(it);
  }
  releaseParkedRecords(released);
}

std::set<std::string> LaunchController::claimGotItsRunLocked() {
  if (--claimsAwaitingRun_ > 0) return {};
  return std::exchange(parkedRecords_, {});
}

void LaunchController::releaseParkedRecords(const std::set<std::string>& keys) {
  for (const auto& key : keys) queue_->add("job/" + key, kube::Priority::Low);
}

LaunchController::RecordWait LaunchController::recordWait(const std::string& key, Clock::Duration* park) {
  const std::lock_guard lock(overlayMutex_);
  const auto it = pendingClaims_.find(key);
  if (it == pendingClaims_.end() || it->second.run.empty()) return RecordWait::None;
  const Clock::Duration left = kRecordDelayLimit - (clock_.now() - it->second.runSince);
  if (left <= Clock::Duration::zero()) return RecordWait::None;
  if (queue_->lenNormal() > 0) return RecordWait::ForQueuedWork;
  if (claimsAwaitingRun_ == 0) return RecordWait::None;
  // Parked under the same lock that claimGotItsRunLocked releases under, so the release cannot be missed.
  if (park != nullptr) {
    parkedRecords_.insert(key);
    *park = left;
  }
  return RecordWait::ForRunsInTheMaking;
}

bool LaunchController::recordMayWait(const std::string& key) { return recordWait(key, nullptr) != RecordWait::None; }

bool LaunchController::deferRecord(const std::string& key) {
  Clock::Duration left{};
  switch (recordWait(key, &left)) {
    case RecordWait::None:
      return false;
    case RecordWait::ForQueuedWork:
      queue_->add("job/" + key, kube::Priority::Low);  // handed out once no Normal work is queued
      return true;
    case RecordWait::ForRunsInTheMaking:
      // Nothing is queued, but runs are being made in workers' hands: the record is parked until the last of
      // them exists, rather than handed out again and again meanwhile. The timer keeps kRecordDelayLimit
      // should a run never come.
      queue_->addAfter("job/" + key, left, kube::Priority::Low);
      return true;
  }
  return false;
}

Status LaunchController::finish(const Json& object, api::LaunchJob job, api::JobPhase phase, const std::string& reason,
                                const std::string& message) {
  forgetBuild(job);
  const auto now = clock_.wallNow();
  job.status.phase = phase;
  job.status.message = message;
  job.status.completionTime = now;
  api::setCondition(job.status.conditions, condition("Finished", true, reason, message, job.metadata.generation, now));
  auto written = writeJobStatus(object, job.status);
  if (!written) return written.error();
  finishedTotal_->withLabels({job.metadata.namespace_, job.spec.queue, std::string(api::toString(phase))}).inc();
  (void)events_.record(object, phase == api::JobPhase::Succeeded ? kube::EventType::Normal : kube::EventType::Warning,
                       reason, message);
  spdlog::info("launchjob {}/{} {}: {}", job.metadata.namespace_, job.metadata.name, api::toString(phase), message);
  queue_->add("dispatch/" + job.metadata.namespace_);  // capacity freed
  return {};
}

backends::Backend* LaunchController::backendFor(api::QueueResource resource) const {
  const auto it = options_.backends.find(resource);
  return it == options_.backends.end() ? nullptr : it->second;
}

backends::Backend* LaunchController::backendForRef(const std::string& backendRef) const {
  const auto resource = backends::resourceOfRef(backendRef);
  return resource ? backendFor(*resource) : nullptr;
}

Result<std::optional<LaunchController::Run>> LaunchController::runOf(const api::LaunchJob& job) const {
  if (!job.status.backendRef.empty()) {
    backends::Backend* backend = backendForRef(job.status.backendRef);
    if (backend == nullptr) return std::optional<Run>();
    return std::optional<Run>(Run{backend, job.status.backendRef});
  }
  // Only a claimed job can have been submitted; its status may lack the run when the job changed between
  // the submit and the status write that records it.
  if (job.status.agent.empty()) return std::optional<Run>();
  const ObjectPtr queueObject = queueInformer_->store().get(joinKey(job.metadata.namespace_, job.spec.queue));
  if (!queueObject) return std::optional<Run>();
  auto queue = api::LaunchQueue::fromJson(*queueObject);
  if (!queue) return std::optional<Run>();
  backends::Backend* backend = backendFor(queue->spec.resource);
  if (backend == nullptr) return std::optional<Run>();
  auto found = backend->findRun(job);
  if (!found) return found.error();
  if (!*found) return std::optional<Run>();
  return std::optional<Run>(Run{backend, std::move(**found)});
}

Status LaunchController::reconcileJob(const std::string& ns, const std::string& name,
                                      std::chrono::milliseconds& requeueAfter) {
  const std::string key = joinKey(ns, name);
  bool unplaced = false;  // a dispatch pass found no room for it while it was new
  {
    const std::lock_guard lock(overlayMutex_);
    unplaced = unplaced_.erase(key) > 0;
  }
  const ObjectPtr object = latestJob(key);
  if (!object) {
    forgetPendingClaim(key);
    return {};
  }
  auto parsed = api::LaunchJob::fromJson(*object);
  if (!parsed) {
    (void)events_.record(*object, kube::EventType::Warning, "InvalidSpec", parsed.error().message);
    return {};
  }
  api::LaunchJob job = std::move(parsed).value();
  // Given to an agent by a dispatch pass, not yet written: it is that agent's (so a cancel finds its run).
  const bool waiting = !job.status.phase || *job.status.phase == api::JobPhase::Queued;
  const std::optional<PendingClaim> pending = waiting ? pendingClaimOf(key) : std::nullopt;
  const std::string claimant = pending ? pending->agent : std::string();
  if (!claimant.empty()) job.status.agent = claimant;
  const bool finished = job.status.phase && api::isFinished(*job.status.phase);
  backends::Backend* running = job.status.backendRef.empty() ? nullptr : backendForRef(job.status.backendRef);

  // Deletion: stop the run and remove what it left, then let the LaunchJob go.
  if (job.metadata.deletionTimestamp) {
    forgetBuild(job);  // a build under way stops, and its Job, Secret and context go
    auto run = runOf(job);
    if (!run) return run.error();
    if (*run) {
      if (!finished) {
        Status cancelled = (*run)->backend->cancel((*run)->ref);
        if (!cancelled.ok()) return cancelled;
      }
      Status cleaned = (*run)->backend->cleanup((*run)->ref);
      if (!cleaned.ok() && cleaned.error().code != ErrorCode::NotFound) return cleaned;
    }
    std::error_code ignored;
    std::filesystem::remove_all(options_.workDir / backends::runName(job), ignored);
    forgetPendingClaim(key);
    if (job.metadata.hasFinalizer(kFinalizer)) {
      Json finalizers = Json::array();
      for (const auto& f : job.metadata.finalizers) {
        if (f != kFinalizer) finalizers.push_back(f);
      }
      Json patch = {{"metadata", {{"finalizers", finalizers}, {"resourceVersion", job.metadata.resourceVersion}}}};
      auto patched = client_.patch(jobs_, ns, name, patch);
      if (!patched && patched.error().code != ErrorCode::NotFound) return patched.error();
      if (!job.status.phase || !finished) {
        finishedTotal_->withLabels({ns, job.spec.queue, "Cancelled"}).inc();
      }
    }
    return {};
  }
  if (finished) return {};

  // The finalizer makes a delete wait until the run is gone.
  const ObjectPtr queueObject = queueInformer_->store().get(joinKey(ns, job.spec.queue));
  const bool ownedRun = runIsOwnedByTheJob(job, queueObject.get());
  const bool finalizerCanWait = job.status.backendRef.empty() && ownedRun;
  if (!job.metadata.hasFinalizer(kFinalizer) && !finalizerCanWait) {
    // Garbage collection of an owned Job covers a deletion meanwhile: this finalizer yields to queued work.
    if (ownedRun && queue_->lenNormal() > 0) {
      queue_->add("job/" + key, kube::Priority::Low);
      return {};
    }
    Json finalizers = Json(job.metadata.finalizers);
    finalizers.push_back(kFinalizer);
    auto patched =
        client_.patch(jobs_, ns, name,
                      {{"metadata", {{"finalizers", finalizers}, {"resourceVersion", job.metadata.resourceVersion}}}});
    if (!patched) return patched.error();
    kube::stripForCache(*patched);
    remember(*patched);
    return reconcileJob(ns, name, requeueAfter);
  }

  const auto now = clock_.wallNow();
  if (job.spec.cancel) {
    auto run = runOf(job);
    if (!run) return run.error();
    if (*run) {
      Status cancelled = (*run)->backend->cancel((*run)->ref);
      if (!cancelled.ok()) return cancelled;
    }
    return finish(*object, job, api::JobPhase::Cancelled, "Cancelled", "cancelled by spec.cancel");
  }

  if (!claimant.empty()) {
    // Claimed in memory by a dispatch pass: the claim is written with the run, below.
    if (!job.status.phase) markQueued(job.status, job, queueObject != nullptr, now);  // as a Queued write would
    claimFor(job.status, job, claimant, now);
    if (!pending->run.empty()) {
      // Its run exists and only the record is missing; it waits while other claimed jobs wait for their runs.
      if (deferRecord(key)) return {};
      backends::Backend* backend = backendForRef(pending->run);
      if (backend != nullptr) return recordRun(*object, job, pending->run, pending->image, *backend, requeueAfter);
    }
  } else if (waiting && adoptUnrecordedRun(key, job, queueObject.get()).has_value()) {
    return reconcileJob(ns, name, requeueAfter);  // claimed now: its run is found and recorded
  } else if (!job.status.phase) {
    // A new job: the dispatch pass claims it at once when an agent has room, else it comes back here unplaced.
    if (queueObject && !unplaced) {
      queue_->add("dispatch/" + ns);
      return {};
    }
    markQueued(job.status, job, queueObject != nullptr, now);
    auto written = writeJobStatus(*object, job.status);
    if (!written) return written.error();
    return {};  // its Queued event asks for a dispatch pass (below), should room have come meanwhile
  } else if (*job.status.phase == api::JobPhase::Queued) {
    // Dispatch claims it; a queue that appears later picks it up, so nothing is lost meanwhile.
    if (queueObject && !api::isConditionTrue(job.status.conditions, "QueueFound")) {
      job.status.message = "waiting for an agent";
      api::setCondition(job.status.conditions,
                        condition("QueueFound", true, "QueueFound", "", job.metadata.generation, now));
      auto written = writeJobStatus(*object, job.status);
      if (!written) return written.error();
    }
    queue_->add("dispatch/" + ns);
    return {};
  }

  // Claimed: submit the run once (its name derives from the LaunchJob, so a retry finds the first one).
  if (!queueObject) {
    if (running != nullptr) (void)running->cancel(job.status.backendRef);
    return finish(*object, job, api::JobPhase::Failed, "QueueNotFound",
                  "LaunchQueue '" + job.spec.queue + "' was deleted while the job was claimed");
  }
  auto queue = api::LaunchQueue::fromJson(*queueObject);
  if (!queue) return finish(*object, job, api::JobPhase::Failed, "InvalidQueue", queue.error().message);
  if (job.status.backendRef.empty()) {
    backends::Backend* backend = backendFor(queue->spec.resource);
    if (backend == nullptr) {
      return finish(*object, job, api::JobPhase::Failed, "BackendNotAvailable",
                    "this operator has no " + std::string(api::toString(queue->spec.resource)) +
                        " backend; start launch-operator with the flags that enable it (see --help)");
    }
    return submit(*object, job, *queue, *backend, requeueAfter);
  }
  if (running == nullptr) {
    return finish(*object, job, api::JobPhase::Failed, "BackendNotAvailable",
                  "the run " + job.status.backendRef + " belongs to a backend this operator does not have");
  }

  auto observed = running->observe(job.status.backendRef);
  if (!observed) return observed.error();
  const backends::RunObservation& seen = *observed;
  if (!seen.exists) {
    return finish(*object, job, api::JobPhase::Failed, "RunDeleted",
                  "the run " + job.status.backendRef + " was deleted before it finished");
  }
  if (seen.finished) {
    if (seen.started && !job.status.startTime) job.status.startTime = now;  // it ran between two looks
    return finish(*object, job, *seen.finished, seen.reason, seen.message);
  }
  if (seen.permanentFailure) {
    (void)running->cancel(job.status.backendRef);
    return finish(*object, job, api::JobPhase::Failed, seen.reason, seen.message);
  }
  requeueAfter = running->pollInterval();

  api::LaunchJobStatus next = job.status;
  if (seen.started && !next.startTime) next.startTime = now;
  if (!seen.reason.empty()) next.message = seen.message;
  api::setCondition(
      next.conditions,
      condition("Started", seen.started, seen.started ? "Running" : (seen.reason.empty() ? "Pending" : seen.reason),
                seen.started ? "" : seen.message, job.metadata.generation, now));
  if (!seen.started) {
    const auto timeout = api::startTimeout(queue->spec, job.spec);
    const api::Condition* submitted = api::findCondition(job.status.conditions, "Submitted");
    if (timeout && submitted != nullptr) {
      const auto waited = now - submitted->lastTransitionTime;
      if (waited >= *timeout) {
        (void)running->cancel(job.status.backendRef);
        // The reason is what kept it from starting (ImagePullBackOff, Unschedulable...) when that is known.
        const bool known = !seen.reason.empty() && seen.reason != "Running";
        return finish(*object, job, api::JobPhase::Failed, known ? seen.reason : "StartTimeout",
                      "the job did not start within " + std::to_string(timeout->count()) + "s" +
                          (seen.reason.empty() ? "" : " (" + seen.message + ")"));
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*timeout - waited) + std::chrono::milliseconds(50);
      requeueAfter = requeueAfter.count() > 0 ? std::min(requeueAfter, left) : left;
    }
  }
  if (next != job.status) {
    if (!seen.reason.empty() && seen.reason != "Running") {
      (void)events_.record(*object, kube::EventType::Warning, seen.reason, seen.message);
    }
    auto written = writeJobStatus(*object, next);
    if (!written) return written.error();
  }
  return {};
}

Result<std::optional<build::CheckedOutSource>> LaunchController::checkout(const api::LaunchJob& job) {
  if (std::holds_alternative<api::ImageSource>(job.spec.source)) return std::optional<build::CheckedOutSource>();
  std::optional<build::GitCredentials> credentials;
  if (const auto* git = std::get_if<api::GitSource>(&job.spec.source); git != nullptr && git->credentialsSecretRef) {
    const std::string& secretName = git->credentialsSecretRef->name;
    auto secret = client_.get(res::kSecrets, job.metadata.namespace_, secretName);
    if (!secret) {
      if (secret.error().code == ErrorCode::NotFound) {
        return makeError(ErrorCode::Invalid, "spec.source.git.credentialsSecretRef: Secret '" + secretName +
                                                 "' does not exist in namespace " + job.metadata.namespace_);
      }
      return secret.error();
    }
    const Json& data = secret->value("data", Json::object());
    auto decoded = [&](const char* key) -> std::string {
      const std::optional<std::string> value = base64Decode(data.value(key, ""));
      return value.value_or(std::string());
    };
    credentials = build::GitCredentials{decoded("username"), decoded("password")};
    if (credentials->password.empty()) {
      return makeError(ErrorCode::Invalid, "spec.source.git.credentialsSecretRef: Secret '" + secretName +
                                               "' needs the keys username and password (or a token as password)");
    }
    if (credentials->username.empty()) credentials->username = "x-access-token";
  }
  auto fetched = sources_.fetch(job.spec.source, options_.workDir / backends::runName(job), credentials);
  if (!fetched) return fetched.error();
  return std::optional<build::CheckedOutSource>(std::move(fetched).value());
}

Status LaunchController::submit(const Json& object, api::LaunchJob& job, const api::LaunchQueue& queue,
                                backends::Backend& backend, std::chrono::milliseconds& requeueAfter) {
  auto config = api::resolveJobConfig(queue.spec, job.spec);
  if (!config) return finish(object, job, api::JobPhase::Failed, "InvalidConfig", config.error().message);
  if (const auto* source = std::get_if<api::ImageSource>(&job.spec.source)) {
    return submitRun(object, job, *config, backend, source->image, "", requeueAfter);
  }
  if (queue.spec.resource != api::QueueResource::LocalProcess) {
    return buildThenSubmit(object, job, queue, std::move(config).value(), backend, requeueAfter);
  }
  // A local process runs the checked-out source itself: nothing to build.
  auto source = checkout(job);
  if (!source) {
    if (source.error().code == ErrorCode::Invalid) {
      return finish(object, job, api::JobPhase::Failed, "SourceUnavailable", source.error().message);
    }
    return source.error();
  }
  const std::string sourceDir = *source ? (*source)->context.string() : std::string();
  return submitRun(object, job, *config, backend, "", sourceDir, requeueAfter);
}

Status LaunchController::submitRun(const Json& object, api::LaunchJob& job, const Json& config,
                                   backends::Backend& backend, const std::string& image, const std::string& sourceDir,
                                   std::chrono::milliseconds& requeueAfter) {
  const backends::RunSpec spec{job, config, job.status.agent, image, sourceDir};
  auto submitted = backend.submit(spec);
  if (!submitted) {
    const Error& error = submitted.error();
    // Waiting will not fix a refused config, a name taken by someone else, or an image that cannot be pulled.
    if (error.code == ErrorCode::Invalid || error.code == ErrorCode::AlreadyExists || error.reason == "ErrImagePull") {
      return finish(
          object, job, api::JobPhase::Failed,
          error.reason.empty() ? (error.code == ErrorCode::Invalid ? "InvalidConfig" : "NameTaken") : error.reason,
          error.message);
    }
    return error;
  }
  const std::string key = joinKey(job.metadata.namespace_, job.metadata.name);
  setPendingRun(key, *submitted, image);  // a claim not yet written: its record may wait for other runs
  if (deferRecord(key)) return {};
  return recordRun(object, job, *submitted, image, backend, requeueAfter);
}

Status LaunchController::recordRun(const Json& object, api::LaunchJob& job, const std::string& run,
                                   const std::string& image, backends::Backend& backend,
                                   std::chrono::milliseconds& requeueAfter) {
  const auto now = clock_.wallNow();
  if (job.status.phase == api::JobPhase::Building) job.status.phase = api::JobPhase::Running;
  job.status.backendRef = run;
  job.status.image = image;
  job.status.message = "submitted as " + run + "; waiting for it to start";
  api::setCondition(job.status.conditions,
                    condition("Submitted", true, "Submitted", job.status.message, job.metadata.generation, now));
  // What the first look at a fresh run finds, written now rather than in a second write a moment later.
  api::setCondition(job.status.conditions, condition("Started", false, "Pending", "", job.metadata.generation, now));
  auto written = writeJobStatus(object, job.status);
  if (!written) return written.error();
  (void)events_.record(object, kube::EventType::Normal, "Submitted", "submitted " + run);
  requeueAfter = backend.pollInterval();
  return {};
}

Status LaunchController::buildThenSubmit(const Json& object, api::LaunchJob& job, const api::LaunchQueue& queue,
                                         Json config, backends::Backend& backend,
                                         std::chrono::milliseconds& requeueAfter) {
  const std::string& agentName = job.status.agent;
  const ObjectPtr agentObject = agentInformer_->store().get(joinKey(job.metadata.namespace_, agentName));
  if (!agentObject) {
    return finish(object, job, api::JobPhase::Failed, "AgentNotFound",
                  "LaunchAgent '" + agentName + "', which claimed the job, is gone, and with it the builder");
  }
  auto agent = api::LaunchAgent::fromJson(*agentObject);
  if (!agent) return finish(object, job, api::JobPhase::Failed, "InvalidAgent", agent.error().message);
  const std::string kind = std::holds_alternative<api::GitSource>(job.spec.source) ? "git" : "archive";
  if (agent->spec.builder.type == api::BuilderType::Noop) {
    return finish(
        object, job, api::JobPhase::Failed, "BuildNotAvailable",
        "the job's " + kind + " source needs an image built for its " +
            std::string(api::toString(queue.spec.resource)) + " queue, but LaunchAgent '" + agentName +
            "' has spec.builder.type noop, which runs image jobs only; set spec.builder.type of LaunchAgent '" +
            agentName + "' to docker or kaniko, or give the job spec.source.image");
  }
  if (!agent->spec.registry && queue.spec.resource != api::QueueResource::Docker) {
    return finish(object, job, api::JobPhase::Failed, "RegistryRequired",
                  "a " + std::string(api::toString(queue.spec.resource)) +
                      " queue pulls its images from a registry, but LaunchAgent '" + agentName +
                      "' has no spec.registry; set spec.registry.uri (and credentialsSecretRef) of LaunchAgent '" +
                      agentName + "'");
  }
  auto setup = builders_->forAgent(*agent);
  if (!setup) {
    if (setup.error().code == ErrorCode::Invalid) {
      return finish(object, job, api::JobPhase::Failed, "BuilderNotAvailable", setup.error().message);
    }
    return setup.error();
  }
  if (queue.spec.resource == api::QueueResource::Kubernetes && (*setup)->registrySpec &&
      (*setup)->registrySpec->credentialsSecretRef) {
    // The kubelet pulls with the agent's dockerconfigjson Secret (same namespace); the pod never sees it.
    addImagePullSecret(config, (*setup)->registrySpec->credentialsSecretRef->name);
  } else if (needsImagePullSecret(queue, **setup)) {
    addImagePullSecret(config, imagePullSecretName(job));  // made just before the run is submitted
  }

  // A build this builder already has for the job: under way, failed or done.
  auto seen = (*setup)->builder->observe(job);
  if (!seen) return seen.error();
  if (seen->exists) {
    if (!seen->succeeded) {
      if (!seen->message.empty() && seen->message != job.status.message) {
        job.status.message = seen->message;
        auto written = writeJobStatus(object, job.status);
        if (!written) return written.error();
      }
      return {};  // the builder reports the next change
    }
    if (!*seen->succeeded) {
      return finish(object, job, api::JobPhase::Failed, seen->reason.empty() ? "BuildFailed" : seen->reason,
                    buildFailureMessage(seen->reason, seen->message, agentName));
    }
    const auto now = clock_.wallNow();
    api::setCondition(job.status.conditions,
                      condition("Built", true, "Built", seen->message, job.metadata.generation, now));
    (void)events_.record(object, kube::EventType::Normal, "Built", seen->message);
    std::error_code ignored;
    std::filesystem::remove_all(options_.workDir / backends::runName(job), ignored);  // the image has it all
    if (pullsWith(config, imagePullSecretName(job))) {
      Status made = createImagePullSecret(job, **setup);
      if (!made.ok()) return made;
    }
    Status submitted = submitRun(object, job, config, backend, job.status.image, "", requeueAfter);
    // The run pulls the pushed image from the registry: the build's push credentials (the per-build Secret) and
    // its uploaded context are not kept for as long as the run lasts. What fails here goes when the job ends.
    if (submitted.ok() && !job.status.backendRef.empty()) (void)(*setup)->builder->cleanup(job);
    return submitted;
  }
  // No build yet, or one lost with an earlier process or a replaced builder: start (over).
  return startBuild(object, job, *agent, **setup, config, backend, requeueAfter);
}

Status LaunchController::startBuild(const Json& object, api::LaunchJob& job, const api::LaunchAgent& agent,
                                    const AgentBuild& setup, const Json& config, backends::Backend& backend,
                                    std::chrono::milliseconds& requeueAfter) {
  auto source = checkout(job);
  if (!source) {
    if (source.error().code == ErrorCode::Invalid) {
      return finish(object, job, api::JobPhase::Failed, "SourceUnavailable", source.error().message);
    }
    return source.error();
  }
  const build::CheckedOutSource& checkedOut = **source;
  const std::string repository =
      setup.registrySpec ? setup.registrySpec->uri : std::string(build::kLocalBuildRepository);
  // The agent's base images win over the operator's.
  build::DockerfileSettings settings = options_.dockerfile;
  if (!agent.spec.builder.baseImage.empty()) settings.baseImage = agent.spec.builder.baseImage;
  if (!agent.spec.builder.cudaBaseImage.empty()) settings.cudaBaseImage = agent.spec.builder.cudaBaseImage;
  const build::DockerfileGenerator generator(std::move(settings));
  auto plan = build::planBuild(
      {job, checkedOut, generator, repository, agent.spec.builder.platform, build::configWantsGpu(config)});
  if (!plan) {
    if (plan.error().code == ErrorCode::Invalid) {
      return finish(object, job, api::JobPhase::Failed, "InvalidBuild", plan.error().message);
    }
    return plan.error();
  }
  const auto now = clock_.wallNow();
  if (setup.registry) {
    auto reference = registry::ImageReference::parse(plan->image);
    if (!reference) return finish(object, job, api::JobPhase::Failed, "InvalidRegistry", reference.error().message);
    auto digest = setup.registry->manifestDigest(*reference);
    if (!digest) {
      const ErrorCode code = digest.error().code;
      if (code == ErrorCode::Unauthorized || code == ErrorCode::Forbidden || code == ErrorCode::Invalid) {
        return finish(object, job, api::JobPhase::Failed, "RegistryUnauthorized", digest.error().message);
      }
      return digest.error();
    }
    if (*digest) {
      // Same source, Dockerfile and build args: the image is there already, so nothing is built.
      const std::string message =
          "image " + plan->image + " exists in the registry (" + **digest + "); not built again";
      job.status.image = plan->image;
      api::setCondition(job.status.conditions,
                        condition("Built", true, "ImageExists", message, job.metadata.generation, now));
      (void)events_.record(object, kube::EventType::Normal, "ImageExists", message);
      std::error_code ignored;
      std::filesystem::remove_all(options_.workDir / backends::runName(job), ignored);
      if (pullsWith(config, imagePullSecretName(job))) {
        Status made = createImagePullSecret(job, setup);
        if (!made.ok()) return made;
      }
      return submitRun(object, job, config, backend, plan->image, "", requeueAfter);
    }
  }
  Status submitted = setup.builder->submit({job, checkedOut, plan->dockerfilePath, plan->dockerfile, plan->image});
  if (!submitted.ok()) {
    if (submitted.error().code == ErrorCode::Invalid) {
      return finish(object, job, api::JobPhase::Failed, "BuildFailed", submitted.error().message);
    }
    return submitted.error();
  }
  job.status.phase = api::JobPhase::Building;
  job.status.image = plan->image;
  job.status.message = "building " + plan->image + " from " +
                       (plan->generated ? "a generated Dockerfile (the source has none)" : plan->dockerfilePath) +
                       " with the " + std::string(api::toString(agent.spec.builder.type)) + " builder";
  api::setCondition(job.status.conditions,
                    condition("Built", false, "Building", job.status.message, job.metadata.generation, now));
  auto written = writeJobStatus(object, job.status);
  if (!written) return written.error();
  (void)events_.record(object, kube::EventType::Normal, "Building", job.status.message);
  return {};
}

bool LaunchController::needsImagePullSecret(const api::LaunchQueue& queue, const AgentBuild& setup) {
  return queue.spec.resource == api::QueueResource::Kubernetes && setup.registrySpec &&
         !setup.registrySpec->credentialsSecretRef && setup.credentials;
}

Status LaunchController::createImagePullSecret(const api::LaunchJob& job, const AgentBuild& setup) {
  auto host = registry::registryHostOf(setup.registrySpec->uri);
  if (!host) return host.error();
  auto credentials = setup.credentials->credentials();
  if (!credentials) return credentials.error();
  auto created = client_.create(res::kSecrets, job.metadata.namespace_, imagePullSecret(job, *host, *credentials));
  if (!created && created.error().code != ErrorCode::AlreadyExists) {
    return makeError(created.error().code, "the image pull Secret " + imagePullSecretName(job) +
                                               " could not be created (may the operator create Secrets in " +
                                               job.metadata.namespace_ +
                                               "? see secretNamespaces): " + created.error().message);
  }
  return {};
}

void LaunchController::forgetBuild(const api::LaunchJob& job) {
  if (std::holds_alternative<api::ImageSource>(job.spec.source) || job.status.agent.empty()) return;
  const auto setup = builders_->find(joinKey(job.metadata.namespace_, job.status.agent));
  if (!setup) return;
  if (setup->registrySpec && !setup->registrySpec->credentialsSecretRef && setup->credentials) {
    (void)client_.remove(res::kSecrets, job.metadata.namespace_, imagePullSecretName(job));  // a run's pull token
  }
  if (!setup->builder) return;
  (void)setup->builder->cancel(job);
  (void)setup->builder->cleanup(job);
}

void LaunchController::buildChanged(const std::string& jobKey) { queue_->add("job/" + jobKey); }

Status LaunchController::dispatch(const std::string& ns) {
  std::map<std::string, api::LaunchQueue> queues;
  std::map<std::string, ObjectPtr> queueObjects;  // unpacked once per pass, not once per job
  for (auto& o : queueInformer_->store().byIndex("namespace", ns)) {
    if (auto q = api::LaunchQueue::fromJson(*o)) {
      std::string name = q->metadata.name;
      queueObjects.emplace(name, std::move(o));
      queues.emplace(std::move(name), std::move(q).value());
    }
  }
  auto queueObjectOf = [&](const std::string& name) -> const Json* {
    const auto it = queueObjects.find(name);
    return it == queueObjects.end() ? nullptr : it->second.get();
  };
  std::map<std::string, queue::QueueState> states;
  for (const auto& [name, q] : queues) states[name].queue = &q;
  std::vector<api::LaunchAgent> agents;
  for (const auto& o : agentInformer_->store().byIndex("namespace", ns)) {
    if (auto a = api::LaunchAgent::fromJson(*o)) agents.push_back(std::move(a).value());
  }
  std::sort(agents.begin(), agents.end(),
            [](const auto& a, const auto& b) { return a.metadata.name < b.metadata.name; });

  // A first look at each job reads its summary and counts; only new jobs, and waiting ones when some agent has
  // room, are unpacked and parsed whole (a backlog of thousands on full agents costs no parsing and no copies).
  std::map<std::string, int> activeByAgent;
  std::vector<std::string> freshKeys;
  bool someWait = false;  // a Queued job no agent holds
  std::string keyBuffer;  // "ns/name" of the job at hand, reused so that the walk does not allocate per job
  auto pendingClaimAgent = [&](const queue::JobSummary& job) -> const std::string* {
    // overlayMutex_ is held by the walk: pendingClaims_ may be read.
    if (pendingClaims_.empty()) return nullptr;
    keyBuffer.assign(ns).append("/").append(job.name);
    const auto pending = pendingClaims_.find(keyBuffer);
    return pending == pendingClaims_.end() ? nullptr : &pending->second.agent;
  };
  forEachLatestJob(ns, [&](const queue::JobSummary& job) {
    if (job.deleting || job.cancel) return;
    const bool waiting = job.phase.empty() || job.phase == api::toString(api::JobPhase::Queued);
    const std::string* holder = nullptr;  // the agent whose slot the job holds
    if (!waiting) {
      if (job.finished()) return;  // our own write of its end, ahead of the cache
      holder = &job.agent;
    } else if (const std::string* claimant = pendingClaimAgent(job)) {
      holder = claimant;  // claimed by an earlier pass, its run being made
    } else if (job.phase.empty()) {
      freshKeys.push_back(joinKey(ns, job.name));
    } else if (!job.agent.empty()) {
      holder = &job.agent;  // Queued with an agent set: it holds one of that agent's slots
    } else if (states.count(job.queue) != 0) {
      someWait = true;
    }
    if (holder == nullptr || holder->empty()) return;
    ++activeByAgent[*holder];
    if (const auto state = states.find(job.queue); state != states.end()) ++state->second.running;
  });
  const bool room = std::any_of(agents.begin(), agents.end(), [&](const api::LaunchAgent& a) {
    return !a.metadata.deletionTimestamp && (a.spec.maxJobs < 0 || activeByAgent[a.metadata.name] < a.spec.maxJobs);
  });
  std::vector<std::string> waitingKeys;
  if (room && someWait) {
    forEachLatestJob(ns, [&](const queue::JobSummary& job) {
      if (job.deleting || job.cancel || job.phase != api::toString(api::JobPhase::Queued) || !job.agent.empty() ||
          states.count(job.queue) == 0 || pendingClaimAgent(job) != nullptr)
        return;
      waitingKeys.push_back(joinKey(ns, job.name));
    });
  }
  std::vector<api::LaunchJob> jobs;
  jobs.reserve(freshKeys.size() + (room ? waitingKeys.size() : 0));
  std::vector<size_t> fresh;  // indexes in `jobs` of new jobs (no phase yet): claimed below, or marked Queued
  for (const auto& key : freshKeys) {
    const ObjectPtr object = latestJob(key);
    if (!object) continue;
    auto job = api::LaunchJob::fromJson(*object);
    if (!job) continue;  // its own reconcile reports the invalid spec
    // Not before its finalizer, unless garbage collection cleans up after its run.
    const Json* queueObject = queueObjectOf(job->spec.queue);
    if (queueObject == nullptr || (!job->metadata.hasFinalizer(kFinalizer) && !runIsOwnedByTheJob(*job, queueObject)))
      continue;
    fresh.push_back(jobs.size());
    jobs.push_back(std::move(job).value());
  }
  if (room) {
    for (const auto& key : waitingKeys) {
      const ObjectPtr object = latestJob(key);
      if (!object) continue;
      if (auto job = api::LaunchJob::fromJson(*object)) jobs.push_back(std::move(job).value());
    }
  }
  std::set<const api::LaunchJob*> adopted;  // runs made before a restart whose claims were never written
  for (const auto& job : jobs) {
    const std::string key = joinKey(ns, job.metadata.name);
    if (const auto agent = adoptUnrecordedRun(key, job, queueObjectOf(job.spec.queue))) {
      adopted.insert(&job);
      ++activeByAgent[*agent];
      if (states.count(job.spec.queue) != 0) ++states[job.spec.queue].running;
      queue_->add("job/" + key);
    } else if (states.count(job.spec.queue) != 0) {
      states[job.spec.queue].waiting.push_back(&job);
    }
  }
  std::set<const api::LaunchJob*> claimed;
  for (const auto& agent : agents) {
    if (agent.metadata.deletionTimestamp) continue;
    queue::AgentState state{agent.metadata.name, agent.spec.maxJobs, activeByAgent[agent.metadata.name],
                            agent.spec.queues, roundRobin_[joinKey(ns, agent.metadata.name)]++};
    for (const api::LaunchJob* job : queue::planClaims(state, states)) {
      const std::string key = joinKey(job->metadata.namespace_, job->metadata.name);
      if (runIsOwnedByTheJob(*job, queueObjectOf(job->spec.queue))) {
        // A job whose run is a Job named after it: creating that Job is as exclusive as a claim write (a
        // second create finds the first), so the claim is written once, with the run, by the job's reconcile.
        const std::lock_guard lock(overlayMutex_);
        addPendingClaimLocked(key, agent.metadata.name);
      } else {
        const ObjectPtr object = latestJob(key);
        if (!object) continue;
        api::LaunchJobStatus status = job->status;
        const auto now = clock_.wallNow();
        if (!status.phase) markQueued(status, *job, true, now);  // what a Queued write would have said
        claimFor(status, *job, agent.metadata.name, now);
        auto written = writeJobStatus(*object, status);  // fails with 409 if another agent or replica was first
        if (!written) {
          if (written.error().code == ErrorCode::Conflict) continue;
          return written.error();
        }
      }
      ++activeByAgent[agent.metadata.name];
      claimed.insert(job);
      queue_->add("job/" + key);
    }
  }
  // New jobs no agent took wait as Queued (the queue's pending count and `kubectl get` show them): each job's
  // own reconcile writes that, so the writes spread over the workers and this pass stays short.
  for (const size_t index : fresh) {
    const api::LaunchJob* job = &jobs[index];
    if (claimed.count(job) != 0 || adopted.count(job) != 0) continue;
    const std::string key = joinKey(job->metadata.namespace_, job->metadata.name);
    {
      const std::lock_guard lock(overlayMutex_);
      unplaced_.insert(key);
    }
    queue_->add("job/" + key);
  }
  return {};
}

Status LaunchController::reconcileQueue(const std::string& ns, const std::string& name,
                                        std::chrono::milliseconds& requeueAfter) {
  const ObjectPtr object = queueInformer_->store().get(ns + "/" + name);
  if (!object) {
    const std::lock_guard lock(overlayMutex_);
    queueWrittenAt_.erase(joinKey(ns, name));
    return {};
  }
  auto queue = api::LaunchQueue::fromJson(*object);
  if (!queue) return {};
  api::LaunchQueueStatus status = queue->status;
  const Status valid = api::validate(*queue);
  const auto now = clock_.wallNow();
  api::setCondition(status.conditions,
                    condition("Ready", valid.ok(), valid.ok() ? "Valid" : "InvalidSpec",
                              valid.ok() ? "" : valid.error().message, queue->metadata.generation, now));
  status.observedGeneration = queue->metadata.generation;
  // Counts change with every job: a burst of jobs makes one write a second, not one per job. A change of the
  // spec or of the Ready condition is written at once.
  const std::string key = joinKey(ns, name);
  if (status.conditions == queue->status.conditions && status.observedGeneration == queue->status.observedGeneration) {
    const std::lock_guard lock(overlayMutex_);
    const auto last = queueWrittenAt_.find(key);
    const auto since = last == queueWrittenAt_.end() ? kQueueStatusPeriod : clock_.now() - last->second;
    if (since < kQueueStatusPeriod) {
      requeueAfter = std::chrono::duration_cast<std::chrono::milliseconds>(kQueueStatusPeriod - since) +
                     std::chrono::milliseconds(1);
      return {};
    }
  }
  // The counts read the jobs' summaries; no job is unpacked.
  status.pending = 0;
  status.running = 0;
  forEachLatestJob(ns, [&](const queue::JobSummary& job) {
    if (job.queue != name) return;
    if (job.phase == api::toString(api::JobPhase::Queued)) {
      ++status.pending;
    } else if (job.active()) {
      ++status.running;
    }
  });
  queuePending_->withLabels({ns, name}).set(status.pending);
  queueRunning_->withLabels({ns, name}).set(status.running);
  if (status == queue->status) return {};
  Json updated = *object;
  updated["status"] = api::toJson(status);
  auto written = client_.update(queues_, ns, updated, "status");
  if (!written) return written.error();
  const std::lock_guard lock(overlayMutex_);
  queueWrittenAt_[key] = clock_.now();
  return {};
}

Status LaunchController::reconcileAgent(const std::string& ns, const std::string& name,
                                        std::chrono::milliseconds& requeueAfter) {
  const ObjectPtr object = agentInformer_->store().get(ns + "/" + name);
  if (!object) {
    builders_->remove(joinKey(ns, name));  // a deleted agent builds nothing more
    return {};
  }
  auto agent = api::LaunchAgent::fromJson(*object);
  if (!agent) return {};
  api::LaunchAgentStatus status = agent->status;
  status.activeJobs = 0;
  forEachLatestJob(ns, [&](const queue::JobSummary& job) {
    if (job.agent == name && job.active()) ++status.activeJobs;
  });
  std::string missing;
  for (const auto& q : agent->spec.queues) {
    if (queueInformer_->store().get(joinKey(ns, q))) continue;
    if (!missing.empty()) missing += ", ";
    missing += q;
  }
  const auto now = clock_.wallNow();
  status.lastHeartbeatTime = now;
  api::setCondition(
      status.conditions,
      condition("Ready", missing.empty(), missing.empty() ? "Serving" : "QueueNotFound",
                missing.empty() ? "" : "these LaunchQueues do not exist: " + missing, agent->metadata.generation, now));
  status.observedGeneration = agent->metadata.generation;
  Json updated = *object;
  updated["status"] = api::toJson(status);
  auto written = client_.update(agents_, ns, updated, "status");
  if (!written) return written.error();
  requeueAfter = options_.heartbeatPeriod;
  return {};
}

}  // namespace launch::agent
