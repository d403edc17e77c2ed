// launch-operator: the controller manager. Reconciles LaunchQueues, LaunchAgents and LaunchJobs, serves
// /metrics and /healthz + /readyz, and elects a leader through a Lease so that only one replica writes.
#include <malloc.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include "CloudClients.hpp"
#include "CloudTargets.hpp"
#include "agent/DockerBuilderFactory.hpp"
#include "agent/KanikoBuilderFactory.hpp"
#include "agent/LaunchController.hpp"
#include "backends/DockerBackend.hpp"
#include "backends/LocalProcessBackend.hpp"
#include "docker/DockerEngine.hpp"
#include "http/HttpServer.hpp"
#include "kube/KubeClient.hpp"
#include "kube/LeaderElector.hpp"
#include "util/Metrics.hpp"

namespace {

volatile std::sig_atomic_t stopSignal = 0;

int probe(launch::kube::KubeClient& client, const launch::kube::KubeConfig& config, const std::string& dockerHost) {
  auto version = client.serverVersion();
  if (!version) {
    spdlog::error("{}", version.error().message);
    return 1;
  }
  std::printf("kubernetes: %s at %s (context %s)\n", version->value("gitVersion", "?").c_str(), config.server.c_str(),
              config.contextName.c_str());
  auto docker = launch::docker::DockerEngine::connect(dockerHost);
  if (!docker) {
    spdlog::error("{}", docker.error().message);
    return 2;
  }
  auto dockerVersion = (*docker)->version();
  if (!dockerVersion) {
    spdlog::error("{}", dockerVersion.error().message);
    return 1;
  }
  std::printf("docker: engine %s, API %s\n", dockerVersion->value("Version", "?").c_str(),
              dockerVersion->value("ApiVersion", "?").c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"launch-operator: runs launch jobs from LaunchQueues on Kubernetes"};
  std::string kubeconfig;
  std::string context;
  std::string ns;
  std::string metricsAddress = ":8080";
  std::string healthAddress = ":8081";
  bool leaderElect = false;
  std::string leaseNamespace;
  std::string leaseName = "launch-operator";
  std::string logFormat = "text";
  std::string logLevel = "info";
  int workers = 8;  // reconciles mostly wait on the API server: as many as it serves writes at once
  std::string dockerHost;
  bool dockerBackend = false;
  std::string localProcessDir;
  bool probeOnly = false;
  launch::operator_main::CloudTargetSettings cloud;
  int cloudPollSeconds = 30;
  app.add_option("--kubeconfig", kubeconfig, "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)");
  app.add_option("--context", context, "kubeconfig context (default: current-context)");
  app.add_option("--namespace", ns, "watch only this namespace (default: all)");
  app.add_option("--metrics-bind-address", metricsAddress, "where /metrics is served; 0 turns it off")
      ->capture_default_str();
  app.add_option("--health-probe-bind-address", healthAddress, "where /healthz and /readyz are served")
      ->capture_default_str();
  app.add_flag("--leader-elect", leaderElect, "elect a leader through a Lease, so only one replica writes");
  app.add_option("--leader-election-namespace", leaseNamespace, "namespace of the Lease (default: the config's)");
  app.add_option("--leader-election-id", leaseName, "name of the Lease")->capture_default_str();
  app.add_option("--log-format", logFormat, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", logLevel, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--workers", workers, "concurrent reconciles")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--docker-host", dockerHost, "the Docker engine (default: $DOCKER_HOST, else /var/run/docker.sock)");
  app.add_flag("--docker", dockerBackend, "run jobs of docker queues on the Docker engine");
  std::string buildBaseImage(launch::build::kDefaultBaseImage);
  std::string buildCudaBaseImage;
  std::size_t dockerBuildThreads = 1;
  app.add_option("--build-base-image", buildBaseImage,
                 "the base image of Dockerfiles generated for sources without one (has python and pip)")
      ->capture_default_str();
  app.add_option("--build-cuda-base-image", buildCudaBaseImage,
                 "the base image of generated Dockerfiles for GPU jobs, e.g. nvidia/cuda:12.4.1-runtime-ubuntu22.04 "
                 "(default: --build-base-image)");
  app.add_option("--docker-build-threads", dockerBuildThreads,
                 "image builds at once per LaunchAgent with spec.builder.type docker (on --docker-host)")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  app.add_option("--local-process-dir", localProcessDir,
                 "run jobs of local-process queues on this machine, keeping their logs and state here");
  app.add_option("--sagemaker-region", cloud.sageMakerRegion,
                 "run jobs of sagemaker queues as SageMaker training jobs in this AWS region (credentials from the "
                 "AWS default chain; AWS_ENDPOINT_URL_SAGEMAKER overrides the endpoint)");
  app.add_option("--vertex-project", cloud.vertexProject,
                 "run jobs of vertex queues as Vertex AI CustomJobs in this Google Cloud project (credentials from "
                 "Application Default Credentials)");
  app.add_option("--vertex-region", cloud.vertexRegion, "the Vertex AI region, e.g. us-central1");
  app.add_option("--vertex-endpoint", cloud.vertexEndpoint,
                 "the Vertex AI API base URL (default https://<region>-aiplatform.googleapis.com)");
  app.add_option("--cloud-poll-interval", cloudPollSeconds,
                 "seconds between reads of a running SageMaker or Vertex job")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_flag("--probe", probeOnly, "check that the API server and the Docker engine answer, then exit");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(logLevel));
  if (logFormat == "json") {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }

