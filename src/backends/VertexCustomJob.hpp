// VertexCustomJob: the Vertex AI CustomJob that runs a LaunchJob, how a CustomJob reads back as a RunObservation,
// and the labels that find it again. Pure functions: no I/O.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/LaunchJob.hpp"
#include "backends/RunObservation.hpp"
#include "util/Result.hpp"

namespace launch::backends {

using Json = nlohmann::json;

// The labels every CustomJob of a LaunchJob carries; the uid label is how a submit finds a job it already created.
inline constexpr std::string_view kVertexJobLabel = "launch-dev-job";
inline constexpr std::string_view kVertexJobUidLabel = "launch-dev-job-uid";
inline constexpr std::string_view kVertexQueueLabel = "launch-dev-queue";

// A label value Google accepts: lower case, [a-z0-9_-] (anything else becomes '-'), at most 63 characters.
std::string vertexLabelValue(std::string_view text);

// The list filter that finds the CustomJobs of one LaunchJob: labels.launch-dev-job-uid="<uid>".
std::string vertexJobUidFilter(std::string_view uid);

// The CreateCustomJob body. The config is the CustomJob's jobSpec (workerPoolSpecs, serviceAccount,
// baseOutputDirectory, scheduling, ...) in camelCase or snake_case; it may instead hold {jobSpec, labels,
// encryptionSpec}, or W&B's {spec: {worker_pool_specs, staging_bucket, ...}, run: {service_account, timeout, ...}}.
// The keys of labels and env maps stay as written. The first worker pool runs the image with the job's entry point
// (command), args and env (over the pool's env); later pools with a containerSpec but no imageUri get the image.
// displayName is runName(job); the launch-dev labels are added. Errors are Invalid and name the field and the fix.
Result<Json> buildCustomJob(const api::LaunchJob& job, const Json& config, std::string_view image);

// A CustomJob as the LaunchJob should report it: QUEUED and PENDING have not started, RUNNING has, SUCCEEDED
// succeeded, FAILED failed with error.message, CANCELLING and CANCELLED failed with reason Cancelled, EXPIRED
// failed with reason DeadlineExceeded.
RunObservation observeCustomJob(const Json& customJob);

// "projects/<project>/locations/<location>/customJobs/<id>", the resource name Vertex gives a CustomJob (with the
// project's number), used as the backendRef.
struct VertexJobName {
  std::string project;
  std::string location;
  std::string id;
};

// Reads a CustomJob resource name; Invalid for anything else.
Result<VertexJobName> parseVertexJobName(std::string_view name);

}  // namespace launch::backends
