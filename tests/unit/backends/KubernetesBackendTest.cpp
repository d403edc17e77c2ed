// Unit tests of KubernetesBackend against FakeKubeApiServer: a run just submitted is observed from the Job its
// create answered, without a GET, until the watch shows it or the stand-in has expired.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "backends/KubernetesBackend.hpp"
#include "fakes/FakeKubeApiServer.hpp"

namespace launch::backends {
namespace {

using launch::testing::FakeKubeApiServer;

const std::string kJobs = "/apis/batch/v1/namespaces/ml/jobs";

api::LaunchJob makeJob() {
  api::LaunchJob job;
  job.metadata.name = "train";
  job.metadata.namespace_ = "ml";
  job.metadata.uid = "0123456789abcdef";
  job.spec.queue = "gpu";
  job.spec.source = api::ImageSource{"registry.local/train:1"};
  return job;
}

std::string createdJob(const api::LaunchJob& job) {
  return R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":")" + runName(job) +
         R"(","namespace":"ml","resourceVersion":"7","labels":{"launch.dev/job":"train"}},"spec":{"suspend":false}})";
}

kube::KubeClientOptions noRetries() {
  kube::KubeClientOptions options;
  options.retry.maxAttempts = 1;
  return options;
}

TEST(KubernetesBackendTest, AJustSubmittedRunIsObservedFromItsCreateUntilTheStandInExpires) {
  FakeKubeApiServer server;
  const api::LaunchJob job = makeJob();
  server.script("POST", kJobs, {FakeKubeApiServer::json(201, createdJob(job))});
  server.script("GET", kJobs + "/" + runName(job), {FakeKubeApiServer::status(404, "NotFound")});
  kube::KubeClient client(server.config(), noRetries());
  ManualClock clock;
  KubernetesBackend backend(client, "ml", clock);  // not started: its watch never shows the Job

  const kube::Json config = kube::Json::object();
  auto ref = backend.submit(RunSpec{job, config, "agent", "registry.local/train:1"});
  ASSERT_TRUE(ref.ok()) << ref.error().describe();
  auto seen = backend.observe(*ref);
  ASSERT_TRUE(seen.ok()) << seen.error().describe();
  EXPECT_TRUE(seen->exists);
  EXPECT_FALSE(seen->started);
  EXPECT_EQ(server.count("GET", kJobs + "/" + runName(job)), 0U) << "the create's answer stands in for the cache";

  clock.advance(std::chrono::seconds(31));
  seen = backend.observe(*ref);
  ASSERT_TRUE(seen.ok()) << seen.error().describe();
  EXPECT_FALSE(seen->exists) << "an expired stand-in gives way to the API server's word";
  EXPECT_EQ(server.count("GET", kJobs + "/" + runName(job)), 1U);
}

TEST(KubernetesBackendTest, ARunAnotherProcessMadeIsReadFromTheApiServer) {
  FakeKubeApiServer server;
  const api::LaunchJob job = makeJob();
  server.script("GET", kJobs + "/" + runName(job), {FakeKubeApiServer::json(200, createdJob(job))});
  kube::KubeClient client(server.config(), noRetries());
  KubernetesBackend backend(client, "ml");
  auto seen = backend.observe("batch/v1/Job/ml/" + runName(job));
  ASSERT_TRUE(seen.ok()) << seen.error().describe();
  EXPECT_TRUE(seen->exists);
  EXPECT_EQ(server.count("GET", kJobs + "/" + runName(job)), 1U);
}

}  // namespace
}  // namespace launch::backends
