// DockerBackend: containers named after their LaunchJob, adopted by name after a restart.
#include "backends/DockerBackend.hpp"

#include <algorithm>

#include "backends/DockerRunConfig.hpp"

namespace launch::backends {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kRefPrefix = "docker/container/";

Result<std::string> containerOf(const std::string& ref) {
  if (ref.rfind(kRefPrefix, 0) != 0 || ref.size() == kRefPrefix.size()) {
    return makeError(ErrorCode::Invalid, "'" + ref + "' is not a Docker run reference (docker/container/<name>)");
  }
  return ref.substr(kRefPrefix.size());
}

}  // namespace

RunObservation observeDockerContainer(const Json& inspected) {
  RunObservation seen;
  seen.exists = true;
  const Json& state = inspected.value("State", Json::object());
  const std::string status = state.value("Status", "");
  if (status == "created") {
    seen.message = "container created, not started";
    return seen;
  }
  if (status == "running" || status == "paused" || status == "restarting") {
    seen.started = true;
    seen.reason = "Running";
    seen.message = "container is " + status;
    return seen;
  }
  // exited, dead (or removing): the run is over.
  seen.started = true;
  const int code = state.value("ExitCode", -1);
  seen.exitCode = code;
  if (state.value("OOMKilled", false)) {
    seen.finished = api::JobPhase::Failed;
    seen.reason = "OOMKilled";
    seen.message = "the container ran out of memory (exit code " + std::to_string(code) + ")";
  } else if (code == 0) {
    seen.finished = api::JobPhase::Succeeded;
    seen.reason = "Completed";
    seen.message = "the container exited with code 0";
  } else {
    seen.finished = api::JobPhase::Failed;
    seen.reason = "Error";
    seen.message = "the container exited with code " + std::to_string(code);
    const std::string error = state.value("Error", "");
    if (!error.empty()) seen.message += ": " + error;
  }
  return seen;
}

DockerBackend::DockerBackend(std::unique_ptr<docker::DockerEngine> engine, DockerBackendOptions options)
    : engine_(std::move(engine)), options_(std::move(options)) {}

DockerBackend::~DockerBackend() { stop(); }

Status DockerBackend::start(const RunChanged& changed) {
  auto version = engine_->version();
  if (!version) return makeError(version.error().code, "Docker engine: " + version.error().message);
  auto events = docker::DockerEngine::connect(engine_->host());
  if (!events) return events.error();
  eventsEngine_ = std::move(events).value();
  stopping_ = false;
  watcher_ = std::thread([this, changed] { watchEvents(changed); });
  reaper_ = std::thread([this] { reap(); });
  return {};
}

void DockerBackend::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (reaper_.joinable()) reaper_.join();
  // Cancelled runs still in their grace period go now rather than be forgotten.
  for (const auto& entry : cancelled_) (void)engine_->removeContainer(entry.second, true);
  cancelled_.clear();
}

void DockerBackend::expediteRemoval(const std::string& container) {
  if (container.empty()) return;
  bool found = false;
  {
    const std::lock_guard lock(mutex_);
    for (auto& [deadline, name] : cancelled_) {
      if (name == container) {
        deadline = std::chrono::steady_clock::now();
        found = true;
      }
    }
  }
  if (found) wake_.notify_all();
}

void DockerBackend::reap() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> due;
    auto next = now + std::chrono::hours(1);
    for (auto it = cancelled_.begin(); it != cancelled_.end();) {
      if (it->first <= now) {
        due.push_back(it->second);
        it = cancelled_.erase(it);
      } else {
        next = std::min(next, it->first);
        ++it;
      }
    }
    if (!due.empty()) {
      lock.unlock();
      // A forced remove kills what is still running (SIGKILL) and removes it.
      for (const auto& name : due) (void)engine_->removeContainer(name, true);
      lock.lock();
      continue;
    }
    wake_.wait_until(lock, next);
  }
}

void DockerBackend::watchEvents(RunChanged changed) {
  const Json filters = {{"type", {"container"}}, {"label", {"launch.dev/job"}}, {"event", {"start", "die", "oom"}}};
  int64_t since = 0;
  auto backoff = std::chrono::milliseconds(800);
  while (!stopping_) {
    const auto connected = std::chrono::system_clock::now();
    (void)eventsEngine_->streamEvents(
        filters, since,
        [&](const Json& event) {
          const Json& attributes = event.value("Actor", Json::object()).value("Attributes", Json::object());
          const std::string ns = attributes.value("launch.dev/namespace", "");
          const std::string name = attributes.value("launch.dev/job", "");
          if (event.contains("time") && event["time"].is_number_integer()) since = event["time"].get<int64_t>();
          if (event.value("Action", "") == "die") expediteRemoval(attributes.value("name", ""));
          if (!name.empty() && changed) {
            std::string key = ns;
            key.append("/").append(name);
            changed(key);
          }
        },
        [this] { return stopping_.load(); });
    if (stopping_) break;
    // Reconnect from the last event seen (events in that second may repeat; observing twice is harmless).
    if (since == 0) since = std::chrono::duration_cast<std::chrono::seconds>(connected.time_since_epoch()).count();
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, backoff, [this] { return stopping_.load(); });
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
  }
}

