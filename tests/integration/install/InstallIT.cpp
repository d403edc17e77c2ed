// Integration: launch-operator installed by Helm (helm/launch-operator) and kustomize (manifests/) into a real
// kube-apiserver: the chart lints and honours its values, the CRD copies match crds/, the RBAC is least privilege.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/YamlToJson.hpp"
#include "kube/KubeClient.hpp"
#include "support/Command.hpp"
#include "support/ControlPlane.hpp"
#include "util/Files.hpp"

namespace launch::testing {
namespace {

using kube::Json;
namespace res = kube::resources;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const kube::ResourceType kDeployments{"apps", "v1", "deployments", true};
const kube::ResourceType kServices{"", "v1", "services", true};
const kube::ResourceType kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", false};
const kube::ResourceType kClusterRoleBindings{"rbac.authorization.k8s.io", "v1", "clusterrolebindings", false};
const kube::ResourceType kRoles{"rbac.authorization.k8s.io", "v1", "roles", true};
const kube::ResourceType kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true};
const std::vector<std::string> kCrdNames = {"launchqueues.launch.dev", "launchagents.launch.dev",
                                            "launchjobs.launch.dev"};
const std::string kImage = "ghcr.io/launch-dev/launch-operator:0.1.0";

std::string chartDir() { return sourceDir() + "/helm/launch-operator"; }

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::seconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return predicate();
}

// Runs a shell command; a non-zero exit becomes an error that carries the command and its output.
Result<std::string> run(const std::string& command, std::chrono::seconds timeout = 180s) {
  auto out = runCommand(command, timeout);
  if (!out) return out.error();
  if (out->exitCode != 0) {
    return makeError(ErrorCode::Internal,
                     "exit " + std::to_string(out->exitCode) + " from: " + command + "\n" + out->output);
  }
  return out->output;
}

// The helm binary from scripts/helm.sh (built once into the cache), with its config, cache and data kept in a
// directory of this process so the tests neither read nor change the user's Helm setup.
struct HelmTool {
  std::string binary;
  std::string home;
  std::string error;

  HelmTool() {
    auto path = run(shellQuote(sourceDir() + "/scripts/helm.sh"), 1200s);
    if (!path) {
      error = path.error().message;
      return;
    }
    std::string text = *path;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    binary = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    std::string pattern = (fs::temp_directory_path() / "launch-install-it-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      error = "cannot create a temporary directory for Helm's settings";
      return;
    }
    home = pattern;
  }
  ~HelmTool() {
    std::error_code ignored;
    if (!home.empty()) fs::remove_all(home, ignored);
  }
  HelmTool(const HelmTool&) = delete;
  HelmTool& operator=(const HelmTool&) = delete;

  std::string command(const std::string& args, const std::string& kubeconfig = "") const {
    std::string env = "HELM_CONFIG_HOME=" + shellQuote(home + "/config") +
                      " HELM_CACHE_HOME=" + shellQuote(home + "/cache") +
                      " HELM_DATA_HOME=" + shellQuote(home + "/data") + " ";
    if (!kubeconfig.empty()) env += "KUBECONFIG=" + shellQuote(kubeconfig) + " ";
    return env + shellQuote(binary) + " " + args;
  }

  static const HelmTool& instance() {
    static const HelmTool tool;
    return tool;
  }
};

// `--set a=b --set c=d` from "a=b c=d" (values must not hold spaces).
std::string setFlags(const std::string& sets) {
  std::string flags;
  size_t start = 0;
  while (start < sets.size()) {
    size_t end = sets.find(' ', start);
    if (end == std::string::npos) end = sets.size();
    if (end > start) flags += " --set " + shellQuote(sets.substr(start, end - start));
    start = end + 1;
  }
  return flags;
}

const Json* findKind(const std::vector<Json>& objects, const std::string& kind, const std::string& name = "") {
  for (const auto& o : objects) {
    if (o.value("kind", "") == kind && (name.empty() || o["metadata"].value("name", "") == name)) return &o;
  }
  return nullptr;
}

std::vector<std::string> containerArgs(const Json& deployment) {
  const Json& containers = deployment["spec"]["template"]["spec"]["containers"];
  if (!containers.is_array() || containers.empty()) return {};
  return containers[0].value("args", std::vector<std::string>{});
}

