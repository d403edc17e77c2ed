// The CreateTrainingJob request of a LaunchJob, and DescribeTrainingJob read back as a RunObservation.
#include "backends/SageMakerTrainingJob.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "backends/Backend.hpp"
#include "backends/CaseConversion.hpp"
#include "util/Text.hpp"

namespace launch::backends {

namespace {

constexpr std::size_t kMaxEnvironment = 100;
constexpr std::size_t kMaxEnvironmentValue = 512;
constexpr std::size_t kMaxTags = 50;

const KeyConversion& sageMakerKeys() {
  static const KeyConversion conversion{KeyCase::UpperCamel,
                                        {"Environment", "HyperParameters", "Tags"},
                                        {{"VolumeSizeInGb", "VolumeSizeInGB"},
                                         {"Hyperparameters", "HyperParameters"},
                                         {"TensorboardOutputConfig", "TensorBoardOutputConfig"},
                                         {"S3uri", "S3Uri"},
                                         {"KmsKeyID", "KmsKeyId"}}};
  return conversion;
}

// Fields of W&B's sagemaker resource args that are the launcher's, not CreateTrainingJob's.
constexpr std::array<std::string_view, 3> kLauncherOnlyFields = {"EcrRepoName", "Region", "Profile"};

Error invalid(const std::string& message) { return makeError(ErrorCode::Invalid, message); }

// How the user may have spelled a field, for messages: "RoleArn (role_arn)".
std::string spelled(std::string_view camel, std::string_view snake) {
  return std::string(camel) + " (" + std::string(snake) + ")";
}

bool isEnvironmentName(const std::string& name) {
  if (name.empty() || name.size() > kMaxEnvironmentValue) return false;
  const auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!ok(name[i], i == 0)) return false;
  }
  return true;
}

// SageMaker's string maps take strings only; YAML configs often hold numbers and booleans.
Result<Json> stringMap(const Json& value, const std::string& field) {
  if (value.is_null()) return Json::object();
  if (!value.is_object()) {
    return invalid("SageMaker config field " + field + " must be a map of names to strings");
  }
  Json out = Json::object();
  for (const auto& [key, member] : value.items()) {
    if (member.is_string()) {
      out[key] = member;
    } else if (member.is_number() || member.is_boolean()) {
      out[key] = member.dump();
    } else {
      std::string message = "SageMaker config field " + field;
      message += '.';
      message += key;
      message += " must be a string, a number or a boolean";
      return invalid(message);
    }
  }
  return out;
}

