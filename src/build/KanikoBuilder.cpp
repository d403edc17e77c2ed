// KanikoBuilder: build Jobs made by KanikoJobManifest, contexts by KanikoContext, observed from informer caches.
#include "build/KanikoBuilder.hpp"

#include <algorithm>
#include <variant>

#include "build/KanikoContext.hpp"
#include "build/KanikoJobManifest.hpp"
#include "kube/ResourceType.hpp"
#include "registry/DockerConfigJson.hpp"
#include "registry/ImageReference.hpp"

namespace launch::build {
namespace {

namespace res = kube::resources;

// The LaunchJob key ("ns/name") of a Job or Pod this builder made.
std::string launchJobKey(const kube::Json& object) {
  const kube::Json& meta = object["metadata"];
  const kube::Json& labels = meta.value("labels", kube::Json::object());
  const auto it = labels.find("launch.dev/job");
  if (it == labels.end() || !it->is_string()) return {};
  return meta.value("namespace", "") + "/" + it->get<std::string>();
}

// The key docker config.json files use for a registry; Docker Hub keeps its historical one, which is the
// one kaniko's credential lookup asks for.
std::string configKeyOf(const std::string& registryHost) {
  if (registryHost == registry::kDockerHubRegistry) return "https://index.docker.io/v1/";
  return registryHost;
}

Status ignoreNotFound(const Result<kube::Json>& result) {
  if (!result && result.error().code != ErrorCode::NotFound) return result.error();
  return {};
}

}  // namespace

KanikoBuilder::KanikoBuilder(kube::KubeClient& client, KanikoBuilderOptions options,
                             std::unique_ptr<BuildContextStore> contextStore, const Clock& clock)
    : client_(client),
      options_(std::move(options)),
      store_(std::move(contextStore)),
      informers_(client, options_.ns, std::string(kBuildLabel) + "=" + std::string(kBuildLabelValue), clock) {}

KanikoBuilder::~KanikoBuilder() { stop(); }

std::string KanikoBuilder::contextObjectName(const api::LaunchJob& job) {
  return job.metadata.namespace_ + "/" + kanikoBuildName(job) + ".tar.gz";
}

Status KanikoBuilder::start(const BuildChanged& changed) {
  return informers_.start(
      [changed](const kube::ObjectPtr& o) {
        std::string key = launchJobKey(*o);
        if (!key.empty() && changed) changed(key);
      },
      "kaniko build");
}

void KanikoBuilder::stop() { informers_.stop(); }

Result<kube::ObjectPtr> KanikoBuilder::buildJob(const api::LaunchJob& job) {
  const std::string& ns = job.metadata.namespace_;
  const std::string name = kanikoBuildName(job);
  if (kube::ObjectPtr cached = informers_.job(ns + "/" + name)) return cached;
  // The cache may not have caught up with a Job created a moment ago (or has not started): ask the API server.
  auto live = client_.get(res::kJobs, ns, name);
  if (!live) {
    if (live.error().code == ErrorCode::NotFound) return kube::ObjectPtr();
    return live.error();
  }
  return kube::ObjectPtr(std::make_shared<const kube::Json>(std::move(live).value()));
}

Status KanikoBuilder::writeSecret(const api::LaunchJob& job, const std::map<std::string, std::string>& files) {
  const std::string& ns = job.metadata.namespace_;
  auto created = client_.create(res::kSecrets, ns, buildKanikoSecret(job, options_.agent, files));
  if (created) return {};
  if (created.error().code != ErrorCode::AlreadyExists) {
    return makeError(created.error().code,
                     "creating the build Secret " + ns + "/" + kanikoBuildName(job) + ": " + created.error().message);
  }
  // Left by an earlier attempt: its registry token may have expired since, so write the files again.
  kube::Json data = kube::Json::object();
  for (const auto& [key, content] : files) data[key] = content;
  auto patched = client_.patch(res::kSecrets, ns, kanikoBuildName(job), {{"stringData", data}});
  if (!patched) return patched.error();
  return {};
}

Status KanikoBuilder::submit(const BuildRequest& request) {
  const api::LaunchJob& job = request.job;
  if (job.metadata.uid.empty() || job.metadata.namespace_.empty()) {
    return makeError(ErrorCode::Invalid, "a kaniko build needs a LaunchJob with a namespace and a uid");
  }
  if (request.image.empty()) return makeError(ErrorCode::Invalid, "a kaniko build needs an image to push to");
  auto destination = registry::ImageReference::parse(request.image);
  if (!destination) return destination.error();
  auto existing = buildJob(job);
  if (!existing) return existing.error();
  if (*existing) return {};  // an earlier submit got this far: the build is under way

  const std::string name = kanikoBuildName(job);
  KanikoJobSpec spec;
  spec.agent = options_.agent;
  spec.settings = options_.settings;
  spec.destination = request.image;
  spec.platform = options_.platform;
  if (options_.insecureRegistry) spec.insecureRegistry = destination->registry;
  std::map<std::string, std::string> files;

  const auto* git = std::get_if<api::GitSource>(&job.spec.source);
  const std::optional<KanikoGitContext> gitContext =
      git != nullptr ? kanikoGitContext(*git, request.source.identity) : std::nullopt;
  if (gitContext) {
    spec.context = gitContext->context;
    spec.contextSubPath = gitContext->subPath;
    spec.gitOverPlainHttp = gitContext->plainHttp;
    spec.gitCredentials = git->credentialsSecretRef;
    if (sourceHasDockerfile(request.source.context, request.dockerfilePath, request.dockerfile)) {
      spec.dockerfile = request.dockerfilePath;
    } else {
      // A generated Dockerfile is not in the repository kaniko clones: it comes from the per-build Secret.
      files[std::string(kSecretDockerfileKey)] = request.dockerfile;
      spec.dockerfileFromSecret = true;
      spec.dockerfile = std::string(kDockerfileDir) + "/Dockerfile";
    }
  } else {
    if (!store_) {
      return makeError(ErrorCode::Invalid,
                       "this job's source cannot be cloned by kaniko (only http(s) git repositories can), so its "
                       "context must be uploaded; set spec.builder.kaniko.buildContextStore on the LaunchAgent");
    }
    auto archive = archiveBuildContext(request.source.context, request.dockerfilePath, request.dockerfile);
    if (!archive) return archive.error();
    if (Status put = store_->put(contextObjectName(job), *archive); !put) return put.error();
    spec.context = store_->contextUrl(contextObjectName(job));
    spec.dockerfile = request.dockerfilePath;
    spec.env = store_->executorEnv();
  }

  if (options_.registryCredentials) {
    auto credentials = options_.registryCredentials->credentials();
    if (!credentials) {
      return makeError(
          credentials.error().code,
          "registry credentials from " + options_.registryCredentials->describe() + ": " + credentials.error().message);
    }
    if (!credentials->anonymous()) {
      registry::DockerConfigJson config;
      config.set(configKeyOf(destination->registry), *credentials);
      files[std::string(kSecretDockerConfigKey)] = config.toJson();
      spec.dockerConfigSecret = name;
      spec.dockerConfigKey = std::string(kSecretDockerConfigKey);
    }
  } else if (options_.registrySecret) {
    spec.dockerConfigSecret = options_.registrySecret->name;
    spec.dockerConfigKey = ".dockerconfigjson";
  }

  auto manifest = buildKanikoJob(job, spec);
  if (!manifest) return manifest.error();
  // The Secret first, so the pod never starts without the files it mounts.
  if (!files.empty()) {
    if (Status written = writeSecret(job, files); !written) return written;
  }
  auto created = client_.create(res::kJobs, job.metadata.namespace_, *manifest);
  if (!created && created.error().code != ErrorCode::AlreadyExists) {
    if (created.error().code == ErrorCode::Invalid) {
      return makeError(ErrorCode::Invalid, "the API server refused the kaniko build Job: " + created.error().message);
    }
    return created.error();
  }
  return {};
}

Result<BuildObservation> KanikoBuilder::observe(const api::LaunchJob& job) {
  auto found = buildJob(job);
  if (!found) return found.error();
  if (!*found) return BuildObservation{};
  const auto podObjects = informers_.podsOf(job.metadata.namespace_ + "/" + kanikoBuildName(job));
  std::vector<const kube::Json*> pods;
  pods.reserve(podObjects.size());
  for (const auto& p : podObjects) pods.push_back(p.get());
  return observeKanikoBuild(found->get(), pods);
}

Result<std::string> KanikoBuilder::logs(const api::LaunchJob& job, std::size_t maxBytes) {
  const std::string& ns = job.metadata.namespace_;
  const auto podObjects = informers_.podsOf(ns + "/" + kanikoBuildName(job));
  if (podObjects.empty()) return std::string();
  // The newest pod (with backoffLimit 0 there is one, unless it was deleted and replaced).
  const auto newest = std::max_element(podObjects.begin(), podObjects.end(), [](const auto& a, const auto& b) {
    return a->at("metadata").value("creationTimestamp", "") < b->at("metadata").value("creationTimestamp", "");
  });
  const std::string pod = (*newest)->at("metadata").value("name", "");
  const std::string path = "/api/v1/namespaces/" + ns + "/pods/" + pod +
                           "/log?container=" + std::string(kKanikoContainer) +
                           "&tailLines=" + std::to_string(std::max<std::size_t>(100, maxBytes / 64));
  auto response = client_.raw("GET", path);
  if (!response) return response.error();
  if (response->status >= 300) {
    return makeError(ErrorCode::Unavailable,
                     "logs of build pod " + ns + "/" + pod + ": HTTP " + std::to_string(response->status));
  }
  std::string& text = response->body;
  if (text.size() > maxBytes) text.erase(0, text.size() - maxBytes);
  return std::move(text);
}

Status KanikoBuilder::cancel(const api::LaunchJob& job) {
  return ignoreNotFound(
      client_.remove(res::kJobs, job.metadata.namespace_, kanikoBuildName(job), kube::Propagation::Background));
}

Status KanikoBuilder::cleanup(const api::LaunchJob& job) {
  const std::string& ns = job.metadata.namespace_;
  const std::string name = kanikoBuildName(job);
  // Everything is attempted; the first failure is reported (a retried cleanup redoes only what is left).
  Status first;
  const auto keep = [&first](Status status) {
    if (!status && first) first = std::move(status);
  };
  keep(ignoreNotFound(client_.remove(res::kJobs, ns, name, kube::Propagation::Background)));
  keep(ignoreNotFound(client_.remove(res::kSecrets, ns, name)));
  if (store_) keep(store_->remove(contextObjectName(job)));
  return first;
}

}  // namespace launch::build
