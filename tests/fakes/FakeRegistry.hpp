// FakeRegistry: a cpp-httplib Docker distribution registry and token service, speaking its Basic and Bearer
// challenge flows on the wire and serving manifests by tag or digest with Docker-Content-Digest.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes/FakeHttpServer.hpp"
#include "util/Base64.hpp"
#include "util/Crypto.hpp"

namespace launch::testing {

class FakeRegistry {
 public:
  enum class Auth { None, Basic, Bearer };

  struct Request {
    std::string method;
    std::string path;
    std::string query;  // service=...&scope=... as the client sent it
    std::string authorization;
    std::string accept;
  };

  static constexpr const char* kService = "fake-registry";
  // The media types a registry serves a schema-2 manifest for; without one in Accept, distribution converts
  // to schema 1, whose digest differs.
  static constexpr const char* kManifestType = "application/vnd.docker.distribution.manifest.v2+json";

  explicit FakeRegistry(Auth auth = Auth::Bearer) : auth_(auth) {
    auto& server = server_.server();
    server.Get("/v2/", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      record(request);
      if (!authorized(request, "")) return challenge(response, "");
      response.set_content("{}", "application/json");
    });
    // HEAD is served by the GET handler (cpp-httplib leaves out the body).
    server.Get(R"(/v2/(.+)/manifests/([^/]+))", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      record(request);
      ++manifestRequests_;
      const std::string repository = request.matches[1];
      const std::string reference = request.matches[2];
      if (!authorized(request, repository)) return challenge(response, repository);
      const auto found = manifests_.find(repository + "@" + reference);
      if (found == manifests_.end()) {
        response.status = 404;
        response.set_content(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":")" +
                                 reference + "\"}}]}",
                             "application/json; charset=utf-8");
        return;
      }
      const std::string accept = request.get_header_value("Accept");
      const bool schema2 = accept.find(kManifestType) != std::string::npos ||
                           accept.find("application/vnd.oci.image.manifest.v1+json") != std::string::npos;
      const std::string body = schema2 ? found->second : "{\"schemaVersion\":1,\"name\":\"" + repository + "\"}";
      if (sendDigestHeader_) response.set_header("Docker-Content-Digest", "sha256:" + sha256Hex(body));
      response.set_header("Docker-Distribution-Api-Version", "registry/2.0");
      response.set_content(body, schema2 ? kManifestType : "application/vnd.docker.distribution.manifest.v1+prettyjws");
    });
    server.Get("/token", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      record(request);
      ++tokenRequests_;
      if (request.get_param_value("service") != kService) return tokenError(response, 400, "invalid service");
      const std::string scope = request.get_param_value("scope");
      const std::string authorization = request.get_header_value("Authorization");
      if (authorization.empty()) {
        if (!anonymousPull_) return tokenError(response, 401, "authentication required");
        return issue(response, scope, "");
      }
      const std::string user = basicUser(authorization);
      if (user.empty()) return tokenError(response, 401, "incorrect username or password");
      issue(response, scope, user);
    });
    server.Post("/token", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      record(request);
      ++tokenRequests_;
      httplib::Params form;
      httplib::detail::parse_query_text(request.body, form);
      const auto field = [&form](const std::string& name) {
        const auto found = form.find(name);
        return found == form.end() ? std::string() : found->second;
      };
      lastForm_ = std::map<std::string, std::string>(form.begin(), form.end());
      if (field("grant_type") != "refresh_token" || field("client_id").empty() || field("service") != kService) {
        return tokenError(response, 400, "unsupported grant or missing client_id/service");
      }
      const auto user = identityTokens_.find(field("refresh_token"));
      if (user == identityTokens_.end()) return tokenError(response, 401, "invalid refresh token");
      issue(response, field("scope"), user->second, true);
    });
    server_.start();
  }

  void addUser(const std::string& user, const std::string& password) {
    const std::lock_guard lock(mutex_);
    users_[user] = password;
  }
  void addIdentityToken(const std::string& token, const std::string& user) {
    const std::lock_guard lock(mutex_);
    identityTokens_[token] = user;
  }
  void allowAnonymousPull(bool allow) {
    const std::lock_guard lock(mutex_);
    anonymousPull_ = allow;
  }
  // Stores a schema-2 manifest under a tag (and its digest); returns the digest.
  std::string putManifest(const std::string& repository, const std::string& tag) {
    const std::lock_guard lock(mutex_);
    const std::string body = nlohmann::json{{"schemaVersion", 2},
                                            {"mediaType", kManifestType},
                                            {"config", {{"digest", "sha256:" + sha256Hex(repository + tag)}}},
                                            {"layers", nlohmann::json::array()}}
                                 .dump();
    std::string digest = "sha256:" + sha256Hex(body);
    manifests_[repository + "@" + tag] = body;
    manifests_[repository + "@" + digest] = body;
    return digest;
  }
  // Token lifetime in "expires_in"; 0 leaves the field out.
  void setTokenExpiresIn(int seconds) {
    const std::lock_guard lock(mutex_);
    expiresIn_ = seconds;
  }
  // Answers tokens as "access_token" (the OAuth2 spelling) instead of "token".
  void useAccessTokenField(bool use) {
    const std::lock_guard lock(mutex_);
    accessTokenField_ = use;
  }
  void sendDigestHeader(bool send) {
    const std::lock_guard lock(mutex_);
    sendDigestHeader_ = send;
  }
  // Every issued token stops working (a registry restart, a revoked session).
  void revokeTokens() {
    const std::lock_guard lock(mutex_);
    tokens_.clear();
  }

  std::string url() const { return server_.url(); }
  std::string host() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  int tokenRequests() const {
    const std::lock_guard lock(mutex_);
    return tokenRequests_;
  }
  int manifestRequests() const {
    const std::lock_guard lock(mutex_);
    return manifestRequests_;
  }
  std::vector<Request> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  std::map<std::string, std::string> lastTokenForm() const {
    const std::lock_guard lock(mutex_);
    return lastForm_;
  }

 private:
  struct Grant {
    std::string scope;
    std::string user;
  };

  void record(const httplib::Request& request) {
    std::string query;
    for (const auto& [name, value] : request.params) {
      if (!query.empty()) query += "&";
      query += name;
      query += "=";
      query += value;
    }
    requests_.push_back({request.method, request.path, query, request.get_header_value("Authorization"),
                         request.get_header_value("Accept")});
  }

  // The user a Basic header authenticates, or "" when it does not.
  std::string basicUser(const std::string& authorization) const {
    if (authorization.rfind("Basic ", 0) != 0) return {};
    const auto decoded = base64Decode(authorization.substr(6));
    if (!decoded) return {};
    const std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) return {};
    const auto user = users_.find(decoded->substr(0, colon));
    return user != users_.end() && user->second == decoded->substr(colon + 1) ? user->first : std::string();
  }

  bool authorized(const httplib::Request& request, const std::string& repository) const {
    const std::string authorization = request.get_header_value("Authorization");
    switch (auth_) {
      case Auth::None:
        return true;
      case Auth::Basic:
        return !basicUser(authorization).empty();
      case Auth::Bearer: {
        if (authorization.rfind("Bearer ", 0) != 0) return false;
        const auto grant = tokens_.find(authorization.substr(7));
        if (grant == tokens_.end()) return false;
        return repository.empty() || grant->second.scope == "repository:" + repository + ":pull";
      }
    }
    return false;
  }

  // Byte for byte what docker distribution sends.
  void challenge(httplib::Response& response, const std::string& repository) const {
    response.status = 401;
    if (auth_ == Auth::Basic) {
      response.set_header("WWW-Authenticate", "Basic realm=\"fake-registry\"");
    } else {
      std::string value = "Bearer realm=\"" + url() + "/token\",service=\"" + kService + "\"";
      if (!repository.empty()) value += ",scope=\"repository:" + repository + ":pull\"";
      response.set_header("WWW-Authenticate", value);
    }
    response.set_header("Docker-Distribution-Api-Version", "registry/2.0");
    response.set_content(R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]})",
                         "application/json; charset=utf-8");
  }

  void issue(httplib::Response& response, const std::string& scope, const std::string& user, bool oauthForm = false) {
    const std::string token = "fake-token-" + std::to_string(++issued_);
    tokens_[token] = {scope, user};
    nlohmann::json answer = {{accessTokenField_ || oauthForm ? "access_token" : "token", token},
                             {"issued_at", "2024-01-02T03:04:05Z"}};
    if (expiresIn_ > 0) answer["expires_in"] = expiresIn_;
    if (oauthForm) answer["scope"] = scope;
    response.set_content(answer.dump(), "application/json");
  }

  static void tokenError(httplib::Response& response, int status, const std::string& details) {
    response.status = status;
    response.set_content(nlohmann::json{{"details", details}}.dump(), "application/json");
  }

  const Auth auth_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> users_;
  std::map<std::string, std::string> identityTokens_;
  std::map<std::string, std::string> manifests_;  // "<repository>@<tag or digest>" -> body
  std::map<std::string, Grant> tokens_;
  std::map<std::string, std::string> lastForm_;
  bool anonymousPull_ = false;
  bool accessTokenField_ = false;
  bool sendDigestHeader_ = true;
  int expiresIn_ = 300;
  int issued_ = 0;
  int tokenRequests_ = 0;
  int manifestRequests_ = 0;
  std::vector<Request> requests_;
  FakeHttpServer server_;  // last: stops before the state above goes
};

}  // namespace launch::testing
