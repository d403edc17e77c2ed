// FakeS3: a cpp-httplib stand-in for S3's path-style PutObject, GetObject and DeleteObject that checks each
// request's SigV4 signature itself (S3's rules: the path signed as sent, X-Amz-Content-Sha256 signed and equal
// to the body's hash), keeps the objects in memory, and can deny keys or throttle.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/FakeHttpServer.hpp"
#include "util/Crypto.hpp"

namespace launch::testing {

class FakeS3 {
 public:
  struct Call {
    std::string method;
    std::string target;                          // the request line's path and query, as sent
    std::map<std::string, std::string> headers;  // lower-case names
    std::size_t bodySize = 0;
    std::string rejection;  // why the signature check failed; empty when it passed
  };

  explicit FakeS3(std::string bucket, std::string region = "us-east-1")
      : bucket_(std::move(bucket)), region_(std::move(region)) {
    auto handler = [this](const httplib::Request& request, httplib::Response& response) { answer(request, response); };
    server_.server().Put(".*", handler);
    server_.server().Get(".*", handler);
    server_.server().Delete(".*", handler);
    server_.start();
  }

  std::string url() const { return server_.url(); }
  const std::string& accessKeyId() const { return accessKeyId_; }
  const std::string& secret() const { return secret_; }

  std::map<std::string, std::string> objects() const {
    const std::lock_guard lock(mutex_);
    return objects_;
  }
  std::vector<Call> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  // Stores an object as a PutObject would, without a request.
  void putObject(const std::string& key, std::string content) {
    const std::lock_guard lock(mutex_);
    objects_[key] = std::move(content);
  }
  // Requests for this key answer 403 AccessDenied (after their signature is checked), as a bucket policy would.
  void denyKey(const std::string& key) {
    const std::lock_guard lock(mutex_);
    denied_.push_back(key);
  }
  // The next `count` requests answer 503 SlowDown (after their signature is checked).
  void throttleNext(int count) {
    const std::lock_guard lock(mutex_);
    throttle_ = count;
  }

 private:
  static std::string trimmed(std::string value) {
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    std::string out;
    for (const char c : value) {
      if (c == ' ' && !out.empty() && out.back() == ' ') continue;
      out.push_back(c);
    }
    return out;
  }

  static void error(httplib::Response& response, int status, const std::string& code, const std::string& message) {
    response.status = status;
    response.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
                             message + "</Message></Error>",
                         "application/xml");
  }

