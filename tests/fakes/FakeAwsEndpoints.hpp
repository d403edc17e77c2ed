// FakeAwsEndpoints: cpp-httplib stand-ins for STS AssumeRoleWithWebIdentity, the ECS/EKS container credentials
// endpoint and the EC2 instance metadata service (IMDSv2), answering in the documented wire formats.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fakes/FakeHttpServer.hpp"

namespace launch::testing {

// "2015-08-30T12:36:00Z", the form every AWS credential document uses.
inline std::string awsIso8601(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto days = floor<std::chrono::days>(seconds);
  const year_month_day date{days};
  const hh_mm_ss clock{seconds - days};
  char out[32];
  std::snprintf(out, sizeof(out), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return out;
}

struct FakeAwsCredentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;
  std::string expiration;  // ISO 8601
};

// Decodes an application/x-www-form-urlencoded body ('+' is a space there).
inline std::map<std::string, std::string> parseFormBody(const std::string& body) {
  std::map<std::string, std::string> fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    const std::string pair = body.substr(start, end - start);
    const size_t equals = pair.find('=');
    if (!pair.empty()) {
      fields[httplib::detail::decode_url(pair.substr(0, equals), true)] =
          equals == std::string::npos ? "" : httplib::detail::decode_url(pair.substr(equals + 1), true);
    }
    start = end + 1;
  }
  return fields;
}

// STS: POST / with a form body. Answers the XML of the AssumeRoleWithWebIdentity documentation, or an
// ErrorResponse (InvalidIdentityToken for a token it did not issue, AccessDenied for an unknown role).
class FakeSts {
 public:
  struct Call {
    std::map<std::string, std::string> form;
    std::string contentType;
    bool signedRequest = false;  // carried an Authorization header (the operation is unsigned)
  };

  FakeSts() {
    server_.server().Post("/", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      Call call{parseFormBody(request.body), request.get_header_value("Content-Type"),
                request.has_header("Authorization")};
      calls_.push_back(call);
      auto field = [&](const char* name) {
        const auto it = call.form.find(name);
        return it == call.form.end() ? std::string() : it->second;
      };
      if (!forcedErrorCode_.empty()) return error(response, forcedStatus_, forcedErrorCode_, forcedErrorMessage_);
      if (field("Action") != "AssumeRoleWithWebIdentity" || field("Version") != "2011-06-15") {
        return error(response, 400, "InvalidAction", "Could not find operation " + field("Action"));
      }
      if (field("RoleSessionName").empty() || field("WebIdentityToken").empty() || field("RoleArn").empty()) {
        return error(response, 400, "ValidationError", "RoleArn, RoleSessionName and WebIdentityToken are required");
      }
      if (validTokens_.count(field("WebIdentityToken")) == 0) {
        return error(response, 400, "InvalidIdentityToken", "Incorrect token audience");
      }
      if (field("RoleArn") != roleArn_) {
        return error(response, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
      }
      response.set_content(success(field("RoleArn"), field("RoleSessionName")), "text/xml");
    });
    server_.start();
  }

