// FakeGoogleEndpoints: verifying fakes of Google's token endpoint and metadata server, with test keys and files.
#pragma once

#include <httplib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cloud/Jwt.hpp"
#include "fakes/FakeHttpServer.hpp"
#include "util/Clock.hpp"
#include "util/Files.hpp"

namespace launch::testing {

struct RsaKeyPair {
  std::string privateKeyPem;  // PKCS#8, as in Google's service-account key files
  std::string publicKeyPem;   // SubjectPublicKeyInfo
};

// A fresh RSA key pair from OpenSSL (EVP_RSA_gen); throws if OpenSSL fails, which only a broken build does.
inline RsaKeyPair generateRsaKeyPair(unsigned int bits = 2048) {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(bits), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("EVP_RSA_gen failed");
  const auto pem = [](const std::function<int(BIO*)>& write) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (write(bio.get()) != 1) throw std::runtime_error("PEM_write_bio failed");
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  };
  RsaKeyPair pair;
  pair.privateKeyPem =
      pem([&](BIO* bio) { return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  pair.publicKeyPem = pem([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); });
  return pair;
}

// Key generation costs tens of milliseconds; tests share these two pairs.
inline const RsaKeyPair& testKeyPair() {
  static const RsaKeyPair pair = generateRsaKeyPair();
  return pair;
}
inline const RsaKeyPair& otherTestKeyPair() {
  static const RsaKeyPair pair = generateRsaKeyPair();
  return pair;
}

// A private directory under the system temp dir, removed with everything in it at the end of the test.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "launch-gcp-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  const std::string& path() const { return path_; }

  // Writes a file (creating parent directories) and returns its path.
  std::string write(const std::string& relative, const std::string& content) const {
    const std::filesystem::path file = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(file.parent_path());
    if (!writeFile(file.string(), content)) throw std::runtime_error("cannot write " + file.string());
    return file.string();
  }

 private:
  std::string path_;
};

