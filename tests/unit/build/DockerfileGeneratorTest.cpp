// DockerfileGenerator: the generated text per dependency file and base image, the entry point as JSON, the
// errors, and detection of requirements.txt / pyproject.toml.
#include "build/DockerfileGenerator.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace launch::build {
namespace {

namespace fs = std::filesystem;

struct GenerateCase {
  const char* name;
  DockerfileSettings settings;
  DockerfileInputs inputs;
  std::vector<std::string> contains;  // lines the Dockerfile must have, in this order
  std::vector<std::string> lacks;     // text it must not have
};

class GenerateDockerfile : public ::testing::TestWithParam<GenerateCase> {};

TEST_P(GenerateDockerfile, WritesTheExpectedSteps) {
  const auto& c = GetParam();
  auto text = DockerfileGenerator(c.settings).generate(c.inputs);
  ASSERT_TRUE(text.ok()) << text.error().message;
  std::size_t at = 0;
  for (const auto& line : c.contains) {
    const auto found = text->find(line + "\n", at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << line << "\n" << *text;
    at = found + line.size();
  }
  for (const auto& absent : c.lacks) EXPECT_EQ(text->find(absent), std::string::npos) << absent << "\n" << *text;
}

const std::vector<std::string> kTrain{"python", "train.py"};

INSTANTIATE_TEST_SUITE_P(
    DockerfileGenerator, GenerateDockerfile,
    ::testing::Values(GenerateCase{"RequirementsInstalledBeforeTheCode",
                                   {},
                                   {PythonDependencies::RequirementsTxt, kTrain, false},
                                   {"FROM python:3.12-slim", "WORKDIR /app", "COPY requirements.txt ./",
                                    "RUN pip install -r requirements.txt", "COPY . .", "USER 1000",
                                    "ENTRYPOINT [\"python\",\"train.py\"]"},
                                   {"apt-get", "pip install ."}},
                      GenerateCase{"PyprojectInstalledWithTheCode",
                                   {},
                                   {PythonDependencies::PyprojectToml, kTrain, false},
                                   {"FROM python:3.12-slim", "COPY . .", "RUN pip install .", "USER 1000"},
                                   {"requirements.txt"}},
                      GenerateCase{"NoDependencies",
                                   {},
                                   {PythonDependencies::None, kTrain, false},
                                   {"FROM python:3.12-slim", "COPY . .", "ENTRYPOINT [\"python\",\"train.py\"]"},
                                   {"pip install"}},
                      GenerateCase{"ConfiguredBaseImage",
                                   {"python:3.11-slim-bookworm", ""},
                                   {PythonDependencies::None, kTrain, false},
                                   {"FROM python:3.11-slim-bookworm"},
                                   {"python:3.12-slim"}},
                      GenerateCase{
                          "GpuJobOnTheCudaImageInstallsPython",
                          {"python:3.12-slim", "nvidia/cuda:12.4.1-runtime-ubuntu22.04"},
                          {PythonDependencies::RequirementsTxt, kTrain, true},
                          {"FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04",
                           "RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip "
                           "python3-venv && rm -rf /var/lib/apt/lists/*",
                           "RUN python3 -m venv /opt/venv", "ENV PATH=/opt/venv/bin:$PATH",
                           "RUN pip install -r requirements.txt"},
                          {"python:3.12-slim"}},
                      GenerateCase{"GpuJobWithoutACudaImageUsesTheBase",
                                   {"python:3.12-slim", ""},
                                   {PythonDependencies::None, kTrain, true},
                                   {"FROM python:3.12-slim"},
                                   {"apt-get"}},
                      GenerateCase{"CpuJobIgnoresTheCudaImage",
                                   {"python:3.12-slim", "nvidia/cuda:12.4.1-runtime-ubuntu22.04"},
                                   {PythonDependencies::None, kTrain, false},
                                   {"FROM python:3.12-slim"},
                                   {"nvidia/cuda"}},
                      GenerateCase{"EntryPointArgumentsAreJsonEscaped",
                                   {},
                                   {PythonDependencies::None, {"sh", "-c", "echo \"hi\" \\ there"}, false},
                                   {R"(ENTRYPOINT ["sh","-c","echo \"hi\" \\ there"])"},
                                   {}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(DockerfileGenerator, AnEmptyEntryPointNamesTheField) {
  auto text = DockerfileGenerator().generate({PythonDependencies::None, {}, false});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, ErrorCode::Invalid);
  EXPECT_NE(text.error().message.find("spec.entryPoint"), std::string::npos) << text.error().message;
}

TEST(DockerfileGenerator, AnEmptyBaseImageIsRefused) {
  auto text = DockerfileGenerator({"", ""}).generate({PythonDependencies::None, kTrain, false});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("baseImage"), std::string::npos) << text.error().message;
}

struct DetectCase {
  const char* name;
  std::vector<std::string> files;
  PythonDependencies expected;
};

class DetectDependencies : public ::testing::TestWithParam<DetectCase> {};

TEST_P(DetectDependencies, FromTheContextFiles) {
  const fs::path dir = fs::temp_directory_path() / ("detect-" + std::string(GetParam().name));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& file : GetParam().files) {
    if (file.back() == '/') {
      fs::create_directories(dir / file);
    } else {
      std::ofstream(dir / file) << "x\n";
    }
  }
  EXPECT_EQ(DockerfileGenerator::detectDependencies(dir), GetParam().expected);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    DockerfileGenerator, DetectDependencies,
    ::testing::Values(
        DetectCase{"Nothing", {"train.py"}, PythonDependencies::None},
        DetectCase{"Requirements", {"train.py", "requirements.txt"}, PythonDependencies::RequirementsTxt},
        DetectCase{"Pyproject", {"pyproject.toml"}, PythonDependencies::PyprojectToml},
        DetectCase{"RequirementsWin", {"pyproject.toml", "requirements.txt"}, PythonDependencies::RequirementsTxt},
        DetectCase{"ADirectoryIsNotAFile", {"requirements.txt/"}, PythonDependencies::None}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace launch::build
