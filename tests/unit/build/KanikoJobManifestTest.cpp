// Tests of the Kaniko build Job, the per-build Secret and how a Job and its pod read back: the manifest
// field by field, and tables of pod states and what each one reports.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "build/KanikoJobManifest.hpp"

namespace launch::build {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

api::LaunchJob makeJob(std::string name = "train", std::string uid = "0123456789abcdef") {
  api::LaunchJob job;
  job.metadata.name = std::move(name);
  job.metadata.namespace_ = "ml";
  job.metadata.uid = std::move(uid);
  job.spec.queue = "gpu";
  job.spec.source = api::ArchiveSource{"https://example.com/src.tar.gz", ""};
  return job;
}

KanikoJobSpec s3Spec() {
  KanikoJobSpec spec;
  spec.agent = "agent-1";
  spec.settings.image = "ghcr.io/osscontainertools/kaniko:v1.28.5";
  spec.settings.timeoutSeconds = 900;
  spec.settings.serviceAccountName = "builder";
  spec.destination = "registry.example.com/ml/train:abc123";
  spec.context = "s3://contexts/launch/ml/lb-train-01234567.tar.gz";
  spec.dockerfile = "Dockerfile";
  spec.dockerConfigSecret = "lb-train-01234567";
  spec.dockerConfigKey = "config.json";
  spec.env = {{"AWS_REGION", "eu-west-1"}};
  return spec;
}

TEST(KanikoBuildName, FollowsTheRunNameRuleWithItsOwnPrefix) {
  struct Case {
    std::string name;
    std::string uid;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"train", "0123456789abcdef", "lb-train-01234567"},
      {"a.b.c", "ffffffff-0000", "lb-a-b-c-ffffffff"},
      {std::string(70, 'x'), "12345678", "lb-" + std::string(50, 'x') + "-12345678"},
      {std::string(49, 'y') + "-.z", "12345678", "lb-" + std::string(49, 'y') + "-12345678"},
  };
  for (const auto& c : cases) {
    const std::string name = kanikoBuildName(makeJob(c.name, c.uid));
    EXPECT_EQ(name, c.expected) << c.name;
    EXPECT_LE(name.size(), 63U);
  }
}

