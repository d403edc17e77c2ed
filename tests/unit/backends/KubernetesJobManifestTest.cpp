// Unit tests of the batch/v1 Job built for a LaunchJob and of how Jobs and Pods read back (table-driven).
#include <gtest/gtest.h>

#include "backends/KubernetesJobManifest.hpp"

namespace launch::backends {
namespace {

api::LaunchJob makeJob() {
  api::LaunchJob job;
  job.metadata.name = "train.resnet";
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123456789abcdef";
  job.spec.queue = "gpu";
  job.spec.source = api::ImageSource{"registry/train:1"};
  job.spec.entryPoint = {"python", "train.py"};
  job.spec.args = {"--lr", "0.1"};
  job.spec.env = {{"WANDB_PROJECT", "vision"}};
  return job;
}

TEST(KubernetesJobName, IsStableShortAndAValidName) {
  api::LaunchJob job = makeJob();
  EXPECT_EQ(runName(job), "lj-train-resnet-01234567");
  job.metadata.name = std::string(80, 'a');
  const std::string name = runName(job);
  EXPECT_LE(name.size(), 63U);
  EXPECT_EQ(name.substr(name.size() - 9), "-01234567");
}

TEST(KubernetesJobManifest, HasTheDefaultsLabelsAndOwner) {
  auto manifest = buildKubernetesJob(makeJob(), Json::object(), "agent-1", "registry/train:1");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  const Json& m = *manifest;
  EXPECT_EQ(m["metadata"]["name"], "lj-train-resnet-01234567");
  EXPECT_EQ(m["metadata"]["labels"]["launch.dev/job"], "train.resnet");
  EXPECT_EQ(m["metadata"]["labels"]["launch.dev/queue"], "gpu");
  EXPECT_EQ(m["metadata"]["labels"]["launch.dev/agent"], "agent-1");
  EXPECT_EQ(m["spec"]["template"]["metadata"]["labels"]["launch.dev/job"], "train.resnet");
  EXPECT_EQ(m["metadata"]["ownerReferences"][0]["kind"], "LaunchJob");
  EXPECT_EQ(m["metadata"]["ownerReferences"][0]["uid"], "0123456789abcdef");
  EXPECT_EQ(m["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(m["spec"]["backoffLimit"], 0);
  EXPECT_EQ(m["spec"]["template"]["spec"]["restartPolicy"], "Never");
  const Json& c = m["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "registry/train:1");
  EXPECT_EQ(c["command"], Json({"python", "train.py"}));
  EXPECT_EQ(c["args"], Json({"--lr", "0.1"}));
  EXPECT_EQ(c["env"][0]["name"], "WANDB_PROJECT");
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"][0], "ALL");
  EXPECT_EQ(m["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"], true);
}

TEST(KubernetesJobManifest, TheQueueConfigOverridesDefaultsButNotIdentity) {
  const Json config = Json::parse(R"({
    "metadata": {"name": "hijack", "labels": {"team": "vision", "launch.dev/job": "other"}},
    "spec": {"backoffLimit": 2, "activeDeadlineSeconds": 600,
             "template": {"spec": {"restartPolicy": "OnFailure", "nodeSelector": {"pool": "a100"},
                                   "containers": [{"name": "trainer", "image": "ignored",
                                                   "resources": {"limits": {"memory": "16Gi"}},
                                                   "securityContext": {"runAsUser": 0}}]}}}})");
  auto manifest = buildKubernetesJob(makeJob(), config, "agent-1", "registry/train:1");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  const Json& m = *manifest;
  EXPECT_EQ(m["metadata"]["name"], "lj-train-resnet-01234567");
  EXPECT_EQ(m["metadata"]["labels"]["team"], "vision");
  EXPECT_EQ(m["metadata"]["labels"]["launch.dev/job"], "train.resnet") << "the operator's labels always win";
  EXPECT_EQ(m["spec"]["backoffLimit"], 2);
  EXPECT_EQ(m["spec"]["activeDeadlineSeconds"], 600);
  EXPECT_EQ(m["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");
  EXPECT_EQ(m["spec"]["template"]["spec"]["nodeSelector"]["pool"], "a100");
  const Json& c = m["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0]["name"], "trainer");
  EXPECT_EQ(c[0]["image"], "registry/train:1") << "the image comes from the job";
  EXPECT_EQ(c[0]["resources"]["limits"]["memory"], "16Gi");
  EXPECT_EQ(c[0]["securityContext"], Json({{"runAsUser", 0}})) << "an explicit securityContext replaces the default";
}

Json pod(const std::string& phase, const Json& containerState, const Json& conditions = Json::array()) {
  return {
      {"status", {{"phase", phase}, {"conditions", conditions}, {"containerStatuses", {{{"state", containerState}}}}}}};
}

struct ObservationCase {
  std::string name;
  Json job;
  std::vector<Json> pods;
  bool started;
  std::string finished;  // "", "Succeeded", "Failed"
  std::string reason;
  bool permanent;
};

class Observations : public ::testing::TestWithParam<ObservationCase> {};
TEST_P(Observations, ReadJobsAndPods) {
  const ObservationCase& c = GetParam();
  std::vector<const Json*> pods;
  for (const auto& p : c.pods) pods.push_back(&p);
  const RunObservation seen = observeKubernetesJob(&c.job, pods);
  EXPECT_TRUE(seen.exists);
  EXPECT_EQ(seen.started, c.started);
  EXPECT_EQ(seen.finished ? std::string(api::toString(*seen.finished)) : "", c.finished);
  EXPECT_EQ(seen.reason, c.reason) << seen.message;
  EXPECT_EQ(seen.permanentFailure, c.permanent);
  EXPECT_FALSE(c.reason.empty() && !seen.message.empty() && c.finished.empty() && !c.started);
}

const Json kActive = {{"status", {{"active", 1}}}};
const Json kComplete = {{"status", {{"succeeded", 1}, {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}};
const Json kFailed = {
    {"status",
     {{"failed", 1}, {"conditions", {{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"}}}}}}};
const Json kDeadline = {
    {"status", {{"conditions", {{{"type", "Failed"}, {"status", "True"}, {"reason", "DeadlineExceeded"}}}}}}};

INSTANTIATE_TEST_SUITE_P(
    Cases, Observations,
    ::testing::Values(
        ObservationCase{"Pending", kActive, {pod("Pending", Json::object())}, false, "", "", false},
        ObservationCase{
            "Running", kActive, {pod("Running", {{"running", Json::object()}})}, true, "", "Running", false},
        ObservationCase{"Complete", kComplete, {}, true, "Succeeded", "Completed", false},
        ObservationCase{"FailedExit",
                        kFailed,
                        {pod("Failed", {{"terminated", {{"exitCode", 3}}}})},
                        true,
                        "Failed",
                        "Error",
                        false},
        ObservationCase{"OOMKilled",
                        kFailed,
                        {pod("Failed", {{"terminated", {{"exitCode", 137}, {"reason", "OOMKilled"}}}})},
                        true,
                        "Failed",
                        "OOMKilled",
                        false},
        ObservationCase{"DeadlineExceeded", kDeadline, {}, false, "Failed", "DeadlineExceeded", false},
        ObservationCase{"ImagePullBackOff",
                        kActive,
                        {pod("Pending", {{"waiting", {{"reason", "ImagePullBackOff"}}}})},
                        false,
                        "",
                        "ImagePullBackOff",
                        false},
        ObservationCase{"ErrImagePull",
                        kActive,
                        {pod("Pending", {{"waiting", {{"reason", "ErrImagePull"}}}})},
                        false,
                        "",
                        "ErrImagePull",
                        false},
        ObservationCase{"InvalidImageName",
                        kActive,
                        {pod("Pending", {{"waiting", {{"reason", "InvalidImageName"}}}})},
                        false,
                        "",
                        "InvalidImageName",
                        true},
        ObservationCase{"CreateContainerConfigError",
                        kActive,
                        {pod("Pending", {{"waiting", {{"reason", "CreateContainerConfigError"}}}})},
                        false,
                        "",
                        "CreateContainerConfigError",
                        false},
        ObservationCase{"CrashLoopBackOff",
                        kActive,
                        {pod("Running", {{"waiting", {{"reason", "CrashLoopBackOff"}}}})},
                        true,
                        "",
                        "CrashLoopBackOff",
                        false},
        ObservationCase{"Unschedulable",
                        kActive,
                        {pod("Pending", Json::object(),
                             {{{"type", "PodScheduled"},
                               {"status", "False"},
                               {"reason", "Unschedulable"},
                               {"message", "0/1 nodes"}}})},
                        false,
                        "",
                        "Unschedulable",
                        false}),
    [](const auto& info) { return info.param.name; });

TEST(Observation, NoJobMeansNoRun) { EXPECT_FALSE(observeKubernetesJob(nullptr, {}).exists); }

}  // namespace
}  // namespace launch::backends
