// The Vertex AI CustomJob of a LaunchJob, and a CustomJob read back as a RunObservation.
#include "backends/VertexCustomJob.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "backends/Backend.hpp"
#include "backends/CaseConversion.hpp"
#include "util/Text.hpp"

namespace launch::backends {

namespace {

constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxLabels = 64;

const KeyConversion& vertexKeys() {
  static const KeyConversion conversion{KeyCase::LowerCamel, {"labels", "env"}, {}};
  return conversion;
}

Error invalid(const std::string& message) { return makeError(ErrorCode::Invalid, message); }

std::string text(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::string scalarText(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A duration as proto3 JSON writes it: 3600 -> "3600s"; strings ("3600s") stay.
Json duration(const Json& value) {
  if (value.is_number_integer() || value.is_number_unsigned()) return std::to_string(value.get<long long>()) + "s";
  if (value.is_number()) return value.dump() + "s";
  return value;
}

// W&B's Vertex config: {spec: {worker_pool_specs, staging_bucket, base_output_dir, encryption_spec_key_name,
// labels}, run: {service_account, network, timeout, restart_job_on_worker_restart, enable_web_access, tensorboard}},
// as the Python SDK's CustomJob(...) and job.submit(...) take them.
Result<Json> fromWandbConfig(const Json& config) {
  Json customJob = {{"jobSpec", Json::object()}};
  Json& jobSpec = customJob["jobSpec"];
  for (const auto& [key, value] : config.items()) {
    if (key != "spec" && key != "run") {
      return invalid("Vertex config field " + key +
                     " is not understood beside spec and run (W&B's form); put "
                     "CustomJob fields under spec");
    }
    if (!value.is_object()) return invalid("Vertex config field " + key + " must be an object");
  }
  if (config.contains("spec")) {
    for (const auto& [key, value] : config["spec"].items()) {
      if (key == "baseOutputDir" || key == "stagingBucket") {
        if (!jobSpec.contains("baseOutputDirectory") || key == "baseOutputDir") {
          jobSpec["baseOutputDirectory"] = {{"outputUriPrefix", value}};
        }
      } else if (key == "encryptionSpecKeyName") {
        customJob["encryptionSpec"] = {{"kmsKeyName", value}};
      } else if (key == "labels") {
        customJob["labels"] = value;
      } else if (key == "displayName") {
        continue;  // the launcher names the job
      } else {
        jobSpec[key] = value;
      }
    }
  }
  if (config.contains("run")) {
    static constexpr std::array<std::string_view, 4> kSdkOnly = {"sync", "createRequestTimeout", "experiment",
                                                                 "experimentRun"};
    for (const auto& [key, value] : config["run"].items()) {
      if (key == "serviceAccount" || key == "network" || key == "enableWebAccess" || key == "tensorboard") {
        jobSpec[key] = value;
      } else if (key == "timeout") {
        jobSpec["scheduling"]["timeout"] = value;
      } else if (key == "restartJobOnWorkerRestart") {
        jobSpec["scheduling"]["restartJobOnWorkerRestart"] = value;
      } else if (std::find(kSdkOnly.begin(), kSdkOnly.end(), key) == kSdkOnly.end()) {
        return invalid("Vertex config field run." + key +
                       " is not supported; run takes service_account, network, timeout, "
                       "restart_job_on_worker_restart, enable_web_access and tensorboard");
      }
    }
  }
  return customJob;
}

// Splits the converted config into the CustomJob's own fields and its jobSpec.
Result<Json> customJobFromConfig(const Json& config) {
  if (config.contains("spec") || config.contains("run")) return fromWandbConfig(config);
  Json customJob = Json::object();
  if (config.contains("jobSpec")) {
    for (const auto& [key, value] : config.items()) {
      if (key == "jobSpec" || key == "labels" || key == "encryptionSpec") {
        customJob[key] = value;
      } else if (key != "displayName") {
        return invalid("Vertex config field " + key +
                       " is not a CustomJob field; beside jobSpec only labels and encryptionSpec are allowed");
      }
    }
    return customJob;
  }
  Json jobSpec = config;
  for (const char* key : {"labels", "encryptionSpec"}) {
    if (jobSpec.contains(key)) {
      customJob[key] = jobSpec[key];
      jobSpec.erase(key);
    }
  }
  jobSpec.erase("displayName");
  customJob["jobSpec"] = std::move(jobSpec);
  return customJob;
}

// The pool's env as [{name, value}] (a map is accepted too), with the job's variables over it.
Result<Json> mergedEnv(const Json& configured, const api::LaunchJob& job, const std::string& field) {
  std::vector<std::pair<std::string, std::string>> env;
  const auto set = [&env](const std::string& name, std::string value) {
    const auto found = std::find_if(env.begin(), env.end(), [&](const auto& entry) { return entry.first == name; });
    if (found != env.end()) {
      found->second = std::move(value);
    } else {
      env.emplace_back(name, std::move(value));
    }
  };
  if (configured.is_object()) {
    for (const auto& [name, value] : configured.items()) set(name, scalarText(value));
  } else if (configured.is_array()) {
    for (const Json& entry : configured) {
      if (!entry.is_object() || text(entry, "name").empty()) {
        return invalid("Vertex config field " + field + " must be a list of {name, value} (or a map of names)");
      }
      set(text(entry, "name"), entry.contains("value") ? scalarText(entry["value"]) : std::string());
    }
  } else if (!configured.is_null()) {
    return invalid("Vertex config field " + field + " must be a list of {name, value} (or a map of names)");
  }
  for (const api::EnvVar& variable : job.spec.env) set(variable.name, variable.value);
  Json out = Json::array();
  for (auto& [name, value] : env) out.push_back({{"name", name}, {"value", value}});
  return out;
}

Status fillWorkerPools(Json& jobSpec, const api::LaunchJob& job, std::string_view image) {
  const std::string example =
      "e.g. workerPoolSpecs: [{machineSpec: {machineType: n1-standard-4}, replicaCount: 1}] in the queue's "
      "spec.config";
  if (!jobSpec.contains("workerPoolSpecs") || !jobSpec["workerPoolSpecs"].is_array() ||
      jobSpec["workerPoolSpecs"].empty()) {
    return invalid("Vertex config field workerPoolSpecs (worker_pool_specs) is required, a non-empty list; " + example);
  }
  Json& pools = jobSpec["workerPoolSpecs"];
  for (std::size_t i = 0; i < pools.size(); ++i) {
    if (!pools[i].is_object())
      return invalid("Vertex config field workerPoolSpecs[" + std::to_string(i) + "] must be an object");
  }
  Json& chief = pools[0];
  if (chief.contains("pythonPackageSpec")) {
    return invalid(
        "Vertex config field workerPoolSpecs[0].pythonPackageSpec cannot be used: the first pool runs "
        "the job's image; remove it");
  }
  if (text(chief.contains("machineSpec") ? chief["machineSpec"] : Json(), "machineType").empty()) {
    return invalid(
        "Vertex config field workerPoolSpecs[0].machineSpec.machineType (machine_spec.machine_type) is "
        "required; " +
        example);
  }
  if (!chief.contains("replicaCount")) chief["replicaCount"] = 1;
  Json& container = chief["containerSpec"];
  if (container.is_null()) container = Json::object();
  if (!container.is_object()) return invalid("Vertex config field workerPoolSpecs[0].containerSpec must be an object");
  if (!image.empty()) container["imageUri"] = std::string(image);
  if (text(container, "imageUri").empty()) {
    return invalid(
        "Vertex AI needs an image to run: the job has none and workerPoolSpecs[0].containerSpec.imageUri is not "
        "set; give the job spec.source.image or build one");
  }
  if (!job.spec.entryPoint.empty()) container["command"] = job.spec.entryPoint;
  if (!job.spec.args.empty()) container["args"] = job.spec.args;
  auto env =
      mergedEnv(container.contains("env") ? container["env"] : Json(), job, "workerPoolSpecs[0].containerSpec.env");
  if (!env) return env.error();
  if (env->empty()) {
    container.erase("env");
  } else {
    container["env"] = std::move(*env);
  }

  const std::string imageUri = text(container, "imageUri");
  for (std::size_t i = 1; i < pools.size(); ++i) {
    if (pools[i].contains("containerSpec") && pools[i]["containerSpec"].is_object() &&
        text(pools[i]["containerSpec"], "imageUri").empty()) {
      pools[i]["containerSpec"]["imageUri"] = imageUri;
    }
  }
  return {};
}

Status fillLabels(Json& customJob, const api::LaunchJob& job) {
  Json labels = customJob.contains("labels") ? customJob["labels"] : Json::object();
  if (!labels.is_object()) return invalid("Vertex config field labels must be a map of label names to values");
  for (auto& [key, value] : labels.items()) {
    if (!value.is_string()) value = scalarText(value);
  }
  labels[std::string(kVertexJobLabel)] = vertexLabelValue(job.metadata.name);
  labels[std::string(kVertexJobUidLabel)] = vertexLabelValue(job.metadata.uid);
  labels[std::string(kVertexQueueLabel)] = vertexLabelValue(job.spec.queue);
  if (labels.size() > kMaxLabels) {
    return invalid("Vertex AI allows 64 labels on a job; the config's labels and launch-dev's make " +
                   std::to_string(labels.size()));
  }
  customJob["labels"] = std::move(labels);
  return {};
}

struct StateMeaning {
  std::string_view state;
  bool started;
  std::optional<api::JobPhase> finished;
  std::string_view reason;
};

constexpr std::array<StateMeaning, 10> kStates = {{
    {"JOB_STATE_QUEUED", false, std::nullopt, "Queued"},
    {"JOB_STATE_PENDING", false, std::nullopt, "Pending"},
    {"JOB_STATE_RUNNING", true, std::nullopt, "Running"},
    {"JOB_STATE_SUCCEEDED", true, api::JobPhase::Succeeded, "Completed"},
    {"JOB_STATE_FAILED", false, api::JobPhase::Failed, "Failed"},
    {"JOB_STATE_CANCELLING", false, api::JobPhase::Failed, "Cancelled"},
    {"JOB_STATE_CANCELLED", false, api::JobPhase::Failed, "Cancelled"},
    {"JOB_STATE_EXPIRED", false, api::JobPhase::Failed, "DeadlineExceeded"},
    {"JOB_STATE_PAUSED", true, std::nullopt, "Paused"},
    {"JOB_STATE_UPDATING", true, std::nullopt, "Updating"},
}};

bool isNameSegment(std::string_view segment) {
  return !segment.empty() && std::all_of(segment.begin(), segment.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

std::string vertexLabelValue(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (out.size() == kMaxLabelLength) break;
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      out.push_back(c);
    } else {
      out.push_back('-');
    }
  }
  return out;
}

std::string vertexJobUidFilter(std::string_view uid) {
  return "labels." + std::string(kVertexJobUidLabel) + "=\"" + vertexLabelValue(uid) + "\"";
}

Result<Json> buildCustomJob(const api::LaunchJob& job, const Json& config, std::string_view image) {
  if (job.metadata.uid.empty()) {
    return invalid("LaunchJob " + job.metadata.name + " has no metadata.uid; Vertex jobs are found again by it");
  }
  const Json* source = &config;
  // W&B's launch config nests the Vertex arguments under "vertex" or "gcp-vertex".
  for (const char* wrapper : {"vertex", "gcp-vertex"}) {
    if (config.is_object() && config.size() == 1 && config.contains(wrapper)) source = &config[wrapper];
  }
  if (!source->is_null() && !source->is_object()) {
    return invalid("the Vertex queue's spec.config must be an object: the CustomJob's jobSpec");
  }
  auto converted = convertKeys(source->is_null() ? Json::object() : *source, vertexKeys(), "spec.config");
  if (!converted) return converted.error();
  auto customJob = customJobFromConfig(*converted);
  if (!customJob) return customJob.error();

  Json& jobSpec = (*customJob)["jobSpec"];
  if (!jobSpec.is_object()) return invalid("Vertex config field jobSpec must be an object");
  if (auto pools = fillWorkerPools(jobSpec, job, image); !pools) return pools.error();
  if (jobSpec.contains("scheduling") && jobSpec["scheduling"].is_object() &&
      jobSpec["scheduling"].contains("timeout")) {
    jobSpec["scheduling"]["timeout"] = duration(jobSpec["scheduling"]["timeout"]);
  }
  if (jobSpec.contains("baseOutputDirectory") && jobSpec["baseOutputDirectory"].is_string()) {
    jobSpec["baseOutputDirectory"] = {{"outputUriPrefix", jobSpec["baseOutputDirectory"]}};
  }
  if (auto labels = fillLabels(*customJob, job); !labels) return labels.error();
  (*customJob)["displayName"] = runName(job);
  return customJob;
}

RunObservation observeCustomJob(const Json& customJob) {
  RunObservation seen;
  seen.exists = true;
  const std::string state = text(customJob, "state");
  const std::string errorMessage = oneLine(text(customJob.contains("error") ? customJob["error"] : Json(), "message"));
  const auto meaning =
      std::find_if(kStates.begin(), kStates.end(), [&](const StateMeaning& entry) { return entry.state == state; });
  if (meaning == kStates.end()) {
    seen.reason = "Unknown";
    seen.message = "Vertex AI reports state \"" + state + "\", which this launcher does not know";
    return seen;
  }
  seen.started = meaning->started || customJob.contains("startTime");
  seen.finished = meaning->finished;
  seen.reason = std::string(meaning->reason);
  if (!errorMessage.empty()) {
    seen.message = errorMessage;
  } else {
    seen.message = "Vertex AI CustomJob is " + state;
  }
  return seen;
}

Result<VertexJobName> parseVertexJobName(std::string_view name) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    segments.push_back(name.substr(start, slash - start));
    start = slash + 1;
  }
  if (segments.size() != 6 || segments[0] != "projects" || segments[2] != "locations" || segments[4] != "customJobs" ||
      !isNameSegment(segments[1]) || !isNameSegment(segments[3]) || !isNameSegment(segments[5])) {
    return invalid("backendRef \"" + std::string(name) +
                   "\" is not a Vertex AI CustomJob; expected projects/<project>/locations/<region>/customJobs/<id>");
  }
  return VertexJobName{std::string(segments[1]), std::string(segments[3]), std::string(segments[5])};
}

}  // namespace launch::backends
