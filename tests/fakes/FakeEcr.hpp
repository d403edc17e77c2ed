// FakeEcr: a cpp-httplib stand-in for ECR's GetAuthorizationToken that checks the SigV4 signature itself (its
// own canonical request and key derivation, with the secret it was given) and answers like AWS JSON 1.1.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fakes/FakeHttpServer.hpp"
#include "util/Base64.hpp"
#include "util/Clock.hpp"
#include "util/Crypto.hpp"

namespace launch::testing {

class FakeEcr {
 public:
  explicit FakeEcr(const Clock& clock) : clock_(clock) {
    server_.server().Post("/", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      ++requests_;
      if (!failures_.empty()) {
        const Failure failure = failures_.front();
        failures_.erase(failures_.begin());
        return error(response, failure.status, failure.code, failure.message);
      }
      if (request.get_header_value("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken") {
        return error(response, 400, "UnknownOperationException", "");
      }
      if (request.get_header_value("Content-Type") != "application/x-amz-json-1.1") {
        return error(response, 400, "SerializationException", "expected application/x-amz-json-1.1");
      }
      if (const std::string why = verifySignature(request); !why.empty()) {
        lastRejection_ = why;
        const bool unknownKey = why.rfind("unknown", 0) == 0;
        return error(response, unknownKey ? 400 : 403,
                     unknownKey ? "UnrecognizedClientException" : "InvalidSignatureException",
                     unknownKey ? "The security token included in the request is invalid."
                                : "The request signature we calculated does not match the signature you provided. "
                                  "Check your AWS Secret Access Key and signing method.");
      }
      ++accepted_;
      char expires[32];
      std::snprintf(expires, sizeof(expires), "%.3f", expiresAt_);
      // expiresAt is a JSON number with a fraction, as botocore's model (timestamp) serializes it.
      response.set_content(std::string("{\"authorizationData\":[{\"authorizationToken\":\"") +
                               base64Encode("AWS:" + password_) + "\",\"expiresAt\":" + expires +
                               ",\"proxyEndpoint\":\"https://123456789012.dkr.ecr." + region_ + ".amazonaws.com\"}]}",
                           "application/x-amz-json-1.1");
    });
    expiresAt_ = secondsSinceEpoch(clock_.wallNow()) + 12 * 3600;
    server_.start();
  }

