// KanikoJobManifest: the build Job and Secret as JSON, and the build's state read from the Job and its pod.
#include "build/KanikoJobManifest.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "api/Group.hpp"

namespace launch::build {
namespace {

// The flags whose values the builder depends on: observe() reads the digest from the termination log, and
// the context and destination are what the build is for.
constexpr std::array<std::string_view, 4> kReservedFlags = {"--destination", "--digest-file", "--context", "--no-push"};

std::string flagName(std::string_view arg) {
  const std::size_t equals = arg.find('=');
  return std::string(arg.substr(0, equals));
}

Json labelsOf(const api::LaunchJob& job, const std::string& agent) {
  return {{"launch.dev/job", job.metadata.name},
          {"launch.dev/queue", job.spec.queue},
          {"launch.dev/agent", agent},
          {std::string(kBuildLabel), std::string(kBuildLabelValue)}};
}

Json secretKeyEnv(const std::string& name, const std::string& secret, const std::string& key, bool optional) {
  return {{"name", name}, {"valueFrom", {{"secretKeyRef", {{"name", secret}, {"key", key}, {"optional", optional}}}}}};
}

// Drops ANSI colour sequences (kaniko logs in colour by default) and carriage returns.
std::string plainText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && (std::isalpha(static_cast<unsigned char>(text[i])) == 0)) ++i;
      continue;
    }
    if (text[i] != '\r') out.push_back(text[i]);
  }
  return out;
}

// The last `count` non-empty lines, joined with " | ", at most `limit` characters (the end kept).
std::string lastLines(std::string_view text, std::size_t count, std::size_t limit = 600) {
  const std::string plain = plainText(text);
  std::vector<std::string> lines;
  std::size_t end = plain.size();
  while (end > 0 && lines.size() < count) {
    const std::size_t start = plain.rfind('\n', end - 1);
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = plain.substr(from, end - from);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0) line.pop_back();
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())) != 0) line.erase(0, 1);
    if (!line.empty()) lines.push_back(std::move(line));
    if (start == std::string::npos) break;
    end = start;
  }
  std::reverse(lines.begin(), lines.end());
  std::string joined;
  for (const auto& line : lines) {
    if (!joined.empty()) joined += " | ";
    joined += line;
  }
  if (joined.size() > limit) joined = "..." + joined.substr(joined.size() - limit);
  return joined;
}

bool conditionTrue(const Json& object, const std::string& type, std::string* reason, std::string* message) {
  if (!object.contains("status") || !object["status"].is_object()) return false;
  for (const auto& c : object["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") {
      if (reason != nullptr) *reason = c.value("reason", "");
      if (message != nullptr) *message = c.value("message", "");
      return true;
    }
  }
  return false;
}

// The value of --<flag>= among the kaniko container's args, from the Job.
std::string argOf(const Json& job, std::string_view flag) {
  const std::string prefix = std::string(flag) + "=";
  try {
    for (const auto& arg : job.at("spec").at("template").at("spec").at("containers").at(0).value("args", Json())) {
      if (arg.is_string() && arg.get<std::string>().starts_with(prefix)) {
        return arg.get<std::string>().substr(prefix.size());
      }
    }
  } catch (const Json::exception&) {
    return {};
  }
  return {};
}

void fail(BuildObservation& seen, std::string reason, std::string message) {
  seen.succeeded = false;
  seen.reason = std::move(reason);
  seen.message = std::move(message);
}

// Why kaniko exited non-zero, from the tail of its log (the termination message: FallbackToLogsOnError).
void classifyExit(BuildObservation& seen, int exitCode, const std::string& log, const std::string& destination) {
  const std::string tail = lastLines(log, 3);
  const std::string plain = plainText(log);
  const std::string detail = tail.empty() ? "" : ": " + tail;
  if (plain.find("error checking push permissions") != std::string::npos ||
      plain.find("error pushing image") != std::string::npos) {
    fail(seen, "PushFailed",
         "kaniko could not push " + destination + detail +
             "; check the registry credentials (spec.registry.credentialsSecretRef or the cloud identity) and "
             "that the repository exists");
  } else if (plain.find("error resolving source context") != std::string::npos) {
    fail(seen, "ContextFailed",
         "kaniko could not fetch the build context" + detail +
             "; check the git credentials or that the build pod's identity may read the build context store");
  } else if (plain.find("error resolving dockerfile path") != std::string::npos) {
    fail(seen, "DockerfileNotFound",
         "kaniko found no Dockerfile" + detail + "; check spec.source.git.dockerfile and subdirectory");
  } else {
    fail(seen, "BuildFailed",
         "the image build failed (kaniko exited with code " + std::to_string(exitCode) + ")" + detail +
             "; fix the Dockerfile step named above");
  }
}

}  // namespace

std::string kanikoBuildName(const api::LaunchJob& job) {
  const std::string uid = job.metadata.uid.substr(0, 8);
  std::string name = job.metadata.name.substr(0, 63 - 4 - 9);
  while (!name.empty() && (name.back() == '-' || name.back() == '.')) name.pop_back();
  std::string out = "lb-" + name + "-" + uid;
  std::replace(out.begin(), out.end(), '.', '-');
  return out;
}

