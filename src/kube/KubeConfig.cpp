// kubeconfig parsing and merging (clusters, users, contexts) and the in-cluster configuration.
#include "kube/KubeConfig.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include "util/Base64.hpp"
#include "util/Files.hpp"

namespace launch::kube {
namespace {

struct Merged {
  std::map<std::string, std::pair<YAML::Node, std::string>> clusters, users, contexts;  // node, directory
  std::string currentContext;
};

Result<void> mergeNamed(const YAML::Node& list, const char* key, const std::string& dir,
                        std::map<std::string, std::pair<YAML::Node, std::string>>& into) {
  if (!list) return {};
  if (!list.IsSequence()) return makeError(ErrorCode::Invalid, std::string("kubeconfig: '") + key + "' must be a list");
  for (const auto& item : list) {
    const auto name = item["name"];
    if (!name || !item[key]) {
      return makeError(ErrorCode::Invalid,
                       std::string("kubeconfig: every entry of '") + key + "s' needs a 'name' and a '" + key + "' map");
    }
    into.try_emplace(name.as<std::string>(), item[key], dir);  // first file to set a name wins
  }
  return {};
}

std::string resolve(const std::string& path, const std::string& dir) {
  if (path.empty() || path.front() == '/' || dir.empty()) return path;
  return dir + "/" + path;
}

// An exec command with a slash is a path relative to the kubeconfig; a bare name is looked up on PATH.
std::string resolveCommand(const std::string& command, const std::string& dir) {
  return command.find('/') == std::string::npos ? command : resolve(command, dir);
}

// A PEM value given either inline as base64 (*-data) or as a file path.
Result<std::string> pemField(const YAML::Node& node, const std::string& dataKey, const std::string& fileKey,
                             const std::string& dir, const std::string& where) {
  if (const auto data = node[dataKey]) {
    auto decoded = base64Decode(data.as<std::string>());
    if (!decoded) {
      return makeError(ErrorCode::Invalid,
                       where + "." + dataKey + " is not valid base64; encode the PEM with base64 -w0");
    }
    return std::move(*decoded);
  }
  if (const auto file = node[fileKey]) {
    auto content = readFile(resolve(file.as<std::string>(), dir));
    if (!content) return makeError(ErrorCode::Invalid, where + "." + fileKey + ": " + content.error().message);
    return std::move(content).value();
  }
  return std::string();
}

Result<KubeConfig> build(const Merged& merged, const std::string& requestedContext) {
  const std::string contextName = requestedContext.empty() ? merged.currentContext : requestedContext;
  if (contextName.empty()) {
    return makeError(ErrorCode::Invalid, "kubeconfig: no current-context is set; set one or pass a context name");
  }
  const auto ctx = merged.contexts.find(contextName);
  if (ctx == merged.contexts.end()) {
    return makeError(ErrorCode::Invalid, "kubeconfig: context '" + contextName + "' is not defined in contexts");
  }
  const YAML::Node& context = ctx->second.first;
  KubeConfig config;
  config.contextName = contextName;
  if (context["namespace"]) config.namespace_ = context["namespace"].as<std::string>();

  const std::string clusterName = context["cluster"] ? context["cluster"].as<std::string>() : "";
  const auto cl = merged.clusters.find(clusterName);
  if (cl == merged.clusters.end()) {
    return makeError(ErrorCode::Invalid, "kubeconfig: context '" + contextName + "' names cluster '" + clusterName +
                                             "', which is not defined in clusters");
  }
  const YAML::Node& cluster = cl->second.first;
  const std::string where = "clusters[" + clusterName + "].cluster";
  if (!cluster["server"]) return makeError(ErrorCode::Invalid, "kubeconfig: " + where + ".server is missing");
  config.server = cluster["server"].as<std::string>();
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  auto ca = pemField(cluster, "certificate-authority-data", "certificate-authority", cl->second.second,
                     "kubeconfig: " + where);
  if (!ca) return ca.error();
  config.tls.caPem = std::move(ca).value();
  config.tls.insecureSkipVerify = cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>();

  const std::string userName = context["user"] ? context["user"].as<std::string>() : "";
  if (userName.empty()) return config;
  const auto us = merged.users.find(userName);
  if (us == merged.users.end()) {
    return makeError(ErrorCode::Invalid, "kubeconfig: context '" + contextName + "' names user '" + userName +
                                             "', which is not defined in users");
  }
  const YAML::Node& user = us->second.first;
  const std::string userWhere = "kubeconfig: users[" + userName + "].user";
  if (const YAML::Node exec = user["exec"]) {
    ExecConfig plugin;
    if (!exec["command"]) return makeError(ErrorCode::Invalid, userWhere + ".exec.command is missing");
    plugin.command = resolveCommand(exec["command"].as<std::string>(), us->second.second);
    if (exec["args"]) plugin.args = exec["args"].as<std::vector<std::string>>();
    if (const YAML::Node env = exec["env"]) {
      for (const auto& entry : env) plugin.env[entry["name"].as<std::string>()] = entry["value"].as<std::string>();
    }
    if (!exec["apiVersion"]) {
      return makeError(ErrorCode::Invalid,
                       userWhere + ".exec.apiVersion is missing; use client.authentication.k8s.io/v1");
    }
    plugin.apiVersion = exec["apiVersion"].as<std::string>();
    if (plugin.apiVersion != "client.authentication.k8s.io/v1" &&
        plugin.apiVersion != "client.authentication.k8s.io/v1beta1") {
      return makeError(ErrorCode::Invalid, userWhere + ".exec.apiVersion '" + plugin.apiVersion +
                                               "' is not supported; use client.authentication.k8s.io/v1");
    }
    if (exec["installHint"]) plugin.installHint = exec["installHint"].as<std::string>();
    plugin.provideClusterInfo = exec["provideClusterInfo"] && exec["provideClusterInfo"].as<bool>();
    plugin.server = config.server;
    plugin.caPem = config.tls.caPem;
    config.exec = std::move(plugin);
  }
  auto cert = pemField(user, "client-certificate-data", "client-certificate", us->second.second, userWhere);
  if (!cert) return cert.error();
  auto key = pemField(user, "client-key-data", "client-key", us->second.second, userWhere);
  if (!key) return key.error();
  config.tls.clientCertPem = std::move(cert).value();
  config.tls.clientKeyPem = std::move(key).value();
  if (config.tls.clientCertPem.empty() != config.tls.clientKeyPem.empty()) {
    return makeError(ErrorCode::Invalid, userWhere + ": a client certificate needs its key and a key its certificate");
  }
  if (user["token"]) config.bearerToken = user["token"].as<std::string>();
  if (user["tokenFile"]) config.tokenFile = resolve(user["tokenFile"].as<std::string>(), us->second.second);
  return config;
}

std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

Result<KubeConfig> KubeConfig::fromDocuments(const std::vector<Document>& documents, const std::string& context) {
  Merged merged;
  for (const auto& doc : documents) {
    YAML::Node root;
    try {
      root = YAML::Load(doc.text);
    } catch (const YAML::Exception& e) {
      return makeError(ErrorCode::Invalid, std::string("kubeconfig is not valid YAML: ") + e.what());
    }
    if (!root || root.IsNull()) continue;
    if (!root.IsMap()) return makeError(ErrorCode::Invalid, "kubeconfig: the document must be a map");
    try {
      if (auto r = mergeNamed(root["clusters"], "cluster", doc.directory, merged.clusters); !r) return r.error();
      if (auto r = mergeNamed(root["users"], "user", doc.directory, merged.users); !r) return r.error();
      if (auto r = mergeNamed(root["contexts"], "context", doc.directory, merged.contexts); !r) return r.error();
      if (merged.currentContext.empty() && root["current-context"]) {
        merged.currentContext = root["current-context"].as<std::string>();
      }
    } catch (const YAML::Exception& e) {
      return makeError(ErrorCode::Invalid, std::string("kubeconfig: unexpected value: ") + e.what());
    }
  }
  try {
    return build(merged, context);
  } catch (const YAML::Exception& e) {
    return makeError(ErrorCode::Invalid, std::string("kubeconfig: unexpected value: ") + e.what());
  }
}

Result<KubeConfig> KubeConfig::load(const std::string& explicitPath, const std::string& context) {
  std::string list = explicitPath;
  if (list.empty()) {
    if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') list = env;
  }
  if (list.empty()) {
    const char* home = std::getenv("HOME");
    const std::string defaultPath = std::string(home != nullptr ? home : "") + "/.kube/config";
    if (readFile(defaultPath)) {
      list = defaultPath;
    } else if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
      return inCluster();
    } else {
      return makeError(ErrorCode::Invalid,
                       "no kubeconfig found: set KUBECONFIG or --kubeconfig, or run inside a cluster");
    }
  }
  std::vector<Document> documents;
  std::stringstream paths(list);
  std::string path;
  while (std::getline(paths, path, ':')) {
    if (path.empty()) continue;
    auto text = readFile(path);
    if (!text) {
      if (text.error().code == ErrorCode::NotFound && list.find(':') != std::string::npos) continue;  // as kubectl
      return text.error();
    }
    documents.push_back({std::move(text).value(), directoryOf(path)});
  }
  if (documents.empty()) return makeError(ErrorCode::Invalid, "none of the kubeconfig files in '" + list + "' exists");
  return fromDocuments(documents, context);
}

Result<KubeConfig> KubeConfig::inCluster(const std::string& secretsDir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return makeError(ErrorCode::Invalid,
                     "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset");
  }
  KubeConfig config;
  const std::string hostText = host;
  config.server = "https://" + (hostText.find(':') != std::string::npos ? "[" + hostText + "]" : hostText) + ":" + port;
  auto ca = readFile(secretsDir + "/ca.crt");
  if (!ca) return ca.error();
  config.tls.caPem = std::move(ca).value();
  config.tokenFile = secretsDir + "/token";
  if (auto ns = readFile(secretsDir + "/namespace")) config.namespace_ = *ns;
  config.contextName = "in-cluster";
  return config;
}

}  // namespace launch::kube
