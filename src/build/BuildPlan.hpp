// BuildPlan: what a job's build will be: its Dockerfile (the one spec.source.git.dockerfile names, the
// source's own Dockerfile, or a generated one) and the content-addressed image it makes, decided before
// anything is built so that an image that exists already is not built again.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/LaunchJob.hpp"
#include "build/DockerfileGenerator.hpp"
#include "build/SourceCheckout.hpp"
#include "util/Result.hpp"

namespace launch::build {

// The repository of images built for an agent without a registry: they stay in its Docker engine. The
// "localhost" host keeps a missing image from ever being pulled from Docker Hub under this name.
inline constexpr std::string_view kLocalBuildRepository = "localhost/launch-build";

struct BuildPlan {
  std::string dockerfilePath;  // relative to the context
  std::string dockerfile;      // its text
  bool generated = false;      // no Dockerfile in the source: DockerfileGenerator wrote it
  std::string tag;             // contentTag() of the inputs
  std::string image;           // repository:tag
};

struct BuildPlanInputs {
  const api::LaunchJob& job;
  const CheckedOutSource& source;
  const DockerfileGenerator& generator;
  std::string repository;  // where the image goes: the registry's uri, or kLocalBuildRepository
  std::string platform;    // the builder's platform; part of the tag
  bool gpu = false;        // configWantsGpu() of the job's resolved config
};

// Errors (Invalid) name the field to fix: a Dockerfile path outside the context or not in the source, a
// generated Dockerfile without spec.entryPoint.
Result<BuildPlan> planBuild(const BuildPlanInputs& inputs);

// True when a resolved queue config asks for GPUs: a "nvidia.com/gpu" resource anywhere (Kubernetes), or
// Docker's "gpus" / "DeviceRequests".
bool configWantsGpu(const nlohmann::json& config);

}  // namespace launch::build
