// RegistryAuth: validation of the registry settings and the choice of credential source.
#include "registry/RegistryAuth.hpp"

#include <utility>

#include "registry/GarCredentialSource.hpp"
#include "registry/ImageReference.hpp"
#include "registry/StaticCredentialSource.hpp"

namespace launch::registry {
namespace {

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string hostWithoutPort(const std::string& host) {
  const std::size_t colon = host.rfind(':');
  return colon == std::string::npos || host.find(']') != std::string::npos ? host : host.substr(0, colon);
}

}  // namespace

Result<std::string> registryHostOf(std::string_view uri) {
  if (uri.empty()) {
    return makeError(ErrorCode::Invalid, "the registry uri is empty; set it to <host>/<repository>");
  }
  auto reference = ImageReference::parse(uri);
  if (!reference) {
    return makeError(ErrorCode::Invalid, "the registry uri is not <host>/<repository>: " + reference.error().message);
  }
  return reference->registry;
}

std::optional<std::string> ecrRegionOf(std::string_view host) {
  constexpr std::string_view kMarker = ".dkr.ecr.";
  const std::size_t marker = host.find(kMarker);
  if (marker == std::string_view::npos) return std::nullopt;
  const std::string_view rest = host.substr(marker + kMarker.size());
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || rest.substr(dot + 1).rfind("amazonaws.com", 0) != 0) {
    return std::nullopt;
  }
  return std::string(rest.substr(0, dot));
}

Result<std::shared_ptr<CredentialSource>> makeCredentialSource(const RegistryAuthOptions& options,
                                                               const RegistryAuthServices& services) {
  auto host = registryHostOf(options.uri);
  if (!host) return host.error();
  if (options.credentials) {
    return std::shared_ptr<CredentialSource>(
        std::make_shared<StaticCredentialSource>(*options.credentials, options.credentialsOrigin));
  }
  const Clock& clock = services.clock != nullptr ? *services.clock : SystemClock::instance();
  switch (options.type) {
    case RegistryType::Generic:
      return std::shared_ptr<CredentialSource>(std::make_shared<StaticCredentialSource>(RegistryCredentials{}));
    case RegistryType::Ecr: {
      EcrOptions ecr = options.ecr;
      if (ecr.region.empty()) {
        const auto region = ecrRegionOf(*host);
        if (!region) {
          return makeError(ErrorCode::Invalid,
                           "the registry uri host " + *host +
                               " is not an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com); fix the uri or "
                               "set the environment's region");
        }
        ecr.region = *region;
      }
      if (!services.aws) {
        return makeError(ErrorCode::Invalid,
                         "an ECR registry needs AWS credentials: configure an aws environment or a credentials Secret");
      }
      return std::shared_ptr<CredentialSource>(
          std::make_shared<EcrCredentialSource>(std::move(ecr), services.aws, services.http, clock));
    }
    case RegistryType::Gar: {
      const std::string name = hostWithoutPort(*host);
      if (!endsWith(name, "-docker.pkg.dev") && name != "gcr.io" && !endsWith(name, ".gcr.io")) {
        return makeError(ErrorCode::Invalid, "the registry uri host " + *host +
                                                 " is not an Artifact Registry host (<location>-docker.pkg.dev)");
      }
      if (!services.google) {
        return makeError(ErrorCode::Invalid,
                         "an Artifact Registry registry needs Google credentials: configure a gcp "
                         "environment or a credentials Secret");
      }
      return std::shared_ptr<CredentialSource>(std::make_shared<GarCredentialSource>(services.google));
    }
    case RegistryType::Acr: {
      AcrOptions acr = options.acr;
      if (acr.registry.empty()) acr.registry = *host;
      const std::string name = hostWithoutPort(acr.registry);
      if (!endsWith(name, ".azurecr.io") && !endsWith(name, ".azurecr.cn") && !endsWith(name, ".azurecr.us")) {
        return makeError(ErrorCode::Invalid,
                         "the registry uri host " + acr.registry + " is not an ACR registry (<name>.azurecr.io)");
      }
      if (acr.azure.tenantId.empty() || acr.azure.clientId.empty()) {
        return makeError(ErrorCode::Invalid,
                         "an ACR registry needs an Azure tenant ID and client ID (AZURE_TENANT_ID, "
                         "AZURE_CLIENT_ID) or a credentials Secret");
      }
      return std::shared_ptr<CredentialSource>(
          std::make_shared<AcrCredentialSource>(std::move(acr), services.http, clock));
    }
  }
  return makeError(ErrorCode::Internal, "unknown registry type");
}

}  // namespace launch::registry
