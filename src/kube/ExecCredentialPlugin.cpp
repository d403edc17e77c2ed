// ExecCredentialPlugin: plugin invocation (KUBERNETES_EXEC_INFO in, ExecCredential out) and caching.
#include "kube/ExecCredentialPlugin.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

#include "util/Base64.hpp"
#include "util/Subprocess.hpp"

namespace launch::kube {
namespace {

using Json = nlohmann::json;

std::optional<std::chrono::system_clock::time_point> parseRfc3339(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  const time_t seconds = timegm(&tm);
  return std::chrono::system_clock::from_time_t(seconds);
}

}  // namespace

Result<ExecCredential> parseExecCredential(const std::string& text, const std::string& expectedApiVersion) {
  const Json json = Json::parse(text, nullptr, false);
  if (!json.is_object()) return makeError(ErrorCode::Invalid, "exec plugin output is not a JSON object");
  if (json.value("kind", "") != "ExecCredential") {
    return makeError(ErrorCode::Invalid, "exec plugin output: kind must be ExecCredential");
  }
  if (json.value("apiVersion", "") != expectedApiVersion) {
    return makeError(ErrorCode::Invalid, "exec plugin output: apiVersion '" + json.value("apiVersion", "") +
                                             "' does not match the kubeconfig's '" + expectedApiVersion + "'");
  }
  if (!json.contains("status") || !json["status"].is_object()) {
    return makeError(ErrorCode::Invalid, "exec plugin output: status is missing");
  }
  const Json& status = json["status"];
  ExecCredential credential;
  credential.token = status.value("token", "");
  credential.clientCertificatePem = status.value("clientCertificateData", "");
  credential.clientKeyPem = status.value("clientKeyData", "");
  if (credential.token.empty() && credential.clientCertificatePem.empty()) {
    return makeError(ErrorCode::Invalid, "exec plugin output: status has neither token nor clientCertificateData");
  }
  if (credential.clientCertificatePem.empty() != credential.clientKeyPem.empty()) {
    return makeError(ErrorCode::Invalid, "exec plugin output: clientCertificateData and clientKeyData come together");
  }
  if (status.contains("expirationTimestamp")) {
    credential.expiration = parseRfc3339(status["expirationTimestamp"].get<std::string>());
    if (!credential.expiration) {
      return makeError(ErrorCode::Invalid, "exec plugin output: status.expirationTimestamp is not RFC 3339");
    }
  }
  return credential;
}

ExecCredentialPlugin::ExecCredentialPlugin(ExecConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

Result<ExecCredential> ExecCredentialPlugin::credential() {
  const std::lock_guard lock(mutex_);
  if (cached_ && (!cached_->expiration || *cached_->expiration > clock_.wallNow())) return *cached_;

  Json info = {{"apiVersion", config_.apiVersion}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
  if (config_.provideClusterInfo) {
    info["spec"]["cluster"] = {{"server", config_.server}, {"certificate-authority-data", base64Encode(config_.caPem)}};
  }
  std::map<std::string, std::string> env = config_.env;
  env["KUBERNETES_EXEC_INFO"] = info.dump();
  std::vector<std::string> argv = {config_.command};
  argv.insert(argv.end(), config_.args.begin(), config_.args.end());
  ++runs_;
  auto output = runProcess(argv, env, std::chrono::seconds(60));
  if (!output) {
    Error error = output.error();
    if (!config_.installHint.empty()) error.message += " (" + config_.installHint + ")";
    return error;
  }
  if (output->exitCode != 0) {
    // The plugin's stderr explains its failure; its stdout may hold a credential and is never shown.
    return makeError(ErrorCode::Unauthorized, "exec plugin '" + config_.command + "' exited with " +
                                                  std::to_string(output->exitCode) + ": " +
                                                  output->stderrText.substr(0, 500));
  }
  auto parsed = parseExecCredential(output->stdoutText, config_.apiVersion);
  if (!parsed) return parsed.error();
  cached_ = *parsed;
  return parsed;
}

void ExecCredentialPlugin::invalidate() {
  const std::lock_guard lock(mutex_);
  cached_.reset();
}

int ExecCredentialPlugin::runs() const {
  const std::lock_guard lock(mutex_);
  return runs_;
}

}  // namespace launch::kube
