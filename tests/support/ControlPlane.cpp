// ControlPlane test fixture: drives scripts/control-plane.sh and checks readiness with timeouts.
#include "support/ControlPlane.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "support/Command.hpp"

namespace launch::testing {
namespace {

std::unique_ptr<ControlPlane>& sharedPlane() {
  static std::unique_ptr<ControlPlane> plane;
  return plane;
}
std::string& sharedError() {
  static std::string error;
  return error;
}

std::string makeTempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

}  // namespace

Result<std::unique_ptr<ControlPlane>> ControlPlane::start(Options options) {
  std::unique_ptr<ControlPlane> plane(new ControlPlane());
  plane->dir_ = makeTempDir("launch-cp-");
  if (plane->dir_.empty()) return makeError(ErrorCode::Internal, "cannot create a temporary directory");
  const std::string command = sourceDir() + "/scripts/control-plane.sh start " + shellQuote(plane->dir_) +
                              (options.full ? " --full" : "") + " --owner-pid " + std::to_string(getpid());
  // The first run on a machine builds the Kubernetes binaries; later runs find them cached.
  auto output = runCommand(command, std::chrono::minutes(40));
  if (!output) return output.error();
  if (output->exitCode != 0) {
    return makeError(ErrorCode::Unavailable, "the control plane did not start (exit " +
                                                 std::to_string(output->exitCode) + "):\n" + output->output);
  }
  const auto env = parseEnvLines(output->output);
  auto field = [&env](const char* key) { return env.count(key) != 0 ? env.at(key) : std::string(); };
  plane->kubeconfig_ = field("KUBECONFIG");
  plane->apiServerUrl_ = field("APISERVER_URL");
  plane->etcdEndpoint_ = field("ETCD_ENDPOINT");
  plane->etcdctl_ = field("ETCDCTL");
  plane->token_ = field("TOKEN");
  if (plane->kubeconfig_.empty())
    return makeError(ErrorCode::Internal, "control-plane.sh printed no KUBECONFIG:\n" + output->output);
  return plane;
}

ControlPlane::~ControlPlane() {
  (void)stop();
  if (std::getenv("LAUNCH_KEEP_TEST_DIRS") == nullptr && !dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

kube::KubeConfig ControlPlane::config() const {
  auto config = kube::KubeConfig::load(kubeconfig_);
  if (!config) throw std::logic_error("the control plane's own kubeconfig does not load: " + config.error().message);
  return *config;
}

Status ControlPlane::checkReady(std::chrono::milliseconds timeout) const {
  kube::KubeConfig cfg = config();
  http::HttpClientOptions options;
  options.tls = cfg.tls;
  options.connectTimeout = timeout;
  http::HttpClient client(options);
  http::HttpRequest request;
  request.url = cfg.server + "/readyz";
  request.timeout = timeout;
  auto response = client.send(request);
  if (!response) {
    return makeError(ErrorCode::Unavailable, "the test control plane at " + cfg.server +
                                                 " is not answering (was it stopped?): " + response.error().message);
  }
  if (response->status != 200) {
    return makeError(ErrorCode::Unavailable, "the test control plane at " + cfg.server + " is not ready: HTTP " +
                                                 std::to_string(response->status) + " " +
                                                 response->body.substr(0, 300));
  }
  return {};
}

Status ControlPlane::script(const std::string& verb) {
  auto output =
      runCommand(sourceDir() + "/scripts/control-plane.sh " + verb + " " + shellQuote(dir_), std::chrono::minutes(3));
  if (!output) return output.error();
  if (output->exitCode != 0)
    return makeError(ErrorCode::Unavailable, "control-plane.sh " + verb + " failed:\n" + output->output);
  return {};
}

Status ControlPlane::stopApiServer() { return script("stop-apiserver"); }
Status ControlPlane::startApiServer() { return script("start-apiserver"); }

Result<std::string> ControlPlane::startSecondApiServer() {
  if (auto started = script("start-apiserver2"); !started) return started.error();
  return dir_ + "/kubeconfig-2";
}

Status ControlPlane::stopSecondApiServer() { return script("stop-apiserver2"); }

Status ControlPlane::compactEtcd() {
  const std::string etcdctl = shellQuote(etcdctl_) + " --endpoints=" + shellQuote(etcdEndpoint_);
  auto status = runCommand(etcdctl + " endpoint status -w json", std::chrono::seconds(30));
  if (!status) return status.error();
  const auto json = nlohmann::json::parse(status->output, nullptr, false);
  if (!json.is_array() || json.empty())
    return makeError(ErrorCode::Internal, "etcdctl endpoint status: " + status->output);
  const long revision = json[0]["Status"]["header"]["revision"].get<long>();
  auto compacted = runCommand(etcdctl + " compact " + std::to_string(revision), std::chrono::seconds(30));
  if (!compacted) return compacted.error();
  if (compacted->exitCode != 0) return makeError(ErrorCode::Internal, "etcdctl compact: " + compacted->output);
  return {};
}

Status ControlPlane::stop() {
  if (stopped_ || dir_.empty()) return {};
  stopped_ = true;
  return script("stop");
}

void ControlPlaneEnvironment::SetUp() {
  auto plane = ControlPlane::start(options_);
  if (!plane) {
    sharedError() = plane.error().message;
    return;
  }
  sharedPlane() = std::move(plane).value();
}

void ControlPlaneEnvironment::TearDown() { sharedPlane().reset(); }

ControlPlane* ControlPlaneEnvironment::plane() { return sharedPlane().get(); }
const std::string& ControlPlaneEnvironment::startError() { return sharedError(); }

void ControlPlaneTest::SetUp() {
  ControlPlane* shared = ControlPlaneEnvironment::plane();
  ASSERT_NE(shared, nullptr) << "the test control plane did not start: " << ControlPlaneEnvironment::startError();
  const Status ready = shared->checkReady();
  ASSERT_TRUE(ready.ok()) << ready.error().message;
  client_ = std::make_unique<kube::KubeClient>(shared->config());
}

std::string ControlPlaneTest::makeNamespace(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::mt19937 random(std::random_device{}());
  std::string name = prefix + "-" + std::to_string(counter++) + "-" + std::to_string(random() % 100000);
  auto created =
      client_->create(kube::resources::kNamespaces, "",
                      kube::Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
  if (!created) throw std::runtime_error("cannot create namespace " + name + ": " + created.error().message);
  namespaces_.push_back(name);
  return name;
}

void ControlPlaneTest::TearDown() {
  if (client_ == nullptr) return;
  for (const auto& ns : namespaces_) (void)client_->remove(kube::resources::kNamespaces, "", ns);
}

}  // namespace launch::testing