  std::string url() const { return server_.url(); }
  void setRoleArn(std::string arn) {
    const std::lock_guard lock(mutex_);
    roleArn_ = std::move(arn);
  }
  void acceptToken(std::string token) {
    const std::lock_guard lock(mutex_);
    validTokens_.insert(std::move(token));
  }
  void setCredentials(FakeAwsCredentials credentials) {
    const std::lock_guard lock(mutex_);
    credentials_ = std::move(credentials);
  }
  // Every call answers this error until cleared with an empty code.
  void failWith(int status, std::string code, std::string message) {
    const std::lock_guard lock(mutex_);
    forcedStatus_ = status;
    forcedErrorCode_ = std::move(code);
    forcedErrorMessage_ = std::move(message);
  }
  std::vector<Call> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::string success(const std::string& roleArn, const std::string& sessionName) const {
    const std::string roleName = roleArn.substr(roleArn.rfind('/') + 1);
    return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
           "  <AssumeRoleWithWebIdentityResult>\n"
           "    <SubjectFromWebIdentityToken>system:serviceaccount:launch:agent</SubjectFromWebIdentityToken>\n"
           "    <Audience>sts.amazonaws.com</Audience>\n"
           "    <AssumedRoleUser>\n"
           "      <Arn>arn:aws:sts::123456789012:assumed-role/" +
           roleName + "/" + sessionName +
           "</Arn>\n"
           "      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:" +
           sessionName +
           "</AssumedRoleId>\n"
           "    </AssumedRoleUser>\n"
           "    <Credentials>\n"
           "      <SessionToken>" +
           credentials_.sessionToken +
           "</SessionToken>\n"
           "      <SecretAccessKey>" +
           credentials_.secretAccessKey +
           "</SecretAccessKey>\n"
           "      <Expiration>" +
           credentials_.expiration +
           "</Expiration>\n"
           "      <AccessKeyId>" +
           credentials_.accessKeyId +
           "</AccessKeyId>\n"
           "    </Credentials>\n"
           "    <Provider>oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE</Provider>\n"
           "  </AssumeRoleWithWebIdentityResult>\n"
           "  <ResponseMetadata>\n"
           "    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>\n"
           "  </ResponseMetadata>\n"
           "</AssumeRoleWithWebIdentityResponse>\n";
  }

  static void error(httplib::Response& response, int status, const std::string& code, const std::string& message) {
    response.status = status;
    response.set_content(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>" +
            code + "</Code>\n    <Message>" + message +
            "</Message>\n"
            "  </Error>\n"
            "  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
            "</ErrorResponse>\n",
        "text/xml");
  }

  mutable std::mutex mutex_;
  std::string roleArn_;
  std::set<std::string> validTokens_;
  FakeAwsCredentials credentials_;
  int forcedStatus_ = 0;
  std::string forcedErrorCode_;
  std::string forcedErrorMessage_;
  std::vector<Call> calls_;
  FakeHttpServer server_;  // last: stops (and joins its thread) before the state above goes
};

// The container credentials endpoint (ECS agent, EKS Pod Identity agent): GET <path> with an optional required
// Authorization header; answers the JSON document with AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn.
class FakeContainerEndpoint {
 public:
  explicit FakeContainerEndpoint(std::string path = "/v2/credentials/7c6e2a3b-task") : path_(std::move(path)) {
    server_.server().Get(path_, [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      seenAuthorization_.push_back(request.get_header_value("Authorization"));
      if (!requiredAuthorization_.empty() && request.get_header_value("Authorization") != requiredAuthorization_) {
        response.status = 401;
        response.set_content(R"({"code":"AccessDeniedException","message":"invalid authorization token"})",
                             "application/json");
        return;
      }
      if (!rawBody_.empty()) {
        response.set_content(rawBody_, "application/json");
        return;
      }
      response.set_content("{\"RoleArn\":\"arn:aws:iam::123456789012:role/launch-task\",\"AccessKeyId\":\"" +
                               credentials_.accessKeyId + "\",\"SecretAccessKey\":\"" + credentials_.secretAccessKey +
                               "\",\"Token\":\"" + credentials_.sessionToken + "\",\"Expiration\":\"" +
                               credentials_.expiration + "\"}",
                           "application/json");
    });
    server_.start();
  }

  std::string url() const { return server_.url(); }
  std::string fullUri() const { return server_.url() + path_; }
  const std::string& path() const { return path_; }
  void requireAuthorization(std::string value) {
    const std::lock_guard lock(mutex_);
    requiredAuthorization_ = std::move(value);
  }
  void setCredentials(FakeAwsCredentials credentials) {
    const std::lock_guard lock(mutex_);
    credentials_ = std::move(credentials);
  }
  // Answers this body verbatim instead of the credential document (to test malformed answers).
  void answerRaw(std::string body) {
    const std::lock_guard lock(mutex_);
    rawBody_ = std::move(body);
  }
  std::vector<std::string> seenAuthorization() const {
    const std::lock_guard lock(mutex_);
    return seenAuthorization_;
  }

 private:
  std::string path_;
  mutable std::mutex mutex_;
  std::string requiredAuthorization_;
  std::string rawBody_;
  FakeAwsCredentials credentials_;
  std::vector<std::string> seenAuthorization_;
  FakeHttpServer server_;
};

