// DockerTestEngine: starts the test Docker engine once and builds FROM-scratch contexts.
#include "support/DockerTestEngine.hpp"

#include "support/Command.hpp"
#include "util/Files.hpp"
#include "util/TarArchive.hpp"

namespace launch::testing {

Result<DockerTestEngine> DockerTestEngine::start() {
  auto output = runCommand(sourceDir() + "/scripts/docker-engine.sh start", std::chrono::minutes(2));
  if (!output) return output.error();
  if (output->exitCode != 0)
    return makeError(ErrorCode::Unavailable, "docker-engine.sh start failed:\n" + output->output);
  auto env = parseEnvLines(output->output);
  DockerTestEngine engine;
  engine.dockerHost = env["DOCKER_HOST"];
  engine.registry = env["REGISTRY"];
  engine.authRegistry = env["REGISTRY_AUTH"];
  engine.authUser = env["REGISTRY_AUTH_USER"];
  engine.authPassword = env["REGISTRY_AUTH_PASSWORD"];
  engine.busybox = env["BUSYBOX"];
  if (engine.dockerHost.empty())
    return makeError(ErrorCode::Internal, "docker-engine.sh printed no DOCKER_HOST:\n" + output->output);
  return engine;
}

Result<std::string> DockerTestEngine::busyboxContext(const std::string& dockerfile) const {
  auto binary = readFile(busybox);
  if (!binary) return binary.error();
  return writeTar({{"Dockerfile", dockerfile, 0644}, {"busybox", std::move(binary).value(), 0755}});
}

}  // namespace launch::testing
