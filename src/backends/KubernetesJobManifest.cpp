// KubernetesJobManifest: Job construction from the LaunchJob and queue config, and status interpretation.
#include "backends/KubernetesJobManifest.hpp"

#include "api/Group.hpp"
#include "api/MergePatch.hpp"

namespace launch::backends {
namespace {

bool conditionTrue(const Json& object, const std::string& type, std::string* reason, std::string* message) {
  const Json& status = object.contains("status") ? object["status"] : Json::object();
  for (const auto& c : status.value("conditions", Json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") {
      if (reason != nullptr) *reason = c.value("reason", "");
      if (message != nullptr) *message = c.value("message", "");
      return true;
    }
  }
  return false;
}

}  // namespace

Result<Json> buildKubernetesJob(const api::LaunchJob& job, const Json& config, const std::string& agent,
                                const std::string& image) {
  if (!config.is_object())
    return makeError(ErrorCode::Invalid, "spec.config: a kubernetes queue's config must be an object");
  const std::string name = runName(job);
  const Json labels = {
      {"launch.dev/job", job.metadata.name}, {"launch.dev/queue", job.spec.queue}, {"launch.dev/agent", agent}};

  Json container = Json::object();
  if (config.contains("spec")) {
    const Json* containers = &config["spec"];
    for (const char* key : {"template", "spec", "containers"}) {
      containers = containers->is_object() && containers->contains(key) ? &(*containers)[key] : nullptr;
      if (containers == nullptr) break;
    }
    if (containers != nullptr && containers->is_array() && !containers->empty()) container = (*containers)[0];
  }
  if (!container.is_object())
    return makeError(ErrorCode::Invalid, "spec.config.spec.template.spec.containers[0] must be an object");
  container["name"] = container.value("name", "main");
  container["image"] = image;
  if (!job.spec.entryPoint.empty()) container["command"] = job.spec.entryPoint;
  if (!job.spec.args.empty()) container["args"] = job.spec.args;
  Json env = container.value("env", Json::array());
  for (const auto& var : job.spec.env) env.push_back({{"name", var.name}, {"value", var.value}});
  env.push_back({{"name", "LAUNCH_JOB"}, {"value", job.metadata.name}});
  env.push_back({{"name", "LAUNCH_QUEUE"}, {"value", job.spec.queue}});
  container["env"] = env;
  if (!container.contains("securityContext")) {
    container["securityContext"] = {{"allowPrivilegeEscalation", false},
                                    {"runAsNonRoot", true},
                                    {"capabilities", {{"drop", {"ALL"}}}},
                                    {"seccompProfile", {{"type", "RuntimeDefault"}}}};
  }

  Json manifest = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", name},
        {"namespace", job.metadata.namespace_},
        {"labels", labels},
        {"ownerReferences", api::ownerReferencesTo(job)}}},
      {"spec",
       {{"backoffLimit", 0},
        {"template",
         {{"metadata", {{"labels", labels}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"securityContext", {{"runAsNonRoot", true}, {"seccompProfile", {{"type", "RuntimeDefault"}}}}}}}}}}}};

  // The config's fragment wins over the defaults (RFC 7386), except the identity fields and the container,
  // which was merged above.
  Json fragment = Json::object();
  if (config.contains("metadata")) fragment["metadata"] = config["metadata"];
  if (config.contains("spec")) fragment["spec"] = config["spec"];
  if (fragment.contains("spec") && fragment["spec"].contains("template") &&
      fragment["spec"]["template"].contains("spec")) {
    fragment["spec"]["template"]["spec"].erase("containers");
  }
  if (fragment.contains("metadata")) {
    fragment["metadata"].erase("name");
    fragment["metadata"].erase("namespace");
    fragment["metadata"].erase("ownerReferences");
  }
  Json merged = api::applyMergePatch(manifest, fragment);
  for (auto& target : {std::ref(merged["metadata"]), std::ref(merged["spec"]["template"]["metadata"])}) {
    Json& metadata = target.get();
    if (!metadata.contains("labels") || !metadata["labels"].is_object()) metadata["labels"] = Json::object();
    for (const auto& [key, value] : labels.items()) metadata["labels"][key] = value;
  }
  merged["spec"]["template"]["spec"]["containers"] = Json::array({container});
  return merged;
}

