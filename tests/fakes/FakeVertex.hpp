// FakeVertex: a cpp-httplib stand-in for Vertex AI's CustomJob API (create, get, list with a label filter, cancel)
// that takes only access tokens its token endpoint (FakeGoogleTokenEndpoint, which verifies the service-account
// JWT's RS256 signature) issued, and walks jobs QUEUED -> PENDING -> RUNNING -> SUCCEEDED or FAILED on test command.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/FakeGoogleEndpoints.hpp"
#include "fakes/FakeHttpServer.hpp"
#include "util/Clock.hpp"

namespace launch::testing {

class FakeVertex {
 public:
  using Json = nlohmann::json;

  // The fake's project is known by its ID and its number; resource names it returns carry the number, as Vertex's do.
  explicit FakeVertex(const Clock& clock, std::string project = "proj", std::string projectNumber = "123456789012",
                      std::string location = "us-central1")
      : clock_(clock),
        tokens_(clock),
        project_(std::move(project)),
        projectNumber_(std::move(projectNumber)),
        location_(std::move(location)) {
    const std::string collection = R"(/v1/projects/([^/]+)/locations/([^/]+)/customJobs)";
    auto& server = server_.server();
    server.Post(collection, [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      if (admit(request, response, "create")) create(request, response);
    });
    server.Get(collection, [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      if (admit(request, response, "list")) list(request, response);
    });
    server.Get(collection + "/([^/:]+)", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      if (admit(request, response, "get")) get(request.matches[3], response);
    });
    server.Post(collection + "/([^/:]+):cancel", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      if (admit(request, response, "cancel")) cancel(request.matches[3], response);
    });
    tokens_.start();
    server_.start();
  }

  // The token endpoint whose tokens the API takes: register service accounts on it.
  FakeGoogleTokenEndpoint& tokenEndpoint() { return tokens_; }
  // The API's base URL, for VertexOptions::endpoint.
  std::string url() const { return server_.url(); }
  const std::string& project() const { return project_; }
  const std::string& projectNumber() const { return projectNumber_; }
  const std::string& location() const { return location_; }

  // The next create makes the job, then answers 503 UNAVAILABLE as if the answer were lost.
  void failNextCreateAfterCreating() {
    const std::lock_guard lock(mutex_);
    failCreateAfterCreating_ = true;
  }
  // The next create answers 503 UNAVAILABLE without making the job.
  void failNextCreateWithoutCreating() {
    const std::lock_guard lock(mutex_);
    failCreateWithoutCreating_ = true;
  }
  // The next `count` requests answer 429 RESOURCE_EXHAUSTED.
  void throttleNext(int count) {
    const std::lock_guard lock(mutex_);
    throttle_ = count;
  }
  // Tokens issued so far stop working (401), as revoked or expired ones do.
  void revokeIssuedTokens() {
    const std::lock_guard lock(mutex_);
    for (const std::string& token : tokens_.issuedTokens()) revoked_.insert(token);
  }
  void setPageSize(int size) {
    const std::lock_guard lock(mutex_);
    maxPageSize_ = size;
  }
  // Lists answer `count` empty pages (only a nextPageToken) before the results, as Google APIs may.
  void startListsWithEmptyPages(int count) {
    const std::lock_guard lock(mutex_);
    emptyPages_ = count;
  }

  // Test commands: a job is named by its id or its full resource name.
  // QUEUED -> PENDING -> RUNNING -> SUCCEEDED, and CANCELLING -> CANCELLED.
  void advance(const std::string& job) {
    const std::lock_guard lock(mutex_);
    Json& j = jobs_.at(idOf(job));
    const std::string state = j["state"];
    if (state == "JOB_STATE_QUEUED") {
      setState(j, "JOB_STATE_PENDING");
    } else if (state == "JOB_STATE_PENDING") {
      setState(j, "JOB_STATE_RUNNING");
      j["startTime"] = now();
    } else if (state == "JOB_STATE_RUNNING") {
      setState(j, "JOB_STATE_SUCCEEDED");
      j["endTime"] = now();
    } else if (state == "JOB_STATE_CANCELLING") {
      setState(j, "JOB_STATE_CANCELLED");
      j["endTime"] = now();
      j["error"] = {{"code", 1}, {"message", "CANCELED"}};
    }
  }
  void fail(const std::string& job, const std::string& message) {
    const std::lock_guard lock(mutex_);
    Json& j = jobs_.at(idOf(job));
    setState(j, "JOB_STATE_FAILED");
    j["endTime"] = now();
    j["error"] = {{"code", 3}, {"message", message}};
  }
  void setState(const std::string& job, const std::string& state) {
    const std::lock_guard lock(mutex_);
    setState(jobs_.at(idOf(job)), state);
  }

  std::optional<Json> job(const std::string& job) const {
    const std::lock_guard lock(mutex_);
    const auto found = jobs_.find(idOf(job));
    if (found == jobs_.end()) return std::nullopt;
    return found->second;
  }
  std::size_t jobCount() const {
    const std::lock_guard lock(mutex_);
    return jobs_.size();
  }
  // Requests that reached an operation, by operation: create, list, get, cancel.
  int calls(const std::string& operation) const {
    const std::lock_guard lock(mutex_);
    const auto found = calls_.find(operation);
    return found == calls_.end() ? 0 : found->second;
  }
  int unauthenticated() const {
    const std::lock_guard lock(mutex_);
    return unauthenticated_;
  }

 private:
  static std::string idOf(const std::string& job) { return job.substr(job.rfind('/') + 1); }

  std::string now() const {
    using namespace std::chrono;
    const auto wall = clock_.wallNow();
    const auto seconds = floor<std::chrono::seconds>(wall);
    const auto days = floor<std::chrono::days>(seconds);
    const year_month_day date{days};
    const hh_mm_ss time{seconds - days};
    const auto micros = duration_cast<microseconds>(wall - seconds).count();
    char out[64];
    std::snprintf(out, sizeof(out), "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()), static_cast<long long>(micros));
    return out;
  }

  void setState(Json& job, const std::string& state) {
    job["state"] = state;
    job["updateTime"] = now();
  }

  static void error(httplib::Response& response, int code, const std::string& status, const std::string& message) {
    response.status = code;
    response.set_content(Json{{"error", {{"code", code}, {"message", message}, {"status", status}}}}.dump(2),
                         "application/json; charset=UTF-8");
  }
  static void ok(httplib::Response& response, const Json& body) {
    response.set_content(body.dump(2), "application/json; charset=UTF-8");
  }

  // The bearer token, the project and the location, as Vertex checks them; then the throttle.
  bool admit(const httplib::Request& request, httplib::Response& response, const std::string& operation) {
    const std::string authorization = request.get_header_value("Authorization");
    const std::string token = authorization.rfind("Bearer ", 0) == 0 ? authorization.substr(7) : std::string();
    const auto issued = tokens_.issuedTokens();
    if (token.empty() || revoked_.count(token) != 0 || std::find(issued.begin(), issued.end(), token) == issued.end()) {
      ++unauthenticated_;
      error(response, 401, "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
            "valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.");
      return false;
    }
    const std::string project = request.matches[1];
    const std::string location = request.matches[2];
    if (project != project_ && project != projectNumber_) {
      error(response, 403, "PERMISSION_DENIED",
            "Permission 'aiplatform.customJobs." + operation + "' denied on resource '//aiplatform.googleapis.com/" +
                "projects/" + project + "/locations/" + location + "' (or it may not exist).");
      return false;
    }
    if (location != location_) {
      error(response, 400, "INVALID_ARGUMENT",
            "Request contains an invalid argument: location " + location + " is not served at this endpoint.");
      return false;
    }
    if (throttle_ > 0) {
      --throttle_;
      error(response, 429, "RESOURCE_EXHAUSTED",
            "Quota exceeded for aiplatform.googleapis.com/custom_job_requests_per_minute.");
      return false;
    }
    ++calls_[operation];
    return true;
  }

  void create(const httplib::Request& request, httplib::Response& response) {
    const Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      error(response, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      return;
    }
    std::vector<std::string> problems;
    const auto missing = [&problems](const std::string& field) {
      problems.push_back("Field: " + field + "; Message: Required field is not set.");
    };
    if (!body.contains("displayName") || !body["displayName"].is_string() || body["displayName"].empty()) {
      missing("custom_job.display_name");
    }
    const Json pools = body.contains("jobSpec") ? body["jobSpec"].value("workerPoolSpecs", Json::array()) : Json();
    if (!pools.is_array() || pools.empty()) {
      missing("custom_job.job_spec.worker_pool_specs");
    } else {
      const Json& chief = pools[0];
      if (!chief.contains("machineSpec") || !chief["machineSpec"].contains("machineType")) {
        missing("custom_job.job_spec.worker_pool_specs[0].machine_spec.machine_type");
      }
      if (!chief.contains("containerSpec") || !chief["containerSpec"].contains("imageUri")) {
        missing("custom_job.job_spec.worker_pool_specs[0].container_spec.image_uri");
      }
    }
    static const std::regex kKey("[a-z][a-z0-9_-]{0,62}");
    static const std::regex kValue("[a-z0-9_-]{0,63}");
    const Json labels = body.value("labels", Json::object());
    for (const auto& [key, value] : labels.items()) {
      if (!std::regex_match(key, kKey) || !value.is_string() || !std::regex_match(value.get<std::string>(), kValue)) {
        problems.push_back("Field: custom_job.labels; Message: Label '" + key + "' is invalid.");
      }
    }
    if (!problems.empty()) {
      std::string message = "List of found errors:\t";
      for (std::size_t i = 0; i < problems.size(); ++i) message += std::to_string(i + 1) + "." + problems[i] + "\t";
      error(response, 400, "INVALID_ARGUMENT", message);
      return;
    }
    if (failCreateWithoutCreating_) {
      failCreateWithoutCreating_ = false;
      error(response, 503, "UNAVAILABLE", "The service is currently unavailable.");
      return;
    }
    const std::string id = std::to_string(nextId_++);
    Json job = body;
    job["name"] = "projects/" + projectNumber_ + "/locations/" + location_ + "/customJobs/" + id;
    for (Json& pool : job["jobSpec"]["workerPoolSpecs"]) {
      // int64 fields come back as strings in proto3 JSON.
      if (pool.contains("replicaCount") && pool["replicaCount"].is_number()) {
        pool["replicaCount"] = std::to_string(pool["replicaCount"].get<long long>());
      }
    }
    job["state"] = "JOB_STATE_QUEUED";
    job["createTime"] = now();
    job["updateTime"] = job["createTime"];
    jobs_[id] = job;
    order_.push_back(id);
    if (failCreateAfterCreating_) {
      failCreateAfterCreating_ = false;
      error(response, 503, "UNAVAILABLE", "The service is currently unavailable.");
      return;
    }
    ok(response, job);
  }

  void get(const std::string& id, httplib::Response& response) {
    const auto found = jobs_.find(id);
    if (found == jobs_.end()) {
      error(
          response, 404, "NOT_FOUND",
          "The CustomJob does not exist: projects/" + projectNumber_ + "/locations/" + location_ + "/customJobs/" + id);
      return;
    }
    ok(response, found->second);
  }

  void list(const httplib::Request& request, httplib::Response& response) const {
    const std::string filter = request.get_param_value("filter");
    std::string labelKey;
    std::string labelValue;
    if (!filter.empty()) {
      static const std::regex kLabelFilter(R"re(labels\.([a-z][a-z0-9_-]*)\s*=\s*"([^"]*)")re");
      std::smatch m;
      if (!std::regex_match(filter, m, kLabelFilter)) {
        error(response, 400, "INVALID_ARGUMENT", "Unsupported filter: " + filter);
        return;
      }
      labelKey = m[1];
      labelValue = m[2];
    }
    const std::string token = request.get_param_value("pageToken");
    const int emptyPage = token.rfind("empty-", 0) == 0 ? std::stoi(token.substr(6)) : (token.empty() ? 0 : -1);
    if (emptyPage >= 0 && emptyPage < emptyPages_) {
      ok(response, Json{{"nextPageToken", "empty-" + std::to_string(emptyPage + 1)}});
      return;
    }
    int pageSize = request.has_param("pageSize") ? std::stoi(request.get_param_value("pageSize")) : 100;
    pageSize = std::min(pageSize <= 0 ? 100 : pageSize, maxPageSize_);
    const std::size_t offset = emptyPage >= 0 ? std::size_t{0} : std::stoul(token);
    std::vector<const Json*> matching;
    for (std::size_t i = order_.size(); i-- > 0;) {  // newest first
      const Json& job = jobs_.at(order_[i]);
      const Json labels = job.value("labels", Json::object());
      if (filter.empty() || (labels.contains(labelKey) && labels[labelKey] == labelValue)) matching.push_back(&job);
    }
    Json out = Json::object();  // proto3 JSON leaves out empty fields: no matches is "{}"
    for (std::size_t i = offset; i < matching.size() && i < offset + static_cast<std::size_t>(pageSize); ++i) {
      out["customJobs"].push_back(*matching[i]);
    }
    if (offset + static_cast<std::size_t>(pageSize) < matching.size()) {
      out["nextPageToken"] = std::to_string(offset + static_cast<std::size_t>(pageSize));
    }
    ok(response, out);
  }

  void cancel(const std::string& id, httplib::Response& response) {
    const auto found = jobs_.find(id);
    if (found == jobs_.end()) {
      error(response, 404, "NOT_FOUND", "The CustomJob does not exist.");
      return;
    }
    Json& job = found->second;
    const std::string state = job["state"];
    if (state != "JOB_STATE_QUEUED" && state != "JOB_STATE_PENDING" && state != "JOB_STATE_RUNNING") {
      error(response, 400, "FAILED_PRECONDITION",
            "Cannot cancel the CustomJob " + job["name"].get<std::string>() + " in state " + state + ".");
      return;
    }
    setState(job, "JOB_STATE_CANCELLING");
    ok(response, Json::object());
  }

  const Clock& clock_;
  FakeGoogleTokenEndpoint tokens_;
  std::string project_;
  std::string projectNumber_;
  std::string location_;
  mutable std::mutex mutex_;
  std::map<std::string, Json> jobs_;
  std::vector<std::string> order_;
  std::map<std::string, int> calls_;
  std::set<std::string> revoked_;
  long long nextId_ = 4311972593401495552;
  int throttle_ = 0;
  int maxPageSize_ = 100;
  int emptyPages_ = 0;
  int unauthenticated_ = 0;
  bool failCreateAfterCreating_ = false;
  bool failCreateWithoutCreating_ = false;
  FakeHttpServer server_;  // last: stops (and joins its thread) before the state above goes
};

}  // namespace launch::testing
