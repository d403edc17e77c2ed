// SageMakerTrainingJob: the CreateTrainingJob request that runs a LaunchJob on SageMaker, how DescribeTrainingJob
// reads back as a RunObservation, and the backendRef naming one training job. Pure functions: no I/O.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/LaunchJob.hpp"
#include "backends/RunObservation.hpp"
#include "util/Result.hpp"

namespace launch::backends {

using Json = nlohmann::json;

// MaxRuntimeInSeconds when the config sets no StoppingCondition: one day.
inline constexpr int kSageMakerDefaultMaxRuntimeSeconds = 86400;

// The body of CreateTrainingJob. The config holds CreateTrainingJob fields in CamelCase or snake_case (role_arn,
// resource_config.instance_type; W&B's launch config with its "sagemaker" wrapper is accepted too); the keys inside
// Environment, HyperParameters and Tags are the user's and stay as written. Over it go: TrainingJobName =
// runName(job) (the idempotency key of the create), the image as AlgorithmSpecification.TrainingImage
// (TrainingInputMode File unless set), the job's entry point and args as ContainerEntrypoint and
// ContainerArguments, its env over Environment, and launch.dev tags. RoleArn, OutputDataConfig.S3OutputPath and
// ResourceConfig (InstanceType, VolumeSizeInGB) are required; StoppingCondition defaults to one day. Errors are
// Invalid and name the field and the fix.
Result<Json> buildCreateTrainingJob(const api::LaunchJob& job, const Json& config, std::string_view image,
                                    std::string_view agent);

// A DescribeTrainingJob answer as the LaunchJob should report it: InProgress is running once SecondaryStatus
// reaches Training, Completed succeeded, Failed failed (FailureReason as the message), Stopped failed with reason
// Stopped (DeadlineExceeded when MaxRuntimeExceeded or MaxWaitTimeExceeded stopped it).
RunObservation observeTrainingJob(const Json& description);

// "sagemaker/<region>/<TrainingJobName>".
std::string sageMakerBackendRef(std::string_view region, std::string_view trainingJobName);

struct SageMakerJobRef {
  std::string region;
  std::string trainingJobName;
};

// Reads a backendRef made by sageMakerBackendRef; Invalid for anything else.
Result<SageMakerJobRef> parseSageMakerBackendRef(std::string_view ref);

}  // namespace launch::backends
