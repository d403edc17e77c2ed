// DockerBuilder: the build pool, the steps of one build (context, /build, push) and the reports.
#include "build/DockerBuilder.hpp"

namespace launch::build {
namespace {

std::string keyOf(const api::LaunchJob& job) { return job.metadata.namespace_ + "/" + job.metadata.name; }

std::string trimmed(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

BuildObservation failed(std::string reason, std::string message) {
  BuildObservation seen;
  seen.exists = true;
  seen.succeeded = false;
  seen.reason = std::move(reason);
  seen.message = std::move(message);
  return seen;
}

}  // namespace

std::pair<std::string, std::string> splitImageTag(const std::string& image) {
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {image, "latest"};
  return {image.substr(0, colon), image.substr(colon + 1)};
}

DockerBuilder::DockerBuilder(std::unique_ptr<docker::DockerEngine> engine, DockerBuilderOptions options,
                             const Clock& clock)
    : engine_(std::move(engine)), options_(std::move(options)), clock_(clock) {
  if (options_.threads == 0) options_.threads = 1;
}

DockerBuilder::~DockerBuilder() { stop(); }

Status DockerBuilder::start(const BuildChanged& changed) {
  const std::lock_guard lock(mutex_);
  if (!threads_.empty()) return {};
  changed_ = changed;
  stopping_ = false;
  for (std::size_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { work(); });
  return {};
}

void DockerBuilder::stop() {
  std::vector<std::thread> threads;
  std::vector<std::string> abandoned;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [key, build] : builds_) build->cancelled = true;
    // Builds still waiting for a thread never run: say so, so their jobs do not wait for them.
    for (auto& build : waiting_) {
      build->observation = failed("Cancelled", "the builder stopped before the build began");
      abandoned.push_back(build->key);
    }
    waiting_.clear();
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
  for (const auto& key : abandoned) report(key);
}

Status DockerBuilder::submit(const BuildRequest& request) {
  auto build = std::make_shared<Build>();
  build->key = keyOf(request.job);
  build->uid = request.job.metadata.uid;
  build->context = request.source.context;
  build->dockerfilePath = request.dockerfilePath;
  build->dockerfile = request.dockerfile;
  build->image = request.image;
  build->observation.exists = true;
  build->observation.message = "waiting for a build slot";
  {
    const std::lock_guard lock(mutex_);
    const auto it = builds_.find(build->key);
    if (it != builds_.end() && it->second->uid == build->uid) return {};  // submitted before: that build stands
    if (it != builds_.end()) it->second->cancelled = true;                // a job of the same name, deleted
    builds_[build->key] = build;
    waiting_.push_back(build);
  }
  wake_.notify_one();
  return {};
}

std::shared_ptr<DockerBuilder::Build> DockerBuilder::find(const api::LaunchJob& job) const {
  const std::lock_guard lock(mutex_);
  const auto it = builds_.find(keyOf(job));
  if (it == builds_.end() || it->second->uid != job.metadata.uid) return nullptr;
  return it->second;
}

Result<BuildObservation> DockerBuilder::observe(const api::LaunchJob& job) {
  const auto build = find(job);
  if (!build) return BuildObservation{};
  const std::lock_guard lock(mutex_);
  return build->observation;
}

Result<std::string> DockerBuilder::logs(const api::LaunchJob& job, std::size_t maxBytes) {
  const auto build = find(job);
  if (!build) return makeError(ErrorCode::NotFound, "no build for LaunchJob " + keyOf(job));
  const std::lock_guard lock(mutex_);
  const std::string& log = build->log;
  return log.size() > maxBytes ? log.substr(log.size() - maxBytes) : log;
}

Status DockerBuilder::cancel(const api::LaunchJob& job) {
  const auto build = find(job);
  if (!build) return {};
  build->cancelled = true;
  return {};
}

Status DockerBuilder::cleanup(const api::LaunchJob& job) {
  const std::lock_guard lock(mutex_);
  const auto it = builds_.find(keyOf(job));
  if (it == builds_.end() || it->second->uid != job.metadata.uid) return {};
  it->second->cancelled = true;  // a build under way stops; its worker holds its own reference
  builds_.erase(it);
  return {};
}

void DockerBuilder::work() {
  for (;;) {
    std::shared_ptr<Build> build;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (stopping_) return;
      build = std::move(waiting_.front());
      waiting_.pop_front();
      build->started = true;
    }
    try {
      run(*build);
    } catch (const std::exception& e) {  // a bug must not take the pool down; the job fails and says why
      const std::lock_guard lock(mutex_);
      build->observation = failed("BuildFailed", std::string("the build threw: ") + e.what());
    }
    report(build->key);
  }
}

