// Unit tests of EventRecorder's budget against FakeKubeApiServer: Normal events are written within it, Warnings
// always (aggregation of repeats is tested in LeaderElectorTest.cpp).
#include "kube/EventRecorder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fakes/FakeKubeApiServer.hpp"

namespace launch::kube {
namespace {

using launch::testing::FakeKubeApiServer;

const std::string kEvents = "/api/v1/namespaces/ml/events";

Json involved(const std::string& name) {
  return {{"apiVersion", "launch.dev/v1alpha1"},
          {"kind", "LaunchJob"},
          {"metadata", {{"name", name}, {"namespace", "ml"}, {"uid", "uid-" + name}, {"resourceVersion", "1"}}}};
}

KubeClientOptions noRetries() {
  KubeClientOptions options;
  options.retry.maxAttempts = 1;
  return options;
}

TEST(EventRecorderTest, NormalEventsBeyondTheBudgetAreDroppedAndWarningsAreNot) {
  FakeKubeApiServer server;
  server.script("POST", kEvents, {FakeKubeApiServer::json(201, "{}")});
  KubeClient client(server.config(), noRetries());
  ManualClock clock;
  EventRecorder recorder(client, "launch-operator", clock, 4096, NormalEventBudget{1, 3});

  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(recorder.record(involved("job-" + std::to_string(i)), EventType::Normal, "Submitted", "ok").ok());
  }
  EXPECT_EQ(server.count("POST", kEvents), 3U) << "the burst is 3";
  EXPECT_EQ(recorder.droppedNormalEvents(), 2U);

  ASSERT_TRUE(recorder.record(involved("bad"), EventType::Warning, "ErrImagePull", "no such image").ok());
  EXPECT_EQ(server.count("POST", kEvents), 4U) << "a Warning is written with the budget spent";

  clock.advance(std::chrono::milliseconds(1500));  // 1.5 tokens at 1/s
  ASSERT_TRUE(recorder.record(involved("later-1"), EventType::Normal, "Submitted", "ok").ok());
  ASSERT_TRUE(recorder.record(involved("later-2"), EventType::Normal, "Submitted", "ok").ok());
  EXPECT_EQ(server.count("POST", kEvents), 5U) << "one token came back in 1.5 s";
  EXPECT_EQ(recorder.droppedNormalEvents(), 3U);
}

}  // namespace
}  // namespace launch::kube
