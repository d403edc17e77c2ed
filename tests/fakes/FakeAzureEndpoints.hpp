// FakeAzureEndpoints: cpp-httplib stand-ins for Entra ID's client-credentials token endpoint and ACR's
// /oauth2/exchange on one server; the exchange accepts only tokens the Entra ID fake issued, for their tenant.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "fakes/FakeHttpServer.hpp"
#include "util/Base64.hpp"
#include "util/Clock.hpp"

namespace launch::testing {

class FakeAzureEndpoints {
 public:
  static constexpr const char* kManagementScope = "https://management.azure.com/.default";

  explicit FakeAzureEndpoints(const Clock& clock, std::string registry = "launchtest.azurecr.io")
      : clock_(clock), registry_(std::move(registry)) {
    auto& server = server_.server();
    server.Post(R"(/([^/]+)/oauth2/v2\.0/token)", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      ++tokenRequests_;
      const auto form = parse(request.body);
      lastTokenForm_ = form;
      const std::string tenant = request.matches[1];
      if (request.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
        return aadError(response, 400, "invalid_request", "AADSTS900144: The request body must contain 'grant_type'.");
      }
      if (tenants_.count(tenant) == 0) {
        return aadError(response, 400, "invalid_request",
                        "AADSTS90002: Tenant '" + tenant +
                            "' not found. Check to make sure you have the correct "
                            "tenant ID.\r\nTrace ID: 0000\r\nCorrelation ID: 1111");
      }
      if (field(form, "grant_type") != "client_credentials") {
        return aadError(response, 400, "unsupported_grant_type", "AADSTS70003: unsupported grant type");
      }
      if (field(form, "scope") != kManagementScope) {
        return aadError(response, 400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.");
      }
      const auto principal = principals_.find(tenant + "/" + field(form, "client_id"));
      if (principal == principals_.end()) {
        return aadError(response, 400, "unauthorized_client",
                        "AADSTS700016: Application with identifier '" + field(form, "client_id") + "' was not found.");
      }
      const bool secretOk =
          !principal->second.secret.empty() && field(form, "client_secret") == principal->second.secret;
      const bool assertionOk =
          !principal->second.assertion.empty() &&
          field(form, "client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
          field(form, "client_assertion") == principal->second.assertion;
      if (!secretOk && !assertionOk) {
        return aadError(response, 401, "invalid_client",
                        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request "
                        "is the client secret value, not the client secret ID.");
      }
      const std::string token = "aad-token-" + std::to_string(++aadIssued_);
      aadTokens_[token] = tenant;
      response.set_content(nlohmann::json{{"token_type", "Bearer"},
                                          {"expires_in", aadExpiresIn_},
                                          {"ext_expires_in", aadExpiresIn_},
                                          {"access_token", token}}
                               .dump(),
                           "application/json; charset=utf-8");
    });
    server.Post("/oauth2/exchange", [this](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard lock(mutex_);
      ++exchangeRequests_;
      const auto form = parse(request.body);
      lastExchangeForm_ = form;
      if (field(form, "grant_type") != "access_token" || field(form, "service") != registry_) {
        return acrError(response, 400, "grant_type must be access_token and service the registry");
      }
      const auto issued = aadTokens_.find(field(form, "access_token"));
      if (issued == aadTokens_.end() || issued->second != field(form, "tenant")) {
        return acrError(response, 401, "invalid access token or tenant");
      }
      if (forbidden_) return acrError(response, 403, "client does not have permission to pull");
      const long long exp =
          std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count() +
          refreshLifetime_;
      const std::string claims = nlohmann::json{
          {"jti", "refresh-" + std::to_string(++refreshIssued_)},
          {"grant_type", "refresh_token"},
          {"tenant", issued->second},
          {"aud", registry_},
          {"exp", exp}}.dump();
      std::string token = base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})") + "." + base64UrlEncode(claims) + "." +
                          base64UrlEncode("not-a-real-signature");
      refreshTokens_.push_back(token);
      response.set_content(nlohmann::json{{"refresh_token", token}}.dump(), "application/json; charset=utf-8");
    });
    server_.start();
  }

