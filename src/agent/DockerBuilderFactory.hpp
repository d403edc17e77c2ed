// DockerBuilderFactory: the BuilderFactory of LaunchAgents with spec.builder.type docker: a DockerBuilder on
// the operator's Docker engine, pushing to the agent's registry with the agent's credentials.
#pragma once

#include <cstddef>
#include <string>

#include "agent/AgentBuilders.hpp"

namespace launch::agent {

// `dockerHost` as for DockerEngine::connect (empty: $DOCKER_HOST, else the default socket); `threads` builds
// at once per agent.
BuilderFactory dockerBuilderFactory(std::string dockerHost, std::size_t threads = 1);

}  // namespace launch::agent
