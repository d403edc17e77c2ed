// Reads environment variables from the process or from a map.
#include "cloud/AwsEnvironment.hpp"

#include <cstdlib>

namespace launch::cloud {

std::optional<std::string> AwsProcessEnvironment::get(const std::string& name) const {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing in the process calls setenv after start-up
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::optional<std::string> AwsMapEnvironment::get(const std::string& name) const {
  const auto it = variables_.find(name);
  if (it == variables_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace launch::cloud