void DockerBuilder::run(Build& build) {
  BuildObservation outcome = runSteps(build);
  if (build.cancelled && !(outcome.succeeded && *outcome.succeeded)) {
    outcome = failed("Cancelled", "the build was stopped");
  }
  outcome.exists = true;
  const std::lock_guard lock(mutex_);
  build.observation = std::move(outcome);
}

BuildObservation DockerBuilder::runSteps(Build& build) {
  if (build.cancelled) return failed("Cancelled", "the build was stopped before it began");
  const auto stop = [&build] { return build.cancelled.load(); };
  if (!options_.push) {
    // Without a registry the engine is the image store: an image it has was built from the same inputs.
    auto present = engine_->hasImage(build.image);
    if (!present) return failed("BuilderUnavailable", present.error().message);
    if (*present) {
      BuildObservation seen;
      seen.succeeded = true;
      seen.message = "the Docker engine has " + build.image + " already; no build needed";
      return seen;
    }
  }
  auto context = makeBuildContext(build.context, {{build.dockerfilePath, build.dockerfile, 0644}}, options_.context);
  if (!context) return failed("BuildContextInvalid", context.error().message);

  docker::BuildOptions buildOptions;
  buildOptions.tag = build.image;
  buildOptions.dockerfile = build.dockerfilePath;
  buildOptions.platform = options_.platform;
  buildOptions.labels = {{"launch.dev/built-for", build.key}, {"launch.dev/built-for-uid", build.uid}};
  ++buildsRun_;
  auto built = engine_->build(
      *context, buildOptions, [&](std::string_view line) { progress(build, line); }, stop);
  if (!built) {
    if (built.error().reason == "Stopped") return failed("Cancelled", "the build was stopped");
    // Invalid: the engine ran the Dockerfile and it failed; anything else: the engine was not reachable.
    const bool ran = built.error().code == ErrorCode::Invalid;
    return failed(ran ? "BuildFailed" : "BuilderUnavailable", built.error().message);
  }
  if (!options_.push) {
    BuildObservation seen;
    seen.succeeded = true;
    seen.message = "built " + build.image + " (" + *built + ") in the Docker engine";
    return seen;
  }

  registry::RegistryCredentials credentials;
  if (options_.credentials) {
    auto got = options_.credentials->credentials();
    if (!got) return failed("PushFailed", got.error().message);
    credentials = std::move(got).value();
  }
  const auto [repository, tag] = splitImageTag(build.image);
  const auto slash = repository.find('/');
  docker::RegistryCredentials engineCredentials{credentials.username, credentials.password,
                                                slash == std::string::npos ? "" : repository.substr(0, slash)};
  {
    const std::lock_guard lock(mutex_);
    build.observation.message = "pushing " + build.image;
  }
  report(build.key);
  auto pushed = engine_->push(
      repository, tag, engineCredentials, [&](std::string_view line) { progress(build, line); }, stop);
  if (!pushed) {
    if (pushed.error().reason == "Stopped") return failed("Cancelled", "the push was stopped");
    std::string message = pushed.error().message;
    if (pushed.error().code == ErrorCode::Unauthorized) message += "; " + options_.credentialsHint;
    return failed("PushFailed", message);
  }
  BuildObservation seen;
  seen.succeeded = true;
  seen.digest = *pushed;
  seen.message = "built and pushed " + build.image + "@" + *pushed;
  return seen;
}

void DockerBuilder::progress(Build& build, std::string_view line) {
  const std::string text = trimmed(line);
  bool due = false;
  {
    const std::lock_guard lock(mutex_);
    build.log.append(line);
    if (!line.empty() && line.back() != '\n') build.log.push_back('\n');
    if (build.log.size() > options_.logBytes) build.log.erase(0, build.log.size() - options_.logBytes);
    if (text.empty()) return;
    // The step being run says more than the layer IDs and "---> Running in" lines between steps.
    if (text.rfind("Step ", 0) == 0 || build.observation.message.rfind("Step ", 0) != 0 ||
        text.rfind("Pushed", 0) == 0) {
      build.observation.message = text;
    }
    const auto now = clock_.now();
    if (now - build.lastReport >= options_.progressInterval) {
      build.lastReport = now;
      due = true;
    }
  }
  if (due) report(build.key);
}

void DockerBuilder::report(const std::string& key) {
  BuildChanged changed;
  {
    const std::lock_guard lock(mutex_);
    changed = changed_;
  }
  if (changed) changed(key);
}

}  // namespace launch::build