bool hasArg(const Json& deployment, const std::string& arg) {
  const auto args = containerArgs(deployment);
  return std::find(args.begin(), args.end(), arg) != args.end();
}

bool hasArgStartingWith(const Json& deployment, const std::string& prefix) {
  const auto args = containerArgs(deployment);
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) { return a.rfind(prefix, 0) == 0; });
}

std::string describeArgs(const Json& deployment) {
  std::string text;
  for (const auto& a : containerArgs(deployment)) text += a + " ";
  return text;
}

// The fields of a pod template that make it meet Pod Security "restricted".
void expectRestrictedPod(const Json& deployment) {
  const Json& pod = deployment["spec"]["template"]["spec"];
  EXPECT_EQ(pod["securityContext"].value("runAsNonRoot", false), true);
  EXPECT_EQ(pod["securityContext"]["seccompProfile"].value("type", ""), "RuntimeDefault");
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container.value("image", ""), kImage);
  const Json& security = container["securityContext"];
  EXPECT_EQ(security.value("runAsNonRoot", false), true);
  EXPECT_EQ(security.value("readOnlyRootFilesystem", false), true);
  EXPECT_EQ(security.value("allowPrivilegeEscalation", true), false);
  EXPECT_EQ(security["capabilities"].value("drop", Json::array()), Json::array({"ALL"}));
  EXPECT_EQ(security["seccompProfile"].value("type", ""), "RuntimeDefault");
  EXPECT_EQ(container["livenessProbe"]["httpGet"].value("path", ""), "/healthz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"].value("path", ""), "/readyz");
  EXPECT_FALSE(container["resources"].value("requests", Json::object()).empty());
  EXPECT_FALSE(container["resources"].value("limits", Json::object()).empty());
}

// ---------------------------------------------------------------------------------------------------------
// The CRD copies: kustomize refuses files outside manifests/ and a chart carries its own crds/, so both hold
// copies of crds/*.yaml; manifests/sync-crds.sh refreshes them.

