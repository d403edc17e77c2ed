// KanikoBuilderFactory: maps an agent's spec onto KanikoBuilderOptions and a build-context store.
#include "agent/KanikoBuilderFactory.hpp"

#include <memory>
#include <mutex>

#include "build/BuildContextStore.hpp"
#include "build/KanikoBuilder.hpp"
#include "cloud/AwsCachedCredentialProvider.hpp"
#include "cloud/AwsCredentialChain.hpp"
#include "cloud/AwsEnvironment.hpp"
#include "cloud/GoogleCachedTokenSource.hpp"
#include "cloud/GoogleDefaultCredentials.hpp"
#include "cloud/GoogleEnvironment.hpp"
#include "util/Clock.hpp"

namespace launch::agent {
namespace {

// The clients context stores share across agents, made on first use.
class ContextStoreClients {
 public:
  Result<build::BuildContextStoreClients> forAgent(const api::LaunchAgent& agent) {
    const std::string& url = agent.spec.builder.kanikoSettings().buildContextStore;
    const std::lock_guard lock(mutex_);
    build::BuildContextStoreClients clients;
    clients.http = http_.get();
    const cloud::AwsProcessEnvironment environment;
    if (url.rfind("s3://", 0) == 0) {
      if (!aws_) {
        aws_ = std::make_shared<cloud::AwsCachedCredentialProvider>(
            cloud::AwsCredentialChain::makeDefault(std::make_shared<const cloud::AwsProcessEnvironment>(), http_,
                                                   SystemClock::instance()),
            SystemClock::instance());
      }
      clients.aws = aws_;
      clients.awsRegion = agent.spec.environment.region;
      if (clients.awsRegion.empty()) {
        clients.awsRegion = environment.get("AWS_REGION").value_or(environment.get("AWS_DEFAULT_REGION").value_or(""));
      }
      if (clients.awsRegion.empty()) clients.awsRegion = "us-east-1";
      clients.s3Endpoint =
          environment.get("AWS_ENDPOINT_URL_S3").value_or(environment.get("AWS_ENDPOINT_URL").value_or(""));
    } else if (url.rfind("gs://", 0) == 0) {
      if (!google_) {
        const cloud::GoogleProcessEnvironment googleEnvironment;
        auto found = cloud::GoogleDefaultCredentials::find(googleEnvironment, *http_, SystemClock::instance());
        if (!found) {
          return makeError(ErrorCode::Invalid,
                           "spec.builder.kaniko.buildContextStore: a gs:// store needs Google "
                           "credentials for the operator (Application Default Credentials): " +
                               found.error().message);
        }
        google_ = std::make_shared<cloud::GoogleCachedTokenSource>(std::move(found).value(), SystemClock::instance());
      }
      clients.google = google_;
    }
    return clients;
  }

 private:
  std::mutex mutex_;  // guards the lazily made clients; held while Google credentials are first looked up
  std::shared_ptr<http::HttpClient> http_ = std::make_shared<http::HttpClient>(http::HttpClientOptions{});
  std::shared_ptr<cloud::AwsCredentialProvider> aws_;
  std::shared_ptr<cloud::GoogleTokenSource> google_;
};

}  // namespace

BuilderFactory kanikoBuilderFactory(std::string ns) {
  auto shared = std::make_shared<ContextStoreClients>();
  return [ns = std::move(ns), shared](const BuilderContext& context) -> Result<std::unique_ptr<build::Builder>> {
    const api::LaunchAgent& agent = context.agent;
    const api::KanikoSettings settings = agent.spec.builder.kanikoSettings();
    std::unique_ptr<build::BuildContextStore> store;  // none: only git sources kaniko can clone are built
    if (!settings.buildContextStore.empty()) {
      auto clients = shared->forAgent(agent);
      if (!clients) return clients.error();
      auto opened = build::openBuildContextStore(settings.buildContextStore, *clients);
      if (!opened) return opened.error();
      store = std::move(opened).value();
    }
    build::KanikoBuilderOptions options;
    options.ns = ns;
    options.agent = agent.metadata.name;
    options.settings = settings;
    options.platform = agent.spec.builder.platform;
    options.insecureRegistry = agent.spec.registry && agent.spec.registry->insecure;
    options.registryCredentials = context.credentials;
    if (!options.registryCredentials && agent.spec.registry)
      options.registrySecret = agent.spec.registry->credentialsSecretRef;
    return std::unique_ptr<build::Builder>(
        std::make_unique<build::KanikoBuilder>(context.client, std::move(options), std::move(store)));
  };
}

}  // namespace launch::agent
