// RegistryCredentials: the Basic header and the Docker Engine X-Registry-Auth encoding.
#include "registry/RegistryCredentials.hpp"

#include <nlohmann/json.hpp>

#include "util/Base64.hpp"

namespace launch::registry {

std::string RegistryCredentials::basicAuthorization() const { return base64Encode(username + ":" + password); }

std::string RegistryCredentials::engineAuthHeader(std::string_view serverAddress) const {
  nlohmann::json config = nlohmann::json::object();
  if (!identityToken.empty()) {
    config["identitytoken"] = identityToken;
  } else if (!anonymous()) {
    config["username"] = username;
    config["password"] = password;
    config["serveraddress"] = std::string(serverAddress);
  }
  // The engine decodes with Go's base64.URLEncoding, which requires the padding.
  return base64UrlEncode(config.dump(), true);
}

}  // namespace launch::registry