// EC2 instance metadata, IMDSv2 only by default: PUT /latest/api/token (needs the TTL header, refuses
// X-Forwarded-For like the real service) hands out a token; the security-credentials paths answer 401 without a
// current one. revokeTokens() makes every issued token stale, as a token past its TTL is.
class FakeImds {
 public:
  FakeImds() {
    auto& server = server_.server();
    server.Put("/latest/api/token", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      ++tokenRequests_;
      ttlHeaders_.push_back(request.get_header_value("X-aws-ec2-metadata-token-ttl-seconds"));
      if (v1Only_) {
        response.status = 404;
        return;
      }
      if (request.has_header("X-Forwarded-For")) {
        response.status = 403;
        return;
      }
      const std::string ttl = request.get_header_value("X-aws-ec2-metadata-token-ttl-seconds");
      if (ttl.empty()) {
        response.status = 400;
        return;
      }
      const std::string token = "AQAEAFakeImdsToken-" + std::to_string(tokenRequests_) + "==";
      validTokens_.insert(token);
      response.set_header("X-aws-ec2-metadata-token-ttl-seconds", ttl);
      response.set_content(token, "text/plain");
    });
    server.Get(R"(/latest/meta-data/iam/security-credentials/(.*))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 const std::lock_guard lock(mutex_);
                 const std::string token = request.get_header_value("X-aws-ec2-metadata-token");
                 if (!v1Only_ && validTokens_.count(token) == 0) {
                   ++rejectedRequests_;
                   response.status = 401;
                   return;
                 }
                 const std::string role = request.matches[1];
                 if (role.empty()) {
                   if (roleName_.empty()) {
                     response.status = 404;
                     return;
                   }
                   response.set_content(roleName_, "text/plain");
                   return;
                 }
                 if (role != roleName_) {
                   response.status = 404;
                   return;
                 }
                 ++credentialRequests_;
                 response.set_content(
                     "{\n"
                     "  \"Code\" : \"Success\",\n"
                     "  \"LastUpdated\" : \"2023-11-14T22:00:00Z\",\n"
                     "  \"Type\" : \"AWS-HMAC\",\n"
                     "  \"AccessKeyId\" : \"" +
                         credentials_.accessKeyId + "\",\n  \"SecretAccessKey\" : \"" + credentials_.secretAccessKey +
                         "\",\n  \"Token\" : \"" + credentials_.sessionToken + "\",\n  \"Expiration\" : \"" +
                         credentials_.expiration + "\"\n}",
                     "text/plain");
               });
    server_.start();
  }

  std::string url() const { return server_.url(); }
  void setRole(std::string name) {
    const std::lock_guard lock(mutex_);
    roleName_ = std::move(name);
  }
  void setCredentials(FakeAwsCredentials credentials) {
    const std::lock_guard lock(mutex_);
    credentials_ = std::move(credentials);
  }
  void revokeTokens() {
    const std::lock_guard lock(mutex_);
    validTokens_.clear();
  }
  // Behaves like an IMDSv1-only service: no tokens (404 on the PUT), no token checks.
  void setV1Only(bool v1Only) {
    const std::lock_guard lock(mutex_);
    v1Only_ = v1Only;
  }
  int tokenRequests() const {
    const std::lock_guard lock(mutex_);
    return tokenRequests_;
  }
  int credentialRequests() const {
    const std::lock_guard lock(mutex_);
    return credentialRequests_;
  }
  int rejectedRequests() const {
    const std::lock_guard lock(mutex_);
    return rejectedRequests_;
  }
  std::vector<std::string> ttlHeaders() const {
    const std::lock_guard lock(mutex_);
    return ttlHeaders_;
  }

 private:
  mutable std::mutex mutex_;
  std::string roleName_ = "launch-instance-role";
  FakeAwsCredentials credentials_;
  std::set<std::string> validTokens_;
  bool v1Only_ = false;
  int tokenRequests_ = 0;
  int credentialRequests_ = 0;
  int rejectedRequests_ = 0;
  std::vector<std::string> ttlHeaders_;
  FakeHttpServer server_;
};

}  // namespace launch::testing
