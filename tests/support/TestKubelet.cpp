// TestKubelet: pod status writes through the status subresource, shaped like a real kubelet's.
#include "support/TestKubelet.hpp"

#include <ctime>
#include <thread>

namespace launch::testing {
namespace {

std::string nowRfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

kube::Json terminated(int exitCode, const std::string& reason, const std::string& message) {
  kube::Json state = {
      {"exitCode", exitCode}, {"reason", reason}, {"startedAt", nowRfc3339()}, {"finishedAt", nowRfc3339()}};
  if (!message.empty()) state["message"] = message;
  return {{"terminated", state}};
}

}  // namespace

Result<kube::Json> TestKubelet::waitForScheduledPod(const std::string& ns, const std::string& labelSelector,
                                                    std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "no pod yet";
  while (std::chrono::steady_clock::now() < deadline) {
    auto pods = client_.list(kube::resources::kPods, ns, {labelSelector, "", 0, "", ""});
    if (!pods) return pods.error();
    for (const auto& pod : (*pods)["items"]) {
      if (!pod["spec"].value("nodeName", "").empty()) return pod;
      last = "pod " + pod["metadata"]["name"].get<std::string>() + " is not bound to a node yet";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return makeError(ErrorCode::Timeout, "no scheduled pod with labels '" + labelSelector + "' in " + ns + " after " +
                                           std::to_string(timeout.count()) + "s (" + last + ")");
}

Status TestKubelet::writeStatus(const std::string& ns, const std::string& podName, const std::string& phase,
                                const kube::Json& containerState, bool ready) {
  auto pod = client_.get(kube::resources::kPods, ns, podName);
  if (!pod) return pod.error();
  const std::string now = nowRfc3339();
  kube::Json statuses = kube::Json::array();
  for (const auto& container : (*pod)["spec"]["containers"]) {
    statuses.push_back({{"name", container["name"]},
                        {"image", container["image"]},
                        {"imageID", ""},
                        {"ready", ready},
                        {"restartCount", 0},
                        {"started", containerState.contains("running")},
                        {"state", containerState}});
  }
  kube::Json status = (*pod)["status"];
  status["phase"] = phase;
  status["hostIP"] = "127.0.0.1";
  status["podIP"] = "10.244.0.10";
  if (!status.contains("startTime")) status["startTime"] = now;
  status["containerStatuses"] = statuses;
  status["conditions"] = kube::Json::array({
      {{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", now}},
      {{"type", "Initialized"}, {"status", "True"}, {"lastTransitionTime", now}},
      {{"type", "ContainersReady"}, {"status", ready ? "True" : "False"}, {"lastTransitionTime", now}},
      {{"type", "Ready"}, {"status", ready ? "True" : "False"}, {"lastTransitionTime", now}},
  });
  (*pod)["status"] = status;
  auto updated = client_.update(kube::resources::kPods, ns, *pod, "status");
  if (!updated) return updated.error();
  return {};
}

Status TestKubelet::run(const std::string& ns, const std::string& pod) {
  return writeStatus(ns, pod, "Running", {{"running", {{"startedAt", nowRfc3339()}}}}, true);
}

Status TestKubelet::succeed(const std::string& ns, const std::string& pod) {
  return writeStatus(ns, pod, "Succeeded", terminated(0, "Completed", ""), false);
}

Status TestKubelet::fail(const std::string& ns, const std::string& pod, int exitCode, const std::string& reason,
                         const std::string& message) {
  return writeStatus(ns, pod, "Failed", terminated(exitCode, reason, message), false);
}

Status TestKubelet::waiting(const std::string& ns, const std::string& pod, const std::string& reason,
                            const std::string& message) {
  return writeStatus(ns, pod, "Pending", {{"waiting", {{"reason", reason}, {"message", message}}}}, false);
}

Status TestKubelet::terminatedWithMessage(const std::string& ns, const std::string& pod, int exitCode,
                                          const std::string& message) {
  return writeStatus(ns, pod, exitCode == 0 ? "Succeeded" : "Failed",
                     terminated(exitCode, exitCode == 0 ? "Completed" : "Error", message), false);
}

}  // namespace launch::testing
