// BuildPlan: picking the Dockerfile and naming the image.
#include "build/BuildPlan.hpp"

#include <filesystem>

#include "build/ContentTag.hpp"
#include "util/Files.hpp"

namespace launch::build {

Result<BuildPlan> planBuild(const BuildPlanInputs& inputs) {
  namespace fs = std::filesystem;
  BuildPlan plan;
  std::string named;
  if (const auto* git = std::get_if<api::GitSource>(&inputs.job.spec.source)) named = git->dockerfile;
  std::error_code ignored;
  if (!named.empty()) {
    if (!staysInside(named)) {
      return makeError(ErrorCode::Invalid, "spec.source.git.dockerfile: '" + named +
                                               "' leaves the build context; give a path inside it, e.g. "
                                               "docker/Dockerfile");
    }
    if (!fs::is_regular_file(inputs.source.context / named, ignored)) {
      return makeError(ErrorCode::Invalid, "spec.source.git.dockerfile: '" + named +
                                               "' is not a file in the source's build context; fix the path "
                                               "(it is relative to spec.source.git.subdirectory) or drop it");
    }
    plan.dockerfilePath = named;
  } else if (fs::is_regular_file(inputs.source.context / "Dockerfile", ignored)) {
    plan.dockerfilePath = "Dockerfile";
  }
  if (!plan.dockerfilePath.empty()) {
    auto text = readFile((inputs.source.context / plan.dockerfilePath).string());
    if (!text) return text.error();
    plan.dockerfile = std::move(text).value();
  } else {
    DockerfileInputs generate;
    generate.dependencies = DockerfileGenerator::detectDependencies(inputs.source.context);
    generate.entryPoint = inputs.job.spec.entryPoint;
    generate.gpu = inputs.gpu;
    auto text = inputs.generator.generate(generate);
    if (!text) return text.error();
    plan.dockerfile = std::move(text).value();
    plan.dockerfilePath = std::string(kGeneratedDockerfileName);
    plan.generated = true;
  }
  std::string contextPath = fs::relative(inputs.source.context, inputs.source.root, ignored).generic_string();
  if (contextPath == ".") contextPath.clear();
  plan.tag = contentTag({inputs.source.identity, contextPath, plan.dockerfile, {}, inputs.platform});
  plan.image = inputs.repository + ":" + plan.tag;
  return plan;
}

bool configWantsGpu(const nlohmann::json& config) {
  if (config.is_array()) {
    for (const auto& item : config) {
      if (configWantsGpu(item)) return true;
    }
    return false;
  }
  if (!config.is_object()) return false;
  for (const auto& [key, value] : config.items()) {
    const bool none =
        value.is_null() || value == 0 || value == "0" || value == false || (value.is_array() && value.empty());
    if ((key == "nvidia.com/gpu" || key == "gpus" || key == "DeviceRequests") && !none) return true;
    if (configWantsGpu(value)) return true;
  }
  return false;
}

}  // namespace launch::build
