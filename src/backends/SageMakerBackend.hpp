// SageMakerBackend: runs a LaunchJob as a SageMaker training job (CreateTrainingJob, DescribeTrainingJob,
// StopTrainingJob).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "backends/Backend.hpp"
#include "backends/SageMakerClient.hpp"
#include "cloud/AwsCredentials.hpp"
#include "cloud/RetryPolicy.hpp"
#include "http/HttpClient.hpp"
#include "util/Clock.hpp"

namespace launch::backends {

struct SageMakerOptions {
  std::string region;
  // Empty: https://api.sagemaker.<region>.amazonaws.com. sageMakerEndpoint() reads the AWS_ENDPOINT_URL_SAGEMAKER
  // and AWS_ENDPOINT_URL overrides.
  std::string endpoint;
  // SageMaker cannot be watched: how often a running job is described.
  std::chrono::milliseconds pollInterval{std::chrono::seconds(30)};
  cloud::RetryOptions retry;
  std::chrono::milliseconds requestTimeout{std::chrono::seconds(30)};
};

class SageMakerBackend final : public Backend {
 public:
  // The credential provider, the HTTP client and the clock must outlive the backend.
  SageMakerBackend(SageMakerOptions options, cloud::AwsCredentialProvider& credentials, http::HttpClient& http,
                   const Clock& clock = SystemClock::instance(), RetrySleep sleep = {});

  // CreateTrainingJob named runName(job); a job of that name already there (ResourceInUse: an earlier attempt
  // created it) is adopted. Returns "sagemaker/<region>/<TrainingJobName>".
  Result<std::string> submit(const RunSpec& spec) override;
  Result<std::optional<std::string>> findRun(const api::LaunchJob& job) override;
  // DescribeTrainingJob; a job SageMaker does not know reads as exists = false.
  Result<RunObservation> observe(const std::string& backendRef) override;
  // Where the logs are: SageMaker writes them to CloudWatch Logs, which this backend does not read.
  Result<std::string> logs(const std::string& backendRef, std::size_t maxBytes) override;
  // StopTrainingJob; a job already stopped, finished or gone is fine.
  Status cancel(const std::string& backendRef) override;
  // A training job leaves nothing to remove (SageMaker keeps finished jobs, and cannot delete them).
  Status cleanup(const std::string& backendRef) override;
  std::chrono::milliseconds pollInterval() const override { return options_.pollInterval; }

 private:
  // The TrainingJobName of a backendRef of this backend's region.
  Result<std::string> jobName(const std::string& backendRef) const;
  // DescribeTrainingJob; nullopt when SageMaker has no such job.
  Result<std::optional<Json>> describe(const std::string& name);

  SageMakerOptions options_;
  SageMakerClient client_;
};

}  // namespace launch::backends
