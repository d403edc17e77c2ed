// CloudTargets: the SageMaker and Vertex AI backends launch-operator runs when its flags ask for them, with the
// credentials they take from the operator's own environment (the AWS default chain, Google Application Default
// Credentials), as an operator with IRSA or Workload Identity would.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "api/LaunchQueue.hpp"
#include "backends/Backend.hpp"
#include "backends/SageMakerBackend.hpp"
#include "backends/VertexBackend.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/GoogleCachedTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "util/Result.hpp"

namespace launch::operator_main {

struct CloudTargetSettings {
  std::string sageMakerRegion;  // empty: no SageMaker backend
  std::string vertexProject;    // empty: no Vertex AI backend
  std::string vertexRegion;
  std::string vertexEndpoint;  // empty: https://<region>-aiplatform.googleapis.com
  // Neither cloud can be watched: how often a running job is read.
  std::chrono::milliseconds pollInterval{std::chrono::seconds(30)};
};

class CloudTargets {
 public:
  // Errors name the flag to fix; credentials that cannot be found fail here, at start-up, not on the first job.
  static Result<std::unique_ptr<CloudTargets>> make(const CloudTargetSettings& settings);

  // Adds the backends made to the controller's map.
  void addTo(std::map<api::QueueResource, backends::Backend*>& backends) const;

 private:
  CloudTargets() = default;

  std::shared_ptr<http::HttpClient> http_;
  std::unique_ptr<cloud::AwsCredentialProvider> awsCredentials_;
  std::unique_ptr<cloud::GoogleCachedTokenSource> googleTokens_;
  std::unique_ptr<backends::SageMakerBackend> sageMaker_;
  std::unique_ptr<backends::VertexBackend> vertex_;
};

}  // namespace launch::operator_main
