// DockerTestEngine: the private Docker engine and local registries for tests (scripts/docker-engine.sh),
// plus a FROM-scratch busybox build context, since no image can be pulled here.
#pragma once

#include <string>

#include "util/Result.hpp"

namespace launch::testing {

struct DockerTestEngine {
  std::string dockerHost;    // unix:///.../docker.sock
  std::string registry;      // host:port of the open registry
  std::string authRegistry;  // host:port of the htpasswd registry
  std::string authUser;
  std::string authPassword;
  std::string busybox;  // path of a static busybox

  // Starts the engine and registries when they are not running yet (idempotent).
  static Result<DockerTestEngine> start();

  // A build context: a static busybox at /bin/busybox plus the given Dockerfile (FROM scratch).
  Result<std::string> busyboxContext(const std::string& dockerfile) const;
};

}  // namespace launch::testing