  auto config = launch::kube::KubeConfig::load(kubeconfig, context);
  if (!config) {
    spdlog::error("{}", config.error().message);
    return 2;
  }
  launch::kube::KubeClient client(*config);
  if (probeOnly) return probe(client, *config, dockerHost);

  std::signal(SIGTERM, [](int) { stopSignal = 1; });
  std::signal(SIGINT, [](int) { stopSignal = 1; });

  launch::Metrics& metrics = launch::Metrics::global();
  std::atomic<bool> ready{false};
  std::vector<std::unique_ptr<launch::http::HttpServer>> servers;
  auto serve = [&](const std::string& address,
                   const std::vector<std::pair<std::string, launch::http::HttpServer::Handler>>& routes) -> bool {
    if (address == "0") return true;
    auto server = launch::http::HttpServer::listen(address);
    if (!server) {
      spdlog::error("{}", server.error().message);
      return false;
    }
    for (const auto& [path, handler] : routes) (*server)->route(path, handler);
    (*server)->start();
    servers.push_back(std::move(server).value());
    return true;
  };
  using launch::http::ServerResponse;
  const bool serving =
      serve(metricsAddress, {{"/metrics",
                              [&] {
                                return ServerResponse{200, "text/plain; version=0.0.4", metrics.renderText()};
                              }}}) &&
      serve(healthAddress, {{"/healthz",
                             [] {
                               return ServerResponse{200, "text/plain", "ok"};
                             }},
                            {"/readyz", [&] {
                               return ready ? ServerResponse{200, "text/plain", "ok"}
                                            : ServerResponse{503, "text/plain", "caches not synced"};
                             }}});
  auto stopServers = [&] {
    for (auto& s : servers) s->stop();
  };
  if (!serving) {
    stopServers();
    return 2;
  }

