// The SageMaker backend: a LaunchJob's run is one training job, named after the LaunchJob.
#include "backends/SageMakerBackend.hpp"

#include <algorithm>
#include <utility>

#include "backends/SageMakerTrainingJob.hpp"

namespace launch::backends {

namespace {

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return text;
}

// DescribeTrainingJob answers ValidationException ("Requested resource not found.", moto: "Could not find training
// job ...") for a job it does not know, not ResourceNotFound.
bool isUnknownJob(const Error& error) {
  if (error.reason == "ResourceNotFound") return true;
  if (error.reason != "ValidationException") return false;
  const std::string message = lowered(error.message);
  return message.find("not found") != std::string::npos || message.find("could not find") != std::string::npos ||
         message.find("does not exist") != std::string::npos;
}

}  // namespace

SageMakerBackend::SageMakerBackend(SageMakerOptions options, cloud::AwsCredentialProvider& credentials,
                                   http::HttpClient& http, const Clock& clock, RetrySleep sleep)
    : options_(std::move(options)),
      client_(SageMakerClientOptions{options_.region, options_.endpoint, options_.retry, options_.requestTimeout},
              credentials, http, clock, std::move(sleep)) {}

Result<std::string> SageMakerBackend::submit(const RunSpec& spec) {
  auto request = buildCreateTrainingJob(spec.job, spec.config, spec.image, spec.agent);
  if (!request) return request.error();
  const std::string name = (*request)["TrainingJobName"].get<std::string>();
  // The name is the idempotency key: a create whose answer was lost is retried, and then finds its own job.
  auto created = client_.call("CreateTrainingJob", *request, /*retrySafe=*/true);
  if (!created && created.error().reason != "ResourceInUse") return created.error();
  return sageMakerBackendRef(options_.region, name);
}

Result<std::string> SageMakerBackend::jobName(const std::string& backendRef) const {
  auto ref = parseSageMakerBackendRef(backendRef);
  if (!ref) return ref.error();
  if (ref->region != options_.region) {
    return makeError(ErrorCode::Invalid, "backendRef " + backendRef + " is a training job in " + ref->region +
                                             ", but this SageMaker backend serves " + options_.region);
  }
  return ref->trainingJobName;
}

Result<std::optional<Json>> SageMakerBackend::describe(const std::string& name) {
  auto description = client_.call("DescribeTrainingJob", Json{{"TrainingJobName", name}}, /*retrySafe=*/true);
  if (!description) {
    if (isUnknownJob(description.error())) return std::optional<Json>();
    return description.error();
  }
  return std::optional<Json>(std::move(*description));
}

Result<std::optional<std::string>> SageMakerBackend::findRun(const api::LaunchJob& job) {
  const std::string name = runName(job);
  auto description = describe(name);
  if (!description) return description.error();
  if (!description->has_value()) return std::optional<std::string>();
  return std::optional<std::string>(sageMakerBackendRef(options_.region, name));
}

Result<RunObservation> SageMakerBackend::observe(const std::string& backendRef) {
  auto name = jobName(backendRef);
  if (!name) return name.error();
  auto description = describe(*name);
  if (!description) return description.error();
  if (!description->has_value()) {
    RunObservation gone;
    gone.reason = "NotFound";
    gone.message = "SageMaker has no training job " + *name + " in " + options_.region;
    return gone;
  }
  return observeTrainingJob(**description);
}

Result<std::string> SageMakerBackend::logs(const std::string& backendRef, std::size_t maxBytes) {
  auto name = jobName(backendRef);
  if (!name) return name.error();
  std::string pointer =
      "SageMaker writes this job's logs to CloudWatch Logs: log group /aws/sagemaker/TrainingJobs, "
      "streams " +
      *name + "/algo-*, region " + options_.region +
      " (aws logs tail /aws/sagemaker/TrainingJobs --log-stream-name-prefix " + *name + " --region " + options_.region +
      ")\n";
  if (pointer.size() > maxBytes) pointer = pointer.substr(pointer.size() - maxBytes);
  return pointer;
}

Status SageMakerBackend::cancel(const std::string& backendRef) {
  auto name = jobName(backendRef);
  if (!name) return name.error();
  auto stopped = client_.call("StopTrainingJob", Json{{"TrainingJobName", *name}}, /*retrySafe=*/true);
  if (stopped) return {};
  const Error& error = stopped.error();
  if (error.reason != "ValidationException" && error.reason != "ResourceNotFound") return error;
  // SageMaker refuses to stop a job that is not InProgress: fine when it is over, stopping or gone.
  auto description = describe(*name);
  if (!description) return error;
  if (!description->has_value()) return {};
  const auto found = (**description).find("TrainingJobStatus");
  const std::string status = found != (**description).end() && found->is_string() ? found->get<std::string>() : "";
  if (status == "Completed" || status == "Failed" || status == "Stopped" || status == "Stopping" ||
      status == "Deleting") {
    return {};
  }
  return error;
}

Status SageMakerBackend::cleanup(const std::string& backendRef) {
  auto name = jobName(backendRef);
  if (!name) return name.error();
  return {};
}

}  // namespace launch::backends
