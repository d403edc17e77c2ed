// The batch/v1 Job that runs one Kaniko build, the per-build Secret it reads, and how the Job and its pod
// read back as a BuildObservation. Pure functions: no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/LaunchAgent.hpp"
#include "api/LaunchJob.hpp"
#include "build/Builder.hpp"
#include "util/Result.hpp"

namespace launch::build {

using Json = nlohmann::json;

inline constexpr std::string_view kKanikoContainer = "kaniko";
// Every object a Kaniko build makes carries launch.dev/build=kaniko (besides launch.dev/job, queue, agent),
// so the builder's informers see its own Jobs and Pods and not the runs of the Kubernetes backend.
inline constexpr std::string_view kBuildLabel = "launch.dev/build";
inline constexpr std::string_view kBuildLabelValue = "kaniko";
// Where kaniko finds the registry credentials (DOCKER_CONFIG in the executor image).
inline constexpr std::string_view kDockerConfigDir = "/kaniko/.docker";
// Where a Dockerfile that is not part of a git context is mounted from the per-build Secret.
inline constexpr std::string_view kDockerfileDir = "/kaniko/launch-build";
// The per-build Secret's keys.
inline constexpr std::string_view kSecretDockerConfigKey = "config.json";
inline constexpr std::string_view kSecretDockerfileKey = "Dockerfile";

// "lb-<name>-<first 8 of uid>", at most 63 characters of [a-z0-9-]: the names of the build Job, the per-build
// Secret and the uploaded context, stable for one LaunchJob (the rule of backends::runName, another prefix).
std::string kanikoBuildName(const api::LaunchJob& job);

// Everything the Job is made of besides the LaunchJob itself.
struct KanikoJobSpec {
  std::string agent;  // the LaunchAgent's name, for the launch.dev/agent label
  api::KanikoSettings settings;
  std::string destination;            // --destination
  std::string context;                // --context: git://..., s3://..., gs://...
  std::string contextSubPath;         // --context-sub-path; empty: none
  std::string dockerfile;             // --dockerfile: relative to the context, or under kDockerfileDir
  bool dockerfileFromSecret = false;  // mount the per-build Secret's Dockerfile key at kDockerfileDir
  std::string dockerConfigSecret;     // the Secret holding the registry credentials; empty: none (pod identity)
  std::string dockerConfigKey;        // its key that holds a docker config.json
  std::optional<api::SecretRef> gitCredentials;          // keys username (optional) and password, as for checkouts
  bool gitOverPlainHttp = false;                         // the repository is served over http://
  std::vector<std::pair<std::string, std::string>> env;  // what the context store needs (region, endpoint)
  std::string platform;                                  // --custom-platform; empty: the node's
  std::string insecureRegistry;  // a registry host pushed to over plain HTTP or without TLS verification
};

// The Job: backoffLimit 0, activeDeadlineSeconds from the settings, restartPolicy Never, owned by the
// LaunchJob, the digest written to the termination log. Refuses extraArgs that would override the flags
// the builder relies on (--destination, --digest-file, --context, --no-push).
Result<Json> buildKanikoJob(const api::LaunchJob& job, const KanikoJobSpec& spec);

// The per-build Secret (Opaque, owned by the LaunchJob) holding `files` (key -> content).
Json buildKanikoSecret(const api::LaunchJob& job, const std::string& agent,
                       const std::map<std::string, std::string>& files);

// Reads a build Job and its pods (from the informer caches) as a BuildObservation.
BuildObservation observeKanikoBuild(const Json* job, const std::vector<const Json*>& pods);

// "sha256:<64 hex>" when `text` (a termination message) is one, after trimming whitespace; else empty.
std::string digestIn(std::string_view text);

}  // namespace launch::build
