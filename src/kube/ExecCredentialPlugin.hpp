// ExecCredentialPlugin: runs a kubeconfig `exec` credential plugin (client.authentication.k8s.io/v1) and
// caches its ExecCredential until it expires or the API server answers 401.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/Clock.hpp"
#include "util/Result.hpp"

namespace launch::kube {

struct ExecConfig {
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string apiVersion = "client.authentication.k8s.io/v1";
  std::string installHint;
  bool provideClusterInfo = false;
  std::string server;  // passed to the plugin when provideClusterInfo is set
  std::string caPem;
};

struct ExecCredential {
  std::string token;
  std::string clientCertificatePem;
  std::string clientKeyPem;
  std::optional<std::chrono::system_clock::time_point> expiration;  // none: valid until a 401
};

// Parses the plugin's stdout; errors name the field that is wrong.
Result<ExecCredential> parseExecCredential(const std::string& json, const std::string& expectedApiVersion);

class ExecCredentialPlugin {
 public:
  explicit ExecCredentialPlugin(ExecConfig config, const Clock& clock = SystemClock::instance());

  // The cached credential, or a fresh one from the plugin when there is none or it has expired.
  Result<ExecCredential> credential();
  // Called after a 401: the next credential() runs the plugin again.
  void invalidate();
  int runs() const;

 private:
  ExecConfig config_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
};

}  // namespace launch::kube
