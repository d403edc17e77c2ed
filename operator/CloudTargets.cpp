// CloudTargets: builds the SageMaker and Vertex AI backends and their credentials from launch-operator's flags.
#include "CloudTargets.hpp"

#include "backends/SageMakerClient.hpp"
#include "cloud/AwsCachedCredentialProvider.hpp"
#include "cloud/AwsCredentialChain.hpp"
#include "cloud/GoogleDefaultCredentials.hpp"
#include "cloud/GoogleEnvironment.hpp"
#include "util/Clock.hpp"

namespace launch::operator_main {

Result<std::unique_ptr<CloudTargets>> CloudTargets::make(const CloudTargetSettings& settings) {
  std::unique_ptr<CloudTargets> targets(new CloudTargets());
  targets->http_ = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
  const Clock& clock = SystemClock::instance();
  if (!settings.sageMakerRegion.empty()) {
    auto environment = std::make_shared<const cloud::AwsProcessEnvironment>();
    targets->awsCredentials_ = std::make_unique<cloud::AwsCachedCredentialProvider>(
        cloud::AwsCredentialChain::makeDefault(environment, targets->http_, clock), clock);
    // Found now, so that missing credentials stop the operator with the reason instead of failing jobs later.
    auto found = targets->awsCredentials_->credentials();
    if (!found) {
      return makeError(found.error().code,
                       "--sagemaker-region: no AWS credentials for SageMaker: " + found.error().message);
    }
    backends::SageMakerOptions options;
    options.region = settings.sageMakerRegion;
    options.endpoint = backends::sageMakerEndpoint(options.region, *environment);
    options.pollInterval = settings.pollInterval;
    targets->sageMaker_ =
        std::make_unique<backends::SageMakerBackend>(options, *targets->awsCredentials_, *targets->http_, clock);
  }
  if (!settings.vertexProject.empty()) {
    if (settings.vertexRegion.empty()) {
      return makeError(ErrorCode::Invalid, "--vertex-project needs --vertex-region (for example us-central1)");
    }
    const cloud::GoogleProcessEnvironment environment;
    auto source = cloud::GoogleDefaultCredentials::find(environment, *targets->http_, clock);
    if (!source) {
      return makeError(source.error().code,
                       "--vertex-project: no Google credentials for Vertex AI (set GOOGLE_APPLICATION_CREDENTIALS "
                       "to a key file, or run where a metadata server answers): " +
                           source.error().message);
    }
    targets->googleTokens_ = std::make_unique<cloud::GoogleCachedTokenSource>(std::move(source).value(), clock);
    backends::VertexOptions options;
    options.project = settings.vertexProject;
    options.region = settings.vertexRegion;
    options.endpoint = settings.vertexEndpoint;
    options.pollInterval = settings.pollInterval;
    targets->vertex_ =
        std::make_unique<backends::VertexBackend>(options, *targets->googleTokens_, *targets->http_, clock);
  }
  return targets;
}

void CloudTargets::addTo(std::map<api::QueueResource, backends::Backend*>& backends) const {
  if (sageMaker_) backends[api::QueueResource::SageMaker] = sageMaker_.get();
  if (vertex_) backends[api::QueueResource::Vertex] = vertex_.get();
}

}  // namespace launch::operator_main