  void addTenant(const std::string& tenant) {
    const std::lock_guard lock(mutex_);
    tenants_[tenant] = true;
  }
  void addServicePrincipal(const std::string& tenant, const std::string& clientId, const std::string& secret) {
    const std::lock_guard lock(mutex_);
    tenants_[tenant] = true;
    principals_[tenant + "/" + clientId].secret = secret;
  }
  void addFederatedPrincipal(const std::string& tenant, const std::string& clientId, const std::string& assertion) {
    const std::lock_guard lock(mutex_);
    tenants_[tenant] = true;
    principals_[tenant + "/" + clientId].assertion = assertion;
  }
  void setRefreshTokenLifetime(long long seconds) {
    const std::lock_guard lock(mutex_);
    refreshLifetime_ = seconds;
  }
  void setForbidden(bool forbidden) {
    const std::lock_guard lock(mutex_);
    forbidden_ = forbidden;
  }

  std::string authority() const { return server_.url(); }
  std::string registryEndpoint() const { return server_.url(); }
  const std::string& registry() const { return registry_; }
  int tokenRequests() const {
    const std::lock_guard lock(mutex_);
    return tokenRequests_;
  }
  int exchangeRequests() const {
    const std::lock_guard lock(mutex_);
    return exchangeRequests_;
  }
  std::vector<std::string> refreshTokens() const {
    const std::lock_guard lock(mutex_);
    return refreshTokens_;
  }
  std::map<std::string, std::string> lastTokenForm() const {
    const std::lock_guard lock(mutex_);
    return lastTokenForm_;
  }
  std::map<std::string, std::string> lastExchangeForm() const {
    const std::lock_guard lock(mutex_);
    return lastExchangeForm_;
  }

 private:
  struct Principal {
    std::string secret;
    std::string assertion;
  };

  static std::map<std::string, std::string> parse(const std::string& body) {
    httplib::Params params;
    httplib::detail::parse_query_text(body, params);
    return {params.begin(), params.end()};
  }
  static std::string field(const std::map<std::string, std::string>& form, const std::string& name) {
    const auto found = form.find(name);
    return found == form.end() ? std::string() : found->second;
  }
  static void aadError(httplib::Response& response, int status, const std::string& error,
                       const std::string& description) {
    response.status = status;
    response.set_content(nlohmann::json{{"error", error},
                                        {"error_description", description},
                                        {"error_codes", {7000215}},
                                        {"timestamp", "2024-01-02 03:04:05Z"},
                                        {"trace_id", "0000"},
                                        {"correlation_id", "1111"}}
                             .dump(),
                         "application/json; charset=utf-8");
  }
  static void acrError(httplib::Response& response, int status, const std::string& message) {
    response.status = status;
    response.set_content(
        nlohmann::json{{"errors", {{{"code", status == 401 ? "UNAUTHORIZED" : "DENIED"}, {"message", message}}}}}
            .dump(),
        "application/json; charset=utf-8");
  }

  const Clock& clock_;
  const std::string registry_;
  mutable std::mutex mutex_;
  std::map<std::string, bool> tenants_;
  std::map<std::string, Principal> principals_;
  std::map<std::string, std::string> aadTokens_;  // token -> tenant
  std::vector<std::string> refreshTokens_;
  std::map<std::string, std::string> lastTokenForm_;
  std::map<std::string, std::string> lastExchangeForm_;
  int aadExpiresIn_ = 3599;
  long long refreshLifetime_ = 3LL * 3600;
  bool forbidden_ = false;
  int aadIssued_ = 0;
  int refreshIssued_ = 0;
  int tokenRequests_ = 0;
  int exchangeRequests_ = 0;
  FakeHttpServer server_;
};

}  // namespace launch::testing