std::string digestIn(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  constexpr std::string_view kPrefix = "sha256:";
  if (text.size() != kPrefix.size() + 64 || !text.starts_with(kPrefix)) return {};
  for (const char c : text.substr(kPrefix.size())) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0 || std::isupper(static_cast<unsigned char>(c)) != 0) {
      return {};
    }
  }
  return std::string(text);
}

Result<Json> buildKanikoJob(const api::LaunchJob& job, const KanikoJobSpec& spec) {
  if (spec.destination.empty()) return makeError(ErrorCode::Invalid, "a kaniko build needs a destination image");
  if (spec.context.empty()) return makeError(ErrorCode::Invalid, "a kaniko build needs a context");
  for (const auto& extra : spec.settings.extraArgs) {
    const std::string flag = flagName(extra);
    if (std::find(kReservedFlags.begin(), kReservedFlags.end(), flag) != kReservedFlags.end()) {
      return makeError(ErrorCode::Invalid, "spec.builder.kaniko.extraArgs: " + flag +
                                               " is set by the builder and cannot be overridden; remove it");
    }
  }
  const std::string name = kanikoBuildName(job);
  const Json labels = labelsOf(job, spec.agent);

  std::vector<std::string> args = {"--context=" + spec.context, "--dockerfile=" + spec.dockerfile,
                                   "--destination=" + spec.destination, "--digest-file=/dev/termination-log"};
  if (!spec.contextSubPath.empty()) args.push_back("--context-sub-path=" + spec.contextSubPath);
  if (!spec.platform.empty()) args.push_back("--custom-platform=" + spec.platform);
  if (!spec.insecureRegistry.empty()) {
    args.push_back("--insecure-registry=" + spec.insecureRegistry);
    args.push_back("--skip-tls-verify-registry=" + spec.insecureRegistry);
  }
  // An extra flag that the builder also sets replaces the builder's (e.g. --dockerfile); others are added.
  for (const auto& extra : spec.settings.extraArgs) {
    const std::string flag = flagName(extra);
    const auto same = std::find_if(args.begin(), args.end(), [&](const std::string& a) { return flagName(a) == flag; });
    if (same != args.end() && flag != "--insecure-registry" && flag != "--skip-tls-verify-registry") {
      *same = extra;
    } else {
      args.push_back(extra);
    }
  }

  Json env = Json::array();
  if (spec.gitCredentials) {
    env.push_back(secretKeyEnv("GIT_USERNAME", spec.gitCredentials->name, "username", true));
    env.push_back(secretKeyEnv("GIT_PASSWORD", spec.gitCredentials->name, "password", false));
  }
  if (spec.gitOverPlainHttp) env.push_back({{"name", "GIT_PULL_METHOD"}, {"value", "http"}});
  for (const auto& [key, value] : spec.env) env.push_back({{"name", key}, {"value", value}});

  Json mounts = Json::array();
  Json volumes = Json::array();
  if (!spec.dockerConfigSecret.empty()) {
    mounts.push_back({{"name", "docker-config"}, {"mountPath", std::string(kDockerConfigDir)}, {"readOnly", true}});
    volumes.push_back(
        {{"name", "docker-config"},
         {"secret",
          {{"secretName", spec.dockerConfigSecret},
           {"items", Json::array({{{"key", spec.dockerConfigKey}, {"path", std::string(kSecretDockerConfigKey)}}})}}}});
  }
  if (spec.dockerfileFromSecret) {
    mounts.push_back({{"name", "dockerfile"}, {"mountPath", std::string(kDockerfileDir)}, {"readOnly", true}});
    volumes.push_back(
        {{"name", "dockerfile"},
         {"secret",
          {{"secretName", name},
           {"items", Json::array({{{"key", std::string(kSecretDockerfileKey)}, {"path", "Dockerfile"}}})}}}});
  }

  Json container = {{"name", std::string(kKanikoContainer)},
                    {"image", spec.settings.image},
                    {"args", args},
                    // A failed build's termination message is then the tail of its log: observe() reports it
                    // without reading the log.
                    {"terminationMessagePath", "/dev/termination-log"},
                    {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  if (!env.empty()) container["env"] = env;
  if (!mounts.empty()) container["volumeMounts"] = mounts;

  // Kaniko runs as root inside its container (it unpacks image filesystems); it needs no API access.
  Json podSpec = {
      {"restartPolicy", "Never"}, {"automountServiceAccountToken", false}, {"containers", Json::array({container})}};
  if (!spec.settings.serviceAccountName.empty()) podSpec["serviceAccountName"] = spec.settings.serviceAccountName;
  if (!volumes.empty()) podSpec["volumes"] = volumes;

  return Json{{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata",
               {{"name", name},
                {"namespace", job.metadata.namespace_},
                {"labels", labels},
                {"annotations", {{"launch.dev/image", spec.destination}}},
                {"ownerReferences", api::ownerReferencesTo(job)}}},
              {"spec",
               {{"backoffLimit", 0},
                {"activeDeadlineSeconds", spec.settings.timeoutSeconds},
                {"template", {{"metadata", {{"labels", labels}}}, {"spec", podSpec}}}}}};
}

Json buildKanikoSecret(const api::LaunchJob& job, const std::string& agent,
                       const std::map<std::string, std::string>& files) {
  Json data = Json::object();
  for (const auto& [key, content] : files) data[key] = content;
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "Opaque"},
          {"metadata",
           {{"name", kanikoBuildName(job)},
            {"namespace", job.metadata.namespace_},
            {"labels", labelsOf(job, agent)},
            {"ownerReferences", api::ownerReferencesTo(job)}}},
          {"stringData", data}};
}

