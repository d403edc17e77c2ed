// RegistryCredentials: what a client presents to a container registry, and its Docker Engine header form.
#pragma once

#include <string>
#include <string_view>

namespace launch::registry {

// A user name and password, or an identity token (an OAuth2 refresh token a registry's token endpoint
// accepts, docker's "identitytoken"). All fields empty means anonymous. Passwords and tokens are secrets:
// nothing in this layer puts them into errors or logs.
struct RegistryCredentials {
  std::string username;
  std::string password;
  std::string identityToken;

  bool anonymous() const { return username.empty() && password.empty() && identityToken.empty(); }

  // The value of an "Authorization: Basic ..." header: base64 of "username:password".
  std::string basicAuthorization() const;

  // The Docker Engine's X-Registry-Auth header: padded base64url of {"username","password","serveraddress"},
  // or of {"identitytoken"} for an identity token; "{}" encoded for anonymous access.
  std::string engineAuthHeader(std::string_view serverAddress) const;

  bool operator==(const RegistryCredentials&) const = default;
};

}  // namespace launch::registry