  std::string url() const { return server_.url(); }
  void setCredentials(std::string accessKeyId, std::string secret, std::string sessionToken = "") {
    const std::lock_guard lock(mutex_);
    accessKeyId_ = std::move(accessKeyId);
    secret_ = std::move(secret);
    sessionToken_ = std::move(sessionToken);
  }
  void setRegion(std::string region) {
    const std::lock_guard lock(mutex_);
    region_ = std::move(region);
  }
  void setPassword(std::string password) {
    const std::lock_guard lock(mutex_);
    password_ = std::move(password);
  }
  void setExpiresAt(std::chrono::system_clock::time_point at) {
    const std::lock_guard lock(mutex_);
    expiresAt_ = secondsSinceEpoch(at);
  }
  // The next `count` calls answer this error instead.
  void failNext(int count, int status, const std::string& code, const std::string& message) {
    const std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i) failures_.push_back({status, code, message});
  }
  int requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  int acceptedRequests() const {
    const std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::string lastRejection() const {
    const std::lock_guard lock(mutex_);
    return lastRejection_;
  }

 private:
  struct Failure {
    int status;
    std::string code;
    std::string message;
  };

  static double secondsSinceEpoch(std::chrono::system_clock::time_point time) {
    return std::chrono::duration<double>(time.time_since_epoch()).count();
  }

  static std::string canonicalValue(const std::string& value) {
    std::string out;
    bool space = false;
    for (const char c : value) {
      if (c == ' ' || c == '\t') {
        space = !out.empty();
        continue;
      }
      if (space) out += ' ';
      space = false;
      out += c;
    }
    return out;
  }

  static std::map<std::string, std::string> authorizationFields(const std::string& header) {
    std::map<std::string, std::string> fields;
    std::stringstream parts(header.substr(header.find(' ') + 1));
    std::string part;
    while (std::getline(parts, part, ',')) {
      while (!part.empty() && part.front() == ' ') part.erase(0, 1);
      const std::size_t equals = part.find('=');
      if (equals != std::string::npos) fields[part.substr(0, equals)] = part.substr(equals + 1);
    }
    return fields;
  }

  // Empty when the signature is right; otherwise why not (starting with "unknown" for an unknown key).
  std::string verifySignature(const httplib::Request& request) const {
    const std::string header = request.get_header_value("Authorization");
    if (header.rfind("AWS4-HMAC-SHA256 ", 0) != 0) return "unknown: no SigV4 Authorization header";
    auto fields = authorizationFields(header);
    std::vector<std::string> scope;
    std::stringstream credential(fields["Credential"]);
    for (std::string piece; std::getline(credential, piece, '/');) scope.push_back(piece);
    if (scope.size() != 5) return "the credential scope is malformed";
    if (scope[0] != accessKeyId_) return "unknown access key " + scope[0];
    const std::string amzDate = request.get_header_value("X-Amz-Date");
    if (amzDate.size() != 16 || amzDate.substr(0, 8) != scope[1]) return "X-Amz-Date does not match the scope";
    if (scope[2] != region_ || scope[3] != "ecr" || scope[4] != "aws4_request") {
      return "the scope names " + scope[2] + "/" + scope[3] + ", not " + region_ + "/ecr";
    }
    std::tm signedAt{};
    if (std::sscanf(amzDate.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &signedAt.tm_year, &signedAt.tm_mon, &signedAt.tm_mday,
                    &signedAt.tm_hour, &signedAt.tm_min, &signedAt.tm_sec) != 6) {
      return "X-Amz-Date is malformed";
    }
    signedAt.tm_year -= 1900;
    signedAt.tm_mon -= 1;
    const auto skew = timegm(&signedAt) - std::chrono::system_clock::to_time_t(clock_.wallNow());
    if (skew > 900 || skew < -900) return "X-Amz-Date is more than 15 minutes off the fake's clock";

    std::vector<std::string> signedHeaders;
    std::stringstream names(fields["SignedHeaders"]);
    for (std::string name; std::getline(names, name, ';');) signedHeaders.push_back(name);
    for (const char* required : {"host", "x-amz-date", "x-amz-target"}) {
      if (std::find(signedHeaders.begin(), signedHeaders.end(), required) == signedHeaders.end()) {
        return std::string(required) + " is not signed";
      }
    }
    if (!sessionToken_.empty()) {
      if (request.get_header_value("X-Amz-Security-Token") != sessionToken_) return "wrong session token";
      if (std::find(signedHeaders.begin(), signedHeaders.end(), "x-amz-security-token") == signedHeaders.end()) {
        return "the session token is not signed";
      }
    }
    std::string canonical = request.method + "\n/\n\n";
    for (const auto& name : signedHeaders)
      canonical += name + ":" + canonicalValue(request.get_header_value(name)) + "\n";
    canonical += "\n" + fields["SignedHeaders"] + "\n" + sha256Hex(request.body);
    const std::string stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope[1] + "/" + scope[2] + "/" +
                                     scope[3] + "/aws4_request\n" + sha256Hex(canonical);
    std::string key = hmacSha256("AWS4" + secret_, scope[1]);
    key = hmacSha256(key, scope[2]);
    key = hmacSha256(key, scope[3]);
    key = hmacSha256(key, "aws4_request");
    if (toHex(hmacSha256(key, stringToSign)) != fields["Signature"]) return "the signature does not match";
    return {};
  }

  static void error(httplib::Response& response, int status, const std::string& code, const std::string& message) {
    response.status = status;
    response.set_header("X-Amzn-ErrorType", code);
    response.set_content(nlohmann::json{{"__type", code}, {"message", message}}.dump(), "application/x-amz-json-1.1");
  }

  const Clock& clock_;
  mutable std::mutex mutex_;
  std::string accessKeyId_ = "AKIDEXAMPLE";
  std::string secret_ = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  std::string sessionToken_;
  std::string region_ = "us-east-1";
  std::string password_ = "ecr-password-0123456789";
  double expiresAt_ = 0;
  std::vector<Failure> failures_;
  int requests_ = 0;
  int accepted_ = 0;
  std::string lastRejection_;
  FakeHttpServer server_;
};

}  // namespace launch::testing
