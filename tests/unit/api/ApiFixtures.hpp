// ApiFixtures: complete launch.dev objects as the API server returns them (every field set), shared by the
// round-trip tests and the CRD schema tests.
#pragma once

#include <nlohmann/json.hpp>

namespace launch::api::testing {

using Json = nlohmann::json;

// A job with every field set, as the API server would return it.
inline Json fullJobJson() {
  return Json::parse(R"({
    "apiVersion": "launch.dev/v1alpha1",
    "kind": "LaunchJob",
    "metadata": {
      "name": "train", "namespace": "ml", "uid": "0b7c5a1e-1111-2222-3333-444455556666",
      "resourceVersion": "4711", "generation": 3, "creationTimestamp": "2024-05-01T10:00:00Z",
      "labels": {"team": "research"}, "annotations": {"app.kubernetes.io/note": "x"},
      "finalizers": ["launch.dev/cleanup"], "deletionTimestamp": "2024-05-01T11:00:00Z"
    },
    "spec": {
      "queue": "gpu", "priority": "high",
      "source": {"git": {"url": "https://github.com/acme/train.git", "ref": "main", "subdirectory": "models/resnet",
                         "dockerfile": "Dockerfile.gpu", "credentialsSecretRef": {"name": "git-creds"}}},
      "entryPoint": ["python", "train.py"], "args": ["--lr", "0.1"],
      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": ""}],
      "templateValues": {"gpus": 2, "pool": "a100", "lr": 0.5},
      "overrides": {"spec": {"activeDeadlineSeconds": 60, "template": null}},
      "cancel": false, "startTimeoutSeconds": 300
    },
    "status": {
      "phase": "Running", "agent": "research-agent", "image": "registry/launch:abc", "backendRef": "train-0b7c5a1e",
      "startTime": "2024-05-01T10:01:00Z", "completionTime": "2024-05-01T10:30:00.250000Z",
      "conditions": [{"type": "Claimed", "status": "True", "observedGeneration": 3,
                      "lastTransitionTime": "2024-05-01T10:00:05Z", "reason": "ClaimedByAgent", "message": "by research-agent"}],
      "message": "running", "observedGeneration": 3
    }
  })");
}

inline Json fullQueueJson() {
  return Json::parse(R"({
    "apiVersion": "launch.dev/v1alpha1", "kind": "LaunchQueue",
    "metadata": {"name": "gpu", "namespace": "ml", "uid": "u-1", "resourceVersion": "12", "generation": 2,
                 "creationTimestamp": "2024-05-01T10:00:00Z"},
    "spec": {
      "resource": "local-process",
      "config": {"spec": {"template": {"spec": {"nodeSelector": {"pool": "{{pool}}"}}}}, "gpus": "{{gpus}}"},
      "templateVariables": {
        "gpus": {"type": "integer", "minimum": 0.0, "maximum": 8.0, "default": 1, "description": "GPUs"},
        "pool": {"type": "string", "enum": ["a100", "h100"], "default": "a100"},
        "lr": {"type": "number", "minimum": 0.5}
      },
      "prioritization": true, "maxConcurrency": 4, "startTimeoutSeconds": 600,
      "remote": {"baseUrl": "https://wandb.example.com", "entity": "acme", "project": "model-registry",
                 "queue": "gpu", "apiKeySecretRef": {"name": "wandb", "key": "token"}}
    },
    "status": {"pending": 3, "running": 1, "observedGeneration": 2,
               "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:01Z",
                               "reason": "Valid", "message": ""}]}
  })");
}

inline Json fullAgentJson() {
  return Json::parse(R"({
    "apiVersion": "launch.dev/v1alpha1", "kind": "LaunchAgent",
    "metadata": {"name": "agent", "namespace": "ml", "uid": "u-2", "resourceVersion": "9", "generation": 1,
                 "creationTimestamp": "2024-05-01T10:00:00Z", "labels": {"a": "b"}},
    "spec": {
      "queues": ["gpu", "cpu"], "maxJobs": -1,
      "builder": {"type": "kaniko", "platform": "linux/amd64", "baseImage": "python:3.11-slim",
                  "cudaBaseImage": "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
                  "kaniko": {"image": "gcr.io/kaniko-project/executor:v1.23.2", "buildContextStore": "s3://b/p",
                             "timeoutSeconds": 900, "serviceAccountName": "builder", "extraArgs": ["--cache=true"]}},
      "registry": {"type": "ecr", "uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/launch", "insecure": false,
                   "credentialsSecretRef": {"name": "push"}},
      "environment": {"type": "aws", "region": "us-east-1", "credentialsSecretRef": {"name": "aws"}},
      "pollIntervalSeconds": 10
    },
    "status": {"activeJobs": 2, "lastHeartbeatTime": "2024-05-01T10:00:30Z", "observedGeneration": 1,
               "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:01Z",
                               "reason": "Serving", "message": "2 queues"}]}
  })");
}

}  // namespace launch::api::testing