std::string text(const Json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

Status requireObject(const Json& request, std::string_view camel, std::string_view snake, const std::string& fix) {
  const auto found = request.find(std::string(camel));
  if (found == request.end()) {
    return invalid("SageMaker config field " + spelled(camel, snake) + " is required: " + fix);
  }
  if (!found->is_object())
    return invalid("SageMaker config field " + std::string(camel) + " must be an object: " + fix);
  return {};
}

Status checkResourceConfig(Json& request) {
  const std::string fix =
      "set it in the queue's spec.config, e.g. ResourceConfig: {InstanceType: ml.m5.xlarge, InstanceCount: 1, "
      "VolumeSizeInGB: 30}";
  if (auto present = requireObject(request, "ResourceConfig", "resource_config", fix); !present) return present;
  Json& resources = request["ResourceConfig"];
  if (!resources.contains("InstanceGroups")) {
    if (!resources.contains("InstanceType") || !resources["InstanceType"].is_string()) {
      return invalid(
          "SageMaker config field ResourceConfig.InstanceType (resource_config.instance_type) is required: " + fix);
    }
    if (!resources.contains("InstanceCount")) resources["InstanceCount"] = 1;
  }
  if (!resources.contains("VolumeSizeInGB") || !resources["VolumeSizeInGB"].is_number_integer()) {
    return invalid(
        "SageMaker config field ResourceConfig.VolumeSizeInGB (resource_config.volume_size_in_gb) is required, a "
        "whole number of GB for the instances' storage: " +
        fix);
  }
  return {};
}

Status fillStoppingCondition(Json& request) {
  if (!request.contains("StoppingCondition")) {
    request["StoppingCondition"] = {{"MaxRuntimeInSeconds", kSageMakerDefaultMaxRuntimeSeconds}};
    return {};
  }
  Json& stopping = request["StoppingCondition"];
  if (!stopping.is_object()) {
    return invalid(
        "SageMaker config field StoppingCondition must be an object, e.g. StoppingCondition: {MaxRuntimeInSeconds: "
        "3600}");
  }
  if (!stopping.contains("MaxRuntimeInSeconds")) {
    int runtime = kSageMakerDefaultMaxRuntimeSeconds;
    // Managed spot training wants MaxWaitTimeInSeconds >= MaxRuntimeInSeconds.
    if (stopping.contains("MaxWaitTimeInSeconds") && stopping["MaxWaitTimeInSeconds"].is_number_integer()) {
      runtime = std::min(runtime, stopping["MaxWaitTimeInSeconds"].get<int>());
    }
    stopping["MaxRuntimeInSeconds"] = runtime;
  }
  return {};
}

Status fillAlgorithmSpecification(Json& request, const api::LaunchJob& job, std::string_view image) {
  Json& algorithm = request["AlgorithmSpecification"];
  if (algorithm.is_null()) algorithm = Json::object();
  if (!algorithm.is_object()) {
    return invalid("SageMaker config field AlgorithmSpecification (algorithm_specification) must be an object");
  }
  if (!image.empty()) algorithm["TrainingImage"] = std::string(image);
  if (text(algorithm, "TrainingImage").empty()) {
    return invalid(
        "SageMaker needs an image to run: the job has none and the config sets no "
        "AlgorithmSpecification.TrainingImage; give the job spec.source.image (an ECR image) or build one");
  }
  if (!algorithm.contains("TrainingInputMode")) algorithm["TrainingInputMode"] = "File";
  if (!job.spec.entryPoint.empty()) algorithm["ContainerEntrypoint"] = job.spec.entryPoint;
  if (!job.spec.args.empty()) algorithm["ContainerArguments"] = job.spec.args;
  return {};
}

Status fillEnvironment(Json& request, const api::LaunchJob& job) {
  auto environment = stringMap(request.contains("Environment") ? request["Environment"] : Json(), "Environment");
  if (!environment) return environment.error();
  for (const api::EnvVar& variable : job.spec.env) (*environment)[variable.name] = variable.value;
  for (const auto& [name, value] : environment->items()) {
    if (!isEnvironmentName(name)) {
      return invalid("environment variable \"" + name +
                     "\" is not a name SageMaker accepts: letters, digits and '_', not starting with a digit");
    }
    if (value.get_ref<const std::string&>().size() > kMaxEnvironmentValue) {
      return invalid("environment variable " + name + " is " +
                     std::to_string(value.get_ref<const std::string&>().size()) +
                     " characters long; SageMaker allows at most 512 per value (pass larger data through S3)");
    }
  }
  if (environment->size() > kMaxEnvironment) {
    return invalid("the job has " + std::to_string(environment->size()) +
                   " environment variables (spec.env and the config's Environment); SageMaker allows at most 100");
  }
  if (environment->empty()) {
    request.erase("Environment");
  } else {
    request["Environment"] = std::move(*environment);
  }
  return {};
}

// Tags as SageMaker takes them, [{Key, Value}]; a map {key: value} in the config is accepted too.
Result<Json> tagList(const Json& value) {
  Json tags = Json::array();
  if (value.is_null()) return tags;
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      tags.push_back({{"Key", key},
                      {"Value", member.is_string() ? member.get<std::string>()
                                                   : member.dump(-1, ' ', false, Json::error_handler_t::replace)}});
    }
    return tags;
  }
  if (!value.is_array()) return invalid("SageMaker config field Tags must be a list of {Key, Value} or a map");
  for (const Json& item : value) {
    if (!item.is_object()) return invalid("SageMaker config field Tags must be a list of {Key, Value} or a map");
    Json tag = Json::object();
    for (const auto& [key, member] : item.items()) tag[toCamelCase(key, KeyCase::UpperCamel)] = member;
    if (!tag.contains("Key") || !tag["Key"].is_string()) {
      return invalid("every entry of the SageMaker config field Tags needs a Key (and a Value)");
    }
    tags.push_back(std::move(tag));
  }
  return tags;
}

