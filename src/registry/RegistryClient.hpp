// RegistryClient: the OCI distribution (Docker Registry v2) API: manifest existence and digests, with the
// registry's Basic or Bearer-token authentication.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "http/HttpClient.hpp"
#include "registry/AuthChallenge.hpp"
#include "registry/CredentialSource.hpp"
#include "registry/ImageReference.hpp"
#include "util/Clock.hpp"

namespace launch::registry {

// Every manifest kind a build can produce: OCI index and manifest, Docker manifest list and v2 manifest.
// Asking for all four keeps a registry from converting (and so re-digesting) what it stored.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

struct RegistryClientOptions {
  // Plain http instead of https: for registries on loopback and in tests, which serve no TLS.
  bool insecure = false;
  // The registry host the credentials belong to; they are never sent to any other (an image on Docker Hub
  // is looked up anonymously). Empty: the credentials go to every registry.
  std::string credentialsRegistry;
  // Appended to errors about missing or rejected credentials: where the operator fixes them.
  std::string credentialsHint = "check the registry credentials";
  std::chrono::milliseconds timeout{30000};
  // How long a token without "expires_in" is used (the distribution spec's default).
  std::chrono::seconds defaultTokenLifetime{60};
};

class RegistryClient {
 public:
  // `credentials` may be null: then every registry is accessed anonymously.
  RegistryClient(std::shared_ptr<http::HttpClient> http, std::shared_ptr<CredentialSource> credentials,
                 RegistryClientOptions options = {}, const Clock& clock = SystemClock::instance());

  // HEAD /v2/<repository>/manifests/<tag or digest>: the manifest's digest ("sha256:..."), or nullopt when
  // the registry has no such manifest (404). Follows a 401 challenge once: Basic with the credentials, or
  // Bearer with a token from the challenge's realm (kept per repository scope until it expires). Errors
  // name the registry and what to fix; they never hold a password or a token.
  Result<std::optional<std::string>> manifestDigest(const ImageReference& image);

 private:
  struct CachedToken {
    std::string token;
    Clock::TimePoint expiry{};
  };
  // How to authorize one request, and whether it came from the token cache.
  struct Authorization {
    std::string header;  // the Authorization value; empty for anonymous
    bool cachedToken = false;
  };

  std::string baseUrl(const std::string& host) const;
  bool credentialsApply(const ImageReference& image) const;
  Result<RegistryCredentials> credentialsFor(const ImageReference& image) const;
  Authorization knownAuthorization(const std::string& host, const std::string& scope);
  Result<std::string> answerChallenge(const AuthChallenge& challenge, const ImageReference& image,
                                      const std::string& scope);
  Result<std::string> bearerToken(const AuthChallenge& challenge, const ImageReference& image,
                                  const std::string& scope);
  Result<http::HttpResponse> send(const std::string& method, const std::string& url,
                                  const std::string& authorization) const;
  Error credentialsError(const ImageReference& image, long status, const RegistryCredentials& used,
                         const std::string& what) const;

  std::shared_ptr<http::HttpClient> http_;
  std::shared_ptr<CredentialSource> credentials_;
  RegistryClientOptions options_;
  const Clock& clock_;

  std::mutex mutex_;                                 // guards the two maps; never held during a request
  std::map<std::string, AuthChallenge> challenges_;  // by registry host: the last challenge it sent
  std::map<std::string, CachedToken> tokens_;        // by host + " " + scope
};

}  // namespace launch::registry
