// FakeGcs: a cpp-httplib stand-in for the Cloud Storage JSON API's media upload, media download (alt=media)
// and object delete, which accepts one bearer token, keeps the objects in memory, can deny objects or throttle,
// and answers in the API's JSON error format.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/FakeHttpServer.hpp"

namespace launch::testing {

class FakeGcs {
 public:
  struct Call {
    std::string method;
    std::string target;
    std::string contentType;
    std::string authorization;
  };

  FakeGcs(std::string bucket, std::string token) : bucket_(std::move(bucket)), token_(std::move(token)) {
    auto handler = [this](const httplib::Request& request, httplib::Response& response) { answer(request, response); };
    server_.server().Post(".*", handler);
    server_.server().Delete(".*", handler);
    server_.server().Get(".*", handler);
    server_.start();
  }

  std::string url() const { return server_.url(); }
  std::map<std::string, std::string> objects() const {
    const std::lock_guard lock(mutex_);
    return objects_;
  }
  std::vector<Call> calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  // Stores an object as an upload would, without a request.
  void putObject(const std::string& name, std::string content) {
    const std::lock_guard lock(mutex_);
    objects_[name] = std::move(content);
  }
  // Requests for this object answer 403, as missing IAM permissions would.
  void denyObject(const std::string& name) {
    const std::lock_guard lock(mutex_);
    denied_.push_back(name);
  }
  // The next `count` authorized requests answer 503.
  void failNext(int count) {
    const std::lock_guard lock(mutex_);
    failures_ = count;
  }

 private:
  static void error(httplib::Response& response, int status, const std::string& message) {
    response.status = status;
    response.set_content(nlohmann::json{{"error", {{"code", status}, {"message", message}}}}.dump(),
                         "application/json");
  }

  void answer(const httplib::Request& request, httplib::Response& response) {
    const std::lock_guard lock(mutex_);
    calls_.push_back({request.method, request.target, request.get_header_value("Content-Type"),
                      request.get_header_value("Authorization")});
    if (request.get_header_value("Authorization") != "Bearer " + token_) {
      return error(response, 401, "Invalid Credentials");
    }
    if (failures_ > 0) {
      --failures_;
      return error(response, 503, "Backend Error");
    }
    const std::string upload = "/upload/storage/v1/b/" + bucket_ + "/o";
    const std::string object = "/storage/v1/b/" + bucket_ + "/o/";
    if (request.path.rfind(object, 0) == 0) {
      const std::string name = request.path.substr(object.size());  // httplib decodes %2F
      if (std::find(denied_.begin(), denied_.end(), name) != denied_.end()) {
        return error(response, 403,
                     "test@example.iam.gserviceaccount.com does not have storage.objects.get access to the Google "
                     "Cloud Storage object.");
      }
    }
    if (request.method == "GET" && request.path.rfind(object, 0) == 0) {
      if (request.get_param_value("alt") != "media") return error(response, 400, "only alt=media is faked");
      const std::string name = request.path.substr(object.size());
      const auto it = objects_.find(name);
      if (it == objects_.end()) return error(response, 404, "No such object: " + bucket_ + "/" + name);
      response.set_content(it->second, "application/octet-stream");
      return;
    }
    if (request.method == "POST" && request.path == upload) {
      if (request.get_param_value("uploadType") != "media" || !request.has_param("name")) {
        return error(response, 400, "uploadType=media and name are required");
      }
      const std::string name = request.get_param_value("name");
      objects_[name] = request.body;
      response.set_content(nlohmann::json{{"kind", "storage#object"}, {"bucket", bucket_}, {"name", name}}.dump(),
                           "application/json");
      return;
    }
    if (request.method == "DELETE" && request.path.rfind(object, 0) == 0) {
      const std::string name = request.path.substr(object.size());  // httplib decodes %2F
      if (objects_.erase(name) == 0) return error(response, 404, "No such object: " + bucket_ + "/" + name);
      response.status = 204;
      return;
    }
    error(response, 404, "Not Found");
  }

  std::string bucket_;
  std::string token_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> objects_;
  std::vector<Call> calls_;
  std::vector<std::string> denied_;
  int failures_ = 0;
  FakeHttpServer server_;
};

}  // namespace launch::testing
