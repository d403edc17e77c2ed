// KubeConfig: where the API server is and how to authenticate to it, from kubeconfig files or in-cluster.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "http/HttpClient.hpp"
#include "kube/ExecCredentialPlugin.hpp"
#include "util/Result.hpp"

namespace launch::kube {

struct KubeConfig {
  std::string server;  // https://host:port
  std::string namespace_ = "default";
  http::TlsConfig tls;
  std::string bearerToken;
  std::string tokenFile;  // re-read when it rotates (service-account tokens)
  std::string contextName;
  std::optional<ExecConfig> exec;  // a credential plugin, run on demand

  // Loads from explicit paths, else $KUBECONFIG (a ':'-separated list merged in order: the first file to
  // set a value wins), else ~/.kube/config, else the in-cluster service account.
  static Result<KubeConfig> load(const std::string& explicitPath = "", const std::string& context = "");
  // Parses merged kubeconfig documents; relative file paths resolve against each document's directory.
  struct Document {
    std::string text;
    std::string directory;
  };
  static Result<KubeConfig> fromDocuments(const std::vector<Document>& documents, const std::string& context = "");
  // The service account mounted into a pod (KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/...).
  static Result<KubeConfig> inCluster(const std::string& secretsDir = "/var/run/secrets/kubernetes.io/serviceaccount");
};

}  // namespace launch::kube
