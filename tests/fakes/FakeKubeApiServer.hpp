// FakeKubeApiServer: a scripted stand-in for kube-apiserver in unit tests. It records every request and
// answers from per-route scripts (one answer per call, the last one repeating), so tests can inject 429s,
// 5xx, 410s and streamed watch bodies and then assert the exact requests the client made.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/FakeHttpServer.hpp"
#include "kube/KubeConfig.hpp"

namespace launch::testing {

class FakeKubeApiServer {
 public:
  struct Recorded {
    std::string method;
    std::string path;
    std::map<std::string, std::string> query;
    std::string body;
    std::string contentType;
    std::string authorization;
  };
  using Responder = std::function<void(const httplib::Request&, httplib::Response&)>;

  FakeKubeApiServer() {
    auto dispatch = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
    auto& s = http_.server();
    s.Get(".*", dispatch);
    s.Post(".*", dispatch);
    s.Put(".*", dispatch);
    s.Patch(".*", dispatch);
    s.Delete(".*", dispatch);
    http_.start();
  }

  // Answers for METHOD PATH, used in turn; the last one repeats.
  void script(const std::string& method, const std::string& path, std::vector<Responder> responders) {
    const std::lock_guard lock(mutex_);
    routes_[method + " " + path] = std::deque<Responder>(responders.begin(), responders.end());
  }

  static Responder json(int status, const std::string& body, std::map<std::string, std::string> headers = {}) {
    return [status, body, headers](const httplib::Request&, httplib::Response& res) {
      res.status = status;
      for (const auto& [k, v] : headers) res.set_header(k, v);
      res.set_content(body, "application/json");
    };
  }
  static Responder status(int code, const std::string& reason, const std::string& message = "scripted") {
    return json(code, R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":")" + message +
                          R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}");
  }
  // A 200 watch body sent in the given chunks (chunk boundaries need not match lines).
  static Responder chunks(std::vector<std::string> parts) {
    return [parts](const httplib::Request&, httplib::Response& res) {
      auto index = std::make_shared<size_t>(0);
      res.set_chunked_content_provider("application/json", [parts, index](size_t, httplib::DataSink& sink) {
        if (*index < parts.size()) {
          const std::string& part = parts[(*index)++];
          return sink.write(part.data(), part.size());
        }
        sink.done();
        return true;
      });
    };
  }

  std::vector<Recorded> requests() const {
    const std::lock_guard lock(mutex_);
    return recorded_;
  }
  size_t count(const std::string& method, const std::string& path) const {
    const std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& r : recorded_) n += (r.method == method && r.path == path) ? 1 : 0;
    return n;
  }

  kube::KubeConfig config() const {
    kube::KubeConfig config;
    config.server = http_.url();
    config.contextName = "fake";
    return config;
  }
  std::string url() const { return http_.url(); }
  void stop() { http_.stop(); }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    Responder responder;
    {
      const std::lock_guard lock(mutex_);
      Recorded r{req.method,
                 req.path,
                 {},
                 req.body,
                 req.get_header_value("Content-Type"),
                 req.get_header_value("Authorization")};
      for (const auto& [k, v] : req.params) r.query[k] = v;
      recorded_.push_back(std::move(r));
      const auto it = routes_.find(req.method + " " + req.path);
      if (it != routes_.end() && !it->second.empty()) {
        responder = it->second.front();
        if (it->second.size() > 1) it->second.pop_front();
      }
    }
    if (!responder) responder = status(404, "NotFound", "no script for " + req.method + " " + req.path);
    responder(req, res);
  }

  FakeHttpServer http_;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Responder>> routes_;
  std::vector<Recorded> recorded_;
};

}  // namespace launch::testing
