// DockerConfigJson: parsing and writing the credential entries of docker's config.json.
#include "registry/DockerConfigJson.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "util/Base64.hpp"

namespace launch::registry {
namespace {

Error invalid(std::string_view origin, const std::string& why) {
  return makeError(ErrorCode::Invalid, std::string(origin) + ": " + why);
}

Result<std::string> stringField(const nlohmann::json& entry, const char* name, std::string_view origin,
                                const std::string& key) {
  const auto found = entry.find(name);
  if (found == entry.end() || found->is_null()) return std::string();
  if (!found->is_string()) {
    return invalid(origin, "auths[\"" + key + "\"]." + name + " must be a string");
  }
  return found->get<std::string>();
}

}  // namespace

std::string DockerConfigJson::normalizeRegistryKey(std::string_view key) {
  std::string host(key);
  if (const std::size_t scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
  if (const std::size_t slash = host.find('/'); slash != std::string::npos) host = host.substr(0, slash);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "registry.hub.docker.com") {
    host = "docker.io";
  }
  return host;
}

Result<DockerConfigJson> DockerConfigJson::parse(std::string_view json, std::string_view origin) {
  const auto document = nlohmann::json::parse(json, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return invalid(origin, "is not a JSON object; expected a docker config.json like {\"auths\": {...}}");
  }
  DockerConfigJson config;
  const auto auths = document.find("auths");
  if (auths == document.end() || auths->is_null()) return config;
  if (!auths->is_object()) return invalid(origin, "\"auths\" must be an object keyed by registry host");

  for (const auto& [key, entry] : auths->items()) {
    if (!entry.is_object()) return invalid(origin, "auths[\"" + key + "\"] must be an object");
    RegistryCredentials credentials;
    auto auth = stringField(entry, "auth", origin, key);
    auto username = stringField(entry, "username", origin, key);
    auto password = stringField(entry, "password", origin, key);
    auto identityToken = stringField(entry, "identitytoken", origin, key);
    for (const auto* field : {&auth, &username, &password, &identityToken}) {
      if (!field->ok()) return field->error();
    }
    if (!auth->empty()) {
      const auto decoded = base64Decode(*auth);
      const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        return invalid(origin, "auths[\"" + key + "\"].auth must be base64 of \"username:password\"");
      }
      credentials.username = decoded->substr(0, colon);
      credentials.password = decoded->substr(colon + 1);
    } else {
      credentials.username = *username;
      credentials.password = *password;
    }
    credentials.identityToken = *identityToken;
    config.auths_[key] = std::move(credentials);
  }
  return config;
}

std::optional<RegistryCredentials> DockerConfigJson::find(std::string_view registry) const {
  const std::string wanted = normalizeRegistryKey(registry);
  // An exact key wins over one that only normalizes to the same host.
  if (const auto exact = auths_.find(std::string(registry)); exact != auths_.end()) return exact->second;
  for (const auto& [key, credentials] : auths_) {
    if (normalizeRegistryKey(key) == wanted) return credentials;
  }
  return std::nullopt;
}

void DockerConfigJson::set(const std::string& registry, RegistryCredentials credentials) {
  auths_[registry] = std::move(credentials);
}

std::string DockerConfigJson::toJson() const {
  nlohmann::json auths = nlohmann::json::object();
  for (const auto& [key, credentials] : auths_) {
    nlohmann::json entry = nlohmann::json::object();
    if (!credentials.username.empty() || !credentials.password.empty()) {
      entry["auth"] = credentials.basicAuthorization();
    }
    if (!credentials.identityToken.empty()) entry["identitytoken"] = credentials.identityToken;
    auths[key] = std::move(entry);
  }
  return nlohmann::json{{"auths", std::move(auths)}}.dump();
}

}  // namespace launch::registry
