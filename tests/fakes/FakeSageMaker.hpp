// FakeSageMaker: a cpp-httplib stand-in for the SageMaker API (AWS JSON 1.1 CreateTrainingJob, DescribeTrainingJob,
// StopTrainingJob) that checks each request's SigV4 signature against the secret it knows, as AWS does.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/AwsTimestamp.hpp"
#include "cloud/SigV4Signer.hpp"
#include "fakes/FakeHttpServer.hpp"
#include "util/Clock.hpp"

namespace launch::testing {

class FakeSageMaker {
 public:
  using Json = nlohmann::json;

  // One request that passed the signature check.
  struct Call {
    std::string operation;  // "CreateTrainingJob"
    Json body;
    std::string accessKeyId;
  };

  struct Job {
    Json request;  // the CreateTrainingJob body as received
    std::string status = "InProgress";
    std::string secondaryStatus = "Starting";
    std::string failureReason;
    double creationTime = 0;
    double lastModifiedTime = 0;
    std::optional<double> trainingStartTime;
    std::optional<double> trainingEndTime;
    Json transitions = Json::array();
  };

  explicit FakeSageMaker(const Clock& clock, std::string region = "us-east-1", std::string account = "123456789012")
      : clock_(clock), region_(std::move(region)), account_(std::move(account)) {
    server_.server().Post("/", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      answer(request, response);
    });
    server_.start();
  }

  std::string url() const { return server_.url(); }
  const std::string& region() const { return region_; }

  // Credentials whose signatures the fake accepts.
  void addCredentials(const std::string& accessKeyId, const std::string& secretAccessKey,
                      const std::string& sessionToken = "") {
    const std::lock_guard lock(mutex_);
    credentials_[accessKeyId] = {secretAccessKey, sessionToken};
  }

  // The next `count` requests (after the signature check) answer 400 ThrottlingException.
  void throttleNext(int count) {
    const std::lock_guard lock(mutex_);
    throttle_ = count;
  }
  // The next `count` requests (after the signature check) answer 400 ExpiredTokenException.
  void expireTokenNext(int count) {
    const std::lock_guard lock(mutex_);
    expire_ = count;
  }
  // The next CreateTrainingJob creates the job, then answers 500 InternalFailure as if the answer were lost.
  void failNextCreateAfterCreating() {
    const std::lock_guard lock(mutex_);
    failCreateAfterCreating_ = true;
  }

  // Test commands that walk a job as SageMaker would.
  void startTraining(const std::string& name) {
    setStatus(name, "InProgress", "Training", "", "Training image download completed. Training in progress.");
  }
  void complete(const std::string& name) { setStatus(name, "Completed", "Completed", "", "Training job completed"); }
  void fail(const std::string& name, const std::string& reason) {
    setStatus(name, "Failed", "Failed", reason, "Training job failed");
  }
  void finishStopping(const std::string& name) { setStatus(name, "Stopped", "Stopped", "", "Training job stopped"); }
  void setStatus(const std::string& name, const std::string& status, const std::string& secondary,
                 const std::string& failureReason = "", const std::string& statusMessage = "") {
    const std::lock_guard lock(mutex_);
    Job& job = jobs_.at(name);
    const double now = nowSeconds();
    if (!job.transitions.empty()) job.transitions.back()["EndTime"] = now;
    job.transitions.push_back({{"Status", secondary}, {"StartTime", now}, {"StatusMessage", statusMessage}});
    job.status = status;
    job.secondaryStatus = secondary;
    job.failureReason = failureReason;
    job.lastModifiedTime = now;
    if (secondary == "Training" && !job.trainingStartTime) job.trainingStartTime = now;
    if (status == "Completed" || status == "Failed" || status == "Stopped") job.trainingEndTime = now;
  }

  std::optional<Job> job(const std::string& name) const {
    const std::lock_guard lock(mutex_);
    const auto found = jobs_.find(name);
    if (found == jobs_.end()) return std::nullopt;
    return found->second;
  }
  std::size_t jobCount() const {
    const std::lock_guard lock(mutex_);
    return jobs_.size();
  }
  std::vector<Call> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  int calls(const std::string& operation) const {
    const std::lock_guard lock(mutex_);
    int count = 0;
    for (const Call& call : calls_) count += call.operation == operation ? 1 : 0;
    return count;
  }
  // Requests refused before reaching an operation (bad signature, unknown key), with the error code sent.
  std::vector<std::string> rejections() const {
    const std::lock_guard lock(mutex_);
    return rejections_;
  }