Status fillTags(Json& request, const api::LaunchJob& job, std::string_view agent) {
  auto tags = tagList(request.contains("Tags") ? request["Tags"] : Json());
  if (!tags) return tags.error();
  std::vector<std::pair<std::string, std::string>> ours = {
      {"launch.dev/job", job.metadata.namespace_ + "/" + job.metadata.name},
      {"launch.dev/job-uid", job.metadata.uid},
      {"launch.dev/queue", job.spec.queue}};
  if (!agent.empty()) ours.emplace_back("launch.dev/agent", std::string(agent));
  Json merged = Json::array();
  for (const Json& tag : *tags) {
    const std::string key = tag["Key"].get<std::string>();
    const bool replaced = std::any_of(ours.begin(), ours.end(), [&](const auto& entry) { return entry.first == key; });
    if (!replaced) merged.push_back(tag);
  }
  for (const auto& [key, value] : ours) merged.push_back({{"Key", key}, {"Value", value}});
  if (merged.size() > kMaxTags) {
    return invalid("SageMaker allows 50 tags on a training job; the config's Tags and launch.dev's make " +
                   std::to_string(merged.size()));
  }
  request["Tags"] = std::move(merged);
  return {};
}

// SecondaryStatus values once the job's own container runs (or ran).
bool workloadStarted(const std::string& secondary) {
  static constexpr std::array<std::string_view, 7> kStarted = {
      "Training", "Uploading", "Restarting", "Interrupted", "Completed", "MaxRuntimeExceeded", "MaxWaitTimeExceeded"};
  return std::find(kStarted.begin(), kStarted.end(), secondary) != kStarted.end();
}

// The message of the latest SecondaryStatusTransitions entry ("Launching requested ML instances").
std::string latestTransitionMessage(const Json& description) {
  const auto transitions = description.find("SecondaryStatusTransitions");
  if (transitions == description.end() || !transitions->is_array() || transitions->empty()) return {};
  const Json& last = transitions->back();
  return last.is_object() ? text(last, "StatusMessage") : std::string();
}

}  // namespace

Result<Json> buildCreateTrainingJob(const api::LaunchJob& job, const Json& config, std::string_view image,
                                    std::string_view agent) {
  if (job.metadata.uid.empty()) {
    return invalid("LaunchJob " + job.metadata.name + " has no metadata.uid; SageMaker jobs are named after it");
  }
  const Json* source = &config;
  // W&B's launch config nests the CreateTrainingJob arguments under "sagemaker".
  if (config.is_object() && config.size() == 1 && config.contains("sagemaker")) source = &config["sagemaker"];
  if (!source->is_null() && !source->is_object()) {
    return invalid("the SageMaker queue's spec.config must be an object of CreateTrainingJob fields");
  }
  auto converted = convertKeys(source->is_null() ? Json::object() : *source, sageMakerKeys(), "spec.config");
  if (!converted) return converted.error();
  Json request = std::move(*converted);

  for (const auto field : kLauncherOnlyFields) request.erase(std::string(field));
  for (auto it = request.begin(); it != request.end();) {
    it = it->is_null() ? request.erase(it) : std::next(it);
  }

  request["TrainingJobName"] = runName(job);

  const auto role = request.find("RoleArn");
  if (role == request.end() || !role->is_string() || role->get<std::string>().empty()) {
    return invalid("SageMaker config field " + spelled("RoleArn", "role_arn") +
                   " is required: the ARN of the IAM role SageMaker runs the job as, e.g. "
                   "arn:aws:iam::123456789012:role/SageMakerRole; set it in the queue's spec.config");
  }
  if (role->get<std::string>().rfind("arn:", 0) != 0) {
    return invalid("SageMaker config field RoleArn \"" + role->get<std::string>() +
                   "\" is not an ARN; write the role's full ARN, arn:aws:iam::<account>:role/<name>");
  }

  const std::string outputFix =
      "where SageMaker writes the model, e.g. OutputDataConfig: {S3OutputPath: s3://bucket/launch/}";
  if (auto output = requireObject(request, "OutputDataConfig", "output_data_config", outputFix); !output) {
    return output.error();
  }
  if (text(request["OutputDataConfig"], "S3OutputPath").empty()) {
    return invalid(
        "SageMaker config field OutputDataConfig.S3OutputPath (output_data_config.s3_output_path) is "
        "required: " +
        outputFix);
  }
  if (auto resources = checkResourceConfig(request); !resources) return resources.error();
  if (auto stopping = fillStoppingCondition(request); !stopping) return stopping.error();
  if (auto algorithm = fillAlgorithmSpecification(request, job, image); !algorithm) return algorithm.error();
  if (auto environment = fillEnvironment(request, job); !environment) return environment.error();
  if (request.contains("HyperParameters")) {
    auto hyperParameters = stringMap(request["HyperParameters"], "HyperParameters");
    if (!hyperParameters) return hyperParameters.error();
    request["HyperParameters"] = std::move(*hyperParameters);
  }
  if (auto tags = fillTags(request, job, agent); !tags) return tags.error();
  return request;
}

