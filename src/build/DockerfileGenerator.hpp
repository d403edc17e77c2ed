// DockerfileGenerator: the Dockerfile for a job whose source brings none: a Python base image (or a CUDA one
// for GPU jobs), the source's dependencies installed, the code copied in, and the job's entry point.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/Result.hpp"

namespace launch::build {

inline constexpr std::string_view kDefaultBaseImage = "python:3.12-slim";
// Where the generated Dockerfile goes in the build context (added to the context, never to the checkout).
inline constexpr std::string_view kGeneratedDockerfileName = "Dockerfile.launch";

// How the source declares its Python dependencies.
enum class PythonDependencies { None, RequirementsTxt, PyprojectToml };

struct DockerfileSettings {
  std::string baseImage{kDefaultBaseImage};  // has python and pip
  std::string cudaBaseImage;                 // for GPU jobs; python is installed with apt-get; empty: baseImage
};

struct DockerfileInputs {
  PythonDependencies dependencies = PythonDependencies::None;
  std::vector<std::string> entryPoint;  // the job's spec.entryPoint, required
  bool gpu = false;                     // the job asks for GPUs: use the CUDA base image when one is set
};

class DockerfileGenerator {
 public:
  explicit DockerfileGenerator(DockerfileSettings settings = {}) : settings_(std::move(settings)) {}

  // The Dockerfile text. The image runs as the numeric user 1000 (Kubernetes' runAsNonRoot needs one).
  // Errors name the field to set: an empty entry point cannot become an ENTRYPOINT.
  Result<std::string> generate(const DockerfileInputs& inputs) const;

  // requirements.txt wins over pyproject.toml, as in W&B's builder; neither: nothing to install.
  static PythonDependencies detectDependencies(const std::filesystem::path& context);

  const DockerfileSettings& settings() const { return settings_; }

 private:
  DockerfileSettings settings_;
};

}  // namespace launch::build
