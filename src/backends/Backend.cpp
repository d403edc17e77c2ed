// The run name every backend gives the run of one LaunchJob.
#include "backends/Backend.hpp"

namespace launch::backends {

std::string runName(const api::LaunchJob& job) {
  const std::string uid = job.metadata.uid.substr(0, 8);
  std::string name = job.metadata.name.substr(0, 63 - 4 - 9);
  while (!name.empty() && (name.back() == '-' || name.back() == '.')) name.pop_back();
  std::string out = "lj-" + name + "-" + uid;
  for (char& c : out) {
    if (c == '.') c = '-';
  }
  return out;
}

std::optional<api::QueueResource> resourceOfRef(std::string_view backendRef) {
  const auto startsWith = [&](std::string_view prefix) { return backendRef.substr(0, prefix.size()) == prefix; };
  if (startsWith("batch/v1/Job/")) return api::QueueResource::Kubernetes;
  if (startsWith("docker/")) return api::QueueResource::Docker;
  if (startsWith("local/")) return api::QueueResource::LocalProcess;
  if (startsWith("sagemaker/")) return api::QueueResource::SageMaker;
  if (startsWith("projects/") && backendRef.find("/customJobs/") != std::string_view::npos) {
    return api::QueueResource::Vertex;
  }
  return std::nullopt;
}

}  // namespace launch::backends