RunObservation observeTrainingJob(const Json& description) {
  RunObservation seen;
  seen.exists = true;
  const std::string status = text(description, "TrainingJobStatus");
  const std::string secondary = text(description, "SecondaryStatus");
  const std::string failure = oneLine(text(description, "FailureReason"));
  const std::string transition = oneLine(latestTransitionMessage(description));
  seen.started = workloadStarted(secondary) || description.contains("TrainingStartTime");
  const bool deadline = secondary == "MaxRuntimeExceeded" || secondary == "MaxWaitTimeExceeded";

  if (status == "InProgress") {
    seen.started = workloadStarted(secondary);
    seen.reason = seen.started ? "Running" : (secondary.empty() ? "Pending" : secondary);
    seen.message =
        transition.empty() ? "SageMaker training job is " + (secondary.empty() ? status : secondary) : transition;
  } else if (status == "Stopping") {
    seen.reason = "Stopping";
    seen.message = transition.empty() ? "SageMaker is stopping the training job" : transition;
  } else if (status == "Completed") {
    seen.started = true;
    seen.finished = api::JobPhase::Succeeded;
    seen.reason = "Completed";
    seen.message = transition.empty() ? "SageMaker training job completed" : transition;
  } else if (status == "Failed") {
    seen.finished = api::JobPhase::Failed;
    seen.reason = deadline ? "DeadlineExceeded" : "Failed";
    seen.message = failure.empty() ? "SageMaker training job failed (" + secondary + ")" : failure;
  } else if (status == "Stopped") {
    seen.finished = api::JobPhase::Failed;
    seen.reason = deadline ? "DeadlineExceeded" : "Stopped";
    seen.message = deadline ? "SageMaker stopped the training job: " + secondary
                            : (failure.empty() ? "SageMaker training job was stopped" : failure);
  } else if (status == "Deleting") {
    seen.finished = api::JobPhase::Failed;
    seen.reason = "Deleted";
    seen.message = "SageMaker training job is being deleted";
  } else {
    seen.reason = "Unknown";
    seen.message = "SageMaker reports TrainingJobStatus \"" + status + "\", which this launcher does not know";
  }
  return seen;
}

std::string sageMakerBackendRef(std::string_view region, std::string_view trainingJobName) {
  return "sagemaker/" + std::string(region) + "/" + std::string(trainingJobName);
}

Result<SageMakerJobRef> parseSageMakerBackendRef(std::string_view ref) {
  constexpr std::string_view kPrefix = "sagemaker/";
  const auto bad = [&] {
    return invalid("backendRef \"" + std::string(ref) +
                   "\" is not a SageMaker training job; expected sagemaker/<region>/<TrainingJobName>");
  };
  if (ref.substr(0, kPrefix.size()) != kPrefix) return bad();
  const std::string_view rest = ref.substr(kPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return bad();
  SageMakerJobRef parsed{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
  const bool nameOk = std::all_of(parsed.trainingJobName.begin(), parsed.trainingJobName.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
  const bool regionOk = std::all_of(parsed.region.begin(), parsed.region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!nameOk || !regionOk || parsed.trainingJobName.size() > 63) return bad();
  return parsed;
}

}  // namespace launch::backends