Result<std::string> DockerBackend::submit(const RunSpec& spec) {
  const std::string name = runName(spec.job);
  std::string ref(kRefPrefix);
  ref += name;
  // An earlier attempt may have created it already (the agent restarted in between): adopt it.
  auto existing = engine_->inspectContainer(name);
  if (existing) {
    const Json& labels = existing->value("Config", Json::object()).value("Labels", Json::object());
    if (labels.value("launch.dev/job-uid", "") != spec.job.metadata.uid) {
      return makeError(ErrorCode::AlreadyExists,
                       "a container named " + name + " exists but does not belong to this LaunchJob; remove it");
    }
    if (existing->value("State", Json::object()).value("Status", "") == "created") {
      Status started = engine_->startContainer(name);
      if (!started.ok()) return started.error();
    }
    return ref;
  }
  if (existing.error().code != ErrorCode::NotFound) return existing.error();

  auto container = buildDockerContainer(spec);
  if (!container) return container.error();
  const std::string image(spec.image);
  auto present = engine_->hasImage(image);
  if (!present) return present.error();
  if (!*present) {
    const docker::RegistryCredentials credentials =
        options_.pullCredentials ? options_.pullCredentials(image) : docker::RegistryCredentials{};
    Status pulled = engine_->pullImage(image, credentials);
    if (!pulled.ok()) {
      Error error = pulled.error();
      const std::string& m = error.message;
      // A missing image or refused credentials will not fix themselves; a registry that is down may.
      if (error.code == ErrorCode::NotFound || error.code == ErrorCode::Unauthorized ||
          m.find("not found") != std::string::npos || m.find("manifest unknown") != std::string::npos ||
          m.find("denied") != std::string::npos || m.find("unauthorized") != std::string::npos) {
        error.reason = "ErrImagePull";
      }
      return error;
    }
  }
  auto created = engine_->createContainer(*container, name);
  if (!created && created.error().code != ErrorCode::Conflict) return created.error();
  Status started = engine_->startContainer(name);
  if (!started.ok()) return started.error();
  return ref;
}

Result<std::optional<std::string>> DockerBackend::findRun(const api::LaunchJob& job) {
  const std::string name = runName(job);
  auto existing = engine_->inspectContainer(name);
  if (!existing) {
    if (existing.error().code == ErrorCode::NotFound) return std::optional<std::string>();
    return existing.error();
  }
  const Json& labels = existing->value("Config", Json::object()).value("Labels", Json::object());
  if (labels.value("launch.dev/job-uid", "") != job.metadata.uid) return std::optional<std::string>();
  return std::optional<std::string>(std::string(kRefPrefix) + name);
}

Result<RunObservation> DockerBackend::observe(const std::string& backendRef) {
  auto name = containerOf(backendRef);
  if (!name) return name.error();
  auto inspected = engine_->inspectContainer(*name);
  if (!inspected) {
    if (inspected.error().code == ErrorCode::NotFound) return RunObservation{};
    return inspected.error();
  }
  return observeDockerContainer(*inspected);
}

Result<std::string> DockerBackend::logs(const std::string& backendRef, std::size_t maxBytes) {
  auto name = containerOf(backendRef);
  if (!name) return name.error();
  auto output = engine_->logs(*name, static_cast<int>(std::max<std::size_t>(100, maxBytes / 64)));
  if (!output) return output.error();
  std::string text = std::move(output->stdoutText);
  text += output->stderrText;
  if (text.size() > maxBytes) text.erase(0, text.size() - maxBytes);
  return text;
}

Status DockerBackend::cancel(const std::string& backendRef) {
  auto name = containerOf(backendRef);
  if (!name) return name.error();
  // SIGTERM now; the reaper kills and removes it when the grace period is over. No worker waits meanwhile.
  Status signalled = engine_->killContainer(*name, "SIGTERM");
  if (!signalled.ok()) {
    if (signalled.error().code == ErrorCode::NotFound) return {};
    return signalled;
  }
  {
    const std::lock_guard lock(mutex_);
    cancelled_.emplace_back(std::chrono::steady_clock::now() + options_.stopGrace, *name);
  }
  wake_.notify_all();
  return {};
}

Status DockerBackend::cleanup(const std::string& backendRef) {
  auto name = containerOf(backendRef);
  if (!name) return name.error();
  return engine_->removeContainer(*name);
}

}  // namespace launch::backends
