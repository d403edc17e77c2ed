// TestKubelet: plays the kubelet of the fake Node by writing pod status (Running, Succeeded, Failed,
// image-pull failures), so that Jobs, their controller and the operator see real pod transitions.
#pragma once

#include <chrono>
#include <string>

#include "kube/KubeClient.hpp"
#include "util/Result.hpp"

namespace launch::testing {

class TestKubelet {
 public:
  explicit TestKubelet(kube::KubeClient& client) : client_(client) {}

  // Waits until a pod matching the label selector exists and is bound to a node by the scheduler.
  Result<kube::Json> waitForScheduledPod(const std::string& ns, const std::string& labelSelector,
                                         std::chrono::seconds timeout = std::chrono::seconds(30));

  Status run(const std::string& ns, const std::string& pod);
  Status succeed(const std::string& ns, const std::string& pod);
  Status fail(const std::string& ns, const std::string& pod, int exitCode, const std::string& reason = "Error",
              const std::string& message = "");
  // reason: ErrImagePull, ImagePullBackOff, InvalidImageName, CreateContainerConfigError, CrashLoopBackOff...
  Status waiting(const std::string& ns, const std::string& pod, const std::string& reason, const std::string& message);
  // Ends the pod Succeeded (exit 0) or Failed with a termination message, as Kaniko writes its digest.
  Status terminatedWithMessage(const std::string& ns, const std::string& pod, int exitCode, const std::string& message);

 private:
  Status writeStatus(const std::string& ns, const std::string& pod, const std::string& phase,
                     const kube::Json& containerState, bool ready);

  kube::KubeClient& client_;
};

}  // namespace launch::testing
