// OperatorTest: a test fixture for end-to-end tests of the real launch-operator process on the shared
// control plane: the launch.dev CRDs installed from crds/, one namespace per test, and helpers to create
// queues, agents and jobs and read them back.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/Resources.hpp"
#include "api/YamlToJson.hpp"
#include "support/Command.hpp"
#include "support/ControlPlane.hpp"
#include "support/Eventually.hpp"
#include "support/OperatorProcess.hpp"
#include "support/TestKubelet.hpp"
#include "util/Files.hpp"

namespace launch::testing {

using kube::Json;
namespace res = kube::resources;
inline const kube::ResourceType& kQueues = api::kLaunchQueues;
inline const kube::ResourceType& kAgents = api::kLaunchAgents;
inline const kube::ResourceType& kLaunchJobs = api::kLaunchJobs;

// object[section][key] as a string, "" when any part is missing.
inline std::string field(const Json& object, const char* section, const char* key) {
  if (!object.is_object() || !object.contains(section) || !object[section].is_object()) return "";
  const Json& value = object[section].value(key, Json());
  return value.is_string() ? value.get<std::string>() : "";
}

class OperatorTest : public ControlPlaneTest {
 protected:
  static void SetUpTestSuite() {
    ControlPlane* shared = ControlPlaneEnvironment::plane();
    if (shared == nullptr) return;
    kube::KubeClient client(shared->config());
    for (const auto& entry : std::filesystem::directory_iterator(sourceDir() + "/crds")) {
      if (entry.path().extension() != ".yaml") continue;
      auto crd = api::yamlToJson(*readFile(entry.path().string()));
      ASSERT_TRUE(crd.ok()) << crd.error().message;
      auto created = client.create(res::kCustomResourceDefinitions, "", *crd);
      ASSERT_TRUE(created.ok() || created.error().code == ErrorCode::AlreadyExists) << created.error().describe();
    }
    ASSERT_TRUE(eventually([&] {
      auto list = client.list(kLaunchJobs, "default");
      return list.ok();
    })) << "the CRDs were not served";
  }

  void SetUp() override {
    ControlPlaneTest::SetUp();
    ns_ = makeNamespace("e2e");
    startOperator();
  }
  void TearDown() override {
    if (operator_) {
      const std::string log = operator_->log();
      operator_.reset();
      if (HasFailure()) std::printf("--- operator log ---\n%s\n", log.c_str());
    }
    ControlPlaneTest::TearDown();
  }

  void startOperator() {
    operator_ = std::make_unique<OperatorProcess>(LAUNCH_OPERATOR, operatorArgs(),
                                                  plane().directory() + "/operator-" + ns_ + ".log");
  }

  void createQueue(const std::string& name, Json spec) {
    if (!spec.contains("resource")) spec["resource"] = "kubernetes";
    auto r = client().create(kQueues, ns_,
                             {{"apiVersion", "launch.dev/v1alpha1"},
                              {"kind", "LaunchQueue"},
                              {"metadata", {{"name", name}}},
                              {"spec", spec}});
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  void createAgent(const std::string& name, const std::vector<std::string>& queues, int maxJobs) {
    auto r = client().create(kAgents, ns_,
                             {{"apiVersion", "launch.dev/v1alpha1"},
                              {"kind", "LaunchAgent"},
                              {"metadata", {{"name", name}}},
                              {"spec", {{"queues", queues}, {"maxJobs", maxJobs}}}});
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  void createJob(const std::string& name, const std::string& queue, Json extra = Json::object()) {
    Json spec = {{"queue", queue}, {"source", {{"image", "registry.local/train:1"}}}, {"args", {"--epochs", "1"}}};
    spec.update(extra);
    auto r = client().create(
        kLaunchJobs, ns_,
        {{"apiVersion", "launch.dev/v1alpha1"}, {"kind", "LaunchJob"}, {"metadata", {{"name", name}}}, {"spec", spec}});
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  Json job(const std::string& name) {
    auto r = client().get(kLaunchJobs, ns_, name);
    return r.ok() ? *r : Json::object();
  }
  std::string phase(const std::string& name) { return field(job(name), "status", "phase"); }
  std::string message(const std::string& name) { return field(job(name), "status", "message"); }
  std::string finishedReason(const std::string& name) {
    const Json j = job(name);
    if (!j.contains("status")) return "";
    for (const auto& c : j["status"].value("conditions", Json::array())) {
      if (c.value("type", "") == "Finished") return c.value("reason", "");
    }
    return "";
  }
  std::vector<std::string> batchJobsFor(const std::string& selector = "launch.dev/job") {
    std::vector<std::string> names;
    auto list = client().list(res::kJobs, ns_, {selector, "", 0, "", ""});
    if (list.ok()) {
      for (const auto& j : (*list)["items"]) names.push_back(j["metadata"]["labels"].value("launch.dev/job", ""));
    }
    return names;
  }
  // Plays the kubelet for a LaunchJob's pod: waits for it, then runs it and ends it.
  void runToEnd(const std::string& name, bool succeed = true) {
    TestKubelet kubelet(client());
    auto pod = kubelet.waitForScheduledPod(ns_, "launch.dev/job=" + name, std::chrono::seconds(60));
    ASSERT_TRUE(pod.ok()) << pod.error().describe();
    const std::string podName = (*pod)["metadata"]["name"];
    ASSERT_TRUE(kubelet.run(ns_, podName).ok());
    ASSERT_TRUE(eventually([&] {
      return phase(name) == "Running" && !field(job(name), "status", "startTime").empty();
    })) << job(name).dump();
    ASSERT_TRUE((succeed ? kubelet.succeed(ns_, podName) : kubelet.fail(ns_, podName, 3, "Error", "exit 3")).ok());
    ASSERT_TRUE(eventually([&] { return phase(name) == (succeed ? "Succeeded" : "Failed"); })) << job(name).dump();
  }

  std::vector<std::string> operatorArgs() {
    std::vector<std::string> args{"--kubeconfig",
                                  plane().kubeconfigPath(),
                                  "--namespace",
                                  ns_,
                                  "--metrics-bind-address",
                                  metricsAddress_,
                                  "--health-probe-bind-address",
                                  "0"};
    args.insert(args.end(), extraOperatorArgs_.begin(), extraOperatorArgs_.end());
    return args;
  }

  std::string ns_;
  std::vector<std::string> extraOperatorArgs_;  // e.g. --docker
  std::string metricsAddress_ = "0";            // --metrics-bind-address of the next startOperator()
  std::unique_ptr<OperatorProcess> operator_;
};

}  // namespace launch::testing
