// Integration: the full control plane (controller-manager, scheduler, fake Node) and the test kubelet:
// a batch/v1 Job makes a pod, the pod is scheduled, its status moves, and garbage collection works.
#include <gtest/gtest.h>

#include <thread>

#include "support/ControlPlane.hpp"
#include "support/Eventually.hpp"
#include "support/TestKubelet.hpp"

namespace launch::testing {
namespace {

using kube::Json;
namespace res = kube::resources;

Json makeJob(const std::string& name) {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", name}, {"labels", {{"launch.dev/job", name}}}}},
          {"spec",
           {{"backoffLimit", 0},
            {"template",
             {{"metadata", {{"labels", {{"launch.dev/job", name}}}}},
              {"spec",
               {{"restartPolicy", "Never"},
                {"containers", Json::array({{{"name", "main"}, {"image", "registry.local/train:1"}}})}}}}}}}};
}

bool hasCondition(const Json& object, const std::string& type) {
  for (const auto& c : object["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  }
  return false;
}

class ControlPlaneFullIT : public ControlPlaneTest {};

TEST_F(ControlPlaneFullIT, TheFakeNodeIsReady) {
  auto node = client().get(res::kNodes, "", "launch-node-0");
  ASSERT_TRUE(node.ok()) << node.error().describe();
  EXPECT_TRUE(hasCondition(*node, "Ready"));
  EXPECT_FALSE(node->at("spec").contains("taints")) << node->at("spec").dump();
}

TEST_F(ControlPlaneFullIT, AJobRunsToSuccessThroughTheTestKubelet) {
  const std::string ns = makeNamespace("it-job-ok");
  ASSERT_TRUE(client().create(res::kJobs, ns, makeJob("train")).ok());

  TestKubelet kubelet(client());
  auto pod = kubelet.waitForScheduledPod(ns, "launch.dev/job=train");
  ASSERT_TRUE(pod.ok()) << pod.error().describe();
  EXPECT_EQ((*pod)["spec"]["nodeName"], "launch-node-0");
  const std::string podName = (*pod)["metadata"]["name"];

  ASSERT_TRUE(kubelet.run(ns, podName).ok());
  EXPECT_TRUE(eventually([&] {
    auto job = client().get(res::kJobs, ns, "train");
    return job.ok() && (*job)["status"].value("active", 0) == 1;
  })) << "the Job never counted its pod active";

  ASSERT_TRUE(kubelet.succeed(ns, podName).ok());
  EXPECT_TRUE(eventually([&] {
    auto job = client().get(res::kJobs, ns, "train");
    return job.ok() && hasCondition(*job, "Complete");
  })) << "the Job never completed";
}

TEST_F(ControlPlaneFullIT, AFailedPodFailsTheJob) {
  const std::string ns = makeNamespace("it-job-fail");
  ASSERT_TRUE(client().create(res::kJobs, ns, makeJob("broken")).ok());
  TestKubelet kubelet(client());
  auto pod = kubelet.waitForScheduledPod(ns, "launch.dev/job=broken");
  ASSERT_TRUE(pod.ok()) << pod.error().describe();
  ASSERT_TRUE(kubelet.fail(ns, (*pod)["metadata"]["name"], 3, "Error", "exit 3").ok());
  EXPECT_TRUE(eventually([&] {
    auto job = client().get(res::kJobs, ns, "broken");
    return job.ok() && hasCondition(*job, "Failed");
  })) << "the Job never failed";
}

TEST_F(ControlPlaneFullIT, AnImagePullFailureShowsInThePodStatus) {
  const std::string ns = makeNamespace("it-job-pull");
  ASSERT_TRUE(client().create(res::kJobs, ns, makeJob("nopull")).ok());
  TestKubelet kubelet(client());
  auto pod = kubelet.waitForScheduledPod(ns, "launch.dev/job=nopull");
  ASSERT_TRUE(pod.ok()) << pod.error().describe();
  const std::string podName = (*pod)["metadata"]["name"];
  ASSERT_TRUE(kubelet.waiting(ns, podName, "ImagePullBackOff", "Back-off pulling image").ok());
  auto read = client().get(res::kPods, ns, podName);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*read)["status"]["containerStatuses"][0]["state"]["waiting"]["reason"], "ImagePullBackOff");
  EXPECT_EQ((*read)["status"]["phase"], "Pending");
}

TEST_F(ControlPlaneFullIT, DeletingAJobInTheBackgroundCollectsItsPods) {
  const std::string ns = makeNamespace("it-job-gc");
  ASSERT_TRUE(client().create(res::kJobs, ns, makeJob("collect")).ok());
  TestKubelet kubelet(client());
  auto pod = kubelet.waitForScheduledPod(ns, "launch.dev/job=collect");
  ASSERT_TRUE(pod.ok()) << pod.error().describe();
  ASSERT_TRUE(client().remove(res::kJobs, ns, "collect", kube::Propagation::Background).ok());
  EXPECT_TRUE(eventually([&] {
    auto pods = client().list(res::kPods, ns, {"launch.dev/job=collect", "", 0, "", ""});
    if (!pods.ok()) return false;
    // A pod that is gone, or being deleted, has been collected; the kubelet would finish the removal.
    for (const auto& p : (*pods)["items"]) {
      if (!p["metadata"].contains("deletionTimestamp")) return false;
    }
    return true;
  })) << "the garbage collector did not delete the Job's pod";
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({.full = true}));
  return RUN_ALL_TESTS();
}