TEST(KanikoJobManifest, TheJobFieldByField) {
  auto built = buildKanikoJob(makeJob(), s3Spec());
  ASSERT_TRUE(built.ok()) << built.error().message;
  const Json& job = *built;
  EXPECT_EQ(job["apiVersion"], "batch/v1");
  EXPECT_EQ(job["kind"], "Job");
  EXPECT_EQ(job["metadata"]["name"], "lb-train-01234567");
  EXPECT_EQ(job["metadata"]["namespace"], "ml");
  const Json labels = {{"launch.dev/job", "train"},
                       {"launch.dev/queue", "gpu"},
                       {"launch.dev/agent", "agent-1"},
                       {"launch.dev/build", "kaniko"}};
  EXPECT_EQ(job["metadata"]["labels"], labels);
  EXPECT_EQ(job["metadata"]["annotations"]["launch.dev/image"], "registry.example.com/ml/train:abc123");
  ASSERT_EQ(job["metadata"]["ownerReferences"].size(), 1U);
  const Json& owner = job["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["apiVersion"], "launch.dev/v1alpha1");
  EXPECT_EQ(owner["kind"], "LaunchJob");
  EXPECT_EQ(owner["name"], "train");
  EXPECT_EQ(owner["uid"], "0123456789abcdef");
  EXPECT_EQ(owner["controller"], true);
  EXPECT_EQ(owner["blockOwnerDeletion"], true);

  const Json& spec = job["spec"];
  EXPECT_EQ(spec["backoffLimit"], 0);
  EXPECT_EQ(spec["activeDeadlineSeconds"], 900);
  EXPECT_EQ(spec["template"]["metadata"]["labels"], labels);
  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["serviceAccountName"], "builder");
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  ASSERT_EQ(pod["containers"].size(), 1U);
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["name"], "kaniko");
  EXPECT_EQ(container["image"], "ghcr.io/osscontainertools/kaniko:v1.28.5");
  EXPECT_EQ(container["args"],
            Json::array({"--context=s3://contexts/launch/ml/lb-train-01234567.tar.gz", "--dockerfile=Dockerfile",
                         "--destination=registry.example.com/ml/train:abc123", "--digest-file=/dev/termination-log"}));
  EXPECT_EQ(container["env"], Json::array({{{"name", "AWS_REGION"}, {"value", "eu-west-1"}}}));
  EXPECT_EQ(container["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(container["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(container["volumeMounts"],
            Json::array({{{"name", "docker-config"}, {"mountPath", "/kaniko/.docker"}, {"readOnly", true}}}));
  EXPECT_EQ(pod["volumes"],
            Json::array({{{"name", "docker-config"},
                          {"secret",
                           {{"secretName", "lb-train-01234567"},
                            {"items", Json::array({{{"key", "config.json"}, {"path", "config.json"}}})}}}}}));
}

TEST(KanikoJobManifest, AGitContextWithCredentialsAndAMountedDockerfile) {
  KanikoJobSpec spec = s3Spec();
  spec.context = "git://git.example.com/ml/repo.git##" + std::string(40, 'c');
  spec.contextSubPath = "app";
  spec.dockerfile = "/kaniko/launch-build/Dockerfile";
  spec.dockerfileFromSecret = true;
  spec.gitCredentials = api::SecretRef{"git-token"};
  spec.gitOverPlainHttp = true;
  spec.env.clear();
  spec.dockerConfigSecret = "regcred";  // the agent's own dockerconfigjson Secret
  spec.dockerConfigKey = ".dockerconfigjson";
  spec.settings.serviceAccountName.clear();
  auto built = buildKanikoJob(makeJob(), spec);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const Json& pod = (*built)["spec"]["template"]["spec"];
  EXPECT_FALSE(pod.contains("serviceAccountName"));
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["args"], Json::array({"--context=git://git.example.com/ml/repo.git##" + std::string(40, 'c'),
                                            "--dockerfile=/kaniko/launch-build/Dockerfile",
                                            "--destination=registry.example.com/ml/train:abc123",
                                            "--digest-file=/dev/termination-log", "--context-sub-path=app"}));
  EXPECT_EQ(container["env"], Json::parse(R"([
              {"name": "GIT_USERNAME", "valueFrom": {"secretKeyRef": {"name": "git-token", "key": "username", "optional": true}}},
              {"name": "GIT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "git-token", "key": "password", "optional": false}}},
              {"name": "GIT_PULL_METHOD", "value": "http"}
            ])"));
  EXPECT_EQ(container["volumeMounts"], Json::parse(R"([
              {"name": "docker-config", "mountPath": "/kaniko/.docker", "readOnly": true},
              {"name": "dockerfile", "mountPath": "/kaniko/launch-build", "readOnly": true}
            ])"));
  EXPECT_EQ(pod["volumes"], Json::parse(R"([
              {"name": "docker-config", "secret": {"secretName": "regcred",
                "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}},
              {"name": "dockerfile", "secret": {"secretName": "lb-train-01234567",
                "items": [{"key": "Dockerfile", "path": "Dockerfile"}]}}
            ])"));
}

TEST(KanikoJobManifest, NoCredentialsMeansNoVolumes) {
  KanikoJobSpec spec = s3Spec();
  spec.dockerConfigSecret.clear();
  auto built = buildKanikoJob(makeJob(), spec);
  ASSERT_TRUE(built.ok());
  const Json& pod = (*built)["spec"]["template"]["spec"];
  EXPECT_FALSE(pod.contains("volumes"));
  EXPECT_FALSE(pod["containers"][0].contains("volumeMounts"));
}

TEST(KanikoJobManifest, PlatformInsecureRegistryAndExtraArgs) {
  KanikoJobSpec spec = s3Spec();
  spec.platform = "linux/arm64";
  spec.insecureRegistry = "registry.example.com";
  spec.settings.extraArgs = {"--cache=true", "--dockerfile=docker/Dockerfile.gpu", "--snapshot-mode=redo"};
  auto built = buildKanikoJob(makeJob(), spec);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(
      (*built)["spec"]["template"]["spec"]["containers"][0]["args"],
      Json::array({"--context=s3://contexts/launch/ml/lb-train-01234567.tar.gz", "--dockerfile=docker/Dockerfile.gpu",
                   "--destination=registry.example.com/ml/train:abc123", "--digest-file=/dev/termination-log",
                   "--custom-platform=linux/arm64", "--insecure-registry=registry.example.com",
                   "--skip-tls-verify-registry=registry.example.com", "--cache=true", "--snapshot-mode=redo"}));
}

TEST(KanikoJobManifest, RefusesExtraArgsThatOverrideWhatTheBuilderReadsBack) {
  for (const char* arg : {"--destination=other/image:1", "--digest-file=/tmp/d", "--context=dir:///x", "--no-push"}) {
    KanikoJobSpec spec = s3Spec();
    spec.settings.extraArgs = {arg};
    auto built = buildKanikoJob(makeJob(), spec);
    ASSERT_FALSE(built.ok()) << arg;
    EXPECT_EQ(built.error().code, ErrorCode::Invalid);
    EXPECT_NE(built.error().message.find("spec.builder.kaniko.extraArgs"), std::string::npos) << built.error().message;
  }
}

TEST(KanikoJobManifest, ThePerBuildSecret) {
  const Json secret =
      buildKanikoSecret(makeJob(), "agent-1", {{"config.json", R"({"auths":{}})"}, {"Dockerfile", "FROM x"}});
  EXPECT_EQ(secret["apiVersion"], "v1");
  EXPECT_EQ(secret["kind"], "Secret");
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(secret["metadata"]["name"], "lb-train-01234567");
  EXPECT_EQ(secret["metadata"]["namespace"], "ml");
  EXPECT_EQ(secret["metadata"]["labels"]["launch.dev/build"], "kaniko");
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["uid"], "0123456789abcdef");
  EXPECT_EQ(secret["stringData"], Json({{"config.json", R"({"auths":{}})"}, {"Dockerfile", "FROM x"}}));
}

TEST(KanikoDigest, OnlyAWellFormedSha256Digest) {
  EXPECT_EQ(digestIn(kDigest), kDigest);
  EXPECT_EQ(digestIn("  " + kDigest + "\n"), kDigest);
  EXPECT_EQ(digestIn("sha256:abc"), "");
  EXPECT_EQ(digestIn("sha256:" + std::string(64, 'A')), "");
  EXPECT_EQ(digestIn("sha512:" + std::string(64, 'a')), "");
  EXPECT_EQ(digestIn("error pushing image"), "");
}

// Observation tables: a Job (with conditions) and one pod in a given state.
Json aJob(Json conditions = Json::array()) {
  auto built = buildKanikoJob(makeJob(), s3Spec());
  Json job = *built;
  job["status"] = {{"conditions", std::move(conditions)}};
  return job;
}

Json aPod(Json state, std::string phase = "Running", Json conditions = Json::array()) {
  return {{"metadata", {{"name", "lb-train-01234567-x1"}, {"namespace", "ml"}}},
          {"status",
           {{"phase", std::move(phase)},
            {"conditions", std::move(conditions)},
            {"containerStatuses", Json::array({{{"name", "kaniko"}, {"state", std::move(state)}}})}}}};
}

Json terminated(int code, const std::string& message, const std::string& reason = "Error") {
  return {{"terminated", {{"exitCode", code}, {"reason", reason}, {"message", message}}}};
}

Json waiting(const std::string& reason, const std::string& message) {
  return {{"waiting", {{"reason", reason}, {"message", message}}}};
}

TEST(KanikoObservation, NoJobMeansNoBuild) {
  const BuildObservation seen = observeKanikoBuild(nullptr, {});
  EXPECT_FALSE(seen.exists);
  EXPECT_FALSE(seen.succeeded.has_value());
}

TEST(KanikoObservation, WhatEachStateReports) {
  struct Case {
    std::string name;
    Json jobConditions;
    std::optional<Json> pod;
    std::optional<bool> succeeded;
    std::string reason;
    std::string digest;
    std::vector<std::string> messageHas;
  };
  const std::string pushLog =
      "\x1b[36mINFO\x1b[0m[0003] Taking snapshot of full filesystem...\n"
      "error pushing image: failed to push to destination registry.example.com/ml/train:abc123: UNAUTHORIZED\n";
  const std::string buildLog =
      "INFO[0001] RUN pip install -r requirements.txt\n"
      "ERROR: No matching distribution found for torch==9.9\n"
      "error building image: error building stage: failed to execute command: waiting for process to exit: exit "
      "status 1\n";
  const std::vector<Case> cases = {
      {"no pod yet", Json::array(), std::nullopt, std::nullopt, "", "", {"waiting for the build pod"}},
      {"running",
       Json::array(),
       aPod({{"running", {{"startedAt", "2026-01-01T00:00:00Z"}}}}),
       std::nullopt,
       "Building",
       "",
       {"registry.example.com/ml/train:abc123"}},
      {"pushed with a digest",
       Json::array(),
       aPod(terminated(0, kDigest + "\n", "Completed"), "Succeeded"),
       true,
       "Built",
       kDigest,
       {"registry.example.com/ml/train:abc123@" + kDigest}},
      {"exit 0 without a digest",
       Json::array(),
       aPod(terminated(0, "", "Completed"), "Succeeded"),
       true,
       "Built",
       "",
       {"no digest"}},
      {"push refused",
       Json::array(),
       aPod(terminated(1, pushLog), "Failed"),
       false,
       "PushFailed",
       "",
       {"UNAUTHORIZED", "registry credentials", "Taking snapshot"}},
      {"a RUN step failed",
       Json::array(),
       aPod(terminated(1, buildLog), "Failed"),
       false,
       "BuildFailed",
       "",
       {"exited with code 1", "No matching distribution found for torch==9.9", "error building image"}},
      {"no Dockerfile",
       Json::array(),
       aPod(terminated(1, "error resolving dockerfile path: please provide a valid path to a Dockerfile"), "Failed"),
       false,
       "DockerfileNotFound",
       "",
       {"spec.source.git.dockerfile"}},
      {"context not readable",
       Json::array(),
       aPod(terminated(1, "error resolving source context: AccessDenied"), "Failed"),
       false,
       "ContextFailed",
       "",
       {"AccessDenied"}},
      {"out of memory",
       Json::array(),
       aPod(terminated(137, "", "OOMKilled"), "Failed"),
       false,
       "OOMKilled",
       "",
       {"more memory"}},
      {"executor image missing",
       Json::array(),
       aPod(waiting("ErrImagePull", "manifest unknown"), "Pending"),
       false,
       "ErrImagePull",
       "",
       {"ghcr.io/osscontainertools/kaniko:v1.28.5", "manifest unknown", "spec.builder.kaniko.image"}},
      {"executor image in backoff",
       Json::array(),
       aPod(waiting("ImagePullBackOff", "Back-off"), "Pending"),
       false,
       "ImagePullBackOff",
       "",
       {"cannot be pulled"}},
      {"executor image name invalid",
       Json::array(),
       aPod(waiting("InvalidImageName", "bad"), "Pending"),
       false,
       "InvalidImageName",
       "",
       {"cannot be pulled"}},
      {"a Secret key is missing",
       Json::array(),
       aPod(waiting("CreateContainerConfigError", "couldn't find key password in Secret ml/git-token"), "Pending"),
       false,
       "CreateContainerConfigError",
       "",
       {"key password", "Secrets it names"}},
      {"still pulling", Json::array(), aPod(waiting("ContainerCreating", ""), "Pending"), std::nullopt, "", "", {}},
      {"unschedulable",
       Json::array(),
       aPod(Json::object(), "Pending",
            Json::array({{{"type", "PodScheduled"},
                          {"status", "False"},
                          {"reason", "Unschedulable"},
                          {"message", "0/3 nodes are available"}}})),
       std::nullopt,
       "Unschedulable",
       "",
       {"0/3 nodes"}},
      {"deadline",
       Json::array({{{"type", "Failed"}, {"status", "True"}, {"reason", "DeadlineExceeded"}}}),
       aPod(terminated(137, "", "Error"), "Failed"),
       false,
       "DeadlineExceeded",
       "",
       {"900 s", "spec.builder.kaniko.timeoutSeconds"}},
      {"deadline as failure target",
       Json::array({{{"type", "FailureTarget"}, {"status", "True"}, {"reason", "DeadlineExceeded"}}}),
       std::nullopt,
       false,
       "DeadlineExceeded",
       "",
       {}},
      {"complete, pod gone",
       Json::array({{{"type", "Complete"}, {"status", "True"}}}),
       std::nullopt,
       true,
       "Built",
       "",
       {"digest is unknown"}},
      {"failed, pod gone",
       Json::array({{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"}}}),
       std::nullopt,
       false,
       "BuildFailed",
       "",
       {"BackoffLimitExceeded"}},
  };
  for (const auto& c : cases) {
    const Json job = aJob(c.jobConditions);
    std::vector<const Json*> pods;
    if (c.pod) pods.push_back(&*c.pod);
    const BuildObservation seen = observeKanikoBuild(&job, pods);
    EXPECT_TRUE(seen.exists) << c.name;
    EXPECT_EQ(seen.succeeded, c.succeeded) << c.name;
    EXPECT_EQ(seen.reason, c.reason) << c.name;
    EXPECT_EQ(seen.digest, c.digest) << c.name;
    EXPECT_EQ(seen.message.find('\x1b'), std::string::npos) << c.name << ": " << seen.message;
    for (const auto& part : c.messageHas) {
      EXPECT_NE(seen.message.find(part), std::string::npos) << c.name << ": '" << part << "' not in: " << seen.message;
    }
  }
}

}  // namespace
}  // namespace launch::build
