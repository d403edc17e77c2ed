// ControlPlane: a private etcd + kube-apiserver (and optionally controller-manager + scheduler + a fake
// Node) for one test binary, started by scripts/control-plane.sh and torn down when the object dies.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "kube/KubeClient.hpp"
#include "util/Result.hpp"

namespace launch::testing {

class ControlPlane {
 public:
  struct Options {
    bool full = false;  // also kube-controller-manager, kube-scheduler and the fake Node
  };

  static Result<std::unique_ptr<ControlPlane>> start(Options options);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  const std::string& directory() const { return dir_; }
  const std::string& kubeconfigPath() const { return kubeconfig_; }
  const std::string& apiServerUrl() const { return apiServerUrl_; }
  const std::string& etcdEndpoint() const { return etcdEndpoint_; }
  const std::string& etcdctl() const { return etcdctl_; }
  kube::KubeConfig config() const;

  // Fails within `timeout` with a message that says the control plane is down, when it is.
  Status checkReady(std::chrono::milliseconds timeout = std::chrono::seconds(3)) const;
  Status stopApiServer();
  Status startApiServer();
  // A second kube-apiserver on the same etcd, to change the cluster while the first one is down.
  Result<std::string> startSecondApiServer();  // its kubeconfig path
  Status stopSecondApiServer();
  // Compacts etcd's history up to its current revision: older resourceVersions answer 410 Gone.
  Status compactEtcd();
  const std::string& bearerToken() const { return token_; }  // a static token of a system:masters user
  Status stop();

 private:
  ControlPlane() = default;
  Status script(const std::string& verb);

  std::string dir_;
  std::string kubeconfig_;
  std::string apiServerUrl_;
  std::string etcdEndpoint_;
  std::string etcdctl_;
  std::string token_;
  bool stopped_ = false;
};

// The gtest environment that owns one control plane for the whole test binary; register it in main() or
// with ::testing::AddGlobalTestEnvironment.
class ControlPlaneEnvironment : public ::testing::Environment {
 public:
  explicit ControlPlaneEnvironment(ControlPlane::Options options) : options_(options) {}
  void SetUp() override;
  void TearDown() override;

  static ControlPlane* plane();
  static const std::string& startError();

 private:
  ControlPlane::Options options_;
};

// Base fixture for tests against the shared control plane: fails fast, with the reason, when it is down.
class ControlPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override;
  ControlPlane& plane() { return *ControlPlaneEnvironment::plane(); }
  kube::KubeClient& client() { return *client_; }
  // A namespace of its own for this test, deleted afterwards.
  std::string makeNamespace(const std::string& prefix);
  void TearDown() override;

 private:
  std::unique_ptr<kube::KubeClient> client_;
  std::vector<std::string> namespaces_;
};

}  // namespace launch::testing