 private:
  struct Secret {
    std::string secretAccessKey;
    std::string sessionToken;
  };

  double nowSeconds() const {
    const auto since = clock_.wallNow().time_since_epoch();
    return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(since).count()) / 1000.0;
  }

  std::string arn(const std::string& name) const {
    return "arn:aws:sagemaker:" + region_ + ":" + account_ + ":training-job/" + name;
  }

  void reply(httplib::Response& response, int status, const std::string& body) {
    char requestId[64];
    std::snprintf(requestId, sizeof(requestId), "8d3e2a4c-5b6f-4a1d-9c7e-%012d", ++requestCount_);
    response.status = status;
    response.set_header("x-amzn-RequestId", requestId);
    response.set_content(body, "application/x-amz-json-1.1");
  }
  void error(httplib::Response& response, int status, const std::string& code, const std::string& message,
             const char* messageKey = "message") {
    reply(response, status, Json{{"__type", code}, {messageKey, message}}.dump());
  }
  void reject(httplib::Response& response, int status, const std::string& code, const std::string& message) {
    rejections_.push_back(code);
    error(response, status, code, message);
  }

  // "20231114T221320Z" -> a time point; nullopt when malformed.
  static std::optional<std::chrono::system_clock::time_point> amzDate(const std::string& text) {
    static const std::regex kForm(R"((\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z)");
    std::smatch m;
    if (!std::regex_match(text, m, kForm)) return std::nullopt;
    return cloud::parseIso8601(m[1].str() + "-" + m[2].str() + "-" + m[3].str() + "T" + m[4].str() + ":" + m[5].str() +
                               ":" + m[6].str() + "Z");
  }

  // Checks the Authorization header like AWS: a known key, the scope, the clock, the session token, and the
  // signature recomputed with the real signer over the headers the client says it signed. Returns the access key id,
  // or answers the error and returns nullopt.
  std::optional<std::string> verifySignature(const httplib::Request& request, httplib::Response& response) {
    const std::string authorization = request.get_header_value("Authorization");
    if (authorization.empty()) {
      reject(response, 400, "MissingAuthenticationTokenException", "Missing Authentication Token");
      return std::nullopt;
    }
    static const std::regex kHeader(
        R"(AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64}))");
    std::smatch m;
    if (!std::regex_match(authorization, m, kHeader)) {
      reject(response, 400, "IncompleteSignature",
             "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.");
      return std::nullopt;
    }
    const std::string accessKeyId = m[1];
    const std::string scopeDate = m[2];
    const std::string scopeRegion = m[3];
    const std::string scopeService = m[4];
    const std::string signedHeaders = m[5];
    const auto known = credentials_.find(accessKeyId);
    if (known == credentials_.end()) {
      reject(response, 400, "UnrecognizedClientException", "The security token included in the request is invalid.");
      return std::nullopt;
    }
    if (scopeService != "sagemaker") {
      reject(response, 403, "InvalidSignatureException",
             "Credential should be scoped to correct service: 'sagemaker'. ");
      return std::nullopt;
    }
    if (scopeRegion != region_) {
      reject(response, 403, "InvalidSignatureException", "Credential should be scoped to a valid region. ");
      return std::nullopt;
    }
    const std::string date = request.get_header_value("X-Amz-Date");
    const auto signedAt = amzDate(date);
    if (!signedAt || date.substr(0, 8) != scopeDate) {
      reject(response, 400, "IncompleteSignature", "Date must be in ISO-8601 'basic format'. Got '" + date + "'.");
      return std::nullopt;
    }
    const auto skew = clock_.wallNow() - *signedAt;
    if (skew > std::chrono::minutes(15) || skew < -std::chrono::minutes(15)) {
      reject(response, 403, "InvalidSignatureException",
             "Signature expired: " + date + " is now earlier than the allowed 15 minutes.");
      return std::nullopt;
    }
    if (known->second.sessionToken != request.get_header_value("X-Amz-Security-Token")) {
      reject(response, 403, "UnrecognizedClientException", "The security token included in the request is invalid.");
      return std::nullopt;
    }

    cloud::SigV4Request canonical;
    canonical.method = request.method;
    canonical.path = request.path;
    canonical.body = request.body;
    bool signedHost = false;
    bool signedDate = false;
    std::size_t start = 0;
    while (start <= signedHeaders.size()) {
      std::size_t end = signedHeaders.find(';', start);
      if (end == std::string::npos) end = signedHeaders.size();
      const std::string name = signedHeaders.substr(start, end - start);
      start = end + 1;
      signedHost = signedHost || name == "host";
      signedDate = signedDate || name == "x-amz-date";
      if (name == "x-amz-date" || name == "x-amz-security-token") continue;  // the signer adds these itself
      const auto range = request.headers.equal_range(name);
      for (auto it = range.first; it != range.second; ++it) canonical.headers.emplace_back(name, it->second);
    }
    if (!signedHost || !signedDate) {
      reject(response, 400, "IncompleteSignature", "Signed headers must include host and x-amz-date.");
      return std::nullopt;
    }
    const cloud::AwsCredentials secret{accessKeyId, known->second.secretAccessKey, known->second.sessionToken,
                                       std::nullopt, "fake"};
    auto expected = cloud::SigV4Signer(region_, "sagemaker").sign(canonical, secret, *signedAt);
    if (!expected || expected->authorization != authorization) {
      rejections_.emplace_back("InvalidSignatureException");
      // AWS's message goes on with the canonical request and the string to sign.
      error(response, 403, "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String "
            "for this request should have been\n'" +
                (expected ? expected->canonicalRequest : std::string()) +
                "'\n\nThe String-to-Sign should have been\n'" + (expected ? expected->stringToSign : std::string()) +
                "'\n");
      return std::nullopt;
    }
    return accessKeyId;
  }

  void answer(const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("Content-Type") != "application/x-amz-json-1.1") {
      reject(response, 400, "SerializationException", "Content-Type must be application/x-amz-json-1.1");
      return;
    }
    const auto accessKeyId = verifySignature(request, response);
    if (!accessKeyId) return;
    const std::string target = request.get_header_value("X-Amz-Target");
    const std::string operation = target.rfind("SageMaker.", 0) == 0 ? target.substr(10) : target;
    Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      reject(response, 400, "SerializationException", "Unexpected character: the body is not a JSON object");
      return;
    }
    calls_.push_back({operation, body, *accessKeyId});
    if (expire_ > 0) {
      --expire_;
      error(response, 400, "ExpiredTokenException", "The security token included in the request is expired");
      return;
    }
    if (throttle_ > 0) {
      --throttle_;
      error(response, 400, "ThrottlingException", "Rate exceeded");
      return;
    }
    if (operation == "CreateTrainingJob") return create(body, response);
    if (operation == "DescribeTrainingJob") return describe(body, response);
    if (operation == "StopTrainingJob") return stop(body, response);
    error(response, 400, "UnknownOperationException", "");
  }

  static const Json* member(const Json& object, std::initializer_list<const char*> path) {
    const Json* at = &object;
    for (const char* key : path) {
      if (!at->is_object() || !at->contains(key)) return nullptr;
      at = &(*at)[key];
    }
    return at;
  }

  void create(const Json& body, httplib::Response& response) {
    // AWS validates the whole request and lists every violation, with lowerCamel member paths.
    std::vector<std::string> violations;
    const auto required = [&](std::initializer_list<const char*> path, const std::string& shown) {
      if (member(body, path) == nullptr) {
        violations.push_back("Value null at '" + shown + "' failed to satisfy constraint: Member must not be null");
      }
    };
    required({"TrainingJobName"}, "trainingJobName");
    required({"AlgorithmSpecification"}, "algorithmSpecification");
    required({"AlgorithmSpecification", "TrainingInputMode"}, "algorithmSpecification.trainingInputMode");
    required({"RoleArn"}, "roleArn");
    required({"OutputDataConfig"}, "outputDataConfig");
    required({"OutputDataConfig", "S3OutputPath"}, "outputDataConfig.s3OutputPath");
    required({"ResourceConfig"}, "resourceConfig");
    required({"ResourceConfig", "VolumeSizeInGB"}, "resourceConfig.volumeSizeInGB");
    required({"StoppingCondition"}, "stoppingCondition");
    const std::string name = body.value("TrainingJobName", "");
    static const std::regex kName("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$");
    if (member(body, {"TrainingJobName"}) != nullptr && !std::regex_match(name, kName)) {
      violations.push_back("Value '" + name +
                           "' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular "
                           "expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
    }
    if (const Json* environment = member(body, {"Environment"})) {
      for (const auto& [key, value] : environment->items()) {
        if (!value.is_string() || value.get<std::string>().size() > 512) {
          violations.emplace_back(
              "Value at 'environment' failed to satisfy constraint: Map value must satisfy "
              "constraint: [Member must have length less than or equal to 512]");
        }
      }
    }
    if (!violations.empty()) {
      std::string message =
          std::to_string(violations.size()) + " validation error" + (violations.size() > 1 ? "s" : "") + " detected: ";
      for (std::size_t i = 0; i < violations.size(); ++i) message += (i > 0 ? "; " : "") + violations[i];
      error(response, 400, "ValidationException", message);
      return;
    }
    if (jobs_.count(name) != 0) {
      error(response, 400, "ResourceInUse",
            "Training job names must be unique within an AWS account and region, and a training job with this name "
            "already exists (" +
                arn(name) + ")",
            "Message");
      return;
    }
    Job job;
    job.request = body;
    job.creationTime = job.lastModifiedTime = nowSeconds();
    job.transitions.push_back({{"Status", "Starting"},
                               {"StartTime", job.creationTime},
                               {"StatusMessage", "Preparing the instances for training"}});
    jobs_[name] = std::move(job);
    if (failCreateAfterCreating_) {
      failCreateAfterCreating_ = false;
      error(response, 500, "InternalFailure", "We encountered an internal error. Please try again.");
      return;
    }
    reply(response, 200, Json{{"TrainingJobArn", arn(name)}}.dump());
  }

  void describe(const Json& body, httplib::Response& response) {
    const auto found = jobs_.find(body.value("TrainingJobName", ""));
    if (found == jobs_.end()) {
      error(response, 400, "ValidationException", "Requested resource not found.", "Message");
      return;
    }
    const Job& job = found->second;
    const Json& request = job.request;
    Json out = {{"TrainingJobName", found->first},
                {"TrainingJobArn", arn(found->first)},
                {"ModelArtifacts",
                 {{"S3ModelArtifacts", request["OutputDataConfig"]["S3OutputPath"].get<std::string>() + "/" +
                                           found->first + "/output/model.tar.gz"}}},
                {"TrainingJobStatus", job.status},
                {"SecondaryStatus", job.secondaryStatus},
                {"AlgorithmSpecification", request["AlgorithmSpecification"]},
                {"RoleArn", request["RoleArn"]},
                {"OutputDataConfig", request["OutputDataConfig"]},
                {"ResourceConfig", request["ResourceConfig"]},
                {"StoppingCondition", request["StoppingCondition"]},
                {"CreationTime", job.creationTime},
                {"LastModifiedTime", job.lastModifiedTime},
                {"SecondaryStatusTransitions", job.transitions},
                {"EnableNetworkIsolation", false},
                {"EnableInterContainerTrafficEncryption", false},
                {"EnableManagedSpotTraining", false}};
    for (const char* copied : {"HyperParameters", "Environment"}) {
      if (request.contains(copied)) out[copied] = request[copied];
    }
    if (!job.failureReason.empty()) out["FailureReason"] = job.failureReason;
    if (job.trainingStartTime) out["TrainingStartTime"] = *job.trainingStartTime;
    if (job.trainingEndTime) out["TrainingEndTime"] = *job.trainingEndTime;
    reply(response, 200, out.dump());
  }

  void stop(const Json& body, httplib::Response& response) {
    const std::string name = body.value("TrainingJobName", "");
    const auto found = jobs_.find(name);
    if (found == jobs_.end()) {
      error(response, 400, "ResourceNotFound", "Requested resource not found.", "Message");
      return;
    }
    Job& job = found->second;
    if (job.status != "InProgress") {
      error(response, 400, "ValidationException",
            "The request was rejected because the training job is in status " + job.status + ".", "Message");
      return;
    }
    const double now = nowSeconds();
    job.transitions.back()["EndTime"] = now;
    job.transitions.push_back(
        {{"Status", "Stopping"}, {"StartTime", now}, {"StatusMessage", "Stopping the training job"}});
    job.status = "Stopping";
    job.secondaryStatus = "Stopping";
    job.lastModifiedTime = now;
    reply(response, 200, "");
  }

  const Clock& clock_;
  std::string region_;
  std::string account_;
  mutable std::mutex mutex_;
  std::map<std::string, Secret> credentials_;
  std::map<std::string, Job> jobs_;
  std::vector<Call> calls_;
  std::vector<std::string> rejections_;
  int throttle_ = 0;
  int expire_ = 0;
  bool failCreateAfterCreating_ = false;
  int requestCount_ = 0;
  FakeHttpServer server_;  // last: stops (and joins its thread) before the state above goes
};

}  // namespace launch::testing
