// DockerRunConfig: queue config allow-list -> Engine API container config.
#include "backends/DockerRunConfig.hpp"

#include <cctype>
#include <cmath>

namespace launch::backends {
namespace {

using Json = nlohmann::json;

constexpr const char* kAllowed = "cpus, memory, shm_size, gpus";

Error fieldError(const std::string& field, const std::string& problem) {
  return makeError(ErrorCode::Invalid, "spec.config." + field + ": " + problem);
}

// "all", a count, or a comma-separated list of device IDs -> one DeviceRequest.
Result<Json> gpuRequest(const Json& value) {
  Json request = {{"Driver", ""}, {"Capabilities", Json::array({Json::array({"gpu"})})}};
  if (value.is_number_integer()) {
    if (value.get<int64_t>() < 0) return fieldError("gpus", "must be 'all', a count of at least 0, or device IDs");
    request["Count"] = value.get<int64_t>();
    return request;
  }
  if (!value.is_string() || value.get<std::string>().empty()) {
    return fieldError("gpus", "must be 'all', a count, or a comma-separated list of device IDs such as \"0,1\"");
  }
  const std::string text = value.get<std::string>();
  if (text == "all") {
    request["Count"] = -1;
    return request;
  }
  Json ids = Json::array();
  std::string current;
  for (const char c : text + ",") {
    if (c == ',') {
      if (current.empty()) return fieldError("gpus", "'" + text + "' has an empty device ID");
      ids.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  request["DeviceIDs"] = ids;
  return request;
}

}  // namespace

Result<int64_t> parseByteSize(const Json& value, const std::string& field) {
  if (value.is_number_integer() && value.get<int64_t>() > 0) return value.get<int64_t>();
  if (!value.is_string()) return fieldError(field, "must be a size such as \"512m\" or \"2g\", or a byte count");
  const std::string text = value.get<std::string>();
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) != 0 || text[end] == '.')) ++end;
  if (end == 0) return fieldError(field, "'" + text + "' is not a size; write e.g. \"512m\" or \"2g\"");
  double number = 0;
  try {
    number = std::stod(text.substr(0, end));
  } catch (const std::exception&) {
    return fieldError(field, "'" + text + "' is not a size; write e.g. \"512m\" or \"2g\"");
  }
  std::string unit;
  for (const char c : text.substr(end)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'b') unit.pop_back();  // "mb", "gib" -> "m", "gi"
  if (unit.size() > 1 && unit.back() == 'i') unit.pop_back();
  double scale = 1;
  if (unit == "k") {
    scale = 1024.0;
  } else if (unit == "m") {
    scale = 1024.0 * 1024;
  } else if (unit == "g") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "t") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (!unit.empty() && unit != "b") {
    return fieldError(field, "'" + text + "' has an unknown unit; use b, k, m, g or t");
  }
  const double bytes = std::floor(number * scale);
  if (bytes < 1) return fieldError(field, "'" + text + "' must be more than zero");
  return static_cast<int64_t>(bytes);
}

Result<Json> buildDockerContainer(const RunSpec& spec) {
  const api::LaunchJob& job = spec.job;
  if (spec.image.empty()) {
    return makeError(ErrorCode::Invalid, "a Docker queue runs images: the job has no image to run");
  }
  Json host = {{"RestartPolicy", {{"Name", "no"}}}};
  if (!spec.config.is_null() && !spec.config.is_object()) {
    return makeError(ErrorCode::Invalid,
                     "spec.config: a Docker queue's config must be an object with " + std::string(kAllowed));
  }
  static const Json kNone = Json::object();
  for (const auto& [key, value] : (spec.config.is_object() ? spec.config : kNone).items()) {
    if (key == "cpus") {
      const double cpus = value.is_number()   ? value.get<double>()
                          : value.is_string() ? std::strtod(value.get<std::string>().c_str(), nullptr)
                                              : 0.0;
      if (!(cpus > 0)) return fieldError("cpus", "must be a number of CPUs above zero, such as 1.5");
      host["NanoCpus"] = static_cast<int64_t>(std::llround(cpus * 1e9));
    } else if (key == "memory") {
      auto bytes = parseByteSize(value, "memory");
      if (!bytes) return bytes.error();
      host["Memory"] = *bytes;
    } else if (key == "shm_size" || key == "shmSize") {
      auto bytes = parseByteSize(value, key);
      if (!bytes) return bytes.error();
      host["ShmSize"] = *bytes;
    } else if (key == "gpus") {
      auto request = gpuRequest(value);
      if (!request) return request.error();
      host["DeviceRequests"] = Json::array({*request});
    } else {
      return fieldError(key, "is not a setting a Docker queue may use; allowed: " + std::string(kAllowed));
    }
  }
  Json env = Json::array();
  for (const auto& e : job.spec.env) env.push_back(e.name + "=" + e.value);
  Json container = {
      {"Image", std::string(spec.image)},
      {"Env", env},
      {"Labels",
       {{"launch.dev/job", job.metadata.name},
        {"launch.dev/namespace", job.metadata.namespace_},
        {"launch.dev/job-uid", job.metadata.uid},
        {"launch.dev/queue", job.spec.queue},
        {"launch.dev/agent", std::string(spec.agent)}}},
      {"HostConfig", host},
  };
  if (!job.spec.entryPoint.empty()) container["Entrypoint"] = job.spec.entryPoint;
  if (!job.spec.args.empty()) container["Cmd"] = job.spec.args;
  return container;
}

}  // namespace launch::backends
