// KanikoBuilderFactory: the BuilderFactory of LaunchAgents with spec.builder.type kaniko: a KanikoBuilder that
// runs builds as batch/v1 Jobs in the cluster, with the agent's context store (s3:// or gs://) and registry.
#pragma once

#include <string>

#include "agent/AgentBuilders.hpp"

namespace launch::agent {

// `ns`: the namespace the operator watches (empty: all), where build Jobs and Pods are watched. Context
// stores take their credentials from the operator's environment (the AWS default chain, Google Application
// Default Credentials), found on the first agent that needs them; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL
// points s3:// stores at a private endpoint.
BuilderFactory kanikoBuilderFactory(std::string ns);

}  // namespace launch::agent