  // The elector writes the Lease with its own client; the controller's client is gated on leadership.
  std::unique_ptr<launch::kube::KubeClient> leaseClient;
  std::unique_ptr<launch::kube::LeaderElector> elector;
  std::atomic<bool> lostLeadership{false};
  if (leaderElect) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    const std::string identity = std::string(host) + "_" + std::to_string(std::random_device{}());
    launch::kube::KubeClientOptions leaseOptions;
    leaseOptions.requestTimeout = std::chrono::seconds(5);
    leaseOptions.retry.maxAttempts = 1;
    leaseClient = std::make_unique<launch::kube::KubeClient>(*config, leaseOptions);
    launch::kube::LeaderElectionConfig election{leaseNamespace.empty() ? config->namespace_ : leaseNamespace, leaseName,
                                                identity};
    if (auto valid = launch::kube::validateLeaderElection(election); !valid) {
      spdlog::error("{}", valid.error().message);
      stopServers();
      return 2;
    }
    elector = std::make_unique<launch::kube::LeaderElector>(
        *leaseClient, election,
        launch::kube::LeaderCallbacks{[] { spdlog::info("became the leader"); },
                                      [&] {
                                        spdlog::warn("lost the leader lease; stopping");
                                        lostLeadership = true;
                                        stopSignal = 1;
                                      },
                                      [](const std::string& who) { spdlog::info("the leader is {}", who); }});
    client.setWriteGate([e = elector.get()] { return e->isLeader(); });
    elector->start();
    while (!elector->isLeader() && stopSignal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // The targets besides Kubernetes, each only when asked for.
  std::map<launch::api::QueueResource, std::unique_ptr<launch::backends::Backend>> backends;
  // Built images are pulled with the credentials of the agent whose registry holds them; the controller that
  // knows the agents is made below, before any job runs.
  std::atomic<launch::agent::LaunchController*> pullCredentialsFrom{nullptr};
  launch::backends::DockerBackendOptions dockerOptions;
  dockerOptions.pullCredentials = [&pullCredentialsFrom](const std::string& image) {
    launch::agent::LaunchController* controller = pullCredentialsFrom.load();
    return controller != nullptr ? controller->pullCredentials(image) : launch::docker::RegistryCredentials{};
  };
  if (dockerBackend) {
    auto engine = launch::docker::DockerEngine::connect(dockerHost);
    if (!engine) {
      spdlog::error("--docker: {}", engine.error().message);
      stopServers();
      return 2;
    }
    backends[launch::api::QueueResource::Docker] =
        std::make_unique<launch::backends::DockerBackend>(std::move(engine).value(), dockerOptions);
  }
  if (!localProcessDir.empty()) {
    launch::backends::LocalProcessBackendOptions local;
    local.stateDir = localProcessDir;
    backends[launch::api::QueueResource::LocalProcess] = std::make_unique<launch::backends::LocalProcessBackend>(local);
  }

  cloud.pollInterval = std::chrono::seconds(cloudPollSeconds);
  auto cloudTargets = launch::operator_main::CloudTargets::make(cloud);
  if (!cloudTargets) {
    spdlog::error("{}", cloudTargets.error().message);
    if (elector) elector->stop();
    stopServers();
    return 2;
  }

  int exitCode = 0;
  if (stopSignal == 0) {
    launch::agent::LaunchControllerOptions options{ns, workers, std::chrono::seconds(30), {}};
    options.builders[launch::api::BuilderType::Docker] =
        launch::agent::dockerBuilderFactory(dockerHost, dockerBuildThreads);
    options.builders[launch::api::BuilderType::Kaniko] = launch::agent::kanikoBuilderFactory(ns);
    const launch::operator_main::CloudClients cloudClients;
    options.archiveFetchers = cloudClients.archiveFetchers();
    options.cloudRegistryCredentials = cloudClients.registryCredentials();
    options.dockerfile = {buildBaseImage, buildCudaBaseImage};
    for (const auto& [resource, backend] : backends) options.backends[resource] = backend.get();
    (*cloudTargets)->addTo(options.backends);
    launch::agent::LaunchController controller(client, options, metrics);
    pullCredentialsFrom = &controller;
    if (auto started = controller.start(); !started) {
      spdlog::error("{}", started.error().message);
      exitCode = 1;
    } else {
      ready = true;
      spdlog::info("launch-operator is running ({} workers{})", workers, ns.empty() ? "" : ", namespace " + ns);
      // Bursts of watch events leave freed pages between the cached objects; hand them back now and then.
      auto lastTrim = std::chrono::steady_clock::now();
      while (stopSignal == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (std::chrono::steady_clock::now() - lastTrim >= std::chrono::seconds(10)) {
          malloc_trim(0);
          lastTrim = std::chrono::steady_clock::now();
        }
      }
      spdlog::info("stopping: finishing the work in flight");
      ready = false;
    }
    controller.stop();
    pullCredentialsFrom = nullptr;
  }
  if (elector) elector->stop();  // releases the Lease when it was held
  stopServers();
  return lostLeadership ? 1 : exitCode;
}
