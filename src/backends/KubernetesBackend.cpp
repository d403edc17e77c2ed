// KubernetesBackend: batch/v1 Jobs built by KubernetesJobManifest, observed from informer caches.
#include "backends/KubernetesBackend.hpp"

#include <algorithm>
#include <chrono>

#include "backends/KubernetesJobManifest.hpp"
#include "kube/Informer.hpp"
#include "kube/ResourceType.hpp"

namespace launch::backends {
namespace {

namespace res = kube::resources;
constexpr std::string_view kRefPrefix = "batch/v1/Job/";
// How long a created Job stands in for the cache's copy: far longer than a watch event takes to arrive.
constexpr std::chrono::seconds kCreatedKept{30};

// "batch/v1/Job/<ns>/<name>" -> {ns, name}; empty names for a ref of another backend.
std::pair<std::string, std::string> parseRef(const std::string& ref) {
  if (ref.rfind(kRefPrefix, 0) != 0) return {};
  const std::string rest = ref.substr(kRefPrefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return {};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

Error badRef(const std::string& ref) {
  return makeError(ErrorCode::Invalid, "'" + ref + "' is not a Kubernetes run reference (batch/v1/Job/<ns>/<name>)");
}

// The LaunchJob key ("ns/name") of a Job or Pod this backend made.
std::string launchJobKey(const kube::Json& object) {
  const kube::Json& meta = object["metadata"];
  const kube::Json& labels = meta.value("labels", kube::Json::object());
  const auto it = labels.find("launch.dev/job");
  if (it == labels.end() || !it->is_string()) return {};
  return meta.value("namespace", "") + "/" + it->get<std::string>();
}

}  // namespace

KubernetesBackend::KubernetesBackend(kube::KubeClient& client, const std::string& ns, const Clock& clock)
    : client_(client), informers_(client, ns, "launch.dev/job", clock), clock_(clock) {}  // only its Jobs and Pods

KubernetesBackend::~KubernetesBackend() { stop(); }

Status KubernetesBackend::start(const RunChanged& changed) {
  return informers_.start(
      [this, changed](const kube::ObjectPtr& o) {
        {
          // Once the watch has shown a Job, the cache speaks for it (a Pod's name matches no entry).
          const kube::Json& meta = (*o)["metadata"];
          const std::lock_guard lock(createdMutex_);
          created_.erase(meta.value("namespace", "") + "/" + meta.value("name", ""));
        }
        std::string key = launchJobKey(*o);
        if (!key.empty() && changed) changed(key);
      },
      "run");
}

void KubernetesBackend::stop() { informers_.stop(); }

Result<std::string> KubernetesBackend::submit(const RunSpec& spec) {
  auto manifest = buildKubernetesJob(spec.job, spec.config, std::string(spec.agent), std::string(spec.image));
  if (!manifest) return manifest.error();
  const std::string& ns = spec.job.metadata.namespace_;
  auto created = client_.create(res::kJobs, ns, *manifest);
  if (!created && created.error().code != ErrorCode::AlreadyExists) {
    if (created.error().code == ErrorCode::Invalid) {
      return makeError(ErrorCode::Invalid,
                       "the API server refused the Job built from the queue config: " + created.error().message);
    }
    return created.error();
  }
  if (created) {
    kube::stripForCache(*created);
    const auto now = clock_.now();
    const std::lock_guard lock(createdMutex_);
    std::erase_if(created_, [&](const auto& entry) { return now - entry.second.at > kCreatedKept; });
    created_[ns + "/" + runName(spec.job)] =
        Created{std::make_shared<const kube::Json>(std::move(created).value()), now};
  }
  std::string ref(kRefPrefix);
  ref.append(ns).append("/").append(runName(spec.job));
  return ref;
}

kube::ObjectPtr KubernetesBackend::created(const std::string& key) {
  const std::lock_guard lock(createdMutex_);
  const auto it = created_.find(key);
  if (it == created_.end()) return nullptr;
  if (clock_.now() - it->second.at > kCreatedKept) {
    created_.erase(it);
    return nullptr;
  }
  return it->second.job;
}

Result<std::optional<std::string>> KubernetesBackend::findRun(const api::LaunchJob& job) {
  const std::string& ns = job.metadata.namespace_;
  const std::string name = runName(job);
  auto live = client_.get(res::kJobs, ns, name);
  if (!live) {
    if (live.error().code == ErrorCode::NotFound) return std::optional<std::string>();
    return live.error();
  }
  return std::optional<std::string>(std::string(kRefPrefix) + ns + "/" + name);
}

std::optional<std::string> KubernetesBackend::cachedRunAgent(const api::LaunchJob& job) const {
  const kube::ObjectPtr run = informers_.job(job.metadata.namespace_ + "/" + runName(job));
  if (!run) return std::nullopt;
  const auto metadata = run->find("metadata");
  if (metadata == run->end() || !metadata->is_object()) return std::string();
  const auto labels = metadata->find("labels");
  if (labels == metadata->end() || !labels->is_object()) return std::string();
  return labels->value("launch.dev/agent", "");
}

Result<RunObservation> KubernetesBackend::observe(const std::string& backendRef) {
  const auto [ns, name] = parseRef(backendRef);
  if (name.empty()) return badRef(backendRef);
  const std::string key = ns + "/" + name;
  kube::ObjectPtr job = informers_.job(key);
  if (!job) job = created(key);
  if (!job) {
    // The cache may not have caught up with a Job created a moment ago by another process: ask the API server.
    auto live = client_.get(res::kJobs, ns, name);
    if (!live) {
      if (live.error().code == ErrorCode::NotFound) return RunObservation{};
      return live.error();
    }
    job = std::make_shared<const kube::Json>(std::move(live).value());
  }
  std::vector<const kube::Json*> pods;
  const auto podObjects = informers_.podsOf(key);
  pods.reserve(podObjects.size());
  for (const auto& p : podObjects) pods.push_back(p.get());
  return observeKubernetesJob(job.get(), pods);
}

Result<std::string> KubernetesBackend::logs(const std::string& backendRef, std::size_t maxBytes) {
  const auto [ns, name] = parseRef(backendRef);
  if (name.empty()) return badRef(backendRef);
  const auto podObjects = informers_.podsOf(ns + "/" + name);
  if (podObjects.empty()) return std::string();
  const kube::ObjectPtr& pod = podObjects.back();
  const std::string path = "/api/v1/namespaces/" + ns + "/pods/" + pod->at("metadata").value("name", "") +
                           "/log?tailLines=" + std::to_string(std::max<std::size_t>(100, maxBytes / 64));
  auto response = client_.raw("GET", path);
  if (!response) return response.error();
  if (response->status >= 300) {
    return makeError(ErrorCode::Unavailable, "logs of pod " + pod->at("metadata").value("name", "") + ": HTTP " +
                                                 std::to_string(response->status));
  }
  std::string& text = response->body;
  if (text.size() > maxBytes) text.erase(0, text.size() - maxBytes);
  return std::move(text);
}

Status KubernetesBackend::cancel(const std::string& backendRef) {
  const auto [ns, name] = parseRef(backendRef);
  if (name.empty()) return badRef(backendRef);
  auto removed = client_.remove(res::kJobs, ns, name, kube::Propagation::Background);
  if (!removed && removed.error().code != ErrorCode::NotFound) return removed.error();
  return {};
}

// The Job is owned by its LaunchJob: garbage collection removes it with the LaunchJob.
Status KubernetesBackend::cleanup(const std::string& backendRef) {
  (void)backendRef;
  return {};
}

}  // namespace launch::backends