BuildObservation observeKanikoBuild(const Json* job, const std::vector<const Json*>& pods) {
  BuildObservation seen;
  if (job == nullptr) return seen;
  seen.exists = true;
  seen.message = "waiting for the build pod to start";
  const std::string destination = argOf(*job, "--destination");
  const std::string executor = [&]() -> std::string {
    try {
      return job->at("spec").at("template").at("spec").at("containers").at(0).value("image", "");
    } catch (const Json::exception&) {
      return {};
    }
  }();

  std::string jobReason;
  std::string jobMessage;
  const bool failedJob = conditionTrue(*job, "Failed", &jobReason, &jobMessage) ||
                         conditionTrue(*job, "FailureTarget", &jobReason, &jobMessage);
  if (failedJob && jobReason == "DeadlineExceeded") {
    const Json& spec = job->value("spec", Json::object());
    const auto seconds = spec.value("activeDeadlineSeconds", Json());
    fail(seen, "DeadlineExceeded",
         "the build ran longer than its deadline" + (seconds.is_number() ? " of " + seconds.dump() + " s" : "") +
             "; raise spec.builder.kaniko.timeoutSeconds or make the build faster");
    return seen;
  }

  for (const Json* pod : pods) {
    const Json& status = pod->value("status", Json::object());
    for (const auto& c : status.value("conditions", Json::array())) {
      if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False" &&
          c.value("reason", "") == "Unschedulable") {
        seen.reason = "Unschedulable";
        seen.message = "no node can run the build pod: " + c.value("message", "");
      }
    }
    for (const auto& cs : status.value("containerStatuses", Json::array())) {
      if (cs.value("name", "") != kKanikoContainer) continue;
      const Json& state = cs.value("state", Json::object());
      if (state.contains("running")) {
        seen.reason = "Building";
        seen.message = "kaniko is building " + destination;
      }
      if (state.contains("waiting")) {
        const std::string why = state["waiting"].value("reason", "");
        const std::string detail = state["waiting"].value("message", "");
        if (why == "ErrImagePull" || why == "ImagePullBackOff" || why == "InvalidImageName") {
          std::string message = "the kaniko executor image ";
          message.append(executor).append(" cannot be pulled (").append(why);
          if (!detail.empty()) message.append(": ").append(detail);
          message += "); set spec.builder.kaniko.image to an image the nodes can pull";
          fail(seen, why, std::move(message));
          return seen;
        }
        if (why == "CreateContainerConfigError" || why == "CreateContainerError") {
          fail(seen, why,
               "the build pod cannot start (" + why + (detail.empty() ? "" : ": " + detail) +
                   "); check that the Secrets it names exist and hold the keys it reads");
          return seen;
        }
      }
      if (state.contains("terminated")) {
        const Json& t = state["terminated"];
        const int code = t.value("exitCode", -1);
        const std::string message = t.value("message", "");
        if (code == 0) {
          seen.succeeded = true;
          seen.digest = digestIn(message);
          seen.reason = "Built";
          seen.message = seen.digest.empty() ? "built and pushed " + destination + " (kaniko reported no digest)"
                                             : "built and pushed " + destination + "@" + seen.digest;
          return seen;
        }
        if (t.value("reason", "") == "OOMKilled") {
          fail(seen, "OOMKilled",
               "the build ran out of memory (OOMKilled); give the build pod more memory, e.g. through a "
               "LimitRange in namespace " +
                   job->at("metadata").value("namespace", ""));
          return seen;
        }
        classifyExit(seen, code, message, destination);
        return seen;
      }
    }
    if (status.value("phase", "") == "Failed" && !seen.succeeded) {
      const std::string why = status.value("reason", "");
      fail(seen, why.empty() ? "BuildFailed" : why,
           "the build pod failed" + (status.value("message", "").empty() ? "" : ": " + status.value("message", "")));
      return seen;
    }
  }

  if (conditionTrue(*job, "Complete", nullptr, nullptr) ||
      conditionTrue(*job, "SuccessCriteriaMet", nullptr, nullptr)) {
    seen.succeeded = true;
    seen.reason = "Built";
    seen.message = "built and pushed " + destination + " (its pod is gone, so the digest is unknown)";
    return seen;
  }
  if (failedJob) {
    fail(seen, "BuildFailed",
         "the build Job failed" + (jobReason.empty() ? "" : " (" + jobReason + ")") +
             (jobMessage.empty() ? "" : ": " + jobMessage));
  }
  return seen;
}

}  // namespace launch::build
