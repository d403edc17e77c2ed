// The REST resources of the launch.dev kinds, for clients of the API server.
#pragma once

#include "api/Group.hpp"
#include "kube/ResourceType.hpp"

namespace launch::api {

inline const kube::ResourceType kLaunchQueues{std::string(kGroup), std::string(kVersion), "launchqueues", true};
inline const kube::ResourceType kLaunchAgents{std::string(kGroup), std::string(kVersion), "launchagents", true};
inline const kube::ResourceType kLaunchJobs{std::string(kGroup), std::string(kVersion), "launchjobs", true};

}  // namespace launch::api