TEST(CrdCopies, EqualTheSourceFileForFile) {
  std::set<std::string> sources;
  for (const auto& entry : fs::directory_iterator(sourceDir() + "/crds")) {
    if (entry.path().extension() == ".yaml") sources.insert(entry.path().filename().string());
  }
  ASSERT_EQ(sources.size(), 3U);
  for (const std::string copies : {"manifests/crds", "helm/launch-operator/crds"}) {
    SCOPED_TRACE(copies);
    std::set<std::string> copied;
    for (const auto& entry : fs::directory_iterator(sourceDir() + "/" + copies)) {
      copied.insert(entry.path().filename().string());
    }
    EXPECT_EQ(copied, sources) << copies << " must hold exactly crds/*.yaml: run manifests/sync-crds.sh";
    for (const auto& name : sources) {
      auto original = readFile(sourceDir() + "/crds/" + name);
      auto copy = readFile((fs::path(sourceDir()) / copies / name).string());
      ASSERT_TRUE(original.ok()) << original.error().message;
      ASSERT_TRUE(copy.ok()) << copy.error().message;
      EXPECT_TRUE(*original == *copy) << copies << "/" << name << " differs from crds/" << name
                                      << ": run manifests/sync-crds.sh";
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The chart offline: lint, rendering with values, refusals. No cluster needed.

class HelmChart : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(helm().error.empty()) << "scripts/helm.sh failed: " << helm().error; }
  static const HelmTool& helm() { return HelmTool::instance(); }

  static Result<std::vector<Json>> render(const std::string& sets, const std::string& ns = "launch-system") {
    auto out = run(helm().command("template it " + shellQuote(chartDir()) + " --namespace " + ns + setFlags(sets)));
    if (!out) return out.error();
    return api::yamlDocumentsToJson(*out);
  }
};

TEST_F(HelmChart, LintsCleanWithEveryShapeOfValues) {
  for (const std::string sets :
       {"", "leaderElection.enabled=false", "watchNamespace=team-a", "metrics.enabled=false", "rbac.create=false",
        "serviceAccount.create=false serviceAccount.name=existing", "replicas=3 workers=64 logFormat=text"}) {
    SCOPED_TRACE(sets);
    auto out = run(helm().command("lint --strict " + shellQuote(chartDir()) + setFlags(sets)));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_NE(out->find("0 chart(s) failed"), std::string::npos) << *out;
    EXPECT_EQ(out->find("[WARNING]"), std::string::npos) << *out;
    EXPECT_EQ(out->find("[ERROR]"), std::string::npos) << *out;
  }
}

TEST_F(HelmChart, ValuesReachTheRenderedObjects) {
  struct Case {
    std::string name;
    std::string sets;
    std::vector<std::string> argsPresent;
    std::vector<std::string> argsAbsent;  // prefixes
    std::vector<std::string> kindsPresent;
    std::vector<std::string> kindsAbsent;
    std::function<void(const std::vector<Json>&, const Json&)> check;
  };
  const std::vector<Case> cases = {
      {"defaults",
       "",
       {"--leader-elect", "--leader-election-namespace=launch-system", "--leader-election-id=it-launch-operator",
        "--health-probe-bind-address=:8081", "--metrics-bind-address=:8080", "--log-format=json", "--log-level=info",
        "--workers=8"},
       {"--namespace="},
       {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"},
       {},
       [](const std::vector<Json>& objects, const Json& deployment) {
         expectRestrictedPod(deployment);
         EXPECT_EQ(deployment["spec"].value("replicas", 0), 1);
         EXPECT_EQ(deployment["metadata"].value("namespace", ""), "launch-system");
         const Json* role = findKind(objects, "Role");
         ASSERT_NE(role, nullptr);
         EXPECT_EQ((*role)["rules"][0]["resources"], Json::array({"leases"}));
         const Json* service = findKind(objects, "Service");
         ASSERT_NE(service, nullptr);
         EXPECT_EQ((*service)["spec"]["ports"][0].value("port", 0), 8080);
       }},
      {"workers", "workers=2", {"--workers=2"}, {"--workers=8"}, {}, {}, nullptr},
      {"no leader election",
       "leaderElection.enabled=false",
       {},
       {"--leader-elect", "--leader-election-namespace=", "--leader-election-id="},
       {"ClusterRole"},
       {"Role", "RoleBinding"},
       nullptr},
      {"lease name", "leaderElection.leaseName=my-lease", {"--leader-election-id=my-lease"}, {}, {}, {}, nullptr},
      {"one namespace",
       "watchNamespace=team-a",
       {"--namespace=team-a"},
       {},
       {"Role", "RoleBinding"},
       {"ClusterRole", "ClusterRoleBinding"},
       [](const std::vector<Json>& objects, const Json&) {
         const Json* role = findKind(objects, "Role", "it-launch-operator");
         ASSERT_NE(role, nullptr);
         EXPECT_EQ((*role)["metadata"].value("namespace", ""), "team-a");
         const Json* binding = findKind(objects, "RoleBinding", "it-launch-operator");
         ASSERT_NE(binding, nullptr);
         EXPECT_EQ((*binding)["subjects"][0].value("namespace", ""), "launch-system");
       }},
      {"no metrics",
       "metrics.enabled=false",
       {"--metrics-bind-address=0"},
       {"--metrics-bind-address=:"},
       {},
       {"Service"},
       nullptr},
      {"logs",
       "logFormat=text logLevel=debug",
       {"--log-format=text", "--log-level=debug"},
       {"--log-format=json"},
       {},
       {},
       nullptr},
      {"no rbac",
       "rbac.create=false",
       {},
       {},
       {"ServiceAccount"},
       {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
       nullptr},
      {"existing service account",
       "serviceAccount.create=false serviceAccount.name=existing",
       {},
       {},
       {"ClusterRoleBinding"},
       {"ServiceAccount"},
       [](const std::vector<Json>& objects, const Json& deployment) {
         EXPECT_EQ(deployment["spec"]["template"]["spec"].value("serviceAccountName", ""), "existing");
         const Json* binding = findKind(objects, "ClusterRoleBinding");
         ASSERT_NE(binding, nullptr);
         EXPECT_EQ((*binding)["subjects"][0].value("name", ""), "existing");
       }},
      {"image, replicas, scheduling",
       "image.tag=dev replicas=3 nodeSelector.pool=cpu tolerations[0].key=dedicated tolerations[0].operator=Exists "
       "resources.limits.memory=1Gi extraArgs[0]=--context=prod",
       {"--context=prod"},
       {},
       {},
       {},
       [](const std::vector<Json>&, const Json& deployment) {
         const Json& pod = deployment["spec"]["template"]["spec"];
         EXPECT_EQ(deployment["spec"].value("replicas", 0), 3);
         EXPECT_EQ(pod["containers"][0].value("image", ""), "ghcr.io/launch-dev/launch-operator:dev");
         EXPECT_EQ(pod["nodeSelector"].value("pool", ""), "cpu");
         EXPECT_EQ(pod["tolerations"][0].value("key", ""), "dedicated");
         EXPECT_EQ(pod["containers"][0]["resources"]["limits"].value("memory", ""), "1Gi");
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto objects = render(c.sets);
    ASSERT_TRUE(objects.ok()) << objects.error().message;
    const Json* deployment = findKind(*objects, "Deployment");
    ASSERT_NE(deployment, nullptr);
    for (const auto& arg : c.argsPresent)
      EXPECT_TRUE(hasArg(*deployment, arg)) << arg << " in " << describeArgs(*deployment);
    for (const auto& arg : c.argsAbsent) {
      EXPECT_FALSE(hasArgStartingWith(*deployment, arg)) << arg << " in " << describeArgs(*deployment);
    }
    for (const auto& kind : c.kindsPresent) EXPECT_NE(findKind(*objects, kind), nullptr) << kind;
    for (const auto& kind : c.kindsAbsent) EXPECT_EQ(findKind(*objects, kind), nullptr) << kind;
    if (c.check) c.check(*objects, *deployment);
  }
}

TEST_F(HelmChart, RefusesBadValuesNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"workers=0", "/workers"},
      {"workers=65", "/workers"},
      {"logFormat=xml", "/logFormat"},
      {"logLevel=trace", "/logLevel"},
      {"worker=4", "'worker' not allowed"},
      {"watchNamespace=Team_A", "/watchNamespace"},
      {"metrics.port=0", "/metrics/port"},
      {"replicas=2 leaderElection.enabled=false", "leaderElection.enabled=true"},
      {"serviceAccount.create=false", "serviceAccount.name"},
  };
  for (const auto& [sets, field] : cases) {
    SCOPED_TRACE(sets);
    auto out = runCommand(helm().command("template it " + shellQuote(chartDir()) + setFlags(sets)));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_NE(out->exitCode, 0) << out->output;
    EXPECT_NE(out->output.find(field), std::string::npos) << out->output;
  }
}

// Both installs must grant the same rights and run the same pod; the kustomize files are written by hand, so
// this is what keeps them in step with the chart.
TEST_F(HelmChart, KustomizeRendersTheSameRightsAndPodAsTheChart) {
  auto kustomized = run("kubectl kustomize " + shellQuote(sourceDir() + "/manifests"));
  ASSERT_TRUE(kustomized.ok()) << kustomized.error().message;
  auto fromKustomize = api::yamlDocumentsToJson(*kustomized);
  ASSERT_TRUE(fromKustomize.ok()) << fromKustomize.error().message;
  auto fromHelm = render("");
  ASSERT_TRUE(fromHelm.ok()) << fromHelm.error().message;

  std::multiset<std::string> kustomizeKinds;
  std::multiset<std::string> helmKinds;
  for (const auto& o : *fromKustomize) kustomizeKinds.insert(o.value("kind", ""));
  for (const auto& o : *fromHelm) helmKinds.insert(o.value("kind", ""));
  kustomizeKinds.erase("Namespace");  // helm install --create-namespace makes it
  EXPECT_EQ(kustomizeKinds.count("CustomResourceDefinition"), 3U);
  kustomizeKinds.erase("CustomResourceDefinition");  // the chart's crds/ are not templates
  EXPECT_EQ(kustomizeKinds, helmKinds);

  const Json* kustomizeRole = findKind(*fromKustomize, "ClusterRole");
  const Json* helmRole = findKind(*fromHelm, "ClusterRole");
  ASSERT_TRUE(kustomizeRole != nullptr && helmRole != nullptr);
  EXPECT_EQ((*kustomizeRole)["rules"], (*helmRole)["rules"]);
  const Json* kustomizeLease = findKind(*fromKustomize, "Role");
  const Json* helmLease = findKind(*fromHelm, "Role");
  ASSERT_TRUE(kustomizeLease != nullptr && helmLease != nullptr);
  EXPECT_EQ((*kustomizeLease)["rules"], (*helmLease)["rules"]);

  const Json* kustomizeDeployment = findKind(*fromKustomize, "Deployment");
  const Json* helmDeployment = findKind(*fromHelm, "Deployment");
  ASSERT_TRUE(kustomizeDeployment != nullptr && helmDeployment != nullptr);
  expectRestrictedPod(*kustomizeDeployment);
  const Json& kustomizePod = (*kustomizeDeployment)["spec"]["template"]["spec"];
  const Json& helmPod = (*helmDeployment)["spec"]["template"]["spec"];
  EXPECT_EQ(kustomizePod["securityContext"], helmPod["securityContext"]);
  for (const char* key : {"securityContext", "resources", "livenessProbe", "readinessProbe", "ports", "image"}) {
    EXPECT_EQ(kustomizePod["containers"][0][key], helmPod["containers"][0][key]) << key;
  }
  for (const char* arg :
       {"--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8080", "--log-format=json"}) {
    EXPECT_TRUE(hasArg(*kustomizeDeployment, arg)) << arg << " in " << describeArgs(*kustomizeDeployment);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Against the real API server.

// One `kubectl auth can-i` question and the answer the operator's ServiceAccount must get.
struct Access {
  std::string verb;
  std::string resource;
  std::string subresource;
  std::string ns;  // "" = all namespaces (-A)
  bool allowed = true;

  std::string describe() const {
    return verb + " " + resource + (subresource.empty() ? "" : "/" + subresource) + " in " +
           (ns.empty() ? "all namespaces" : ns);
  }
};

// What the operator does (src/agent/LaunchController.cpp, src/kube/LeaderElector.cpp, EventRecorder.cpp) and
// a few things it must not be able to do. `work` is a namespace it serves, `home` the one it runs in.
std::vector<Access> operatorAccess(const std::string& work, const std::string& home, bool allNamespaces) {
  const std::string watchScope = allNamespaces ? "" : work;
  std::vector<Access> access = {
      {"list", "launchqueues.launch.dev", "", watchScope},
      {"watch", "launchqueues.launch.dev", "", watchScope},
      {"list", "launchagents.launch.dev", "", watchScope},
      {"watch", "launchagents.launch.dev", "", watchScope},
      {"list", "launchjobs.launch.dev", "", watchScope},
      {"watch", "launchjobs.launch.dev", "", watchScope},
      {"patch", "launchjobs.launch.dev", "", work},
      {"update", "launchjobs.launch.dev", "status", work},
      {"update", "launchqueues.launch.dev", "status", work},
      {"update", "launchagents.launch.dev", "status", work},
      {"update", "launchjobs.launch.dev", "finalizers", work},
      {"list", "jobs.batch", "", watchScope},
      {"watch", "jobs.batch", "", watchScope},
      {"create", "jobs.batch", "", work},
      {"delete", "jobs.batch", "", work},
      {"list", "pods", "", watchScope},
      {"watch", "pods", "", watchScope},
      {"create", "events", "", work},
      {"patch", "events", "", work},
      {"get", "leases.coordination.k8s.io", "", home},
      {"create", "leases.coordination.k8s.io", "", home},
      {"update", "leases.coordination.k8s.io", "", home},
      // Never:
      {"delete", "secrets", "", work, false},
      {"get", "secrets", "", work, false},
      {"list", "secrets", "", "", false},
      {"create", "pods", "", work, false},
      {"delete", "pods", "", work, false},
      {"create", "launchjobs.launch.dev", "", work, false},
      {"delete", "launchjobs.launch.dev", "", work, false},
      {"update", "launchqueues.launch.dev", "", work, false},
      {"patch", "jobs.batch", "", work, false},
      {"create", "leases.coordination.k8s.io", "", work, false},
      {"delete", "leases.coordination.k8s.io", "", home, false},
      {"create", "customresourcedefinitions.apiextensions.k8s.io", "", "", false},
      {"create", "clusterrolebindings.rbac.authorization.k8s.io", "", "", false},
  };
  if (!allNamespaces) {
    access.push_back({"list", "launchjobs.launch.dev", "", "", false});
    access.push_back({"create", "jobs.batch", "", "elsewhere", false});
    access.push_back({"watch", "pods", "", "elsewhere", false});
  }
  return access;
}

// An object to look for: its type, namespace ("" when cluster-scoped) and name.
struct ObjectRef {
  kube::ResourceType type;
  std::string ns;
  std::string name;
};

class InstallIT : public ControlPlaneTest {
 protected:
  void SetUp() override {
    ControlPlaneTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(HelmTool::instance().error.empty()) << "scripts/helm.sh failed: " << HelmTool::instance().error;
  }

  Result<std::string> helm(const std::string& args) {
    return run(HelmTool::instance().command(args, plane().kubeconfigPath()));
  }
  Result<std::string> kubectl(const std::string& args) {
    return run("KUBECONFIG=" + shellQuote(plane().kubeconfigPath()) + " kubectl " + args);
  }

  // Asks the API server, as the ServiceAccount, every question of the table.
  void expectAccess(const std::string& saNamespace, const std::string& saName, const std::vector<Access>& table) {
    const std::string as = " --as=" + shellQuote("system:serviceaccount:" + saNamespace + ":" + saName);
    for (const auto& a : table) {
      std::string command = "KUBECONFIG=" + shellQuote(plane().kubeconfigPath()) + " kubectl auth can-i " + a.verb +
                            " " + a.resource + as;
      if (!a.subresource.empty()) command += " --subresource=" + a.subresource;
      command += a.ns.empty() ? " --all-namespaces" : " --namespace=" + a.ns;
      auto out = runCommand(command);
      ASSERT_TRUE(out.ok()) << out.error().message;
      std::string answer = out->output;
      while (!answer.empty() && answer.back() == '\n') answer.pop_back();
      answer = answer.substr(answer.rfind('\n') == std::string::npos ? 0 : answer.rfind('\n') + 1);
      EXPECT_EQ(answer, a.allowed ? "yes" : "no")
          << "can " << saNamespace << "/" << saName << " " << a.describe() << "?\n"
          << out->output;
    }
  }

  // The CRDs are cluster-wide and shared by the tests; deleting them first proves that an install makes them.
  // No test here leaves a launch.dev object behind, so the apiextensions cleanup finalizer has nothing to delete;
  // on a loaded machine its controller can still back off for over a minute (CI saw 60 s pass). After 30 s the
  // test prints why the CRD is still there and lifts that finalizer itself, as an admin would.
  void removeCrds() {
    for (const auto& name : kCrdNames) {
      auto removed = client().remove(res::kCustomResourceDefinitions, "", name);
      ASSERT_TRUE(removed.ok() || removed.error().code == ErrorCode::NotFound) << removed.error().describe();
    }
    auto gone = [&](const std::string& name) {
      auto read = client().get(res::kCustomResourceDefinitions, "", name);
      return !read.ok() && read.error().code == ErrorCode::NotFound;
    };
    for (const auto& name : kCrdNames) {
      if (eventually([&] { return gone(name); }, 30s)) continue;
      auto stuck = client().get(res::kCustomResourceDefinitions, "", name);
      if (stuck.ok()) {
        std::cerr << name << " still exists 30 s after its deletion; finalizers "
                  << (*stuck)["metadata"].value("finalizers", Json::array()).dump() << ", conditions "
                  << (*stuck)["status"].value("conditions", Json::array()).dump() << "\n";
      }
      auto lifted = client().patch(res::kCustomResourceDefinitions, "", name,
                                   Json{{"metadata", {{"finalizers", Json::array()}}}});
      ASSERT_TRUE(lifted.ok() || lifted.error().code == ErrorCode::NotFound) << lifted.error().describe();
      ASSERT_TRUE(eventually([&] { return gone(name); }, 30s)) << name << " was not deleted within 60 s";
    }
  }

  void expectCrdsEstablished() {
    for (const auto& name : kCrdNames) {
      EXPECT_TRUE(eventually([&] {
        auto crd = client().get(res::kCustomResourceDefinitions, "", name);
        if (!crd) return false;
        for (const auto& condition : (*crd)["status"].value("conditions", Json::array())) {
          if (condition.value("type", "") == "Established" && condition.value("status", "") == "True") return true;
        }
        return false;
      })) << name
          << " is not Established";
    }
  }

  Result<Json> get(const kube::ResourceType& type, const std::string& ns, const std::string& name) {
    return client().get(type, ns, name);
  }

  void expectExist(const std::vector<ObjectRef>& objects) {
    for (const auto& o : objects) {
      auto read = get(o.type, o.ns, o.name);
      EXPECT_TRUE(read.ok()) << o.type.resource << " " << o.name << ": " << read.error().describe();
    }
  }

  // `after` names what should have removed them, for the failure message.
  void expectGone(const std::vector<ObjectRef>& objects, const std::string& after) {
    for (const auto& o : objects) {
      EXPECT_TRUE(eventually([&] {
        auto read = get(o.type, o.ns, o.name);
        return !read.ok() && read.error().code == ErrorCode::NotFound;
      })) << o.type.resource
          << " " << o.name << " outlived " << after;
    }
  }
};

TEST_F(InstallIT, HelmInstallsUpgradesAndUninstallsTheOperator) {
  removeCrds();
  if (HasFatalFailure()) return;
  const std::string ns = "launch-helm";
  const std::string name = "it-helm-launch-operator";
  auto installed =
      helm("install it-helm " + shellQuote(chartDir()) + " --namespace " + ns + " --create-namespace --set workers=4");
  ASSERT_TRUE(installed.ok()) << installed.error().message;
  EXPECT_NE(installed->find("launch-operator 0.1.0 is installed as release it-helm"), std::string::npos)
      << "NOTES.txt: " << *installed;

  expectCrdsEstablished();
  expectExist({{kClusterRoles, "", name},
               {kClusterRoleBindings, "", name},
               {res::kServiceAccounts, ns, name},
               {kRoles, ns, name + "-leader-election"},
               {kRoleBindings, ns, name + "-leader-election"},
               {kServices, ns, name + "-metrics"},
               {kDeployments, ns, name}});
  auto deployment = get(kDeployments, ns, name);
  ASSERT_TRUE(deployment.ok()) << deployment.error().describe();
  expectRestrictedPod(*deployment);
  EXPECT_TRUE(hasArg(*deployment, "--workers=4")) << describeArgs(*deployment);
  EXPECT_TRUE(hasArg(*deployment, "--leader-elect")) << describeArgs(*deployment);
  EXPECT_TRUE(hasArg(*deployment, "--leader-election-namespace=" + ns)) << describeArgs(*deployment);
  EXPECT_EQ((*deployment)["spec"]["template"]["spec"].value("serviceAccountName", ""), name);

  expectAccess(ns, name, operatorAccess("team-x", ns, true));

  auto upgraded = helm("upgrade it-helm " + shellQuote(chartDir()) + " --namespace " + ns +
                       " --set workers=4 --set leaderElection.enabled=false");
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message;
  deployment = get(kDeployments, ns, name);
  ASSERT_TRUE(deployment.ok()) << deployment.error().describe();
  EXPECT_FALSE(hasArgStartingWith(*deployment, "--leader-elect")) << describeArgs(*deployment);
  EXPECT_TRUE(hasArg(*deployment, "--workers=4")) << describeArgs(*deployment);
  EXPECT_TRUE(eventually([&] { return !get(kRoles, ns, name + "-leader-election").ok(); }))
      << "the leader-election Role outlived leaderElection.enabled=false";

  auto uninstalled = helm("uninstall it-helm --namespace " + ns);
  ASSERT_TRUE(uninstalled.ok()) << uninstalled.error().message;
  expectGone({{kDeployments, ns, name},
              {kClusterRoles, "", name},
              {kClusterRoleBindings, "", name},
              {res::kServiceAccounts, ns, name},
              {kServices, ns, name + "-metrics"}},
             "helm uninstall");
  // Helm never deletes what it installed from crds/: the users' LaunchJobs survive an uninstall.
  for (const auto& crd : kCrdNames) EXPECT_TRUE(get(res::kCustomResourceDefinitions, "", crd).ok()) << crd;
}

TEST_F(InstallIT, HelmInstallForOneNamespaceGrantsRightsThereOnly) {
  const std::string team = makeNamespace("team");
  const std::string ns = "launch-scoped";
  const std::string name = "it-scoped-launch-operator";
  auto installed = helm("install it-scoped " + shellQuote(chartDir()) + " --namespace " + ns +
                        " --create-namespace --set watchNamespace=" + team);
  ASSERT_TRUE(installed.ok()) << installed.error().message;
  expectCrdsEstablished();

  auto deployment = get(kDeployments, ns, name);
  ASSERT_TRUE(deployment.ok()) << deployment.error().describe();
  EXPECT_TRUE(hasArg(*deployment, "--namespace=" + team)) << describeArgs(*deployment);
  EXPECT_TRUE(get(kRoles, team, name).ok());
  EXPECT_TRUE(get(kRoleBindings, team, name).ok());
  auto clusterRole = get(kClusterRoles, "", name);
  EXPECT_FALSE(clusterRole.ok()) << "a namespaced install must not create a ClusterRole";

  expectAccess(ns, name, operatorAccess(team, ns, false));

  auto uninstalled = helm("uninstall it-scoped --namespace " + ns);
  ASSERT_TRUE(uninstalled.ok()) << uninstalled.error().message;
  EXPECT_TRUE(eventually([&] { return !get(kRoles, team, name).ok(); })) << "the Role outlived helm uninstall";
}

TEST_F(InstallIT, SecretNamespacesGrantSecretsThereAndNowhereElse) {
  const std::string builds = makeNamespace("builds");
  const std::string other = makeNamespace("other");
  const std::string ns = "launch-secrets";
  const std::string name = "it-secrets-launch-operator";
  auto installed =
      helm("install it-secrets " + shellQuote(chartDir()) + " --namespace " + ns +
           " --create-namespace --set leaderElection.enabled=false --set secretNamespaces={" + builds + "}");
  ASSERT_TRUE(installed.ok()) << installed.error().message;
  expectAccess(ns, name,
               {{"get", "secrets", "", builds},
                {"create", "secrets", "", builds},
                {"delete", "secrets", "", builds},
                {"list", "secrets", "", builds, false},
                {"update", "secrets", "", builds, false},
                {"get", "secrets", "", other, false},
                {"create", "secrets", "", other, false},
                {"list", "secrets", "", "", false}});
  auto uninstalled = helm("uninstall it-secrets --namespace " + ns);
  ASSERT_TRUE(uninstalled.ok()) << uninstalled.error().message;
  EXPECT_TRUE(eventually([&] { return !get(kRoles, builds, name + "-secrets").ok(); }))
      << "the Role outlived helm uninstall";
}

TEST_F(InstallIT, KustomizeApplyInstallsTheOperator) {
  removeCrds();
  if (HasFatalFailure()) return;
  auto applied = kubectl("apply -k " + shellQuote(sourceDir() + "/manifests"));
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  expectCrdsEstablished();

  const std::string ns = "launch-system";
  const std::string name = "launch-operator";
  auto namespaceObject = get(res::kNamespaces, "", ns);
  ASSERT_TRUE(namespaceObject.ok()) << namespaceObject.error().describe();
  EXPECT_EQ((*namespaceObject)["metadata"]["labels"].value("pod-security.kubernetes.io/enforce", ""), "restricted");
  expectExist({{kClusterRoles, "", name},
               {kClusterRoleBindings, "", name},
               {res::kServiceAccounts, ns, name},
               {kRoles, ns, name + "-leader-election"},
               {kRoleBindings, ns, name + "-leader-election"},
               {kServices, ns, name + "-metrics"}});
  auto deployment = get(kDeployments, ns, name);
  ASSERT_TRUE(deployment.ok()) << deployment.error().describe();
  expectRestrictedPod(*deployment);
  for (const char* arg : {"--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8080"}) {
    EXPECT_TRUE(hasArg(*deployment, arg)) << arg << " in " << describeArgs(*deployment);
  }
  EXPECT_EQ((*deployment)["spec"]["template"]["spec"].value("serviceAccountName", ""), name);

  expectAccess(ns, name, operatorAccess("team-y", ns, true));

  // A second apply changes nothing: the install is declarative.
  auto again = kubectl("apply -k " + shellQuote(sourceDir() + "/manifests"));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->find("configured"), std::string::npos) << *again;
  EXPECT_EQ(again->find("created"), std::string::npos) << *again;

  // The removal manifests/README.md gives: the operator goes, the CRDs (and so the users' objects) stay. Without
  // a namespace controller here the Namespace stays Terminating, so do not wait for it.
  auto removed = kubectl("delete --wait=false -k " + shellQuote(sourceDir() + "/manifests") +
                         " --selector app.kubernetes.io/part-of=launch-operator");
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  expectGone({{kDeployments, ns, name}, {kClusterRoles, "", name}, {kClusterRoleBindings, "", name}},
             "kubectl delete --selector");
  for (const auto& crd : kCrdNames) EXPECT_TRUE(get(res::kCustomResourceDefinitions, "", crd).ok()) << crd;
}

}  // namespace
}  // namespace launch::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new launch::testing::ControlPlaneEnvironment({}));
  return RUN_ALL_TESTS();
}
