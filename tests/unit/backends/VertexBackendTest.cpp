// Unit tests of VertexBackend against FakeVertex, with tokens from the service-account JWT grant that the fake's
// token endpoint verifies.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/VertexBackend.hpp"
#include "cloud/GoogleCachedTokenSource.hpp"
#include "cloud/GoogleServiceAccountTokenSource.hpp"
#include "fakes/DroppingProxy.hpp"
#include "fakes/FakeVertex.hpp"

namespace launch::backends {
namespace {

using launch::testing::DroppingProxy;
using launch::testing::FakeVertex;
using launch::testing::otherTestKeyPair;
using launch::testing::testKeyPair;

constexpr const char* kEmail = "launcher@proj.iam.gserviceaccount.com";
constexpr const char* kImage = "us-central1-docker.pkg.dev/proj/repo/train:1";

api::LaunchJob makeJob(const std::string& name = "train", const std::string& uid = "0123abcd-4567-89ef") {
  api::LaunchJob job;
  job.metadata.name = name;
  job.metadata.namespace_ = "ml";
  job.metadata.uid = uid;
  job.spec.queue = "vertex";
  job.spec.source = api::ImageSource{kImage};
  job.spec.entryPoint = {"python", "train.py"};
  job.spec.args = {"--epochs", "3"};
  job.spec.env = {{"WANDB_PROJECT", "vision"}};
  return job;
}

Json queueConfig() {
  return Json::parse(R"({"worker_pool_specs": [{"machine_spec": {"machine_type": "n1-standard-4"}}],
                         "service_account": "trainer@proj.iam.gserviceaccount.com"})");
}

class VertexBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.tokenEndpoint().addServiceAccount(kEmail, "key-1", testKeyPair().publicKeyPem); }

  std::unique_ptr<cloud::GoogleTokenSource> serviceAccount(const std::string& privateKeyPem) {
    return std::make_unique<cloud::GoogleServiceAccountTokenSource>(
        cloud::GoogleServiceAccountKey{kEmail, privateKeyPem, "key-1", fake_.tokenEndpoint().tokenUri(), "proj"},
        "/secrets/gcp/key.json", http_, clock_);
  }
  VertexOptions options() const {
    VertexOptions options;
    options.project = "proj";
    options.region = "us-central1";
    options.endpoint = fake_.url();
    options.pollInterval = std::chrono::seconds(15);
    return options;
  }
  VertexBackend backend(cloud::GoogleTokenSource& tokens) {
    return VertexBackend(options(), tokens, http_, clock_,
                         [this](std::chrono::milliseconds delay) { sleeps_.push_back(delay); });
  }
  Result<std::string> submit(VertexBackend& backend, const api::LaunchJob& job) {
    const Json config = queueConfig();
    return backend.submit(RunSpec{job, config, "agent-1", kImage});
  }

  ManualClock clock_;
  FakeVertex fake_{clock_};
  http::HttpClient http_{http::HttpClientOptions{}};
  cloud::GoogleCachedTokenSource tokens_{serviceAccount(testKeyPair().privateKeyPem), clock_};
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(VertexBackendTest, RunsACustomJobThroughItsLifecycle) {
  VertexBackend vertex = backend(tokens_);
  EXPECT_EQ(vertex.pollInterval(), std::chrono::seconds(15));
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message << " / token endpoint: " << fake_.tokenEndpoint().lastRejection();
  // The name Vertex returned, with the project's number: not one rebuilt from the project ID.
  EXPECT_EQ(ref->rfind("projects/123456789012/locations/us-central1/customJobs/", 0), 0U) << *ref;
  EXPECT_EQ(fake_.calls("list"), 1);
  EXPECT_EQ(fake_.calls("create"), 1);

  const auto created = fake_.job(*ref);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ((*created)["displayName"], "lj-train-0123abcd");
  EXPECT_EQ((*created)["labels"]["launch-dev-job-uid"], "0123abcd-4567-89ef");
  EXPECT_EQ((*created)["labels"]["launch-dev-queue"], "vertex");
  const Json& container = (*created)["jobSpec"]["workerPoolSpecs"][0]["containerSpec"];
  EXPECT_EQ(container["imageUri"], kImage);
  EXPECT_EQ(container["command"], Json({"python", "train.py"}));
  EXPECT_EQ(container["args"], Json({"--epochs", "3"}));
  EXPECT_EQ(container["env"], Json::parse(R"([{"name": "WANDB_PROJECT", "value": "vision"}])"));
  EXPECT_EQ((*created)["jobSpec"]["serviceAccount"], "trainer@proj.iam.gserviceaccount.com");

  const auto expect = [&](bool started, std::optional<api::JobPhase> finished, const char* reason) {
    auto seen = vertex.observe(*ref);
    ASSERT_TRUE(seen.ok()) << seen.error().message;
    EXPECT_TRUE(seen->exists);
    EXPECT_EQ(seen->started, started);
    EXPECT_EQ(seen->finished, finished);
    EXPECT_EQ(seen->reason, reason);
  };
  expect(false, std::nullopt, "Queued");
  fake_.advance(*ref);
  expect(false, std::nullopt, "Pending");
  fake_.advance(*ref);
  expect(true, std::nullopt, "Running");
  fake_.advance(*ref);
  expect(true, api::JobPhase::Succeeded, "Completed");

  EXPECT_TRUE(vertex.cleanup(*ref).ok());
  EXPECT_EQ(fake_.unauthenticated(), 0);
  EXPECT_EQ(fake_.tokenEndpoint().requests(), 1);  // the cached token served every call
}

