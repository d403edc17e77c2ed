// The Vertex AI backend: a LaunchJob's run is one CustomJob, labelled with the LaunchJob's uid.
#include "backends/VertexBackend.hpp"

#include <utility>

#include "backends/VertexCustomJob.hpp"

namespace launch::backends {

namespace {

bool finishedState(const std::string& state) {
  return state == "JOB_STATE_SUCCEEDED" || state == "JOB_STATE_FAILED" || state == "JOB_STATE_CANCELLED" ||
         state == "JOB_STATE_CANCELLING" || state == "JOB_STATE_EXPIRED";
}

std::string textField(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

VertexBackend::VertexBackend(VertexOptions options, cloud::GoogleTokenSource& tokens, http::HttpClient& http,
                             const Clock& clock, RetrySleep sleep)
    : options_(std::move(options)),
      client_(
          VertexClientOptions{options_.endpoint.empty() ? defaultVertexEndpoint(options_.region) : options_.endpoint,
                              options_.retry, options_.requestTimeout},
          tokens, http, clock, std::move(sleep)) {}

std::string VertexBackend::collectionPath() const {
  return "/v1/projects/" + http::urlEncode(options_.project) + "/locations/" + http::urlEncode(options_.region) +
         "/customJobs";
}

Result<std::optional<Json>> VertexBackend::findByUid(const std::string& uid) {
  const std::string filter = vertexJobUidFilter(uid);
  std::string pageToken;
  for (int page = 0; page < 100; ++page) {
    std::string path = collectionPath() + "?filter=" + http::urlEncode(filter) + "&pageSize=100";
    if (!pageToken.empty()) path += "&pageToken=" + http::urlEncode(pageToken);
    auto listed = client_.call("GET", path);
    if (!listed) return listed.error();
    const auto jobs = listed->find("customJobs");
    if (jobs != listed->end() && jobs->is_array()) {
      for (const Json& job : *jobs) {
        if (!textField(job, "name").empty()) return std::optional<Json>(job);
      }
    }
    pageToken = textField(*listed, "nextPageToken");
    if (pageToken.empty()) return std::optional<Json>();
  }
  return makeError(ErrorCode::Internal, "Vertex AI listed more than 100 pages of CustomJobs for one label filter");
}

Result<std::string> VertexBackend::submit(const RunSpec& spec) {
  if (options_.project.empty() || options_.region.empty()) {
    return makeError(ErrorCode::Invalid,
                     "Vertex AI needs a project and a region: set the agent's spec.environment (project, region)");
  }
  auto body = buildCustomJob(spec.job, spec.config, spec.image);
  if (!body) return body.error();
  const std::string uid = spec.job.metadata.uid;

  auto existing = findByUid(uid);
  if (!existing) return existing.error();
  if (existing->has_value()) return textField(**existing, "name");

  auto created = client_.create(collectionPath(), *body, [this, &uid] { return findByUid(uid); });
  if (!created) return created.error();
  std::string name = textField(*created, "name");
  if (name.empty()) {
    return makeError(ErrorCode::Internal, "Vertex AI created a CustomJob for " + spec.job.metadata.name +
                                              " but its answer has no resource name");
  }
  return name;
}

Result<std::optional<std::string>> VertexBackend::findRun(const api::LaunchJob& job) {
  auto existing = findByUid(job.metadata.uid);
  if (!existing) return existing.error();
  if (!existing->has_value()) return std::optional<std::string>();
  return std::optional<std::string>(textField(**existing, "name"));
}

Result<std::string> VertexBackend::jobPath(const std::string& backendRef) const {
  auto name = parseVertexJobName(backendRef);
  if (!name) return name.error();
  if (name->location != options_.region) {
    return makeError(ErrorCode::Invalid, "backendRef " + backendRef + " is a CustomJob in " + name->location +
                                             ", but this Vertex AI backend serves " + options_.region);
  }
  return "/v1/" + backendRef;
}

Result<std::optional<Json>> VertexBackend::get(const std::string& backendRef) {
  auto path = jobPath(backendRef);
  if (!path) return path.error();
  auto job = client_.call("GET", *path);
  if (!job) {
    if (job.error().code == ErrorCode::NotFound) return std::optional<Json>();
    return job.error();
  }
  return std::optional<Json>(std::move(*job));
}

Result<RunObservation> VertexBackend::observe(const std::string& backendRef) {
  auto job = get(backendRef);
  if (!job) return job.error();
  if (!job->has_value()) {
    RunObservation gone;
    gone.reason = "NotFound";
    gone.message = "Vertex AI has no CustomJob " + backendRef;
    return gone;
  }
  return observeCustomJob(**job);
}

Result<std::string> VertexBackend::logs(const std::string& backendRef, std::size_t maxBytes) {
  auto name = parseVertexJobName(backendRef);
  if (!name) return name.error();
  std::string pointer =
      "Vertex AI writes this job's logs to Cloud Logging: filter resource.type=\"ml_job\" AND "
      "resource.labels.job_id=\"" +
      name->id + "\" in project " + name->project +
      " (gcloud logging read 'resource.type=\"ml_job\" AND resource.labels.job_id=\"" + name->id +
      "\"' --project=" + name->project + ")\n";
  if (pointer.size() > maxBytes) pointer = pointer.substr(pointer.size() - maxBytes);
  return pointer;
}

Status VertexBackend::cancel(const std::string& backendRef) {
  auto path = jobPath(backendRef);
  if (!path) return path.error();
  const Json empty = Json::object();
  auto cancelled = client_.call("POST", *path + ":cancel", &empty);
  if (cancelled) return {};
  const Error& error = cancelled.error();
  if (error.code == ErrorCode::NotFound) return {};
  if (error.code != ErrorCode::Invalid) return error;
  // Vertex AI refuses to cancel a job that is over (FAILED_PRECONDITION): fine when it is.
  auto job = get(backendRef);
  if (!job) return error;
  if (!job->has_value() || finishedState(textField(**job, "state"))) return {};
  return error;
}

Status VertexBackend::cleanup(const std::string& backendRef) {
  auto name = parseVertexJobName(backendRef);
  if (!name) return name.error();
  return {};
}

}  // namespace launch::backends
