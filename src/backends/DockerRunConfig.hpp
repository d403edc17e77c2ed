// DockerRunConfig: the Engine API container config for a LaunchJob on a Docker queue, from the allow-list of
// resource settings a queue config may hold (cpus, memory, shm_size, gpus). Pure functions: no I/O.
#pragma once

#include <cstdint>
#include <string>

#include "backends/Backend.hpp"
#include "util/Result.hpp"

namespace launch::backends {

// "512m", "2g", "1.5GiB", "1048576" -> bytes. Errors name the field.
Result<int64_t> parseByteSize(const nlohmann::json& value, const std::string& field);

// The body of POST /containers/create: image, entry point, args, env, labels launch.dev/*, and a HostConfig
// with NanoCpus, Memory, ShmSize and GPU DeviceRequests. A config key outside the allow-list is refused
// with the list of allowed keys, so a queue cannot ask for privileged mode or host networking.
Result<nlohmann::json> buildDockerContainer(const RunSpec& spec);

}  // namespace launch::backends