TEST_F(VertexBackendTest, ACreateAnsweredWith503IsFoundByListingNotSentAgain) {
  VertexBackend vertex = backend(tokens_);
  fake_.failNextCreateAfterCreating();
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(fake_.calls("create"), 1);
  EXPECT_EQ(fake_.calls("list"), 2);  // before the create, and after its 503
  EXPECT_EQ(fake_.jobCount(), 1U);
  EXPECT_TRUE(fake_.job(*ref).has_value());
}

TEST_F(VertexBackendTest, ACreateAnsweredWith503ThatMadeNothingIsSentAgainAfterListing) {
  VertexBackend vertex = backend(tokens_);
  fake_.failNextCreateWithoutCreating();
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(fake_.calls("create"), 2);
  EXPECT_EQ(fake_.calls("list"), 2);  // before the first create, and before the second
  EXPECT_EQ(fake_.jobCount(), 1U);
  EXPECT_EQ(sleeps_.size(), 1U);  // backed off before creating again
}

TEST_F(VertexBackendTest, ASubmitAfterARestartAdoptsTheExistingJob) {
  VertexBackend vertex = backend(tokens_);
  auto first = submit(vertex, makeJob());
  ASSERT_TRUE(first.ok()) << first.error().message;
  VertexBackend restarted = backend(tokens_);
  auto second = submit(restarted, makeJob());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(fake_.calls("create"), 1);
  EXPECT_EQ(fake_.jobCount(), 1U);
}

TEST_F(VertexBackendTest, FollowsListPagesToFindItsJob) {
  VertexBackend vertex = backend(tokens_);
  auto ours = submit(vertex, makeJob("ours", "aaaa1111"));
  ASSERT_TRUE(ours.ok());
  for (const char* uid : {"bbbb2222", "cccc3333"}) ASSERT_TRUE(submit(vertex, makeJob("other", uid)).ok());
  fake_.startListsWithEmptyPages(2);
  const int listsBefore = fake_.calls("list");
  auto again = submit(vertex, makeJob("ours", "aaaa1111"));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *ours);
  EXPECT_EQ(fake_.calls("list") - listsBefore, 3);  // two empty pages, then the one with the job
  EXPECT_EQ(fake_.calls("create"), 3);
  EXPECT_EQ(fake_.jobCount(), 3U);
}

TEST_F(VertexBackendTest, CancelsARunningJob) {
  VertexBackend vertex = backend(tokens_);
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok());
  fake_.advance(*ref);
  fake_.advance(*ref);
  ASSERT_TRUE(vertex.cancel(*ref).ok());
  EXPECT_EQ((*fake_.job(*ref))["state"], "JOB_STATE_CANCELLING");
  auto cancelling = vertex.observe(*ref);
  ASSERT_TRUE(cancelling.ok());
  EXPECT_EQ(cancelling->finished, api::JobPhase::Failed);
  EXPECT_EQ(cancelling->reason, "Cancelled");

  fake_.advance(*ref);
  auto cancelled = vertex.observe(*ref);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->reason, "Cancelled");
  // Vertex refuses to cancel a cancelled job (FAILED_PRECONDITION); for the launcher that is done.
  EXPECT_TRUE(vertex.cancel(*ref).ok());
  EXPECT_EQ(fake_.calls("cancel"), 2);
}

TEST_F(VertexBackendTest, AFailedJobReportsItsErrorMessage) {
  VertexBackend vertex = backend(tokens_);
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok());
  fake_.advance(*ref);
  fake_.advance(*ref);
  fake_.fail(*ref, "The replica workerpool0-0 exited with a non-zero status of 1.");
  auto seen = vertex.observe(*ref);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->finished, api::JobPhase::Failed);
  EXPECT_EQ(seen->reason, "Failed");
  EXPECT_EQ(seen->message, "The replica workerpool0-0 exited with a non-zero status of 1.");
  EXPECT_TRUE(seen->started);
}

TEST_F(VertexBackendTest, AnUnknownJobReadsAsGoneAndCancellingItSucceeds) {
  VertexBackend vertex = backend(tokens_);
  const std::string ref = "projects/123456789012/locations/us-central1/customJobs/42";
  auto seen = vertex.observe(ref);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_FALSE(seen->exists);
  EXPECT_TRUE(vertex.cancel(ref).ok());
}