// The JSON of a service-account key file as Google issues it.
inline std::string serviceAccountKeyJson(const std::string& clientEmail, const std::string& privateKeyPem,
                                         const std::string& tokenUri, const std::string& keyId = "key-1") {
  return nlohmann::json{{"type", "service_account"},
                        {"project_id", "proj"},
                        {"private_key_id", keyId},
                        {"private_key", privateKeyPem},
                        {"client_email", clientEmail},
                        {"client_id", "1234567890"},
                        {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
                        {"token_uri", tokenUri}}
      .dump(2);
}

// The JSON gcloud writes after `gcloud auth application-default login`.
inline std::string authorizedUserJson(const std::string& clientId, const std::string& clientSecret,
                                      const std::string& refreshToken, const std::string& tokenUri = "") {
  nlohmann::json doc = {{"type", "authorized_user"},
                        {"client_id", clientId},
                        {"client_secret", clientSecret},
                        {"refresh_token", refreshToken}};
  if (!tokenUri.empty()) doc["token_uri"] = tokenUri;
  return doc.dump(2);
}

// POST /token: the JWT bearer grant (checked like Google: a known account, the key's RS256 signature, "kid",
// aud = this endpoint, the expected scope, a live and at most one-hour-long iat..exp) and the refresh_token
// grant (known client, right secret, known refresh token). Answers like Google: 200 {access_token, expires_in,
// token_type} or 4xx {"error", "error_description"}.
class FakeGoogleTokenEndpoint {
 public:
  explicit FakeGoogleTokenEndpoint(const Clock& clock) : clock_(clock) {
    server_.server().Post(
        "/token", [this](const httplib::Request& request, httplib::Response& response) { answer(request, response); });
  }

  void addServiceAccount(const std::string& clientEmail, const std::string& keyId, const std::string& publicKeyPem) {
    const std::lock_guard lock(mutex_);
    accounts_[clientEmail] = {keyId, publicKeyPem};
  }
  void addAuthorizedUser(const std::string& clientId, const std::string& clientSecret,
                         const std::string& refreshToken) {
    const std::lock_guard lock(mutex_);
    users_[clientId] = {clientSecret, refreshToken};
  }
  void setExpectedScope(std::string scope) {
    const std::lock_guard lock(mutex_);
    expectedScope_ = std::move(scope);
  }
  void setExpiresIn(int seconds) {
    const std::lock_guard lock(mutex_);
    expiresIn_ = seconds;
  }

  void start() { server_.start(); }
  std::string tokenUri() const { return server_.url() + "/token"; }
  httplib::Server& server() { return server_.server(); }

  int requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<std::string> issuedTokens() const {
    const std::lock_guard lock(mutex_);
    return issued_;
  }
  // Why the last rejected request was rejected (for test diagnostics).
  std::string lastRejection() const {
    const std::lock_guard lock(mutex_);
    return lastRejection_;
  }
  // The claims of the last assertion that passed the signature check.
  nlohmann::json lastClaims() const {
    const std::lock_guard lock(mutex_);
    return lastClaims_;
  }

 private:
  struct Account {
    std::string keyId;
    std::string publicKeyPem;
  };
  struct User {
    std::string clientSecret;
    std::string refreshToken;
  };

  void answer(const httplib::Request& request, httplib::Response& response) {
    const std::lock_guard lock(mutex_);
    ++requests_;
    if (request.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      reject(response, 400, "invalid_request", "Bad Request: the body must be application/x-www-form-urlencoded");
      return;
    }
    httplib::Params form;
    httplib::detail::parse_query_text(request.body, form);
    const auto field = [&form](const std::string& name) {
      const auto found = form.find(name);
      return found == form.end() ? std::string() : found->second;
    };
    const std::string grantType = field("grant_type");
    if (grantType == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      jwtBearer(field("assertion"), response);
    } else if (grantType == "refresh_token") {
      refresh(field("client_id"), field("client_secret"), field("refresh_token"), response);
    } else {
      reject(response, 400, "unsupported_grant_type", "Invalid grant_type: " + grantType);
    }
  }

  // A claim or header field of the wrong type reads as absent, as a strict server would treat it.
  static std::string text(const nlohmann::json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
  }
  static long long number(const nlohmann::json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_number_integer() ? found->get<long long>() : 0;
  }

  void jwtBearer(const std::string& assertion, httplib::Response& response) {
    auto unverified = cloud::Jwt::decode(assertion);
    if (!unverified) {
      reject(response, 400, "invalid_grant", "Invalid JWT: " + unverified.error().message);
      return;
    }
    const auto iss = unverified->claims().find("iss");
    const auto account = iss != unverified->claims().end() && iss->is_string() ? accounts_.find(iss->get<std::string>())
                                                                               : accounts_.end();
    if (account == accounts_.end()) {
      reject(response, 400, "invalid_grant", "Invalid grant: account not found");
      return;
    }
    if (text(unverified->header(), "kid") != account->second.keyId) {
      reject(response, 400, "invalid_grant", "Invalid JWT Signature.");  // Google: unknown key id
      return;
    }
    auto verified = cloud::Jwt::verify(assertion, account->second.publicKeyPem);
    if (!verified) {
      reject(response, 400, "invalid_grant", "Invalid JWT Signature.");
      return;
    }
    const nlohmann::json& claims = verified->claims();
    lastClaims_ = claims;
    if (text(claims, "aud") != tokenUri()) {
      reject(response, 400, "invalid_grant", "Invalid JWT: Failed audience check.");
      return;
    }
    if (text(claims, "scope") != expectedScope_) {
      reject(response, 400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
      return;
    }
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
    const long long iat = number(claims, "iat");
    const long long exp = number(claims, "exp");
    if (iat > now + 60 || exp <= now || exp - iat > 3600 || exp <= iat) {
      reject(response, 400, "invalid_grant",
             "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your "
             "iat and exp values in the JWT claim.");
      return;
    }
    issue(response);
  }

  void refresh(const std::string& clientId, const std::string& clientSecret, const std::string& refreshToken,
               httplib::Response& response) {
    const auto user = users_.find(clientId);
    if (user == users_.end() || user->second.clientSecret != clientSecret) {
      reject(response, 401, "invalid_client", "Unauthorized");
      return;
    }
    if (user->second.refreshToken != refreshToken) {
      reject(response, 400, "invalid_grant", "Token has been expired or revoked.");
      return;
    }
    issue(response);
  }

  void issue(httplib::Response& response) {
    const std::string token = "ya29.fake-" + std::to_string(issued_.size() + 1);
    issued_.push_back(token);
    response.set_content(
        nlohmann::json{{"access_token", token}, {"expires_in", expiresIn_}, {"token_type", "Bearer"}}.dump(),
        "application/json");
  }

  void reject(httplib::Response& response, int status, const std::string& error, const std::string& description) {
    lastRejection_ = error + ": " + description;
    response.status = status;
    response.set_content(nlohmann::json{{"error", error}, {"error_description", description}}.dump(),
                         "application/json; charset=utf-8");
  }

  const Clock& clock_;
  FakeHttpServer server_;
  mutable std::mutex mutex_;
  std::map<std::string, Account> accounts_;
  std::map<std::string, User> users_;
  std::string expectedScope_ = "https://www.googleapis.com/auth/cloud-platform";
  int expiresIn_ = 3599;
  int requests_ = 0;
  std::vector<std::string> issued_;
  std::string lastRejection_;
  nlohmann::json lastClaims_;
};

// The GCE metadata server: GET / and GET /computeMetadata/v1/instance/service-accounts/<account>/token,
// each refused with 403 unless the request carries "Metadata-Flavor: Google"; answers carry the same header.
class FakeGoogleMetadataServer {
 public:
  FakeGoogleMetadataServer() {
    server_.server().Get("/", [this](const httplib::Request& request, httplib::Response& response) {
      if (!admit(request, response)) return;
      response.set_content("computeMetadata/\n", "application/text");
    });
    server_.server().Get(
        R"(/computeMetadata/v1/instance/service-accounts/([^/]+)/token)",
        [this](const httplib::Request& request, httplib::Response& response) {
          if (!admit(request, response)) return;
          const std::lock_guard lock(mutex_);
          lastScopes_ = request.has_param("scopes") ? request.get_param_value("scopes") : "";
          if (request.matches[1] != "default" || !accountAttached_) {
            response.status = 404;
            response.set_content("Not Found", "text/html");
            return;
          }
          const std::string token = "ya29.metadata-" + std::to_string(++issued_);
          response.set_content(
              nlohmann::json{{"access_token", token}, {"expires_in", expiresIn_}, {"token_type", "Bearer"}}.dump(),
              "application/json");
        });
  }

  void start() { server_.start(); }
  std::string host() const { return "127.0.0.1:" + std::to_string(server_.port()); }  // for GCE_METADATA_HOST

  void setAccountAttached(bool attached) {
    const std::lock_guard lock(mutex_);
    accountAttached_ = attached;
  }
  void setExpiresIn(int seconds) {
    const std::lock_guard lock(mutex_);
    expiresIn_ = seconds;
  }
  int tokensIssued() const {
    const std::lock_guard lock(mutex_);
    return issued_;
  }
  int refused() const {
    const std::lock_guard lock(mutex_);
    return refused_;
  }
  std::string lastScopes() const {
    const std::lock_guard lock(mutex_);
    return lastScopes_;
  }

 private:
  bool admit(const httplib::Request& request, httplib::Response& response) {
    response.set_header("Metadata-Flavor", "Google");
    if (request.get_header_value("Metadata-Flavor") == "Google" && !request.has_header("X-Forwarded-For")) {
      return true;
    }
    const std::lock_guard lock(mutex_);
    ++refused_;
    response.status = 403;
    response.set_content("Missing Metadata-Flavor:Google header.", "text/html");
    return false;
  }

  FakeHttpServer server_;
  mutable std::mutex mutex_;
  bool accountAttached_ = true;
  int expiresIn_ = 3599;
  int issued_ = 0;
  int refused_ = 0;
  std::string lastScopes_;
};

}  // namespace launch::testing
