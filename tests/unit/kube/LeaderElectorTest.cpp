// Unit tests of leader-election settings and of the event recorder's aggregation, against a scripted server.
#include <gtest/gtest.h>

#include "fakes/FakeKubeApiServer.hpp"
#include "kube/EventRecorder.hpp"
#include "kube/LeaderElector.hpp"

namespace launch::kube {
namespace {

using launch::testing::FakeKubeApiServer;
using std::chrono::milliseconds;

struct ElectionCase {
  std::string name;
  LeaderElectionConfig config;
  std::string mentions;  // empty: valid
};
class ElectionSettings : public ::testing::TestWithParam<ElectionCase> {};
TEST_P(ElectionSettings, AreValidated) {
  const Status status = validateLeaderElection(GetParam().config);
  if (GetParam().mentions.empty()) {
    EXPECT_TRUE(status.ok()) << status.error().message;
    return;
  }
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(GetParam().mentions), std::string::npos) << status.error().message;
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ElectionSettings,
    ::testing::Values(ElectionCase{"Defaults", {"ns", "lease", "me"}, ""},
                      ElectionCase{"NoName", {"ns", "", "me"}, "namespace and name"},
                      ElectionCase{"NoIdentity", {"ns", "lease", ""}, "identity"},
                      ElectionCase{"LeaseNotLongerThanRenew",
                                   {"ns", "l", "me", milliseconds(10000), milliseconds(10000), milliseconds(2000)},
                                   "leaseDuration"},
                      ElectionCase{"RenewTooCloseToRetry",
                                   {"ns", "l", "me", milliseconds(15000), milliseconds(2400), milliseconds(2000)},
                                   "1.2"}),
    [](const auto& info) { return info.param.name; });

TEST(LeaderElector, TakesAFreeLeaseAndReleasesItOnStop) {
  FakeKubeApiServer server;
  const std::string path = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/lease";
  const std::string held =
      R"({"metadata":{"name":"lease","namespace":"ns","resourceVersion":"2"},"spec":{"holderIdentity":"me","leaseDurationSeconds":15}})";
  server.script("GET", path, {FakeKubeApiServer::status(404, "NotFound"), FakeKubeApiServer::json(200, held)});
  server.script("POST", "/apis/coordination.k8s.io/v1/namespaces/ns/leases", {FakeKubeApiServer::json(201, held)});
  server.script("PUT", path, {FakeKubeApiServer::json(200, held)});
  KubeClient client(server.config());
  int started = 0;
  int stopped = 0;
  LeaderElector elector(client, {"ns", "lease", "me", milliseconds(1500), milliseconds(1000), milliseconds(100)},
                        {[&] { ++started; }, [&] { ++stopped; }, {}});
  elector.start();
  for (int i = 0; i < 100 && !elector.isLeader(); ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(elector.isLeader());
  elector.stop();
  EXPECT_FALSE(elector.isLeader());
  EXPECT_EQ(started, 1);
  EXPECT_EQ(stopped, 1);
  const auto requests = server.requests();
  const auto& release = requests.back();
  ASSERT_EQ(release.method, "PUT");
  const Json body = Json::parse(release.body);
  EXPECT_EQ(body["spec"]["holderIdentity"], "") << "a stopping leader hands the lease back";
  EXPECT_EQ(body["metadata"]["resourceVersion"], "2") << "updates are guarded by resourceVersion";
}

TEST(LeaderElector, DoesNotTakeALeaseHeldByAnotherUntilItExpires) {
  FakeKubeApiServer server;
  const std::string path = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/lease";
  server.script(
      "GET", path,
      {FakeKubeApiServer::json(
          200,
          R"({"metadata":{"name":"lease","resourceVersion":"3"},"spec":{"holderIdentity":"other","leaseDurationSeconds":1,"renewTime":"2020-01-01T00:00:00.000000Z"}})")});
  server.script(
      "PUT", path,
      {FakeKubeApiServer::json(
          200,
          R"({"metadata":{"name":"lease","resourceVersion":"4"},"spec":{"holderIdentity":"me","leaseDurationSeconds":1}})")});
  KubeClient client(server.config());
  std::string seen;
  LeaderElector elector(client, {"ns", "lease", "me", milliseconds(1500), milliseconds(1000), milliseconds(100)},
                        {{}, {}, [&](const std::string& id) { seen = id; }});
  elector.start();
  std::this_thread::sleep_for(milliseconds(500));
  // A stale renewTime does not matter: expiry runs from when this process first saw the record (1 s).
  EXPECT_FALSE(elector.isLeader());
  EXPECT_EQ(server.count("PUT", path), 0U);
  for (int i = 0; i < 200 && !elector.isLeader(); ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(elector.isLeader());
  EXPECT_EQ(seen, "me");
  elector.stop();
}

TEST(EventRecorder, AggregatesRepeatsIntoACount) {
  FakeKubeApiServer server;
  server.script("POST", "/api/v1/namespaces/ml/events", {FakeKubeApiServer::json(201, "{}")});
  KubeClient client(server.config());
  EventRecorder recorder(client, "launch-operator");
  const Json job = {{"apiVersion", "launch.dev/v1alpha1"},
                    {"kind", "LaunchJob"},
                    {"metadata", {{"name", "train"}, {"namespace", "ml"}, {"uid", "u-1"}}}};
  ASSERT_TRUE(recorder.record(job, EventType::Warning, "ImagePullBackOff", "cannot pull x").ok());
  const Json created = Json::parse(server.requests().at(0).body);
  const std::string name = created["metadata"]["name"];
  server.script("PATCH", "/api/v1/namespaces/ml/events/" + name, {FakeKubeApiServer::json(200, "{}")});
  ASSERT_TRUE(recorder.record(job, EventType::Warning, "ImagePullBackOff", "cannot pull x").ok());
  ASSERT_TRUE(recorder.record(job, EventType::Warning, "ImagePullBackOff", "cannot pull x").ok());
  ASSERT_TRUE(recorder.record(job, EventType::Normal, "Started", "running").ok());
  EXPECT_EQ(created["involvedObject"]["uid"], "u-1");
  EXPECT_EQ(created["type"], "Warning");
  EXPECT_EQ(created["count"], 1);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4U);
  EXPECT_EQ(requests[1].method, "PATCH");
  EXPECT_EQ(Json::parse(requests[1].body)["count"], 2);
  EXPECT_EQ(Json::parse(requests[2].body)["count"], 3);
  EXPECT_EQ(requests[3].method, "POST") << "a different event is a new Event";
}

}  // namespace
}  // namespace launch::kube