TEST_F(VertexBackendTest, RetriesThrottledCallsButNotBlindlyTheCreate) {
  VertexBackend vertex = backend(tokens_);
  fake_.throttleNext(2);  // the first list, then the first create: both surely not acted on
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(fake_.calls("create"), 1);
  EXPECT_EQ(fake_.jobCount(), 1U);
  EXPECT_EQ(sleeps_.size(), 2U);
}

TEST_F(VertexBackendTest, ARevokedCachedTokenIsReplacedOnce) {
  VertexBackend vertex = backend(tokens_);
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok());
  fake_.revokeIssuedTokens();
  auto seen = vertex.observe(*ref);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(fake_.unauthenticated(), 1);
  EXPECT_EQ(fake_.tokenEndpoint().requests(), 2);
}

TEST_F(VertexBackendTest, AKeyTheTokenEndpointDoesNotTrustFailsWithoutLeakingIt) {
  auto wrongKey = serviceAccount(otherTestKeyPair().privateKeyPem);
  VertexBackend vertex = backend(*wrongKey);
  auto ref = submit(vertex, makeJob());
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(fake_.tokenEndpoint().lastRejection(), "invalid_grant: Invalid JWT Signature.");
  EXPECT_NE(ref.error().message.find(kEmail), std::string::npos) << ref.error().message;
  EXPECT_EQ(ref.error().message.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(fake_.jobCount(), 0U);
}

TEST_F(VertexBackendTest, AnotherProjectIsForbiddenWithAClearMessage) {
  VertexOptions elsewhere = options();
  elsewhere.project = "someone-elses";
  VertexBackend vertex(elsewhere, tokens_, http_, clock_, [](std::chrono::milliseconds) {});
  auto ref = submit(vertex, makeJob());
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().code, ErrorCode::Forbidden);
  EXPECT_EQ(ref.error().reason, "PERMISSION_DENIED");
  EXPECT_NE(ref.error().message.find("aiplatform.customJobs"), std::string::npos) << ref.error().message;
  for (const std::string& token : fake_.tokenEndpoint().issuedTokens()) {
    EXPECT_EQ(ref.error().message.find(token), std::string::npos);
  }
}

TEST_F(VertexBackendTest, RefsOfAnotherRegionOrBackendAreRejected) {
  VertexBackend vertex = backend(tokens_);
  for (const char* ref : {"projects/p/locations/europe-west4/customJobs/1", "sagemaker/us-east-1/lj-x-1"}) {
    auto seen = vertex.observe(ref);
    ASSERT_FALSE(seen.ok()) << ref;
    EXPECT_EQ(seen.error().code, ErrorCode::Invalid);
  }
  EXPECT_EQ(fake_.calls("get"), 0);
}

TEST_F(VertexBackendTest, LogsPointToCloudLogging) {
  VertexBackend vertex = backend(tokens_);
  auto logs = vertex.logs("projects/123456789012/locations/us-central1/customJobs/42", 4096);
  ASSERT_TRUE(logs.ok());
  EXPECT_NE(logs->find("resource.type=\"ml_job\""), std::string::npos) << *logs;
  EXPECT_NE(logs->find("resource.labels.job_id=\"42\""), std::string::npos) << *logs;
  EXPECT_NE(logs->find("--project=123456789012"), std::string::npos) << *logs;
}

TEST_F(VertexBackendTest, FindsTheCustomJobAnEarlierSubmitStarted) {
  VertexBackend vertex = backend(tokens_);
  auto none = vertex.findRun(makeJob());
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  auto found = vertex.findRun(makeJob());
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->value_or(""), *ref);
  EXPECT_FALSE(vertex.findRun(makeJob("other", "ffff0000")).value().has_value()) << "another job's run";
}

TEST_F(VertexBackendTest, DroppedConnectionsAreRetriedWithoutASecondCustomJob) {
  DroppingProxy proxy(std::stoi(fake_.url().substr(fake_.url().rfind(':') + 1)));
  VertexOptions viaProxy = options();
  viaProxy.endpoint = proxy.url();
  VertexBackend vertex(viaProxy, tokens_, http_, clock_,
                       [this](std::chrono::milliseconds delay) { sleeps_.push_back(delay); });
  proxy.dropNext(1);
  auto ref = submit(vertex, makeJob());
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(proxy.dropped(), 1);
  EXPECT_EQ(fake_.jobCount(), 1U);
  EXPECT_EQ(fake_.calls("create"), 1);
  proxy.dropNext(2);
  auto seen = vertex.observe(*ref);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_TRUE(seen->exists);
  EXPECT_EQ(proxy.dropped(), 3);
}

}  // namespace
}  // namespace launch::backends