  // Empty when the request is signed right; otherwise why not.
  std::string verify(const httplib::Request& request, Call& call) const {
    const std::string authorization = request.get_header_value("Authorization");
    const std::string algorithm = "AWS4-HMAC-SHA256 ";
    if (authorization.rfind(algorithm, 0) != 0) return "no SigV4 Authorization header";
    std::map<std::string, std::string> fields;
    std::stringstream parts(authorization.substr(algorithm.size()));
    for (std::string part; std::getline(parts, part, ',');) {
      part = trimmed(part);
      const std::size_t equals = part.find('=');
      if (equals != std::string::npos) fields[part.substr(0, equals)] = part.substr(equals + 1);
    }
    std::vector<std::string> scope;
    std::stringstream credential(fields["Credential"]);
    for (std::string piece; std::getline(credential, piece, '/');) scope.push_back(piece);
    if (scope.size() != 5 || scope[0] != accessKeyId_) return "unknown access key";
    if (scope[2] != region_ || scope[3] != "s3" || scope[4] != "aws4_request")
      return "wrong scope " + fields["Credential"];
    const std::string amzDate = request.get_header_value("X-Amz-Date");
    if (amzDate.size() != 16 || amzDate.substr(0, 8) != scope[1]) return "X-Amz-Date does not match the scope";
    const std::string payloadHash = request.get_header_value("X-Amz-Content-Sha256");
    if (payloadHash != sha256Hex(request.body)) return "X-Amz-Content-Sha256 is not the body's SHA-256";

    std::vector<std::string> signedHeaders;
    std::stringstream names(fields["SignedHeaders"]);
    for (std::string name; std::getline(names, name, ';');) signedHeaders.push_back(name);
    for (const char* required : {"host", "x-amz-date", "x-amz-content-sha256"}) {
      if (std::find(signedHeaders.begin(), signedHeaders.end(), required) == signedHeaders.end()) {
        return std::string(required) + " is not signed";
      }
    }
    const std::string& target = request.target;
    const std::size_t question = target.find('?');
    const std::string path = target.substr(0, question);
    // Sorted query parameters, as sent (already encoded).
    std::vector<std::string> query;
    if (question != std::string::npos) {
      std::stringstream params(target.substr(question + 1));
      for (std::string p; std::getline(params, p, '&');)
        query.push_back(p.find('=') == std::string::npos ? p + "=" : p);
      std::sort(query.begin(), query.end());
    }
    std::string canonical = request.method + "\n" + path + "\n";
    for (std::size_t i = 0; i < query.size(); ++i) canonical += (i == 0 ? "" : "&") + query[i];
    canonical += "\n";
    for (const auto& name : signedHeaders) canonical += name + ":" + trimmed(request.get_header_value(name)) + "\n";
    canonical += "\n" + fields["SignedHeaders"] + "\n" + payloadHash;
    const std::string stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope[1] + "/" + scope[2] + "/" +
                                     scope[3] + "/aws4_request\n" + sha256Hex(canonical);
    std::string key = hmacSha256("AWS4" + secret_, scope[1]);
    key = hmacSha256(key, scope[2]);
    key = hmacSha256(key, scope[3]);
    key = hmacSha256(key, "aws4_request");
    if (toHex(hmacSha256(key, stringToSign)) != fields["Signature"]) return "the signature does not match";
    (void)call;
    return {};
  }

  void answer(const httplib::Request& request, httplib::Response& response) {
    const std::lock_guard lock(mutex_);
    Call call{request.method, request.target, {}, request.body.size(), {}};
    for (const auto& [name, value] : request.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      call.headers[lower] = value;
    }
    call.rejection = verify(request, call);
    calls_.push_back(call);
    if (!call.rejection.empty()) return error(response, 403, "SignatureDoesNotMatch", call.rejection);
    if (throttle_ > 0) {
      --throttle_;
      return error(response, 503, "SlowDown", "Please reduce your request rate.");
    }
    const std::string prefix = "/" + bucket_ + "/";
    const std::string& path = request.path;  // decoded, as S3 reads keys ("a%20b" is the key "a b")
    if (path.rfind(prefix, 0) != 0) return error(response, 404, "NoSuchBucket", "The specified bucket does not exist");
    const std::string key = path.substr(prefix.size());
    if (std::find(denied_.begin(), denied_.end(), key) != denied_.end()) {
      return error(response, 403, "AccessDenied", "Access Denied");
    }
    if (request.method == "PUT") {
      objects_[key] = request.body;
      response.status = 200;
      response.set_header("ETag", "\"" + sha256Hex(request.body).substr(0, 32) + "\"");
    } else if (request.method == "GET") {
      const auto it = objects_.find(key);
      if (it == objects_.end()) return error(response, 404, "NoSuchKey", "The specified key does not exist.");
      response.set_content(it->second, "application/octet-stream");
    } else {
      objects_.erase(key);
      response.status = 204;  // S3 answers 204 whether or not the key existed
    }
  }

  std::string bucket_;
  std::string region_;
  std::string accessKeyId_ = "AKIDEXAMPLE";
  std::string secret_ = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  mutable std::mutex mutex_;
  std::map<std::string, std::string> objects_;
  std::vector<Call> calls_;
  std::vector<std::string> denied_;
  int throttle_ = 0;
  FakeHttpServer server_;
};

}  // namespace launch::testing
