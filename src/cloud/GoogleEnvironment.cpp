// GoogleEnvironment: the process's environment and a fixed map behind one interface.
#include "cloud/GoogleEnvironment.hpp"

#include <cstdlib>

namespace launch::cloud {

std::optional<std::string> GoogleProcessEnvironment::get(const std::string& name) const {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): nothing here calls setenv
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::optional<std::string> GoogleMapEnvironment::get(const std::string& name) const {
  const auto found = variables_.find(name);
  if (found == variables_.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

}  // namespace launch::cloud
