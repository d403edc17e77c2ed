// RegistryAuth: picks the CredentialSource for a configured registry (generic v2, ECR, Artifact Registry, ACR).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cloud/AwsCredentials.hpp"
#include "cloud/GoogleTokenSource.hpp"
#include "http/HttpClient.hpp"
#include "registry/AcrCredentialSource.hpp"
#include "registry/CredentialSource.hpp"
#include "registry/EcrCredentialSource.hpp"
#include "util/Clock.hpp"

namespace launch::registry {

enum class RegistryType { Generic, Ecr, Gar, Acr };

// What the agent knows about its registry, free of api/ types (the agent maps LaunchAgent.spec.registry and
// spec.environment onto this).
struct RegistryAuthOptions {
  RegistryType type = RegistryType::Generic;
  std::string uri;  // <host>/<repository>, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/launch
  // Credentials read from a dockerconfigjson Secret. When set they are used whatever the type, so a user can
  // always override the cloud's own login.
  std::optional<RegistryCredentials> credentials;
  std::string credentialsOrigin = "the registry credentials Secret";  // for describe(), e.g. "Secret ml/regcred"
  EcrOptions ecr;                                                     // region defaults to the one in an ECR host
  AcrOptions acr;                                                     // registry defaults to the host of `uri`
};

// The clients and identities the cloud sources use; only those the type needs must be set.
struct RegistryAuthServices {
  std::shared_ptr<http::HttpClient> http;
  std::shared_ptr<cloud::AwsCredentialProvider> aws;  // for ECR
  std::shared_ptr<cloud::GoogleTokenSource> google;   // for Artifact Registry (cache it)
  const Clock* clock = &SystemClock::instance();
};

// The host of a registry URI ("<host>/<repository>"); errors name the URI and the expected form.
Result<std::string> registryHostOf(std::string_view uri);

// The region in an ECR host "<account>.dkr.ecr.<region>.amazonaws.com"; nullopt for other hosts.
std::optional<std::string> ecrRegionOf(std::string_view host);

// Static credentials when given (empty ones mean anonymous for a generic registry); otherwise the type's
// cloud source. Errors say which setting is missing or does not fit the type.
Result<std::shared_ptr<CredentialSource>> makeCredentialSource(const RegistryAuthOptions& options,
                                                               const RegistryAuthServices& services);

}  // namespace launch::registry
