// DockerBuilderFactory: maps an agent's spec onto DockerBuilderOptions.
#include "agent/DockerBuilderFactory.hpp"

#include "build/DockerBuilder.hpp"

namespace launch::agent {

BuilderFactory dockerBuilderFactory(std::string dockerHost, std::size_t threads) {
  return [dockerHost = std::move(dockerHost),
          threads](const BuilderContext& context) -> Result<std::unique_ptr<build::Builder>> {
    auto engine = docker::DockerEngine::connect(dockerHost);  // no I/O: the engine is first called by a build
    if (!engine) return engine.error();
    build::DockerBuilderOptions options;
    options.threads = threads;
    options.platform = context.agent.spec.builder.platform;
    options.push = context.agent.spec.registry.has_value();
    options.credentials = context.credentials;
    options.credentialsHint = context.credentialsHint;
    return std::unique_ptr<build::Builder>(
        std::make_unique<build::DockerBuilder>(std::move(engine).value(), std::move(options)));
  };
}

}  // namespace launch::agent