RunObservation observeKubernetesJob(const Json* job, const std::vector<const Json*>& pods) {
  RunObservation seen;
  if (job == nullptr) return seen;
  seen.exists = true;
  std::string reason;
  std::string message;
  if (conditionTrue(*job, "Complete", nullptr, nullptr) ||
      conditionTrue(*job, "SuccessCriteriaMet", nullptr, nullptr)) {
    seen.finished = api::JobPhase::Succeeded;
    seen.started = true;
    seen.reason = "Completed";
    seen.message = "the job's pod succeeded";
    return seen;
  }
  const bool failed =
      conditionTrue(*job, "Failed", &reason, &message) || conditionTrue(*job, "FailureTarget", &reason, &message);
  const Json& status = job->contains("status") ? (*job)["status"] : Json::object();
  if (status.value("active", 0) > 0 || status.value("succeeded", 0) > 0 || status.value("failed", 0) > 0) {
    seen.started = status.value("ready", 0) > 0 || status.value("succeeded", 0) > 0 || status.value("failed", 0) > 0;
  }
  // The pods tell why: scheduling, image pulls, container configuration, crashes, memory.
  for (const Json* pod : pods) {
    const Json& podStatus = pod->contains("status") ? (*pod)["status"] : Json::object();
    const std::string phase = podStatus.value("phase", "");
    if (phase == "Running" || phase == "Succeeded" || phase == "Failed") seen.started = true;
    for (const auto& c : podStatus.value("conditions", Json::array())) {
      if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False" &&
          c.value("reason", "") == "Unschedulable") {
        seen.reason = "Unschedulable";
        seen.message = "no node can run the pod: " + c.value("message", "");
      }
    }
    for (const auto& cs : podStatus.value("containerStatuses", Json::array())) {
      const Json& state = cs.value("state", Json::object());
      if (state.contains("waiting")) {
        const std::string why = state["waiting"].value("reason", "");
        if (why == "ErrImagePull" || why == "ImagePullBackOff" || why == "InvalidImageName" ||
            why == "CreateContainerConfigError" || why == "CrashLoopBackOff" || why == "CreateContainerError") {
          seen.reason = why;
          seen.message = why + ": " + state["waiting"].value("message", "");
          seen.permanentFailure = why == "InvalidImageName";
        }
      }
      if (state.contains("terminated")) {
        const Json& t = state["terminated"];
        const int code = t.value("exitCode", 0);
        if (t.value("reason", "") == "OOMKilled") {
          seen.reason = "OOMKilled";
          seen.message = "the container ran out of memory (OOMKilled); raise its memory limit in the queue config";
        } else if (code != 0 && seen.reason.empty()) {
          seen.reason = "Error";
          seen.message = "the container exited with code " + std::to_string(code) +
                         (t.value("message", "").empty() ? "" : ": " + t.value("message", ""));
        }
      }
    }
  }
  if (failed) {
    seen.finished = api::JobPhase::Failed;
    if (reason == "DeadlineExceeded") {
      seen.reason = "DeadlineExceeded";
      seen.message = "the job ran past its activeDeadlineSeconds";
    } else if (seen.reason.empty()) {
      seen.reason = reason.empty() ? "Failed" : reason;
      seen.message = message.empty() ? "the job failed" : message;
    }
  }
  if (!seen.finished && seen.started && seen.reason.empty()) {
    seen.reason = "Running";
    seen.message = "the job's pod is running";
  }
  return seen;
}

}  // namespace launch::backends
