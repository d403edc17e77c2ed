// Integration: when the control plane stops in the middle of a suite, calls fail fast with a clear message
// instead of hanging, and the fixture's readiness check names the cause.
#include <gtest/gtest.h>

#include <chrono>

#include "support/ControlPlane.hpp"

namespace launch::testing {
namespace {

namespace res = kube::resources;
using Clock = std::chrono::steady_clock;

TEST(ControlPlaneStopIT, CallsFailFastWithAClearMessageOnceTheApiServerIsGone) {
  auto plane = ControlPlane::start({});
  ASSERT_TRUE(plane.ok()) << plane.error().message;
  kube::KubeClient client((*plane)->config());
  ASSERT_TRUE(client.serverVersion().ok());
  ASSERT_TRUE((*plane)->checkReady().ok());

  ASSERT_TRUE((*plane)->stopApiServer().ok());

  const auto started = Clock::now();
  auto call = client.get(res::kNamespaces, "", "default");
  const auto took = Clock::now() - started;
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code, ErrorCode::Unavailable);
  EXPECT_NE(call.error().message.find("did not answer"), std::string::npos) << call.error().message;
  EXPECT_NE(call.error().message.find((*plane)->apiServerUrl()), std::string::npos) << call.error().message;
  EXPECT_LT(took, std::chrono::seconds(6));

  const Status ready = (*plane)->checkReady();
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.error().message.find("is not answering (was it stopped?)"), std::string::npos)
      << ready.error().message;

  // And it comes back: the same data, the same address.
  ASSERT_TRUE((*plane)->startApiServer().ok());
  auto after = client.get(res::kNamespaces, "", "default");
  EXPECT_TRUE(after.ok()) << after.error().describe();
}

TEST(ControlPlaneStopIT, StoppingLeavesNoProcessBehind) {
  auto plane = ControlPlane::start({});
  ASSERT_TRUE(plane.ok()) << plane.error().message;
  const std::string server = (*plane)->apiServerUrl();
  const std::string etcd = (*plane)->etcdEndpoint();
  ASSERT_TRUE((*plane)->stop().ok());
  kube::KubeClient client((*plane)->config());
  EXPECT_FALSE(client.serverVersion().ok()) << "kube-apiserver still answers at " << server;
  http::HttpClient http({});
  EXPECT_FALSE(http.send({"GET", etcd + "/health", {}, {}, std::chrono::seconds(2)}).ok())
      << "etcd still answers at " << etcd;
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
